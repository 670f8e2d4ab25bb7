//! One id per request: every response carries `x-request-id` (a fresh UUID, or the id
//! the client sent), and an internal error's `request_id` is that same id.

use crate::helpers::{new_client, spawn_app, Backend};
use crate::on_both;
use reqwest::StatusCode;
use std::collections::HashSet;

fn request_id(resp: &reqwest::Response) -> String {
    let value = resp.headers().get("x-request-id").expect("every response carries x-request-id");
    value.to_str().unwrap().to_string()
}

async fn every_response_carries_its_own_request_id(b: Backend) {
    let app = spawn_app(b).await;
    let anon = new_client();
    let mut seen = HashSet::new();
    for (path, status) in [
        ("/health", StatusCode::OK),
        ("/admin/templates", StatusCode::UNAUTHORIZED),
        ("/api/auth/current_operator", StatusCode::UNAUTHORIZED),
        ("/no/such/page", StatusCode::NOT_FOUND),
    ] {
        let resp = anon.get(format!("{}{path}", app.base)).header("accept", "text/html").send().await.unwrap();
        assert_eq!(resp.status(), status, "GET {path}");
        let id = request_id(&resp);
        assert_eq!(uuid::Uuid::parse_str(&id).map(|u| u.get_version_num()), Ok(4), "GET {path}: {id}");
        assert!(seen.insert(id), "GET {path}: ids are per request");
    }

    // Logged in: a REST call, a server function (GET and POST), an SSE stream.
    app.login_admin().await;
    let resp = app.client.get(format!("{}/admin/templates", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(seen.insert(request_id(&resp)));
    let resp = app.client.get(format!("{}/api/auth/current_operator", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(seen.insert(request_id(&resp)));
    let resp = anon
        .post(format!("{}/api/auth/login", app.base))
        .form(&[("email", app.admin_email.as_str()), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(seen.insert(request_id(&resp)));
    let resp = app.client.get(format!("{}/admin/events", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(seen.insert(request_id(&resp)));
}
on_both!(every_response_carries_its_own_request_id);

async fn a_client_request_id_is_kept(b: Backend) {
    let app = spawn_app(b).await;
    for path in ["/health", "/admin/templates", "/api/auth/current_operator", "/no/such/page"] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base))
            .header("accept", "text/html")
            .header("x-request-id", "trace-42.abc")
            .send()
            .await
            .unwrap();
        assert_eq!(request_id(&resp), "trace-42.abc", "GET {path}");
    }
    // One that cannot be kept (over 128 bytes) is replaced by a fresh one.
    let long = "x".repeat(129);
    let resp = app.client.get(format!("{}/health", app.base)).header("x-request-id", &long).send().await.unwrap();
    let id = request_id(&resp);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
}
on_both!(a_client_request_id_is_kept);

async fn an_internal_error_names_the_request_id_of_its_response(b: Backend) {
    let app = spawn_app(b).await;
    // Every database call now fails: an internal error, whatever the request.
    app.state.db.pool.close().await;

    let login = serde_json::json!({"username": app.admin_email, "password": app.admin_password});
    let resp = app.client.post(format!("{}/admin/login", app.base)).json(&login).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = request_id(&resp);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal", "{body}");
    assert_eq!(body["error"]["request_id"], id.as_str(), "REST: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&id), "{body}");

    // A server function, with the client's own id.
    let resp = app
        .client
        .post(format!("{}/api/auth/login", app.base))
        .header("x-request-id", "client-id-7")
        .form(&[("email", app.admin_email.as_str()), ("password", app.admin_password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(request_id(&resp), "client-id-7");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "internal", "{body}");
    assert_eq!(body["request_id"], "client-id-7", "server function: {body}");
}
on_both!(an_internal_error_names_the_request_id_of_its_response);
