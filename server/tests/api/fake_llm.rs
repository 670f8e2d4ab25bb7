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
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Scripted>,
    requests: Vec<Value>,
    /// Every answer waits this long first (default: none).
    delay: std::time::Duration,
    in_flight: usize,
    max_in_flight: usize,
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

    /// Request bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Every later answer (scripted or echo) waits `delay` first.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().delay = delay;
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
    let (answer, delay) = {
        let mut g = inner.lock().unwrap();
        g.requests.push(body.clone());
        g.in_flight += 1;
        g.max_in_flight = g.max_in_flight.max(g.in_flight);
        (g.script.pop_front(), g.delay)
    };
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
