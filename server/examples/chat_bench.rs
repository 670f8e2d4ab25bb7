//! `make bench`: the real server on a loopback port with a fresh SQLite database and the
//! embedded model (1 llama.cpp thread unless `PROMPTDEV_LLM_THREADS` says otherwise, fixed
//! seed, history window 20). Streams chat turns over HTTP (`POST /chat`, `"stream": true`)
//! and reports, for one chat of TURNS turns on the default persona, the time to first
//! token (TTFT: request sent → first `delta`) and total time of turns 1, 10 and 30 with
//! prompt/cached tokens and generation speed; then the aggregate generation speed of CHATS
//! chats at once.
//!
//! Usage: `cargo run --release -p server --example chat_bench -- [TURNS] [CHATS] [MODE]`
//! (default 30, 4 and `plain`). Figures depend on the machine; compare runs on the same one.
//!
//! MODE `context` runs the one-chat part with memory, summary and sentiment on: a persona
//! whose template is the default one plus `summary` and `sentiment` after its fixed text
//! ([`CONTEXT_PERSONA`]), two memory entries for the user, sentiment scoring switched on for
//! the chat, and a history budget of 512 estimated tokens so the summary job runs within
//! ten turns. The background jobs (scoring, summary) share the embedded model with the
//! turns, as in production; they run in a think time between turns (`BENCH_THINK_MS`,
//! default 4000), since the job runner leaves the model to waiting turns.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

mod common;

use app::engine::config::{Config, LlmConfig};
use futures::StreamExt;
use server::startup::Application;
use std::time::{Duration, Instant};

/// Messages the bench sends, in turn.
const PROMPTS: [&str; 10] = [
    "Hi! Who are you?",
    "What should I cook tonight?",
    "Tell me a fun fact about space.",
    "How do I stay motivated?",
    "I had a long day at work.",
    "Do you like music? What kind?",
    "Any tips for sleeping better?",
    "What is a good book to read?",
    "I want to learn to draw.",
    "Thanks, that helps!",
];

/// The `context` mode's persona: the default template with the per-turn values after its
/// fixed text (the cache-friendly place in a `chat` persona: the prompt still changes from
/// there on whenever they change).
const CONTEXT_PERSONA: &str = "{% if summary %}\nEarlier in this chat: {{ summary }}{% endif %}\
{% if sentiment %}\nTheir mood lately: {% if sentiment.valence < -0.3 %}low{% elif sentiment.valence > 0.3 %}good{% else %}neutral{% endif %}.{% endif %}";

/// One streamed turn as the client saw it, plus the request log's token counts.
#[derive(Clone, Debug, Default)]
struct Turn {
    ttft: Duration,
    total: Duration,
    pieces: usize,
    prompt_tokens: i64,
    cached_tokens: i64,
    completion_tokens: i64,
    /// The system message sent and the first history message after it (what decides how
    /// much of the previous prompt the model can reuse).
    system: String,
    first_history: String,
}

impl Turn {
    /// Generated tokens per second after the first one arrived.
    fn gen_rate(&self) -> f64 {
        let gen = (self.total - self.ttft).as_secs_f64();
        if gen > 0.0 {
            (self.completion_tokens - 1).max(0) as f64 / gen
        } else {
            f64::NAN
        }
    }
}

/// Sends one streamed turn for `user` (with `persona`, else the default one) and waits for
/// `done`.
async fn turn(
    client: &reqwest::Client,
    base: &str,
    user: &str,
    message: &str,
    persona: Option<i64>,
) -> anyhow::Result<(Turn, i64)> {
    let t = Instant::now();
    let mut body = serde_json::json!({"user_id": user, "message": message, "stream": true});
    if let Some(p) = persona {
        body["persona_id"] = p.into();
    }
    let resp = client.post(format!("{base}/chat")).json(&body).send().await?;
    anyhow::ensure!(resp.status().is_success(), "turn failed: {}", resp.status());
    let mut out = Turn::default();
    let (mut buf, mut bytes, mut session) = (String::new(), resp.bytes_stream(), None);
    while let Some(chunk) = bytes.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk?));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let event = frame.lines().find_map(|l| l.strip_prefix("event:")).unwrap_or("").trim().to_owned();
            let data: String = frame.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            match event.as_str() {
                "delta" => {
                    if out.pieces == 0 {
                        out.ttft = t.elapsed();
                    }
                    out.pieces += 1;
                }
                "done" => {
                    out.total = t.elapsed();
                    let done: serde_json::Value = serde_json::from_str(&data)?;
                    anyhow::ensure!(done["status"] == "replied", "turn not replied: {done}");
                    session = done["metadata"]["session_id"].as_i64();
                }
                "error" => anyhow::bail!("turn failed: {data}"),
                _ => {}
            }
        }
    }
    let session = session.ok_or_else(|| anyhow::anyhow!("the stream ended without `done`"))?;
    Ok((out, session))
}

