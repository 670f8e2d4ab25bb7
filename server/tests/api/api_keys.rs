//! Issue 11: API keys — created once-shown and stored hashed, sent as Bearer or
//! X-API-Key, scopes enforced, last use recorded, revoked → 401, scoped to the workspace,
//! and a key cannot manage keys.

use crate::helpers::*;
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Creates a key with these scopes through the REST API (logged-in operator).
pub async fn create_key(app: &TestApp, name: &str, scopes: &[&str]) -> (i64, String) {
    let (s, body) = app.post("/admin/api-keys", json!({"name": name, "scopes": scopes})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    (body["key"]["id"].as_i64().unwrap(), body["secret"].as_str().unwrap().to_string())
}

/// A request with no cookies, carrying `key` as `Authorization: Bearer`.
pub async fn with_key(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut rb = reqwest::Client::new().request(method, format!("{}{path}", app.base)).bearer_auth(key);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn key_lifecycle_and_scopes(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;

    // Bad input is a clear 422.
    let (s, body) = app.post("/admin/api-keys", json!({"name": " ", "scopes": ["chat"]})).await;
    assert_eq!((s, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
    let (s, body) = app.post("/admin/api-keys", json!({"name": "x", "scopes": ["admin"]})).await;
    assert_eq!((s, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scopes")));
    let (s, _) = app.post("/admin/api-keys", json!({"name": "x", "scopes": []})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (reader_id, reader) = create_key(&app, "dashboards", &["read"]).await;
    let (_, chatter) = create_key(&app, "support bot", &["chat"]).await;
    assert!(reader.starts_with("pd_") && reader.len() == 35, "{reader}");

    // The secret is shown once: the list has only its prefix; the database only a hash.
    let (_, list) = app.get("/admin/api-keys").await;
    let listed = list["keys"].to_string();
    assert!(!listed.contains(&reader) && !listed.contains(&chatter), "{listed}");
    let row = list["keys"].as_array().unwrap().iter().find(|k| k["id"] == reader_id).unwrap().clone();
    assert_eq!(row["prefix"].as_str().unwrap(), &reader[..9]);
    assert_eq!(row["scopes"], json!(["read"]));
    assert_eq!(row["created_by"], json!(app.admin_email));
    assert!(row["last_used_at"].is_null(), "never used yet");
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT key_hash FROM api_keys").fetch_all(&app.state.db.pool).await.unwrap();
    assert!(stored.iter().all(|h| h.len() == 64 && !h.contains("pd_")), "{stored:?}");

    // read: GET /admin/… works, with either header; changing is 403; chatting is 403.
    let (s, body) = with_key(&app, &reader, Method::GET, "/admin/templates", None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let resp = reqwest::Client::new()
        .get(format!("{}/admin/templates", app.base))
        .header("X-API-Key", &reader)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (s, body) = with_key(
        &app,
        &reader,
        Method::POST,
        "/admin/templates",
        Some(json!({"name": "Nope", "content": "x", "created_by": "k"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("manage"), "{body}");
    let (s, _) = with_key(&app, &reader, Method::POST, "/chat", Some(json!({"user_id": "u1", "message": "hi"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a read key cannot chat");

    // chat: chats on behalf of a user of its workspace; the admin API is 403.
    let (s, body) =
        with_key(&app, &chatter, Method::POST, "/chat", Some(json!({"user_id": "kim", "message": "hello"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["reply"], "echo: hello");
    let (s, _) = with_key(&app, &chatter, Method::GET, "/admin/templates", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A key cannot manage keys, even one with every scope.
    let (_, all) = create_key(&app, "ops", &["chat", "read", "manage"]).await;
    let (s, _) = with_key(&app, &all, Method::GET, "/admin/api-keys", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        with_key(&app, &all, Method::POST, "/admin/api-keys", Some(json!({"name": "y", "scopes": ["read"]}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // manage: halt and resume.
    let (s, body) =
        with_key(&app, &all, Method::POST, "/admin/interventions/kim/halt", Some(json!({"reason": "by key"}))).await;
    assert!(s.is_success(), "{s} {body}");
    let (s, body) = with_key(&app, &all, Method::POST, "/admin/interventions/kim/resume", Some(json!({}))).await;
    assert!(s.is_success(), "{s} {body}");

    // Last use is recorded.
    let (_, list) = app.get("/admin/api-keys").await;
    let row = list["keys"].as_array().unwrap().iter().find(|k| k["id"] == reader_id).unwrap().clone();
    assert!(row["last_used_at"].as_i64().is_some(), "{row}");

    // Revoked → 401 on the next request; revoking twice is 404.
    let (s, body) = app.request(Method::DELETE, &format!("/admin/api-keys/{reader_id}"), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body["revoked_at"].as_i64().is_some());
    let (s, body) = with_key(&app, &reader, Method::GET, "/admin/templates", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, _) = app.request(Method::DELETE, &format!("/admin/api-keys/{reader_id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Unknown or malformed keys are 401, never a session fallback.
    let (s, _) = with_key(&app, "pd_notarealkeynotarealkeynotarealk", Method::GET, "/admin/templates", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let resp = app.client.get(format!("{}/admin/templates", app.base)).bearer_auth("garbage").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "a bad key is refused even beside a valid session");
}
on_both!(key_lifecycle_and_scopes);

async fn keys_stay_in_their_workspace(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (_, mine) = create_key(&app, "mine", &["read", "manage"]).await;
    let other = app.second_operator("other@example.com", "other-password-1").await;
    let (s, body) = request_with(
        &other,
        &app.base,
        Method::POST,
        "/admin/api-keys",
        Some(json!({"name": "theirs", "scopes": ["read"]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let their_id = body["key"]["id"].as_i64().unwrap();
    let theirs = body["secret"].as_str().unwrap().to_string();

    // Each key sees its own workspace's personas only.
    let other_persona = {
        let (s, body) = request_with(
            &other,
            &app.base,
            Method::POST,
            "/admin/templates",
            Some(json!({"name": "Theirs", "content": "x", "created_by": "o"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    };
    let (s, _) = with_key(&app, &mine, Method::GET, &format!("/admin/templates/{other_persona}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = with_key(&app, &theirs, Method::GET, &format!("/admin/templates/{other_persona}"), None).await;
    assert_eq!(s, StatusCode::OK);

    // Nor can one workspace revoke or list another's key.
    let (s, _) = app.request(Method::DELETE, &format!("/admin/api-keys/{their_id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/admin/api-keys").await;
    assert!(!list.to_string().contains("theirs"));

    // A key stops working once the operator who made it is deactivated.
    sqlx::query("UPDATE accounts SET is_active = 0 WHERE email = 'other@example.com'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let (s, _) = with_key(&app, &theirs, Method::GET, "/admin/templates", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
on_both!(keys_stay_in_their_workspace);
