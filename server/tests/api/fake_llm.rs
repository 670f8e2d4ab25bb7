//! A small OpenAI-compatible server on loopback: the only stand-in in the tests. It
//! records every request and answers from a script (then with a default echo).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// What the fake answers to one request.
#[derive(Clone, Debug)]
pub enum Scripted {
    /// 200 with this content.
    Reply(String),
    /// This HTTP status with an error body.
    Status(u16),
    /// 200 with this content, after waiting this long.
    Delayed(std::time::Duration, String),
    /// Streamed (`stream: true`): these pieces, then the connection is cut without a
    /// finish reason or `[DONE]` — a provider failing after its first token.
    CutAfter(Vec<String>),
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Scripted>,
    requests: Vec<Value>,
    /// Every answer waits this long first (default: none).
    delay: std::time::Duration,
    in_flight: usize,
    max_in_flight: usize,
    /// Streamed answers wait this long between pieces (default: none).
    piece_delay: std::time::Duration,
    /// Answers by content: a request whose messages contain the text gets the answer
    /// (every time, before the script; see [`FakeLlm::answer_when`]).
    rules: Vec<(String, Scripted)>,
}

#[derive(Clone)]
pub struct FakeLlm {
    inner: Arc<Mutex<Inner>>,
    pub base_url: String,
    _task: Arc<tokio::task::JoinHandle<()>>,
}

impl FakeLlm {
    pub async fn start() -> FakeLlm {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().route("/v1/chat/completions", post(complete)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeLlm { inner, base_url: format!("http://{addr}/v1"), _task: Arc::new(task) }
    }

    /// Queues answers for the next requests, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.inner.lock().unwrap().script.extend(answers);
    }

    /// Answers every later request whose messages contain `needle` with `answer` (before
    /// and without touching the script), until called again with the same needle. For
    /// background jobs, which may call at any time.
    pub fn answer_when(&self, needle: &str, answer: Scripted) {
        let mut g = self.inner.lock().unwrap();
        g.rules.retain(|(n, _)| n != needle);
        g.rules.push((needle.to_string(), answer));
    }

    /// Request bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Every later answer (scripted or echo) waits `delay` first.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// Streamed answers (`stream: true`) wait `delay` between their pieces (one word each).
    pub fn set_piece_delay(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().piece_delay = delay;
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().unwrap().max_in_flight
    }

    pub fn calls(&self) -> usize {
        self.inner.lock().unwrap().requests.len()
    }

    /// The `messages` array of the last request.
    pub fn last_messages(&self) -> Value {
        self.requests().last().expect("the LLM was never called")["messages"].clone()
    }
}

async fn complete(State(inner): State<Arc<Mutex<Inner>>>, Json(body): Json<Value>) -> Response {
    let (answer, delay, piece_delay) = {
        let mut g = inner.lock().unwrap();
        g.requests.push(body.clone());
        g.in_flight += 1;
        g.max_in_flight = g.max_in_flight.max(g.in_flight);
        let text = body["messages"].to_string();
        let rule = g.rules.iter().find(|(needle, _)| text.contains(needle.as_str())).map(|(_, a)| a.clone());
        (rule.or_else(|| g.script.pop_front()), g.delay, g.piece_delay)
    };
    let stream = body["stream"].as_bool() == Some(true);
    let answer = match answer {
        Some(Scripted::Delayed(wait, content)) => {
            tokio::time::sleep(wait).await;
            Some(Scripted::Reply(content))
        }
        other => other,
    };
    tokio::time::sleep(delay).await;
    inner.lock().unwrap().in_flight -= 1;
    let last_user = body["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string();
    match answer.unwrap_or(Scripted::Reply(format!("echo: {last_user}"))) {
        Scripted::Reply(content) if stream => {
            let pieces: Vec<String> = content.split_inclusive(' ').map(str::to_string).collect();
            sse(pieces, piece_delay, true)
        }
        Scripted::CutAfter(pieces) => sse(pieces, piece_delay, false),
        Scripted::Reply(content) => Json(json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}
        }))
        .into_response(),
        Scripted::Delayed(..) => unreachable!("waited for above"),
        Scripted::Status(code) => (
            http::StatusCode::from_u16(code).unwrap(),
            Json(json!({"error": {"message": "scripted failure", "type": "server_error"}})),
        )
            .into_response(),
    }
}

/// An OpenAI-style streamed answer: one `chat.completion.chunk` per piece, `piece_delay`
/// apart; when `finish`, a last chunk with the finish reason and usage, then `[DONE]`;
/// otherwise the body just ends (a cut connection).
fn sse(pieces: Vec<String>, piece_delay: std::time::Duration, finish: bool) -> Response {
    use futures::StreamExt;
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": "fake-model",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut frames: Vec<(bool, String)> = vec![(false, chunk(json!({"role": "assistant"}), Value::Null).to_string())];
    frames.extend(pieces.into_iter().map(|p| (true, chunk(json!({"content": p}), Value::Null).to_string())));
    if finish {
        frames.push((false, chunk(json!({}), json!("stop")).to_string()));
        frames.push((
            false,
            json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "choices": [],
                   "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}})
            .to_string(),
        ));
        frames.push((false, "[DONE]".to_string()));
    }
    let body = futures::stream::iter(frames).then(move |(is_piece, data)| async move {
        if is_piece {
            tokio::time::sleep(piece_delay).await;
        }
        Ok::<_, std::convert::Infallible>(format!("data: {data}\n\n"))
    });
    Response::builder()
        .header(http::header::CONTENT_TYPE, "text/event-stream")
        .body(axum::body::Body::from_stream(body))
        .unwrap()
}