/// Fills in the token counts of the last `n` logged chat turns, newest first, by position
/// (background jobs' rows — summary, sentiment — are skipped).
async fn with_tokens(client: &reqwest::Client, base: &str, turns: &mut [&mut Turn]) -> anyhow::Result<()> {
    let log: Vec<serde_json::Value> =
        client.get(format!("{base}/admin/requests?limit={}", turns.len() + 50)).send().await?.json().await?;
    let chat = log.iter().filter(|r| r["source"] == "chat");
    for (t, row) in turns.iter_mut().rev().zip(chat) {
        t.prompt_tokens = row["prompt_tokens"].as_i64().unwrap_or(0);
        t.cached_tokens = row["cached_tokens"].as_i64().unwrap_or(0);
        t.completion_tokens = row["completion_tokens"].as_i64().unwrap_or(0);
        t.system = row["messages"][0]["content"].as_str().unwrap_or("").to_string();
        let sent = row["messages"].as_array().map(Vec::len).unwrap_or(0);
        t.first_history =
            if sent > 2 { row["messages"][1]["content"].as_str().unwrap_or("").to_string() } else { String::new() };
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let turns: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30).max(1);
    let chats: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(4).max(1);
    let with_context = match std::env::args().nth(3).as_deref() {
        None | Some("plain") => false,
        Some("context") => true,
        Some(other) => anyhow::bail!("MODE is `plain` or `context`, not `{other}`"),
    };
    let think =
        Duration::from_millis(std::env::var("BENCH_THINK_MS").ok().and_then(|s| s.parse().ok()).unwrap_or(4000));
    let dir = std::env::temp_dir().join(format!("pd-bench-{}", uuid::Uuid::new_v4().simple()));
    let model_path =
        std::env::var("PROMPTDEV_MODEL_PATH").unwrap_or_else(|_| "models/SmolLM2-135M-Instruct.Q4_1.gguf".into());
    let threads = std::env::var("PROMPTDEV_LLM_THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let config = Config {
        database_url: format!("sqlite://{}/bench.db", dir.display()),
        addr: "127.0.0.1:0".parse()?,
        site_root: "target/site".into(),
        llm: LlmConfig::Local { model_path: model_path.into(), threads, context_size: 2048, seed: Some(42) },
        history_window: 20,
        history_tokens: if with_context { 512 } else { 1024 },
        secure_cookies: false,
        chat_workspace: None,
        webhook_allow_private: false,
    };
    let t0 = Instant::now();
    let app = Application::build(config).await?;
    let startup = t0.elapsed();
    let base = format!("http://{}", app.addr);
    let (email, password) = app.first_login.clone().expect("fresh database");
    let _server = app.spawn();
    let client = common::log_in(&base, &email, &password).await?;
    println!(
        "machine: {} cores; llama.cpp threads: {threads}; history window 20 messages, {} estimated tokens; mode: {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        if with_context { 512 } else { 1024 },
        if with_context { "context (memory, summary, sentiment on)" } else { "plain" }
    );
    println!("server start-up (migrations, first operator, sessions): {:.0} ms", ms(startup));

    // A warm-up turn in a chat of its own: loads the model, so turn 1 below measures a turn.
    let load = Instant::now();
    turn(&client, &base, "bench-warm-up", "Hello!", None).await?;
    println!("first reply ever (includes loading the model):         {:.0} ms", ms(load.elapsed()));

    let persona = if with_context { Some(context_persona(&client, &base).await?) } else { None };
    let mut one = Vec::new();
    for i in 0..turns {
        let (mut t, session) = turn(&client, &base, "bench", PROMPTS[i % PROMPTS.len()], persona).await?;
        with_tokens(&client, &base, &mut [&mut t]).await?;
        one.push(t);
        if with_context && i == 0 {
            switch_context_on(&client, &base, session).await?;
        }
        if with_context {
            // The user's think time: the background jobs (sentiment, summary) run in it, as
            // they would in a real chat (the job runner never makes a waiting turn wait).
            tokio::time::sleep(think).await;
        }
    }
    println!("\none chat, {turns} turns (turn: TTFT / total, prompt tokens of which cached, reply tokens):");
    for (i, t) in one.iter().enumerate() {
        // What changed near the prompt's start since the previous turn.
        let changed = match i.checked_sub(1).map(|p| &one[p]) {
            Some(p) if p.system != t.system => "; system prompt changed",
            Some(p) if p.first_history != t.first_history && !p.first_history.is_empty() => "; history window moved",
            _ => "",
        };
        println!(
            "  turn {:>2}: TTFT {:>5.0} ms / total {:>5.0} ms; prompt {:>4} ({:>4} cached), reply {:>3} tokens at {:>5.1} tok/s{changed}",
            i + 1,
            ms(t.ttft),
            ms(t.total),
            t.prompt_tokens,
            t.cached_tokens,
            t.completion_tokens,
            t.gen_rate()
        );
    }
    if with_context {
        if let Some(last) = one.last() {
            println!("\nlast system prompt:\n{}", last.system);
        }
    }
    let picked: Vec<usize> = [1, 10, 30].into_iter().filter(|&n| n <= turns).collect();
    println!("\nsummary:");
    for n in &picked {
        let t = &one[n - 1];
        println!("  turn {n:>2}: TTFT {:.0} ms, total {:.0} ms, {:.1} tokens/s", ms(t.ttft), ms(t.total), t.gen_rate());
    }
    if let (Some(first), Some(tenth)) = (one.first(), one.get(9)) {
        println!(
            "  turn 10 TTFT / turn 1 TTFT: {:.2} (goal ≤ 1.5, and turn 10 < 1000 ms)",
            tenth.ttft.as_secs_f64() / first.ttft.as_secs_f64()
        );
    }
    let (gen_tokens, wall): (i64, f64) =
        one.iter().fold((0, 0.0), |(n, s), t| (n + t.completion_tokens, s + t.total.as_secs_f64()));
    println!("  one chat: {:.1} reply tokens/s over the whole turns ({gen_tokens} tokens)", gen_tokens as f64 / wall);

    // CHATS chats at once, each a few turns, started together.
    let per_chat = 5.min(turns);
    let started = Instant::now();
    let runs = (0..chats).map(|c| {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..per_chat {
                let message = PROMPTS[(i + c) % PROMPTS.len()];
                out.push(turn(&client, &base, &format!("bench-{c}"), message, None).await?.0);
            }
            anyhow::Ok(out)
        })
    });
    let mut all = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        all.extend(run.await??);
    }
    let wall = started.elapsed();
    let mut refs: Vec<&mut Turn> = all.iter_mut().collect();
    // The log is newest first across all chats; only the totals matter here.
    with_tokens(&client, &base, &mut refs).await?;
    let tokens: i64 = all.iter().map(|t| t.completion_tokens).sum();
    let mut ttfts: Vec<f64> = all.iter().map(|t| ms(t.ttft)).collect();
    ttfts.sort_by(f64::total_cmp);
    println!(
        "\n{chats} chats at once, {per_chat} turns each: {tokens} reply tokens in {:.1} s = {:.1} tokens/s aggregate; \
         TTFT median {:.0} ms, max {:.0} ms",
        wall.as_secs_f64(),
        tokens as f64 / wall.as_secs_f64(),
        ttfts[ttfts.len() / 2],
        ttfts[ttfts.len() - 1]
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// Creates the `context` mode's persona (the default template + [`CONTEXT_PERSONA`]) and
/// returns its id.
async fn context_persona(client: &reqwest::Client, base: &str) -> anyhow::Result<i64> {
    let content = format!("{}{CONTEXT_PERSONA}", app::engine::personas::DEFAULT_PERSONA);
    let body = serde_json::json!({"name": "Ava with context", "content": content});
    let resp = client.post(format!("{base}/admin/templates")).json(&body).send().await?;
    anyhow::ensure!(resp.status().is_success(), "creating the persona failed: {}", resp.status());
    let created: serde_json::Value = resp.json().await?;
    created["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no persona id in {created}"))
}

/// After the first turn (the user and the chat exist): two memory entries and sentiment
/// scoring on for chat `session`.
async fn switch_context_on(client: &reqwest::Client, base: &str, session: i64) -> anyhow::Result<()> {
    for (key, value) in [("name", "Sam"), ("likes", "cooking and long walks")] {
        let resp = client
            .put(format!("{base}/admin/users/bench/memory/{key}"))
            .json(&serde_json::json!({"value": value}))
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "setting memory failed: {}", resp.status());
    }
    let resp = client.post(format!("{base}/admin/sessions/{session}/sentiment/toggle?enabled=true")).send().await?;
    anyhow::ensure!(resp.status().is_success(), "switching sentiment on failed: {}", resp.status());
    Ok(())
}
