//! Issue 10, scale-out: two real server processes (the `promptdev` binary) on one
//! PostgreSQL database share the job queue (each job runs exactly once) and live events
//! (an operator connected to one sees what happens on the other).

use crate::fake_llm::FakeLlm;
use crate::helpers::{fresh_database, new_client, request_with, Backend};
use crate::webhook_receiver::{wait_until, Receiver};
use app::engine::db::Db;
use app::engine::ids::WorkspaceId;
use app::engine::queue::{self, JobKind};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

const OPERATOR: (&str, &str) = ("ops@example.com", "a long enough password");

/// A `promptdev serve` child process; killed when dropped.
struct Process {
    base: String,
    _child: tokio::process::Child,
}

/// Starts the server binary on `database_url` with the fake LLM and a free port; returns
/// once it prints its address.
async fn start_process(database_url: &str, llm: &FakeLlm) -> Process {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_promptdev"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PROMPTDEV_ADDR", "127.0.0.1:0")
        .env("PROMPTDEV_LLM", "openai")
        .env("OPENAI_BASE_URL", &llm.base_url)
        .env("OPENAI_MODEL", "fake-model")
        .env("OPENAI_API_KEY", "test-key")
        .env("PROMPTDEV_LLM_TIMEOUT_S", "10")
        .env("PROMPTDEV_SECURE_COOKIES", "0")
        .env("PROMPTDEV_WEBHOOK_ALLOW_PRIVATE", "1")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.trim().strip_prefix("Dashboard: ") {
                return url.trim_end_matches("/dashboard").to_string();
            }
        }
        panic!("the server exited before printing its address");
    })
    .await
    .expect("the server prints its address within 60 s");
    // Keep reading so the pipe never fills.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process { base, _child: child }
}

/// A fresh PostgreSQL database, migrated, with one operator; its workspace.
async fn shared_database() -> (String, Db, WorkspaceId) {
    let url = fresh_database(Backend::Postgres).await;
    let db = Db::connect(&url).await.unwrap();
    let op = app::engine::auth::create_operator(&db, OPERATOR.0, OPERATOR.1, false).await.unwrap();
    (url, db, WorkspaceId(op.workspace_id))
}

async fn login(base: &str) -> reqwest::Client {
    let client = new_client();
    let body = json!({"username": OPERATOR.0, "password": OPERATOR.1});
    let (s, b) = request_with(&client, base, Method::POST, "/admin/login", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_processes_run_each_job_exactly_once() {
    let (url, db, ws) = shared_database().await;
    let hook = Receiver::start().await;
    // Slow enough that both processes have jobs in flight at once.
    hook.set_delay(Duration::from_millis(200));
    app::engine::store::workspace_settings::set_webhook_url(&db, ws, Some(&hook.url)).await.unwrap();
    let llm = FakeLlm::start().await;
    let _p1 = start_process(&url, &llm).await;
    let _p2 = start_process(&url, &llm).await;
    const JOBS: i64 = 60;
    for n in 0..JOBS {
        queue::enqueue(&db, ws, JobKind::Webhook, &json!({"n": n}), None).await.unwrap();
    }
    wait_until("every job is delivered", 60, || async { hook.bodies().len() as i64 >= JOBS }).await;
    // Time for a duplicate to show up, if there were one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut seen = BTreeMap::<i64, usize>::new();
    for body in hook.bodies() {
        *seen.entry(body["n"].as_i64().unwrap()).or_default() += 1;
    }
    assert_eq!(seen.len() as i64, JOBS, "every job ran");
    assert!(seen.values().all(|&times| times == 1), "none twice: {seen:?}");
    assert!(hook.max_in_flight() > 4, "both processes ran jobs at once (4 each at most): {}", hook.max_in_flight());
    let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(done, JOBS);
}

/// Reads the event stream into `seen` until it contains `needle` (15 s at most); the text so far.
async fn wait_for<S, B>(stream: &mut S, seen: &mut Vec<u8>, needle: &str) -> String
where
    S: futures::Stream<Item = Result<B, reqwest::Error>> + Unpin,
    B: AsRef<[u8]>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    // Bytes, decoded whole: a chunk may end inside a character.
    while !String::from_utf8_lossy(seen).contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("process 1 never showed {needle:.80}"))
            .expect("the stream stays open")
            .unwrap();
        seen.extend_from_slice(chunk.as_ref());
    }
    String::from_utf8_lossy(seen).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_operator_on_one_process_sees_a_chat_sent_through_another() {
    let (url, db, _) = shared_database().await;
    let llm = FakeLlm::start().await;
    let p1 = start_process(&url, &llm).await;
    let p2 = start_process(&url, &llm).await;
    let watcher = login(&p1.base).await;
    let sender = login(&p2.base).await;
    let resp = watcher.get(format!("{}/admin/events", p1.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let mut seen = Vec::<u8>::new();

    let body = json!({"user_id": "zed", "message": "hello across"});
    let (s, r) = request_with(&sender, &p2.base, Method::POST, "/chat", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let text = wait_for(&mut stream, &mut seen, "echo: hello across").await;
    assert!(text.contains("\"type\":\"message\"") && text.contains("\"content\":\"hello across\""), "{text}");

    // An event over NOTIFY's 8000 bytes goes through the database.
    let big = "é".repeat(4_000);
    let (s, r) =
        request_with(&sender, &p2.base, Method::POST, "/chat", Some(json!({"user_id": "zed", "message": big}))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    wait_for(&mut stream, &mut seen, &format!("\"content\":\"{big}\"")).await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM live_events").fetch_one(&db.pool).await.unwrap();
    assert!(stored >= 1, "the big event was stored for the other process");
}
