//! Issue 9: replies stream (`POST /chat` with `"stream": true`), Stop keeps a partial
//! reply marked incomplete, Regenerate keeps alternates and later turns see the chosen
//! one, time to first token is logged, and a chat names its persona (409 otherwise).

use crate::fake_llm::Scripted;
use crate::helpers::{spawn_app, Backend, TestApp};
use crate::on_both;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One Server-Sent Event as received, with when it arrived.
#[derive(Debug)]
struct Received {
    event: String,
    data: Value,
    at: Instant,
}

/// Sends `body` to `path` asking for a stream; returns the status and a channel of the
/// events as they arrive (parsed by hand: what a script would see on the wire).
async fn open_stream(
    app: &TestApp,
    path: &str,
    body: Value,
) -> (StatusCode, tokio::sync::mpsc::UnboundedReceiver<Received>) {
    let resp = app.client.post(format!("{}{path}", app.base)).json(&body).send().await.unwrap();
    let status = resp.status();
    if status == StatusCode::OK {
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut bytes = resp.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = bytes.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let frame: String = buf.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = String::new();
                for line in frame.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // keep-alive comment
                }
                let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                let _ = tx.send(Received { event, data, at: Instant::now() });
            }
        }
    });
    (status, rx)
}

/// Every event until the stream ends.
async fn collect(mut rx: tokio::sync::mpsc::UnboundedReceiver<Received>) -> Vec<Received> {
    let mut out = Vec::new();
    while let Some(r) = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("the stream goes on") {
        out.push(r);
    }
    out
}

fn deltas(events: &[Received]) -> String {
    events.iter().filter(|e| e.event == "delta").map(|e| e.data["text"].as_str().unwrap()).collect()
}

/// The messages of `user`'s conversation as the monitor shows them.
async fn conversation(app: &TestApp, user: &str) -> Vec<Value> {
    let (s, conv) = app.get(&format!("/admin/users/{user}")).await;
    assert_eq!(s, StatusCode::OK, "{conv}");
    conv["messages"].as_array().unwrap().clone()
}

async fn streamed_pieces_arrive_before_the_end(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.set_piece_delay(Duration::from_millis(150));
    app.llm.script([Scripted::Reply("one two three four five".into())]);
    let started = Instant::now();
    let (s, rx) = open_stream(&app, "/chat", json!({"user_id": "ann", "message": "count", "stream": true})).await;
    assert_eq!(s, StatusCode::OK);
    let events = collect(rx).await;
    let pieces: Vec<&Received> = events.iter().filter(|e| e.event == "delta").collect();
    assert!(pieces.len() >= 5, "one piece per word: {events:?}");
    assert_eq!(deltas(&events).trim(), "one two three four five");
    let done = events.last().unwrap();
    assert_eq!(done.event, "done", "{events:?}");
    // The first piece came well before the end: it was not buffered.
    assert!(
        done.at - pieces[0].at >= Duration::from_millis(450),
        "first piece at {:?}, done at {:?}",
        pieces[0].at - started,
        done.at - started
    );
    // `done` carries the non-streamed answer's shape.
    assert_eq!(done.data["status"], "replied");
    assert_eq!(done.data["response"], "one two three four five");
    assert_eq!(done.data["reply"], "one two three four five");
    assert_eq!(done.data["metadata"]["message_count"], 2);
    assert!(done.data["metadata"]["session_id"].as_i64().is_some());
    // The provider was asked to stream.
    assert_eq!(app.llm.requests().last().unwrap()["stream"], true);

    // Time to first token is logged beside the total latency.
    let (_, log) = app.get("/admin/requests").await;
    let row = &log.as_array().map(|a| a[0].clone()).unwrap_or_else(|| log["requests"][0].clone());
    let ttft = row["ttft_ms"].as_i64().expect("ttft_ms is logged");
    let latency = row["latency_ms"].as_i64().unwrap();
    assert!(ttft > 0 && ttft < latency, "ttft {ttft} ms, latency {latency} ms");
    assert!(latency - ttft >= 450, "the pieces came after the first one: ttft {ttft}, latency {latency}");

    // Without `stream`, the answer is one JSON object, as before.
    let (s, body) = app.chat("ann", "again").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["response"], "echo: again");
}
on_both!(streamed_pieces_arrive_before_the_end);

