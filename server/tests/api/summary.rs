//! Issue 10: history by token budget (a long chat keeps within it, the oldest messages are
//! dropped, the window's start holds for several turns) and the running summary of what
//! fell out of it (the next turn's prompt carries it; a failed call changes nothing; a
//! rerun is idempotent).

use crate::fake_llm::{FakeLlm, Scripted};
use crate::helpers::{fake_llm_config, fresh_database, spawn_with, test_config, Backend, TestApp};
use crate::on_both;
use app::engine::ids::{MessageId, SessionId};
use app::engine::llm::openai::{OpenAiClient, OpenAiConfig};
use app::engine::llm::LlmProvider;
use app::engine::prompt::estimate_tokens;
use app::engine::store::{messages, sessions, summaries};
use app::engine::summary;
use app::types::Sender;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// The app with a history budget of `tokens` estimated tokens.
async fn spawn_with_budget(b: Backend, tokens: u32) -> TestApp {
    let llm = FakeLlm::start().await;
    let mut config = test_config(&fresh_database(b).await, fake_llm_config(&llm));
    config.history_tokens = tokens;
    let app = spawn_with(config, llm).await;
    app.login_admin().await;
    app
}

/// The chat requests the fake received for persona text `system` (not the summary job's).
fn chat_requests(app: &TestApp, system: &str) -> Vec<Vec<Value>> {
    app.llm
        .requests()
        .into_iter()
        .map(|r| r["messages"].as_array().unwrap().clone())
        .filter(|m| m[0]["content"].as_str().is_some_and(|c| c.starts_with(system)))
        .collect()
}

/// The estimated tokens of the history part (between the system message and the current
/// one) of a request's messages.
fn history_tokens(msgs: &[Value]) -> u32 {
    msgs[1..msgs.len() - 1].iter().map(|m| estimate_tokens(m["content"].as_str().unwrap().chars().count() as u32)).sum()
}

async fn a_long_chat_keeps_within_the_token_budget_and_its_start_holds(b: Backend) {
    let app = spawn_with_budget(b, 80).await;
    let id = app.create_persona("Bud", "You are Bud.").await;
    let pad = "x".repeat(30);
    for k in 1..=12 {
        let (s, body) = app.chat_persona("bo", id, &format!("turn {k:02}: {pad}")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let requests = chat_requests(&app, "You are Bud.");
    assert_eq!(requests.len(), 12);
    let mut starts = Vec::new();
    for (k, msgs) in requests.iter().enumerate() {
        let sent = history_tokens(msgs);
        assert!(sent <= 80, "turn {}: {sent} estimated tokens of history: {msgs:?}", k + 1);
        // The newest earlier exchange is always there, right before the current message.
        assert_eq!(msgs.last().unwrap()["content"], format!("turn {:02}: {pad}", k + 1));
        if k > 0 {
            assert_eq!(msgs[msgs.len() - 2]["content"], format!("echo: turn {k:02}: {pad}"), "{msgs:?}");
        }
        starts.push(msgs.get(1).filter(|_| msgs.len() > 2).map(|m| m["content"].clone()));
    }
    let last = requests.last().unwrap();
    assert!(
        !last.iter().any(|m| m["content"].as_str().unwrap().starts_with("turn 01")),
        "the oldest messages are dropped: {last:?}"
    );
    // The window's first message stays the same for several turns (the embedded model's
    // cache keeps matching): far fewer distinct starts than turns.
    let changes = starts.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changes <= 7, "the start changed {changes} times in 12 turns: {starts:?}");
    assert!(starts.windows(2).any(|w| w[0] == w[1] && w[0].is_some()), "it holds at least once: {starts:?}");
}
on_both!(a_long_chat_keeps_within_the_token_budget_and_its_start_holds);

/// A state like `app`'s whose LLM is `llm` (to make only the summary job's call fail).
fn with_llm(app: &TestApp, llm: &FakeLlm) -> app::engine::AppState {
    let mut state = app.state.clone();
    let client = OpenAiClient::new(OpenAiConfig {
        base_url: llm.base_url.clone(),
        model: "fake-model".into(),
        api_key: None,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        max_retries: 0,
    })
    .unwrap();
    state.llm = Arc::new(LlmProvider::OpenAi(client));
    state
}

const SAM: &str = "You are Sam.{% if summary %} Earlier: {{ summary }}{% endif %}";

/// One real turn (so the user and chat exist), then `n` more exchanges written straight
/// into the chat (no turn runs, so nothing enqueues a summary behind the test's back).
/// Returns the chat.
async fn long_chat(app: &TestApp, persona: i64, n: usize) -> app::engine::chat::SessionRef {
    let (s, body) = app.chat_persona("sue", persona, "I have a cat named Miso").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sid = SessionId(body["metadata"]["session_id"].as_i64().unwrap());
    let owner = summaries::owner(&app.state.db, sid).await.unwrap().unwrap();
    let at = sessions::of_user(&app.state.db, owner.workspace_id, "sue", sid).await.unwrap().unwrap();
    for k in 0..n {
        let meta = messages::MessageMeta::default();
        let text = format!("filler question {k}: what do you think about the weather today?");
        messages::insert(&app.state.db, &at, Sender::User, &text, meta, app::engine::now_ms()).await.unwrap();
        let text = format!("filler answer {k}: it looks fine to me, a little cloudy.");
        messages::insert(&app.state.db, &at, Sender::Assistant, &text, meta, app::engine::now_ms()).await.unwrap();
    }
    at
}

async fn contents(app: &TestApp, at: &app::engine::chat::SessionRef) -> Vec<(Sender, String)> {
    messages::of_session(&app.state.db, at.workspace_id, at.session_id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.sender, m.content))
        .collect()
}

