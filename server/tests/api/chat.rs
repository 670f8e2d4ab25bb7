use crate::fake_llm::Scripted;
use crate::helpers::{spawn_app, Backend};
use crate::on_both;
use reqwest::StatusCode;
use serde_json::json;

async fn the_llm_receives_the_rendered_persona_memory_and_history(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app
        .create_persona(
            "Probe",
            "You talk with {{ user_id }}. They like {{ memory.likes | default('?') }}; their name is {{ memory.name | default('?') }}. \
             They said: {{ current_message }}. History has {{ history|length }} messages.",
        )
        .await;
    app.llm.script([Scripted::Reply("Nice to meet you!".into())]);
    // First contact creates the user, then the operator stores two memories.
    let (s, first) = app.chat_persona("ann", id, "hello").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let (s, _) =
        app.request(reqwest::Method::PUT, "/admin/users/ann/memory/likes", Some(json!({"value": "tea"}))).await;
    assert_eq!(s, StatusCode::OK);
    app.request(reqwest::Method::PUT, "/admin/users/ann/memory/name", Some(json!({"value": "Ann"}))).await;

    app.llm.script([Scripted::Reply("Tea it is.".into())]);
    let (s, body) = app.chat_persona("ann", id, "what do I like?").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied");
    assert_eq!(body["reply"], "Tea it is.");

    let expected = json!([
        {"role": "system", "content": "You talk with ann. They like tea; their name is Ann. They said: what do I like?. History has 2 messages."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Nice to meet you!"},
        {"role": "user", "content": "what do I like?"}
    ]);
    assert_eq!(app.llm.last_messages(), expected);
    assert_eq!(app.llm.requests().last().unwrap()["model"], "fake-model");

    // The request log holds the same exact messages, the tokens and the version.
    let (_, log) = app.get("/admin/requests?limit=1").await;
    let row = &log[0];
    assert_eq!(row["messages"], expected);
    assert_eq!(row["status"], "ok");
    assert_eq!(row["provider"], "openai");
    assert_eq!(row["prompt_tokens"], 42);
    assert_eq!(row["completion_tokens"], 7);
    assert_eq!(row["template_version"], 1);
    assert_eq!(row["user_id"], "ann");
    assert_eq!(row["response"], "Tea it is.");
}
on_both!(the_llm_receives_the_rendered_persona_memory_and_history);

async fn an_llm_failure_keeps_the_users_message(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    // The client retries once on 5xx: both attempts fail.
    app.llm.script([Scripted::Status(500), Scripted::Status(503)]);
    let (s, body) = app.chat("bea", "are you there?").await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["status"], "failed");
    assert_eq!(body["user_message"]["content"], "are you there?");
    assert_eq!(app.llm.calls(), 2, "one retry after a 5xx");

    let (_, conv) = app.get("/admin/users/bea").await;
    let msgs = conv["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["content"], "are you there?");
    assert_eq!(msgs[0]["sender"], "user");

    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!(log[0]["status"], "error");
    assert!(log[0]["error"].as_str().unwrap().contains("503"), "{}", log[0]);

    // The next turn works, and the failed message is part of its history.
    let (s, body) = app.chat("bea", "hello again").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sent = app.llm.last_messages();
    let contents: Vec<&str> = sent.as_array().unwrap().iter().skip(1).map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, vec!["are you there?", "hello again"]);
}
on_both!(an_llm_failure_keeps_the_users_message);

async fn a_429_is_retried_and_a_400_is_not(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.script([Scripted::Status(429), Scripted::Reply("after backoff".into())]);
    let (s, body) = app.chat("cy", "hi").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["reply"], "after backoff");
    assert_eq!(app.llm.calls(), 2);

    app.llm.script([Scripted::Status(400)]);
    let (s, _) = app.chat("cy", "hi again").await;
    assert_eq!(s, StatusCode::BAD_GATEWAY);
    assert_eq!(app.llm.calls(), 3, "a 400 is not retried");
}
on_both!(a_429_is_retried_and_a_400_is_not);

async fn bad_chat_input_is_refused_and_stores_nothing(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, body) = app.chat("dee", "   ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "message");
    let long = "x".repeat(app::engine::chat::MAX_MESSAGE_CHARS + 1);
    let (s, _) = app.chat("dee", &long).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, body) = app.post("/chat", json!({"message": "no user"})).await;
    assert!(s.is_client_error());
    assert_eq!(body["error"]["code"], "invalid");
    let (s, body) = app.chat_persona("dee", 999_999, "hi").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(app.llm.calls(), 0);
    let (_, users) = app.get("/admin/users").await;
    assert!(users.as_array().unwrap().iter().all(|u| u["message_count"] == 0), "{users}");
}
on_both!(bad_chat_input_is_refused_and_stores_nothing);

async fn a_render_error_is_logged_and_keeps_the_message(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Strict", "Hi {{ memory.missing.deeper }}").await;
    let (s, body) = app.chat_persona("eve", id, "hi").await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(app.llm.calls(), 0, "no LLM call when the persona does not render");
    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!(log[0]["status"], "render_error");
    let (_, conv) = app.get("/admin/users/eve").await;
    assert_eq!(conv["messages"][0]["content"], "hi");
}
on_both!(a_render_error_is_logged_and_keeps_the_message);

async fn opening_the_chat_creates_no_user_until_they_write(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let visitor = crate::helpers::new_client();
    // The page sets the chat cookie; loading the history is a read.
    let page = visitor.get(format!("{}/chat", app.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let resp = visitor.get(format!("{}/api/chat/load_chat", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let history: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(history["messages"], json!([]));
    assert_eq!(history["session_id"], serde_json::Value::Null);
    let (_, users) = app.get("/admin/users").await;
    assert_eq!(users, json!([]), "a visitor who never wrote is not a user yet");

    let resp = visitor
        .post(format!("{}/api/chat/send_message", app.base))
        .form(&[("persona_id", history["persona"]["id"].to_string().as_str()), ("message", "hello")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, users) = app.get("/admin/users").await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    let history: serde_json::Value =
        visitor.get(format!("{}/api/chat/load_chat", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(history["messages"][0]["content"], "hello");
}
on_both!(opening_the_chat_creates_no_user_until_they_write);
