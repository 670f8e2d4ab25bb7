//! Issue 11: structured logs — the `promptdev` binary, its standard error not a terminal,
//! writes one JSON object per line, and a request's lines carry the `request_id` its
//! response header and error body carry.

use crate::fake_llm::FakeLlm;
use crate::helpers::{fresh_database, Backend};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_with_the_request_id() {
    let llm = FakeLlm::start().await;
    let url = fresh_database(Backend::Sqlite).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_promptdev"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("PROMPTDEV_ADDR", "127.0.0.1:0")
        .env("PROMPTDEV_LLM", "openai")
        .env("OPENAI_BASE_URL", &llm.base_url)
        .env("OPENAI_MODEL", "fake-model")
        .env("OPENAI_API_KEY", "sk-must-never-be-logged")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("RUST_LOG", "info,tower_http=debug")
        .env_remove("PROMPTDEV_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = out.next_line().await.unwrap() {
            if let Some(url) = line.trim().strip_prefix("Dashboard: ") {
                return url.trim_end_matches("/dashboard").to_string();
            }
        }
        panic!("the server exited before printing its address");
    })
    .await
    .expect("the server prints its address");
    tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });

    let resp = reqwest::Client::new()
        .get(format!("{base}/admin/templates"))
        .header("x-request-id", "log-probe-7")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["x-request-id"], "log-probe-7");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "log-probe-7", "the error body names it too: {body}");

    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let line = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = err.next_line().await.unwrap() {
            seen.push(line.clone());
            if line.contains("log-probe-7") {
                return line;
            }
        }
        panic!("no log line names the request");
    })
    .await
    .unwrap_or_else(|_| panic!("no log line names the request within 20 s: {seen:#?}"));
    for l in &seen {
        let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{l}");
        assert!(!l.contains("sk-must-never-be-logged"), "a secret was logged: {l}");
    }
    let v: Value = serde_json::from_str(&line).unwrap();
    let spans = v["spans"].as_array().expect("the line lists its spans");
    assert!(spans.iter().any(|s| s["name"] == "request" && s["request_id"] == "log-probe-7"), "{line}");
}
