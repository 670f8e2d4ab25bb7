//! Issue 11: the OpenAI-compatible `/v1/chat/completions` and `/v1/models` — through the
//! whole pipeline (stored, logged, pinned versions, halts), plain and streamed, with
//! OpenAI's error shape; and the official `openai` Python package against it.

use crate::api_keys::{create_key, with_key};
use crate::helpers::*;
use crate::on_both;
use app::types::PAUSE_NOTICE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `POST /v1/chat/completions` with `key`.
async fn complete(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    with_key(app, key, Method::POST, "/v1/chat/completions", Some(body)).await
}

fn content(body: &Value) -> &str {
    body["choices"][0]["message"]["content"].as_str().unwrap_or_else(|| panic!("no content in {body}"))
}

async fn completions_run_the_pipeline(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Nova", "You are Nova, version one.").await;
    let (_, key) = create_key(&app, "bot", &["chat"]).await;

    // /v1/models lists the personas chat offers.
    let (s, models) = with_key(&app, &key, Method::GET, "/v1/models", None).await;
    assert_eq!(s, StatusCode::OK, "{models}");
    assert_eq!(models["object"], "list");
    let ids: Vec<&str> = models["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"Nova"), "{ids:?}");

    // Only the last user message runs; earlier ones in the request are ignored.
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "zoe", "temperature": 1.5, "messages": [
            {"role": "user", "content": "an earlier message the client kept"},
            {"role": "assistant", "content": "an earlier reply"},
            {"role": "user", "content": [{"type": "text", "text": "what now?"}]},
        ]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "Nova");
    assert_eq!(content(&body), "echo: what now?");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 42, "the provider's figures: {body}");
    assert_eq!(body["usage"]["total_tokens"], 49);
    assert_eq!(body["promptdev"]["status"], "replied");
    let sent = app.llm.last_messages().to_string();
    assert!(sent.contains("You are Nova, version one."), "the persona's template is the system prompt: {sent}");
    assert!(!sent.contains("an earlier message the client kept"), "{sent}");

    // Stored like any turn: the operator sees it in the user's history and the request log.
    let (_, history) = app.get("/chat/history?user_id=zoe").await;
    assert!(history.to_string().contains("what now?"), "{history}");
    let (_, log) = app.get("/admin/requests/page?user_id=zoe").await;
    assert!(log.to_string().contains("zoe"), "{log}");

    // The server's history of the chat is used on the next turn.
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "zoe", "messages": [
        {"role": "user", "content": "second"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(app.llm.last_messages().to_string().contains("what now?"), "history comes from the server");
    let session = body["promptdev"]["session_id"].as_i64().unwrap();

    // persona@v2 and persona@label pin the version; a bare name goes back to production.
    let (s, _) =
        app.post(&format!("/admin/templates/{id}/versions"), json!({"content": "You are Nova, version two."})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova@v2", "user": "zoe", "messages": [
        {"role": "user", "content": "pinned"}], "metadata": {"session_id": session.to_string()}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(app.llm.last_messages().to_string().contains("version two"), "v2 answered");
    assert_eq!(body["promptdev"]["session_id"], session, "metadata.session_id names the chat");
    let (s, _) =
        app.request(Method::PUT, &format!("/admin/templates/{id}/labels/staging"), Some(json!({"version": 2}))).await;
    assert!(s.is_success());
    let (s, _) = complete(
        &app,
        &key,
        json!({"model": "Nova@staging", "user": "ben", "messages": [
        {"role": "user", "content": "staging"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(app.llm.last_messages().to_string().contains("version two"), "the label's version answered");
    let (s, _) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "zoe", "messages": [
        {"role": "user", "content": "unpinned"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(app.llm.last_messages().to_string().contains("version one"), "production answers again");

    // A halted user gets the pause notice as the content; no LLM call.
    let (s, _) = app.post("/admin/interventions/zoe/halt", json!({"reason": "review"})).await;
    assert!(s.is_success());
    let calls = app.llm.calls();
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "zoe", "messages": [
        {"role": "user", "content": "hello?"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(content(&body), PAUSE_NOTICE);
    assert_eq!(body["promptdev"]["status"], "paused");
    assert_eq!(body["usage"]["total_tokens"], 0);
    assert_eq!(app.llm.calls(), calls, "a halted conversation calls no LLM");
    let (_, history) = app.get("/chat/history?user_id=zoe").await;
    assert!(history.to_string().contains("hello?"), "the message is stored anyway");
}
on_both!(completions_run_the_pipeline);

async fn completions_stream(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.create_persona("Nova", "You are Nova.").await;
    let (_, key) = create_key(&app, "bot", &["chat"]).await;
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", app.base))
        .bearer_auth(&key)
        .json(&json!({"model": "Nova", "user": "sam", "stream": true, "messages": [
            {"role": "user", "content": "stream this please"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    let data: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{text}");
    let chunks: Vec<Value> = data[..data.len() - 1].iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk" && c["model"] == "Nova"), "{text}");
    assert!(chunks.iter().all(|c| c["id"] == chunks[0]["id"]), "one id per completion");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let pieces: Vec<&str> =
        chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).filter(|p| !p.is_empty()).collect();
    assert!(pieces.len() >= 3, "pieces as generated: {pieces:?}");
    assert_eq!(pieces.concat(), "echo: stream this please");
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(last["promptdev"]["content"], "echo: stream this please");
}
on_both!(completions_stream);

async fn completions_refuse_bad_requests(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.create_persona("Nova", "You are Nova.").await;
    let (_, key) = create_key(&app, "bot", &["chat"]).await;
    let (_, reader) = create_key(&app, "reader", &["read"]).await;
    let calls = app.llm.calls();

    let check = |body: &Value, kind: &str| {
        let e = &body["error"];
        assert_eq!(e["type"], kind, "{body}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    };
    let msg = json!([{"role": "user", "content": "hi"}]);
    let (s, body) = complete(&app, &key, json!({"model": "Nova", "messages": msg})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "user is required: {body}");
    check(&body, "invalid_request_error");
    assert_eq!(body["error"]["param"], "user");
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "u", "messages": [
        {"role": "system", "content": "only a system message"}]}),
    )
    .await;
    assert_eq!((s, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("messages")));
    let (s, body) = complete(&app, &key, json!({"user": "u", "messages": msg})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "no model: {body}");
    let (s, body) = complete(&app, &key, json!({"model": "Nobody", "user": "u", "messages": msg})).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("model_not_found")), "{body}");
    let (s, body) = complete(&app, &key, json!({"model": "Nova@v9", "user": "u", "messages": msg})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no version 9: {body}");
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "u", "messages": msg,
        "metadata": {"session_id": "not-a-number"}}),
    )
    .await;
    assert_eq!((s, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("metadata.session_id")));
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "u", "messages": msg,
        "metadata": {"session_id": "999999"}}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not this user's chat: {body}");
    let (s, body) = complete(&app, &reader, json!({"model": "Nova", "user": "u", "messages": msg})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a read key cannot chat: {body}");
    check(&body, "permission_error");
    let (s, body) = complete(&app, "pd_wrong", json!({"model": "Nova", "user": "u", "messages": msg})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    check(&body, "authentication_error");
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", app.base))
        .bearer_auth(&key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.llm.calls(), calls, "nothing reached the LLM");

    // The LLM failing is a 502 in OpenAI's shape; the message is stored.
    app.llm.script([crate::fake_llm::Scripted::Status(500), crate::fake_llm::Scripted::Status(500)]);
    let (s, body) = complete(
        &app,
        &key,
        json!({"model": "Nova", "user": "u", "messages": [
        {"role": "user", "content": "keep me"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{body}");
    check(&body, "api_error");
    let (_, history) = app.get("/chat/history?user_id=u").await;
    assert!(history.to_string().contains("keep me"));
}
on_both!(completions_refuse_bad_requests);

/// The Python interpreter of the virtualenv `make setup-python` makes (with `openai`).
fn python() -> std::path::PathBuf {
    let path = std::env::var("PROMPTDEV_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/python"));
    assert!(
        path.exists(),
        "{} is missing: `make setup-python` makes the virtualenv with the openai package",
        path.display()
    );
    path
}

async fn the_openai_python_client_works(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.create_persona("Nova", "You are Nova.").await;
    let (_, key) = create_key(&app, "python", &["chat"]).await;
    assert_eq!(app.chat("held", "first").await.0, StatusCode::OK);
    let (s, _) = app.post("/admin/interventions/held/halt", json!({"reason": "python test"})).await;
    assert!(s.is_success());
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/openai_client.py");
    let out = tokio::process::Command::new(python())
        .arg(&script)
        .env("PD_BASE_URL", format!("{}/v1", app.base))
        .env("PD_API_KEY", &key)
        .env("PD_MODEL", "Nova")
        .env("PD_HALTED_USER", "held")
        .env("PD_PAUSE_NOTICE", PAUSE_NOTICE)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the openai client failed:\n{stderr}\n{stdout}");
    let seen: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["plain"], "echo: hello from python");
    assert_eq!(seen["streamed"], "echo: and streamed");
    assert_eq!(seen["halted"], PAUSE_NOTICE);
    // The halted user's two messages are stored, unanswered by any LLM.
    let sent: Vec<Value> = app.llm.requests();
    assert!(!sent.iter().any(|r| r.to_string().contains("anyone there?")), "no LLM call while halted");
    let (_, history) = app.get("/chat/history?user_id=held").await;
    assert!(history.to_string().contains("anyone there?") && history.to_string().contains("still there?"));
}
on_both!(the_openai_python_client_works);