async fn the_summary_of_dropped_turns_reaches_the_next_prompt(b: Backend) {
    let app = spawn_with_budget(b, 120).await;
    let id = app.create_persona("Sam", SAM).await;
    let at = long_chat(&app, id, 10).await;
    let payload = json!({"session_id": at.session_id.get()});
    let before = contents(&app, &at).await;

    // A failed summary call: nothing stored, the chat as it was; the job asks for a retry.
    let failing = FakeLlm::start().await;
    failing.script([Scripted::Status(500)]);
    let e = summary::run_job(&with_llm(&app, &failing), &payload).await.expect_err("the LLM failed");
    assert!(matches!(e, app::engine::queue::JobError::Retry(_)), "{e:?}");
    assert_eq!(failing.calls(), 1);
    assert!(summaries::get(&app.state.db, at.workspace_id, at.session_id).await.unwrap().is_none());
    assert_eq!(contents(&app, &at).await, before, "a failed summary never touches the chat");

    // The real one: the summarizer gets the dropped messages, oldest first.
    let calls = app.llm.calls();
    app.llm.script([Scripted::Reply("Sue has a cat named Miso; they chatted about the weather.".into())]);
    summary::run_job(&app.state, &payload).await.unwrap();
    let sent = &app.llm.requests()[calls]["messages"];
    assert_eq!(sent[0]["content"], summary::INSTRUCTIONS);
    let asked = sent[1]["content"].as_str().unwrap();
    assert!(asked.contains("User: I have a cat named Miso"), "{asked}");
    assert!(asked.starts_with("Messages:\n") && !asked.contains("Summary so far"), "no summary yet: {asked}");
    let stored = summaries::get(&app.state.db, at.workspace_id, at.session_id).await.unwrap().expect("a summary");
    assert_eq!(stored.content, "Sue has a cat named Miso; they chatted about the weather.");
    // It covers exactly what the next turn leaves out.
    let outline = summaries::outline(&app.state.db, at.workspace_id, at.session_id, MessageId(i64::MAX)).await.unwrap();
    let costs: Vec<u32> = outline.iter().map(|o| estimate_tokens(o.chars)).collect();
    let dropped = app::engine::prompt::history_start(&costs, summary::budget(&app.state));
    assert!(dropped > 2, "the chat is past its budget: {dropped}");
    assert_eq!(stored.covered as usize, dropped);
    assert_eq!(stored.through, outline[dropped - 1].id);
    assert_eq!(contents(&app, &at).await, before, "the chat is untouched");

    // Run again (at-least-once delivery): no LLM call, the same summary.
    let calls = app.llm.calls();
    summary::run_job(&app.state, &payload).await.unwrap();
    assert_eq!(app.llm.calls(), calls, "nothing new to summarize");
    assert_eq!(summaries::get(&app.state.db, at.workspace_id, at.session_id).await.unwrap().as_ref(), Some(&stored));

    // Logged with source `summary`: the failure (on the other LLM) and the success.
    let (_, log) = app.get("/admin/requests?limit=100").await;
    let rows: Vec<&Value> = log.as_array().unwrap().iter().filter(|r| r["source"] == "summary").collect();
    assert!(rows.iter().any(|r| r["status"] == "error"), "{rows:?}");
    assert!(rows.iter().any(|r| r["status"] == "ok" && r["response"] == stored.content.as_str()), "{rows:?}");

    // The next turn's prompt carries it, and so does its request-log row.
    let (s, body) = app.chat_in(at.session_id.get(), "sue", "do you remember my cat?").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let turn = chat_requests(&app, "You are Sam.").pop().unwrap();
    assert_eq!(turn[0]["content"], "You are Sam. Earlier: Sue has a cat named Miso; they chatted about the weather.");
    assert!(!turn.iter().any(|m| m["content"] == "I have a cat named Miso"), "dropped from the history: {turn:?}");
    let (_, log) = app.get("/admin/requests?limit=100").await;
    let row = log.as_array().unwrap().iter().find(|r| r["source"] == "chat").unwrap().clone();
    assert_eq!(row["messages"][0]["content"], turn[0]["content"]);
}
on_both!(the_summary_of_dropped_turns_reaches_the_next_prompt);

