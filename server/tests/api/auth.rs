use crate::helpers::{fake_llm_config, new_client, request_with, spawn_app, spawn_with, test_config, Backend};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn health_reports_the_database(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = app.get("/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
}
on_both!(health_reports_the_database);

async fn login_and_logout(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = app.post("/admin/login", json!({"username": app.admin_email, "password": "wrong password"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "bad_credentials");
    let (s, _) = app.post("/admin/login", json!({"username": "nobody@example.com", "password": "whatever123"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/admin/me").await.0, StatusCode::UNAUTHORIZED);

    app.login_admin().await;
    let (s, me) = app.get("/admin/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], app.admin_email);

    let (s, _) = app.post("/admin/logout", json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get("/admin/me").await.0, StatusCode::UNAUTHORIZED);
}
on_both!(login_and_logout);

async fn session_cookie_is_http_only_and_cycled_at_login(b: Backend) {
    let app = spawn_app(b).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // A session that exists before login (e.g. planted by an attacker) must not survive it.
    let before = client.get(format!("{}/admin/me", app.base)).send().await.unwrap();
    assert_eq!(before.status(), StatusCode::UNAUTHORIZED);
    let resp = client
        .post(format!("{}/admin/login", app.base))
        .json(&json!({"username": app.admin_email, "password": app.admin_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("pd_session="))
        .expect("login sets the session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "loopback runs without Secure: {cookie}");
    assert!(cookie.contains("Max-Age=86400"), "sessions expire after 24 h: {cookie}");
    let id1 = cookie.split(';').next().unwrap().to_string();
    // Log in again with the first cookie: the id must change.
    let resp = client
        .post(format!("{}/admin/login", app.base))
        .header("cookie", &id1)
        .json(&json!({"username": app.admin_email, "password": app.admin_password}))
        .send()
        .await
        .unwrap();
    let id2 = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("pd_session="))
        .unwrap();
    assert_ne!(id1, id2.split(';').next().unwrap(), "the session id is cycled on login");
}
on_both!(session_cookie_is_http_only_and_cycled_at_login);

async fn anonymous_callers_get_401_everywhere(b: Backend) {
    let app = spawn_app(b).await;
    let routes = [
        (Method::GET, "/admin/me"),
        (Method::GET, "/admin/templates"),
        (Method::POST, "/admin/templates"),
        (Method::GET, "/admin/templates/1"),
        (Method::POST, "/admin/templates/1/versions"),
        (Method::POST, "/admin/templates/1/rollback/1"),
        (Method::GET, "/admin/templates/1/diff"),
        (Method::POST, "/admin/interventions/u1/halt"),
        (Method::POST, "/admin/interventions/u1/resume"),
        (Method::POST, "/admin/interventions/u1/inject"),
        (Method::GET, "/admin/users"),
        (Method::GET, "/admin/users/u1"),
        (Method::PUT, "/admin/users/u1/memory/k"),
        (Method::GET, "/admin/requests"),
        (Method::GET, "/admin/events"),
    ];
    for (m, path) in routes {
        let body = if m == Method::GET {
            None
        } else {
            Some(json!({"name": "x", "content": "x", "reason": "x", "message": "x"}))
        };
        let (s, body) = request_with(&new_client(), &app.base, m.clone(), path, body).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{m} {path}");
    }
    // The dashboard page redirects a browser to the login page.
    let resp = new_client().get(format!("{}/dashboard", app.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()["location"], "/login");
}
on_both!(anonymous_callers_get_401_everywhere);

async fn the_first_operator_is_created_once(b: Backend) {
    let app = spawn_app(b).await;
    let again =
        server::startup::Application::build(test_config(&app.database_url, fake_llm_config(&app.llm))).await.unwrap();
    assert!(again.first_login.is_none(), "a second start must not create another operator");
    let n = app::engine::auth::operator_count(&app.state.db).await.unwrap();
    assert_eq!(n, 1);
    let _ = spawn_with; // keeps the helper linked for other modules
}
on_both!(the_first_operator_is_created_once);

async fn server_functions_check_login_and_workspace(b: Backend) {
    let app = spawn_app(b).await;
    let anon = new_client();
    for path in [
        "/api/auth/current_operator",
        "/api/personas/list_personas",
        "/api/personas/get_persona?id=1",
        "/api/personas/diff_versions?id=1&from=1&to=1",
        "/api/monitor/list_users",
        "/api/monitor/get_conversation?user_id=x",
    ] {
        let resp = anon.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "GET {path}");
    }
    for (path, form) in [
        ("/api/personas/create_persona", vec![("name", "x"), ("content", "x"), ("note", "")]),
        ("/api/personas/save_persona_version", vec![("id", "1"), ("content", "x"), ("note", "")]),
        ("/api/monitor/halt_user", vec![("user_id", "x"), ("reason", "y")]),
        ("/api/monitor/inject_message", vec![("user_id", "x"), ("message", "y")]),
    ] {
        let resp = anon.post(format!("{}{path}", app.base)).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "POST {path}");
    }

    app.login_admin().await;
    let id = app.create_persona("Mine", "You are mine.").await;
    let other = app.second_operator("other@example.com", "other-password").await;
    let resp = other.get(format!("{}/api/personas/get_persona?id={id}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "not_found", "the typed error reaches the client: {body}");
    let resp = other
        .post(format!("{}/api/personas/save_persona_version", app.base))
        .form(&[("id", id.to_string().as_str()), ("content", "taken over"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // The owner sees their persona through the same server function.
    let resp = app.client.get(format!("{}/api/personas/get_persona?id={id}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let detail: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1);
}
on_both!(server_functions_check_login_and_workspace);
