//! Issue 10: memory with provenance (operator, API, extraction), automatic extraction
//! (`off`, `on`, `approval` per persona) through the job queue, the approval queue
//! (approve, edit then approve, reject), audit rows, and failures that leave the chat alone.

use crate::fake_llm::Scripted;
use crate::helpers::{events_until, request_with, spawn_app, Backend, TestApp};
use crate::on_both;
use crate::webhook_receiver::wait_until;
use app::engine::memory::extraction;
use app::engine::queue::JobError;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// What the fake LLM recognises extraction requests by (see `EXTRACTION_INSTRUCTION`).
const EXTRACTION: &str = "durable facts";

async fn workspace_id(app: &TestApp) -> i64 {
    app.get("/admin/me").await.1["workspace_id"].as_i64().expect("a workspace id")
}

/// Sets the persona's automatic-memory mode through the REST API.
async fn set_mode(app: &TestApp, persona: i64, mode: &str) {
    let (s, body) = app
        .request(Method::PUT, &format!("/admin/templates/{persona}/memory"), Some(json!({"memory_extraction": mode})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["memory_extraction"], mode);
}

/// The user message id of a turn that replied.
async fn turn(app: &TestApp, user: &str, persona: i64, text: &str) -> i64 {
    let (s, body) = app.chat_persona(user, persona, text).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied", "{body}");
    body["user_message"]["id"].as_i64().expect("the user message id")
}

async fn memory_of(app: &TestApp, user: &str) -> Value {
    let (s, body) = app.get(&format!("/admin/users/{user}/memory")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

async fn pending(app: &TestApp) -> Vec<Value> {
    let (s, body) = app.get("/admin/memory/pending").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["pending"].as_array().unwrap().clone()
}

/// Request-log rows with `source`, newest first.
async fn requests_from(app: &TestApp, source: &str) -> Vec<Value> {
    let (_, log) = app.get("/admin/requests?limit=200").await;
    log.as_array().unwrap().iter().filter(|r| r["source"] == source).cloned().collect()
}

async fn jobs_total(app: &TestApp, query: &str) -> i64 {
    let (s, body) = app.get(&format!("/admin/jobs?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["total"].as_i64().unwrap()
}

async fn audit(app: &TestApp, action: &str, target: &str) -> Vec<Value> {
    let (s, body) = app.get(&format!("/admin/audit?action={action}&target={target}")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["entries"].as_array().unwrap().clone()
}

/// The conversation's (sender, content) pairs.
async fn transcript(app: &TestApp, user: &str) -> Vec<(String, String)> {
    let (_, conv) = app.get(&format!("/admin/users/{user}")).await;
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["sender"].as_str().unwrap().to_string(), m["content"].as_str().unwrap().to_string()))
        .collect()
}

async fn writes_carry_provenance_and_are_audited(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.chat("ana", "hi").await;
    let (s, body) = app.request(Method::PUT, "/admin/users/ana/memory/likes", Some(json!({"value": "tea"}))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["source"].as_str(), body["set_by"].as_str()), (Some("api"), Some(app.admin_email.as_str())));
    assert!(body["source_message_id"].is_null() && body["updated_at"].as_i64().unwrap() > 0, "{body}");
    assert!(body["memory_id"].as_i64().is_some());
    app.request(Method::PUT, "/admin/users/ana/memory/likes", Some(json!({"value": ["tea", "figs"]}))).await;

    let listed = memory_of(&app, "ana").await;
    assert_eq!(listed["memory"], json!({"likes": ["tea", "figs"]}));
    assert_eq!(listed["entries"][0]["source"], "api");
    let (_, conv) = app.get("/admin/users/ana").await;
    assert_eq!(conv["memory"][0]["set_by"], app.admin_email.as_str(), "the monitor shows who set it");

    let sets = audit(&app, "memory_set", "ana").await;
    assert_eq!(sets.len(), 2);
    // Newest first: tea → tea and figs; nothing → tea.
    assert_eq!(sets[0]["actor"], app.admin_email.as_str());
    assert_eq!(
        (sets[0]["before"]["value"].clone(), sets[0]["after"]["value"].clone()),
        (json!("tea"), json!(["tea", "figs"]))
    );
    assert_eq!((sets[1]["before"].clone(), sets[1]["after"]["key"].clone()), (Value::Null, json!("likes")));

    let (s, _) = app.request(Method::DELETE, "/admin/users/ana/memory/likes", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let deletes = audit(&app, "memory_delete", "ana").await;
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        (deletes[0]["before"]["value"].clone(), deletes[0]["after"].clone()),
        (json!(["tea", "figs"]), Value::Null)
    );
}
on_both!(writes_carry_provenance_and_are_audited);

async fn extraction_on_writes_facts_with_their_source_message(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app
        .create_persona("Mem", "Hi {{ memory.name | default('stranger') }}, fan of {{ memory.likes | default('?') }}.")
        .await;
    // Off (the default): no extraction job at all.
    turn(&app, "ana", id, "hello").await;
    assert_eq!(jobs_total(&app, "kind=extract_memory").await, 0);

    set_mode(&app, id, "on").await;
    app.request(Method::PUT, "/admin/users/ana/memory/likes", Some(json!({"value": "tea"}))).await;
    app.llm.answer_when(
        EXTRACTION,
        Scripted::Reply(
            "Sure! {\"facts\": [{\"key\": \"Name\", \"value\": \"Ana\"}, {\"key\": \"likes\", \"value\": \"coffee\"}, \
             {\"key\": \"bad key!\", \"value\": 1}]} Anything else?"
                .into(),
        ),
    );
    let msg = turn(&app, "ana", id, "I'm Ana and I love coffee").await;
    wait_until("the extraction job ran", 20, || async {
        jobs_total(&app, "kind=extract_memory&state=done").await == 1
    })
    .await;

    let listed = memory_of(&app, "ana").await;
    assert_eq!(listed["memory"], json!({"likes": "tea", "name": "Ana"}), "the operator's entry is not overwritten");
    let name = listed["entries"].as_array().unwrap().iter().find(|e| e["key"] == "name").unwrap().clone();
    assert_eq!(
        (name["source"].clone(), name["set_by"].clone(), name["source_message_id"].clone()),
        (json!("extraction"), Value::Null, json!(msg))
    );
    let sets = audit(&app, "memory_set", "ana").await;
    assert_eq!(sets[0]["actor"], "extraction");

    // The job's call is in the request log with what it asked.
    let rows = requests_from(&app, "memory_extraction").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["messages"][0]["content"].as_str().unwrap().contains(EXTRACTION));
    assert!(rows[0]["messages"][1]["content"].as_str().unwrap().contains("I'm Ana and I love coffee"));
    assert_eq!(rows[0]["user_id"], "ana");

    // The next turn's prompt has the fact.
    turn(&app, "ana", id, "what's my name?").await;
    let chat = requests_from(&app, "chat").await;
    assert_eq!(chat[0]["messages"][0]["content"], "Hi Ana, fan of tea.");
}
on_both!(extraction_on_writes_facts_with_their_source_message);

async fn approval_queue_approves_edits_and_rejects(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app
        .create_persona("Queue", "Name: {{ memory.name | default('?') }}; likes: {{ memory.likes | default('?') }}; pet: {{ memory.pet | default('?') }}")
        .await;
    set_mode(&app, id, "approval").await;
    app.llm.answer_when(
        EXTRACTION,
        Scripted::Reply(
            json!({"facts": [{"key": "name", "value": "Ana"}, {"key": "likes", "value": "hiking"}, {"key": "pet", "value": "a cat"}]})
                .to_string(),
        ),
    );
    let events = app.client.get(format!("{}/admin/events", app.base)).send().await.unwrap();
    let mut events = events.bytes_stream();
    let msg = turn(&app, "ana", id, "I'm Ana, I hike and I have a cat").await;
    // Operators' open pages learn of the queued facts live (no polling).
    events_until(&mut events, r#"{"type":"memory","user_id":"ana"}"#).await;
    wait_until("three facts wait", 20, || async { pending(&app).await.len() == 3 }).await;
    let queue = pending(&app).await;
    assert_eq!(queue.iter().map(|c| c["key"].as_str().unwrap()).collect::<Vec<_>>(), vec!["name", "likes", "pet"]);
    assert_eq!((queue[0]["user_id"].clone(), queue[0]["source_message_id"].clone()), (json!("ana"), json!(msg)));
    assert_eq!(queue[0]["source_message"], "I'm Ana, I hike and I have a cat");
    assert_eq!(memory_of(&app, "ana").await["memory"], json!({}), "nothing is memory before approval");
    turn(&app, "ana", id, "still there?").await;
    assert_eq!(requests_from(&app, "chat").await[0]["messages"][0]["content"], "Name: ?; likes: ?; pet: ?");

    let ids: Vec<i64> = queue.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let (s, entry) = app.post(&format!("/admin/memory/pending/{}/approve", ids[0]), json!(null)).await;
    assert_eq!(s, StatusCode::OK, "{entry}");
    assert_eq!(
        (entry["key"].clone(), entry["value"].clone(), entry["source"].clone()),
        (json!("name"), json!("Ana"), json!("extraction"))
    );
    assert_eq!(
        (entry["set_by"].as_str(), entry["source_message_id"].clone()),
        (Some(app.admin_email.as_str()), json!(msg))
    );
    let (s, edited) =
        app.post(&format!("/admin/memory/pending/{}/approve", ids[1]), json!({"value": "mountain hiking"})).await;
    assert_eq!((s, edited["value"].clone()), (StatusCode::OK, json!("mountain hiking")), "{edited}");
    let (s, rejected) = app.post(&format!("/admin/memory/pending/{}/reject", ids[2]), json!({})).await;
    assert_eq!((s, rejected["status"].clone()), (StatusCode::OK, json!("rejected")));
    let (s, _) = app.post(&format!("/admin/memory/pending/{}/approve", ids[2]), json!(null)).await;
    assert_eq!(s, StatusCode::CONFLICT, "decided already");
    let (s, _) = app.post("/admin/memory/pending/999999/reject", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(pending(&app).await.is_empty());

    // Only approved facts reach the next turn's prompt.
    turn(&app, "ana", id, "who am I?").await;
    assert_eq!(
        requests_from(&app, "chat").await[0]["messages"][0]["content"],
        "Name: Ana; likes: mountain hiking; pet: ?"
    );
    assert_eq!(audit(&app, "memory_set", "ana").await.len(), 2);
    let rejects = audit(&app, "memory_reject", "ana").await;
    assert_eq!((rejects[0]["before"]["key"].clone(), rejects[0]["after"].clone()), (json!("pet"), Value::Null));

    // At-least-once delivery: the same job again queues nothing decided already.
    let ws = workspace_id(&app).await;
    let session = queue[0]["session_id"].as_i64().unwrap();
    let payload = json!({"workspace_id": ws, "session_id": session, "message_id": msg});
    assert_eq!(extraction::run_job(&app.state, &payload).await, Ok(()));
    assert!(pending(&app).await.is_empty());

    // Another workspace sees and decides nothing of it.
    let other = app.second_operator("other@example.com", "another-password").await;
    let (_, theirs) = request_with(&other, &app.base, Method::GET, "/admin/memory/pending", None).await;
    assert_eq!(theirs["count"], 0);
    let path = format!("/admin/memory/pending/{}/approve", ids[2]);
    let (s, _) = request_with(&other, &app.base, Method::POST, &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = request_with(&other, &app.base, Method::GET, &format!("/admin/templates/{id}/memory"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(approval_queue_approves_edits_and_rejects);

async fn a_failed_or_junk_extraction_leaves_the_chat_alone(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let id = app.create_persona("Junk", "You are kind.").await;
    set_mode(&app, id, "on").await;
    app.llm.answer_when(EXTRACTION, Scripted::Reply("I am not sure what you mean.".into()));
    let msg = turn(&app, "bo", id, "I'm Bo").await;
    wait_until("the junk answer fails the job", 20, || async {
        jobs_total(&app, "kind=extract_memory&state=failed").await == 1
    })
    .await;
    let (_, jobs) = app.get("/admin/jobs?kind=extract_memory&state=failed").await;
    assert!(jobs["jobs"][0]["error"].as_str().unwrap().contains("facts"), "{jobs}");
    assert_eq!(
        transcript(&app, "bo").await,
        vec![("user".into(), "I'm Bo".into()), ("assistant".into(), "echo: I'm Bo".into())]
    );
    assert_eq!(memory_of(&app, "bo").await["memory"], json!({}));

    // Called directly: a provider failure is retried later, junk is not.
    let ws = workspace_id(&app).await;
    let (_, conv) = app.get("/admin/users/bo").await;
    let session = conv["sessions"][0]["id"].as_i64().unwrap();
    let payload = json!({"workspace_id": ws, "session_id": session, "message_id": msg});
    app.llm.answer_when(EXTRACTION, Scripted::Status(503));
    assert!(matches!(extraction::run_job(&app.state, &payload).await, Err(JobError::Retry(_))));
    app.llm.answer_when(EXTRACTION, Scripted::Reply("{\"facts\": \"Bo\"}".into()));
    assert!(matches!(extraction::run_job(&app.state, &payload).await, Err(JobError::Fail(_))));
    // Another workspace's message is not found.
    let theirs = json!({"workspace_id": ws + 1000, "session_id": session, "message_id": msg});
    assert!(matches!(extraction::run_job(&app.state, &theirs).await, Err(JobError::Fail(_))));
    assert!(requests_from(&app, "memory_extraction").await.iter().any(|r| r["status"] == "error"));
    assert_eq!(transcript(&app, "bo").await.len(), 2, "the chat is untouched");
    assert_eq!(memory_of(&app, "bo").await["memory"], json!({}));
}
on_both!(a_failed_or_junk_extraction_leaves_the_chat_alone);