async fn a_long_backlog_is_summarized_incrementally(b: Backend) {
    let app = spawn_with_budget(b, 120).await;
    let id = app.create_persona("Sam", SAM).await;
    // About 1,700 estimated tokens dropped: more than one summarizer call takes.
    let at = long_chat(&app, id, 60).await;
    let calls = app.llm.calls();
    let stored = summary::summarize(&app.state, at.session_id).await.unwrap();
    assert!(stored >= 2, "{stored} calls");
    assert_eq!(app.llm.calls() - calls, stored);
    // Each call after the first starts from the summary so far (the fake echoes its input).
    let second = app.llm.requests()[calls + 1]["messages"][1]["content"].as_str().unwrap().to_string();
    assert!(second.starts_with("Summary so far:\necho: Messages:\nUser: I have a cat"), "{second}");
    let summary = summaries::get(&app.state.db, at.workspace_id, at.session_id).await.unwrap().unwrap();
    assert!(summary.content.chars().count() <= summary::MAX_SUMMARY_CHARS);
    assert_eq!(summary::summarize(&app.state, at.session_id).await.unwrap(), 0, "up to date");
}
on_both!(a_long_backlog_is_summarized_incrementally);

async fn a_chat_past_its_budget_gets_summarized_in_the_background(b: Backend) {
    let app = spawn_with_budget(b, 60).await;
    let id = app.create_persona("Sam", SAM).await;
    let mut session = None;
    for k in 1..=6 {
        let (s, body) = app.chat_persona("tim", id, &format!("message {k}: tell me something nice please")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        session = body["metadata"]["session_id"].as_i64();
    }
    let sid = SessionId(session.unwrap());
    let owner = summaries::owner(&app.state.db, sid).await.unwrap().unwrap();
    // The job runner picks up the job the turns enqueued (the fake echoes the request).
    let mut found = None;
    for _ in 0..200 {
        found = summaries::get(&app.state.db, owner.workspace_id, sid).await.unwrap();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let found = found.expect("the background job wrote a summary");
    assert!(found.content.contains("message 1: tell me something nice"), "{}", found.content);
}
on_both!(a_chat_past_its_budget_gets_summarized_in_the_background);
