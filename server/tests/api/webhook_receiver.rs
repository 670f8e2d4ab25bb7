//! A webhook receiver on loopback for the job and alert tests: records every POSTed
//! body and answers from a script of statuses (then with its default), after an optional
//! delay.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Inner {
    bodies: Vec<Value>,
    statuses: VecDeque<u16>,
    default_status: Option<u16>,
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
}

#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:<port>/hook`.
    pub url: String,
    _task: Arc<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().route("/hook", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { inner, url: format!("http://{addr}/hook"), _task: Arc::new(task) }
    }

    /// The next requests are answered with these statuses, in order.
    pub fn script(&self, statuses: impl IntoIterator<Item = u16>) {
        self.inner.lock().unwrap().statuses.extend(statuses);
    }

    /// Once the script is used up, answer with `status` (default 200).
    pub fn answer(&self, status: u16) {
        self.inner.lock().unwrap().default_status = Some(status);
    }

    /// Every answer waits `delay` first.
    pub fn set_delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().unwrap().max_in_flight
    }

    /// The bodies received so far, in order.
    pub fn bodies(&self) -> Vec<Value> {
        self.inner.lock().unwrap().bodies.clone()
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, Json(body): Json<Value>) -> StatusCode {
    let (status, delay) = {
        let mut i = inner.lock().unwrap();
        i.bodies.push(body);
        i.in_flight += 1;
        i.max_in_flight = i.max_in_flight.max(i.in_flight);
        (i.statuses.pop_front().or(i.default_status).unwrap_or(200), i.delay)
    };
    tokio::time::sleep(delay).await;
    inner.lock().unwrap().in_flight -= 1;
    StatusCode::from_u16(status).unwrap()
}

/// Polls `check` every 50 ms for up to `secs` seconds; panics with `what` if it never holds.
pub async fn wait_until<F, Fut>(what: &str, secs: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened within {secs} s: {what}");
}
