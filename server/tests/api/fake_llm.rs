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
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Scripted>,
    requests: Vec<Value>,
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

    pub fn calls(&self) -> usize {
        self.inner.lock().unwrap().requests.len()
    }

    /// The `messages` array of the last request.
    pub fn last_messages(&self) -> Value {
        self.requests().last().expect("the LLM was never called")["messages"].clone()
    }
}

async fn complete(State(inner): State<Arc<Mutex<Inner>>>, Json(body): Json<Value>) -> Response {
    let answer = {
        let mut g = inner.lock().unwrap();
        g.requests.push(body.clone());
        g.script.pop_front()
    };
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
        Scripted::Status(code) => (
            http::StatusCode::from_u16(code).unwrap(),
            Json(json!({"error": {"message": "scripted failure", "type": "server_error"}})),
        )
            .into_response(),
    }
}
