//! `make bench` (part 3): how fast the monitor's live wall answers at 100,000 end users.
//! The real server on a loopback port with a fresh SQLite database (or `DATABASE_URL`, a
//! fresh PostgreSQL database), seeded by batched inserts: USERS end users with a chat
//! each (one in 500 halted); then `GET /admin/users?view=wall` — the first page, a later
//! page, the halted filter and a text search — timed over HTTP (keep-alive).
//!
//! Usage: `cargo run --release -p server --example wall_bench -- [USERS] [REQUESTS]`
//! (default 100000 and 20). Figures depend on the machine; compare runs on the same one.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

mod common;

use std::time::Instant;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: i64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let n: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("pd-wall-bench-{}", uuid::Uuid::new_v4().simple()));
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
    let srv = common::offline_server(database_url).await?;
    let (base, client, state) = (srv.base.clone(), srv.client.clone(), srv.state.clone());
    let persona = srv.persona_id;
    let ws = app::engine::chat::chat_workspace(&state, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let ws = ws.get();

    let seeding = Instant::now();
    let pool = &state.db.pool;
    let first: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM end_users").fetch_one(pool).await?;
    for start in (0..users).step_by(1000) {
        let end = (start + 1000).min(users);
        let rows: Vec<String> = (start..end).map(|i| format!("({ws}, 'user{i:07}', 0)")).collect();
        sqlx::query(&format!(
            "INSERT INTO end_users (workspace_id, external_id, created_at) VALUES {}",
            rows.join(", ")
        ))
        .execute(pool)
        .await?;
        let chats: Vec<String> =
            (start..end).map(|i| format!("({ws}, {}, {persona}, 0, {})", first + 1 + i, 1_000 + i)).collect();
        sqlx::query(&format!(
            "INSERT INTO chat_sessions (workspace_id, end_user_id, template_id, created_at, updated_at) VALUES {}",
            chats.join(", ")
        ))
        .execute(pool)
        .await?;
        let halted: Vec<String> = (start..end)
            .filter(|i| i % 500 == 0)
            .map(|i| format!("({}, {ws}, 1, 'bench', 'bench', {i})", first + 1 + i))
            .collect();
        if !halted.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO user_state (end_user_id, workspace_id, halted, reason, halted_by, halted_at) VALUES {}",
                halted.join(", ")
            ))
            .execute(pool)
            .await?;
        }
    }
    // The wall's per-user columns, which these bulk inserts bypass (as `seed-demo` does).
    let wsid = app::engine::ids::WorkspaceId(ws);
    app::engine::store::wall::refresh(pool, wsid, "SELECT id FROM end_users WHERE workspace_id = $1")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if state.db.dialect == app::engine::db::Dialect::Postgres {
        sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    } else {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    println!("seeded {users} end users with a chat each in {:.1?}", seeding.elapsed());

    for (what, path) in [
        ("first page", "/admin/users?view=wall&limit=50".to_string()),
        ("page 100", "/admin/users?view=wall&limit=50&offset=4950".to_string()),
        ("halted only", "/admin/users?status=halted&limit=50".to_string()),
        ("search", "/admin/users?q=user00424&limit=50".to_string()),
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
        println!("{what:<12} p50 {:>8.1?}  p90 {:>8.1?}  max {:>8.1?}", pct(0.5), pct(0.9), times[times.len() - 1]);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
