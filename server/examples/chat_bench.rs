//! `make bench`: the real server on a loopback port with a fresh SQLite database and the
//! embedded model; sends chat turns over HTTP and reports start-up time, time to first
//! reply (includes loading the model), per-turn latency and generation speed.
//!
//! Usage: `cargo run --release -p server --example chat_bench -- [TURNS]` (default 8).
//! Figures depend on the machine; compare runs on the same one.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

use app::engine::config::{Config, LlmConfig};
use server::startup::Application;
use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let turns: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(8);
    let dir = std::env::temp_dir().join(format!("pd-bench-{}", uuid::Uuid::new_v4().simple()));
    let model_path =
        std::env::var("PROMPTDEV_MODEL_PATH").unwrap_or_else(|_| "models/SmolLM2-135M-Instruct.Q4_1.gguf".into());
    let threads = std::env::var("PROMPTDEV_LLM_THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let config = Config {
        database_url: format!("sqlite://{}/bench.db", dir.display()),
        addr: "127.0.0.1:0".parse()?,
        site_root: "target/site".into(),
        llm: LlmConfig::Local { model_path: model_path.into(), threads, context_size: 2048, seed: None },
        history_window: 20,
        secure_cookies: false,
        chat_workspace: None,
    };
    let t0 = Instant::now();
    let app = Application::build(config).await?;
    let startup = t0.elapsed();
    let base = format!("http://{}", app.addr);
    let (email, password) = app.first_login.clone().expect("fresh database");
    let _server = app.spawn();
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    client
        .post(format!("{base}/admin/login"))
        .json(&serde_json::json!({"username": email, "password": password}))
        .send()
        .await?;

    let prompts = [
        "Hi! Who are you?",
        "What should I cook tonight?",
        "Tell me a fun fact about space.",
        "How do I stay motivated?",
    ];
    let mut latencies = Vec::new();
    for i in 0..turns {
        let t = Instant::now();
        let r: serde_json::Value = client
            .post(format!("{base}/chat"))
            .json(&serde_json::json!({"user_id": "bench", "message": prompts[i % prompts.len()]}))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(r["status"] == "replied", "turn {i} failed: {r}");
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let log: Vec<serde_json::Value> =
        client.get(format!("{base}/admin/requests?limit={turns}")).send().await?.json().await?;
    let (mut prompt_tok, mut gen_tok, mut llm_ms) = (0i64, 0i64, 0i64);
    for row in &log {
        prompt_tok += row["prompt_tokens"].as_i64().unwrap_or(0);
        gen_tok += row["completion_tokens"].as_i64().unwrap_or(0);
        llm_ms += row["latency_ms"].as_i64().unwrap_or(0);
    }
    let steady = &latencies[1..];
    let mut sorted = steady.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "machine: {} cores; llama.cpp threads: {threads}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    println!("server start-up (migrations, first operator, sessions): {:.0} ms", startup.as_secs_f64() * 1000.0);
    println!("time to first reply (includes model load):            {:.0} ms", latencies[0]);
    println!("later turns: median {median:.0} ms over {} turns", steady.len());
    println!("tokens: {prompt_tok} prompt, {gen_tok} completion in {llm_ms} ms of LLM time");
    println!(
        "throughput (prompt + completion tokens / LLM time):   {:.1} tokens/s",
        (prompt_tok + gen_tok) as f64 * 1000.0 / llm_ms.max(1) as f64
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