async fn accept_event_stream_also_streams(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let resp = app
        .client
        .post(format!("{}/chat", app.base))
        .header("accept", "text/event-stream")
        .json(&json!({"user_id": "bo", "message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    assert!(text.contains("event: delta") && text.contains("event: done"), "{text}");
}
on_both!(accept_event_stream_also_streams);

/// A first turn for `user` (not streamed); returns the chat's session id.
async fn first_turn(app: &TestApp, user: &str) -> i64 {
    let (s, body) = app.chat(user, "hello").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["metadata"]["session_id"].as_i64().unwrap()
}

async fn stop_keeps_the_partial_reply_marked_incomplete(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let session = first_turn(&app, "cy").await;
    app.llm.set_piece_delay(Duration::from_millis(250));
    let long = (1..=20).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    app.llm.script([Scripted::Reply(long)]);
    let (s, mut rx) =
        open_stream(&app, "/chat", json!({"user_id": "cy", "message": "talk", "session_id": session, "stream": true}))
            .await;
    assert_eq!(s, StatusCode::OK);
    let mut seen = Vec::new();
    while seen.iter().filter(|e: &&Received| e.event == "delta").count() < 2 {
        seen.push(rx.recv().await.expect("pieces come"));
    }
    let (s, body) = app.post(&format!("/chat/sessions/{session}/stop"), json!({"user_id": "cy"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["stopped"], true);
    seen.extend(collect(rx).await);
    let done = seen.last().unwrap();
    assert_eq!(done.event, "done", "{seen:?}");
    assert_eq!(done.data["status"], "replied");
    let text = done.data["response"].as_str().unwrap();
    assert!(text.starts_with("w1 w2"), "{text}");
    assert!(!text.contains("w20"), "stopped before the end: {text}");
    // Stored so: the monitor shows the partial reply, marked.
    let last = conversation(&app, "cy").await.pop().unwrap();
    assert_eq!(last["sender"], "assistant");
    assert_eq!(last["content"], text);
    assert_eq!(last["incomplete"], true);
    // Stopping when nothing runs says so; another user's chat is 404.
    let (_, body) = app.post(&format!("/chat/sessions/{session}/stop"), json!({"user_id": "cy"})).await;
    assert_eq!(body["stopped"], false);
    let (s, _) = app.post(&format!("/chat/sessions/{session}/stop"), json!({"user_id": "someone-else"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(stop_keeps_the_partial_reply_marked_incomplete);

async fn regenerate_keeps_alternates_and_history_uses_the_chosen_one(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.script([Scripted::Reply("first answer".into()), Scripted::Reply("second answer".into())]);
    let session = first_turn(&app, "di").await;
    let (s, body) = app.post(&format!("/chat/sessions/{session}/regenerate"), json!({"user_id": "di"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["response"], "second answer");
    // The regenerated request saw the same history: the user message, not the old reply.
    let sent = app.llm.last_messages();
    assert!(!sent.to_string().contains("first answer"), "{sent}");
    // One message with two versions, not two messages.
    let msgs = conversation(&app, "di").await;
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let reply_id = msgs[1]["id"].as_i64().unwrap();
    assert_eq!((msgs[1]["alternates"].as_i64(), msgs[1]["alternate"].as_i64()), (Some(2), Some(2)));
    assert_eq!(msgs[1]["content"], "second answer");

    // Choose the first version: shown, and what the next turn sees.
    let (s, chosen) =
        app.post(&format!("/chat/messages/{reply_id}/alternate"), json!({"user_id": "di", "alternate": 1})).await;
    assert_eq!(s, StatusCode::OK, "{chosen}");
    assert_eq!((chosen["content"].as_str(), chosen["alternate"].as_i64()), (Some("first answer"), Some(1)));
    let (s, _) = app.chat_in(session, "di", "and now?").await;
    assert_eq!(s, StatusCode::OK);
    let sent = app.llm.last_messages().to_string();
    assert!(sent.contains("first answer") && !sent.contains("second answer"), "{sent}");

    // A version that does not exist is 422; someone else's message is 404.
    let (s, _) =
        app.post(&format!("/chat/messages/{reply_id}/alternate"), json!({"user_id": "di", "alternate": 7})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) =
        app.post(&format!("/chat/messages/{reply_id}/alternate"), json!({"user_id": "eve", "alternate": 2})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Regenerate streams like POST /chat.
    let (s, rx) =
        open_stream(&app, &format!("/chat/sessions/{session}/regenerate"), json!({"user_id": "di", "stream": true}))
            .await;
    assert_eq!(s, StatusCode::OK);
    let events = collect(rx).await;
    assert_eq!(events.last().unwrap().event, "done", "{events:?}");
    assert!(!deltas(&events).is_empty());
    let msgs = conversation(&app, "di").await;
    assert_eq!(msgs.len(), 4, "regenerating adds no message: {msgs:?}");
    assert_eq!(msgs[3]["alternates"], 2, "the last reply was the one regenerated");
}
on_both!(regenerate_keeps_alternates_and_history_uses_the_chosen_one);

async fn an_error_after_the_first_token_ends_the_stream_and_keeps_the_text(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    app.llm.script([Scripted::CutAfter(vec!["Hel".into(), "lo the".into()])]);
    let (s, rx) = open_stream(&app, "/chat", json!({"user_id": "fa", "message": "hi", "stream": true})).await;
    assert_eq!(s, StatusCode::OK);
    let events = collect(rx).await;
    assert_eq!(deltas(&events), "Hello the");
    let last = events.last().unwrap();
    assert_eq!(last.event, "error", "{events:?}");
    assert_eq!(last.data["error"]["code"], "llm_failed");
    assert_eq!(app.llm.calls(), 1, "no retry after the first token");
    let msgs = conversation(&app, "fa").await;
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert_eq!((msgs[1]["content"].as_str(), msgs[1]["incomplete"].as_bool()), (Some("Hello the"), Some(true)));
}
on_both!(an_error_after_the_first_token_ends_the_stream_and_keeps_the_text);

async fn a_chat_belongs_to_one_persona(b: Backend) {
    let app = spawn_app(b).await;
    app.login_admin().await;
    let (s, first) = app.chat("gu", "hello").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    let session = first["metadata"]["session_id"].as_i64().unwrap();
    let default_name = first["metadata"]["template_used"].as_str().unwrap().to_string();
    app.create_persona("other-one", "You are another persona.").await;
    let calls = app.llm.calls();
    let (s, body) = app
        .post("/chat", json!({"user_id": "gu", "message": "x", "session_id": session, "template_name": "other-one"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&default_name), "{body}");
    let (s, _) = app
        .post("/chat", json!({"user_id": "gu", "message": "x", "session_id": session, "template_name": "no-such"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.post("/chat", json!({"user_id": "gu", "message": "x", "session_id": 999999})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.llm.calls(), calls, "no LLM call for a refused turn");
    assert_eq!(conversation(&app, "gu").await.len(), 2, "nothing stored");
}
on_both!(a_chat_belongs_to_one_persona);
