//! `make bench` (part 2): how fast the live preview answers, since the editor calls it
//! on every pause in typing. The real server on a loopback port, a fresh SQLite database,
//! the default persona with a 10-key memory and a 20-message history from a real end
//! user; no LLM is called. Reports latency percentiles over HTTP (keep-alive).
//!
//! Usage: `cargo run --release -p server --example preview_bench -- [REQUESTS]` (default 500).
//! Figures depend on the machine; compare runs on the same one.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

mod common;

use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("pd-bench-{}", uuid::Uuid::new_v4().simple()));
    let database_url = format!("sqlite://{}/bench.db", dir.display());
    let srv = common::offline_server(database_url).await?;
    let (base, client, state) = (srv.base.clone(), srv.client.clone(), srv.state.clone());
    let id = srv.persona_id;
    let content = personas_content(&client, &base, id).await?;

    // A real end user with memory and history (the history is written directly: the LLM is not needed).
    let ws = app::engine::chat::chat_workspace(&state, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let end_user =
        app::engine::chat::ensure_end_user(&state.db, ws, "reader").await.map_err(|e| anyhow::anyhow!("{e}"))?;
    for k in 0..10 {
        client
            .put(format!("{base}/admin/users/reader/memory/fact{k}"))
            .json(&serde_json::json!(format!("remembered fact number {k}")))
            .send()
            .await?
            .error_for_status()?;
    }
    let session: i64 = sqlx::query_scalar(
        "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at) VALUES ($1, $2, $3, 0) RETURNING id",
    )
    .bind(ws)
    .bind(end_user)
    .bind(id)
    .fetch_one(&state.db.pool)
    .await?;
    for i in 0..20 {
        sqlx::query(
            "INSERT INTO messages (workspace_id, session_id, end_user_id, sender, content, created_at) VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(ws)
        .bind(session)
        .bind(end_user)
        .bind(if i % 2 == 0 { "user" } else { "assistant" })
        .bind(format!("message {i}: a sentence of ordinary length about the day"))
        .execute(&state.db.pool)
        .await?;
    }

    let body = serde_json::json!({"persona_id": id, "content": content, "user_id": "reader", "message": "Hi!"});
    let mut ms = Vec::with_capacity(n);
    let t0 = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        let r = client.post(format!("{base}/admin/templates/preview")).json(&body).send().await?;
        anyhow::ensure!(r.status().is_success(), "preview failed: {}", r.text().await?);
        let p: serde_json::Value = r.json().await?;
        anyhow::ensure!(p["messages"].as_array().map(Vec::len) == Some(22), "system + 20 history + message: {p}");
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let total = t0.elapsed().as_secs_f64();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    println!("machine: {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!(
        "live preview over HTTP, {n} sequential requests (memory 10 keys, history 20 messages): \
         p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms, {:.0} requests/s",
        pct(0.5),
        pct(0.95),
        pct(1.0),
        n as f64 / total
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

async fn personas_content(client: &reqwest::Client, base: &str, id: i64) -> anyhow::Result<String> {
    let d: serde_json::Value = client.get(format!("{base}/admin/templates/{id}")).send().await?.json().await?;
    Ok(d["versions"][0]["content"].as_str().unwrap_or_default().to_string())
}
