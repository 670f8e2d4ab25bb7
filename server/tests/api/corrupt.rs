//! Corrupt stored data is an error, never a silent default: a value the types cannot
//! hold answers 500 `internal` with a request id and no detail (the log has the detail),
//! instead of showing made-up defaults as if they were stored.

use crate::helpers::{spawn_app, Backend};
use crate::on_both;
use reqwest::StatusCode;

/// Runs one raw statement on the app's database (the test plays a broken migration or a
/// hand edit).
async fn exec(app: &crate::helpers::TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.state.db.pool).await.unwrap();
}

fn assert_internal(status: StatusCode, body: &serde_json::Value, what: &str) {
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}: {body}");
    assert_eq!(body["error"]["code"], "internal", "{what}: {body}");
    let text = body.to_string();
    assert!(body["error"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{what}: {body}");
    for leak in ["settings", "sender", "json", "SELECT", "expected"] {
        assert!(!text.contains(leak), "{what}: no internal detail in the answer: {body}");
    }
}

async fn unreadable_settings_are_an_error_not_the_defaults(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Mira", "You are Mira.").await;
    let (s, _) = app.get(&format!("/admin/templates/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    exec(&app, &format!("UPDATE template_versions SET settings = 'not json' WHERE template_id = {id}")).await;
    let (s, body) = app.get(&format!("/admin/templates/{id}")).await;
    assert_internal(s, &body, "settings");
    // The chat does not run a version whose settings it cannot read.
    let (s, body) = app.chat_persona("ann", id, "hello").await;
    assert_internal(s, &body, "chat with corrupt settings");
    assert_eq!(app.llm.calls(), 0, "no LLM call with made-up settings");
}
on_both!(unreadable_settings_are_an_error_not_the_defaults);

async fn an_unknown_sender_is_an_error_everywhere(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    assert_eq!(app.chat("bo", "hi").await.0, StatusCode::OK);
    exec(&app, "UPDATE messages SET sender = 'robot' WHERE sender = 'assistant'").await;
    for path in ["/admin/users/bo", "/admin/users"] {
        let (s, body) = app.get(path).await;
        assert_internal(s, &body, path);
    }
}
on_both!(an_unknown_sender_is_an_error_everywhere);

async fn unreadable_memory_is_an_error(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    assert_eq!(app.chat("cy", "hi").await.0, StatusCode::OK);
    let (s, _) = app
        .request(reqwest::Method::PUT, "/admin/users/cy/memory/name", Some(serde_json::json!({"value": "Cy"})))
        .await;
    assert_eq!(s, StatusCode::OK);
    exec(&app, "UPDATE user_memory SET value = '{broken' WHERE key = 'name'").await;
    let (s, body) = app.get("/admin/users/cy/memory").await;
    assert_internal(s, &body, "memory");
}
on_both!(unreadable_memory_is_an_error);
