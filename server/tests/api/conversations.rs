//! `GET /admin/conversations/{user_id}` (+ export as JSON and Markdown) and clearing a
//! conversation.

use crate::helpers::{spawn_app, Backend};
use crate::on_both;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn conversations_are_shown_exported_and_cleared(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("eve", "hello there").await;
    app.chat("eve", "second line").await;
    app.post("/admin/interventions/eve/inject", json!({"content": "Keep it short.", "kind": "note"})).await;

    let (s, c) = app.get("/admin/conversations/eve").await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        (c["user_id"].clone(), c["message_count"].clone(), c["state"].clone()),
        (json!("eve"), json!(4), json!("active"))
    );
    let roles: Vec<&str> = c["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, vec!["user", "assistant", "user", "assistant"]);
    assert_eq!(c["messages"][0]["content"], "hello there");
    let (_, one) = app.get("/admin/conversations/eve?limit=1").await;
    assert_eq!(one["messages"].as_array().unwrap().len(), 1);
    assert_eq!(one["messages"][0]["content"], "echo: second line", "the newest");
    let (s, _) = app.get("/admin/conversations/eve?limit=0").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let resp = app.client.get(format!("{}/admin/conversations/eve/export", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"conversation_eve_") && disposition.ends_with(".json\""),
        "{disposition}"
    );
    let e: Value = resp.json().await.unwrap();
    assert_eq!((e["user_id"].clone(), e["message_count"].clone()), (json!("eve"), json!(4)));
    assert!(e["exported_at"].as_i64().is_some());
    assert_eq!(e["messages"][1]["role"], "assistant");
    assert_eq!(e["notes"][0]["content"], "Keep it short.");

    for path in ["/admin/conversations/eve/export?format=markdown", "/admin/conversations/eve/export.md"] {
        let resp = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/markdown"), "{path}");
        let d = resp.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(d.contains("conversation_eve_") && d.ends_with(".md\""), "{d}");
        let md = resp.text().await.unwrap();
        assert!(md.starts_with("# Conversation with eve\n"), "{md}");
        assert!(md.contains("**User**") && md.contains("hello there") && md.contains("echo: second line"), "{md}");
        assert!(md.contains("> Keep it short."), "{md}");
    }
    let (s, _) = app.get("/admin/conversations/eve/export?format=xml").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, body) = app.request(Method::DELETE, "/admin/users/eve/conversations", None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"user_id": "eve", "deleted": 4}));
    let (_, h) = app.get("/chat/history?user_id=eve").await;
    assert_eq!((h["messages"].clone(), h["total_count"].clone()), (json!([]), json!(0)));
    let (_, c) = app.get("/admin/conversations/eve").await;
    assert_eq!(c["message_count"], 0);
    let (_, conv) = app.get("/admin/users/eve").await;
    assert_eq!(conv["notes"], json!([]), "notes went with the chats");
    // The user chats again from a clean slate: the old note is not in the prompt.
    app.chat("eve", "new start").await;
    let system = app.llm.last_messages()[0]["content"].as_str().unwrap().to_string();
    assert!(!system.contains("Keep it short."), "{system}");
    assert_eq!(app.llm.last_messages().as_array().unwrap().len(), 2, "no old history");

    let (s, _) = app.get("/admin/conversations/nobody").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.request(Method::DELETE, "/admin/users/nobody/conversations", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(conversations_are_shown_exported_and_cleared);
