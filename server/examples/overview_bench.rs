//! `make bench` (part 4): how fast the Overview, the original's stats overview, the
//! monitor list and the request log answer on a big workspace. The real server on a
//! loopback port with a fresh SQLite database (or `DATABASE_URL`, a fresh PostgreSQL
//! database), seeded by `promptdev seed-demo`'s code with MESSAGES messages (users =
//! messages / 50, a request-log row per five messages, 30 days) and aggregated; then each
//! route is timed over HTTP (keep-alive), REQUESTS times.
//!
//! Usage: `cargo run --release -p server --example overview_bench -- [MESSAGES] [REQUESTS]`
//! (default 500000 and 20; the figure is for 5000000). Figures depend on the
//! machine; compare runs on the same one.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

mod common;

use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let messages: i64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(500_000);
    let n: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("pd-overview-bench-{}", uuid::Uuid::new_v4().simple()));
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
    let srv = common::offline_server(database_url).await?;
    let (base, client, state) = (srv.base.clone(), srv.client.clone(), srv.state.clone());
    let ws = app::engine::chat::chat_workspace(&state, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;

    let seeding = Instant::now();
    let seeded =
        app::engine::demo::seed(&state.db, ws, messages, "bench", |_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "seeded {} messages, {} request-log rows, {} end users and aggregated them in {:.1?} ({:?})",
        seeded.messages,
        seeded.requests,
        seeded.users,
        seeding.elapsed(),
        state.db.dialect
    );

    for (what, path) in [
        ("overview 24h", "/admin/stats/dashboard?range=24h"),
        ("overview 7d", "/admin/stats/dashboard?range=7d"),
        ("overview 30d", "/admin/stats/dashboard?range=30d"),
        ("stats/overview", "/admin/stats/overview"),
        ("monitor list", "/admin/users?view=wall&limit=50"),
        ("request log", "/admin/requests/page?limit=50"),
        ("log: errors", "/admin/requests/page?status=error&limit=50"),
    ] {
        let mut times = Vec::with_capacity(n);
        for _ in 0..n {
            let started = Instant::now();
            let resp = client.get(format!("{base}{path}")).send().await?;
            anyhow::ensure!(resp.status().is_success(), "{path}: {}", resp.status());
            let _: serde_json::Value = resp.json().await?;
            times.push(started.elapsed());
        }
        times.sort();
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        println!("{what:<15} p50 {:>8.1?}  p90 {:>8.1?}  max {:>8.1?}", pct(0.5), pct(0.9), times[times.len() - 1]);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
