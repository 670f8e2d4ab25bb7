//! The full pipeline with the real embedded model (SmolLM2-135M through llama.cpp).

use crate::fake_llm::FakeLlm;
use crate::helpers::{fresh_database, spawn_with, test_config, Backend};
use crate::on_both;
use app::engine::config::LlmConfig;
use app::types::ModelSettings;
use reqwest::{Method, StatusCode};

fn model_path() -> std::path::PathBuf {
    std::env::var("PROMPTDEV_MODEL_PATH")
        .map(Into::into)
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../models/SmolLM2-135M-Instruct.Q4_1.gguf").into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_model_replies_through_the_pipeline() {
    let path = model_path();
    assert!(path.exists(), "{} is missing: run `make model`", path.display());
    let url = fresh_database(Backend::Sqlite).await;
    let config = test_config(&url, LlmConfig::Local { model_path: path, threads: 1, context_size: 2048, seed: None });
    let app = spawn_with(config, FakeLlm::start().await).await;
    app.login_admin().await;
    let (s, body) = app.chat("real", "Hi! What is your name?").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "replied");
    assert!(!body["reply"].as_str().unwrap().trim().is_empty());
    let (_, log) = app.get("/admin/requests?limit=1").await;
    assert_eq!(log[0]["provider"], "local");
    assert_eq!(log[0]["status"], "ok");
    assert!(log[0]["prompt_tokens"].as_i64().unwrap() > 20, "the rendered persona is in the prompt: {}", log[0]);
    assert!(log[0]["completion_tokens"].as_i64().unwrap() > 0);
    assert_eq!(app.llm.calls(), 0, "the fake LLM is not involved");
}

/// The sentences of `text`, normalised (lower case, letters and digits only), without the
/// ones of fewer than `min_words` words ("Hi!", "Ok.").
fn sentences(text: &str, min_words: usize) -> Vec<String> {
    text.split(['.', '!', '?', '\n'])
        .map(|s| s.chars().filter(|c| c.is_alphanumeric() || c.is_whitespace()).collect::<String>().to_lowercase())
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| s.split(' ').count() >= min_words)
        .collect()
}

/// Item 10 of issue 7: on the default persona (Ava) with its default settings and a fixed
/// seed, a greeting's reply repeats no sentence and ends before `max_tokens`; greeting again,
/// the second reply is no copy of the first (which is in the prompt as history).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greeting_gets_a_short_reply_that_does_not_repeat_itself() {
    let path = model_path();
    assert!(path.exists(), "{} is missing: run `make model`", path.display());
    let url = fresh_database(Backend::Sqlite).await;
    let llm = LlmConfig::Local { model_path: path, threads: 1, context_size: 2048, seed: Some(42) };
    let app = spawn_with(test_config(&url, llm), FakeLlm::start().await).await;
    app.login_admin().await;
    let (_, personas) = app.get("/admin/templates").await;
    let ava = personas.as_array().unwrap().iter().find(|p| p["name"] == "Ava").expect("the seeded persona");
    let (_, ava) = app.get(&format!("/admin/templates/{}", ava["id"])).await;
    let settings: ModelSettings = serde_json::from_value(ava["versions"][0]["settings"].clone()).unwrap();
    assert_eq!(settings, ModelSettings::default(), "Ava is seeded with the default settings");
    let max_tokens = i64::from(settings.max_tokens);
    // A fixed seed gives the same reply to the same prompt: fix the time the persona shows too.
    let id = ava["id"].as_i64().unwrap();
    let content = ava["versions"][0]["content"].as_str().unwrap().replace("{{ now[:10] }}", "2026-12-02");
    assert!(!content.contains("{{ now"), "the persona shows the date only: {content}");
    let body = serde_json::json!({"content": content, "note": "fixed date"});
    let (s, v) = app.post(&format!("/admin/templates/{id}/versions"), body).await;
    assert!(s.is_success(), "{v}");
    let production = serde_json::json!({"version": v["version"]["version"]});
    let (s, l) = app.request(Method::PUT, &format!("/admin/templates/{id}/labels/production"), Some(production)).await;
    assert!(s.is_success(), "{l}");

    let mut replies: Vec<String> = Vec::new();
    let greetings = [
        ("amy", "Hi!"),
        ("ben", "Hello, how are you today?"),
        ("cat", "Hey there!"),
        ("dan", "Good morning! How is your day going?"),
    ];
    for (user, greeting) in greetings {
        for turn in 0..2 {
            let (s, body) = app.chat(user, greeting).await;
            assert_eq!(s, StatusCode::OK, "{body}");
            let reply = body["reply"].as_str().unwrap().trim().to_owned();
            let (_, log) = app.get("/admin/requests?limit=1").await;
            let tokens = log[0]["completion_tokens"].as_i64().unwrap();
            eprintln!("{user} turn {turn}: {tokens} tokens: {reply:?}");
            assert!(!reply.is_empty());
            assert!(tokens < max_tokens, "the reply ran to the {max_tokens}-token limit: {reply:?}");
            let mut seen = std::collections::HashSet::new();
            for sentence in sentences(&reply, 3) {
                assert!(seen.insert(sentence.clone()), "{sentence:?} repeats in {reply:?}");
            }
            if turn == 1 {
                let previous = replies.last().unwrap();
                assert_ne!(&reply, previous, "the second reply copies the first");
                let before = sentences(previous, 4);
                for sentence in sentences(&reply, 4) {
                    assert!(!before.contains(&sentence), "{sentence:?} is copied from the first reply {previous:?}");
                }
            }
            replies.push(reply);
        }
    }
}

/// The default persona's template as workspaces were seeded with it until 2026-12-03 (the
/// one the `short_replies` migration recognises by its checksum).
const SEEDED_BEFORE_ISSUE_9: &str = r#"You are Ava, a warm, curious and supportive companion talking with {{ user_id }}.
Speak casually, in short replies of one to three sentences, and ask a question back now and then.
{% if memory %}
What you remember about them:
{% for key, value in memory|items %}- {{ key }}: {{ value }}
{% endfor %}{% endif %}
The current time is {{ now }}."#;

/// The `short_replies` migration gives the seeded default persona, as seeded, the new default
/// `max_tokens`; versions an operator saved keep what they store.
async fn upgrading_gives_the_seeded_persona_short_replies(b: Backend) {
    use app::engine::personas::checksum;
    const DEFAULT_PERSONA: &str = SEEDED_BEFORE_ISSUE_9;
    use sqlx::any::AnyPoolOptions;
    sqlx::any::install_default_drivers();
    let url = fresh_database(b).await;
    let (url, mut migrator) = match b {
        Backend::Sqlite => {
            let file = url.trim_start_matches("sqlite://");
            std::fs::create_dir_all(std::path::Path::new(file).parent().unwrap()).unwrap();
            (format!("{url}?mode=rwc"), sqlx::migrate!("../migrations/sqlite"))
        }
        Backend::Postgres => (url, sqlx::migrate!("../migrations/postgres")),
    };
    let before: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261202000002).cloned().collect();
    migrator.migrations = std::borrow::Cow::Owned(before);
    let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    let old = r#"{"provider":"","model":"","temperature":0.7,"top_p":0.9,"max_tokens":256,"stop":[]}"#;
    let mine = r#"{"provider":"","model":"","temperature":0.7,"top_p":0.9,"max_tokens":300,"stop":[]}"#;
    for sql in [
        "INSERT INTO workspaces (id, name, slug, created_at) VALUES (1, 'One', 'one', 1)",
        "INSERT INTO workspaces (id, name, slug, created_at) VALUES (2, 'Two', 'two', 1)",
        "INSERT INTO templates (id, workspace_id, name, created_at, updated_at) VALUES (1, 1, 'Ava', 1, 2)",
        "INSERT INTO templates (id, workspace_id, name, created_at, updated_at) VALUES (2, 1, 'Mine', 1, 2)",
        "INSERT INTO templates (id, workspace_id, name, created_at, updated_at) VALUES (3, 2, 'Ava', 1, 2)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    let sum = checksum(DEFAULT_PERSONA);
    // (template, version, content, checksum, note, settings)
    let rows = [
        (1, 1, DEFAULT_PERSONA, sum.as_str(), "Default persona", old),
        (1, 2, DEFAULT_PERSONA, sum.as_str(), "saved again", old),
        (2, 1, "You are mine.", "x", "Default persona", old),
        (2, 2, "You are mine.", "x", "", mine),
        (3, 1, DEFAULT_PERSONA, sum.as_str(), "Default persona", "{}"),
    ];
    for (template, version, content, sum, note, settings) in rows {
        sqlx::query(
            "INSERT INTO template_versions (workspace_id, template_id, version, content, checksum, note, author, \
             created_at, settings) VALUES ($1, $2, $3, $4, $5, $6, 'a', 1, $7)",
        )
        .bind(if template == 3 { 2i64 } else { 1i64 })
        .bind(template as i64)
        .bind(version as i64)
        .bind(content)
        .bind(sum)
        .bind(note)
        .bind(settings)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let db = app::engine::db::Db::connect(&url).await.expect("the remaining migrations apply");
    use app::engine::ids::{PersonaId, WorkspaceId};
    let max_tokens = |ws: i64, id: i64| {
        let db = db.clone();
        async move {
            let p = app::engine::personas::get(&db, WorkspaceId(ws), PersonaId(id)).await.unwrap();
            // Newest first.
            p.versions.iter().map(|v| v.settings.max_tokens).collect::<Vec<_>>()
        }
    };
    let short = ModelSettings::default().max_tokens;
    assert_eq!(max_tokens(1, 1).await, vec![256, short], "only the seeded version 1 changes");
    assert_eq!(max_tokens(1, 2).await, vec![300, 256], "other personas keep what they store");
    assert_eq!(max_tokens(2, 3).await, vec![short]);
    let v = app::engine::personas::get(&db, WorkspaceId(1), PersonaId(1)).await.unwrap().versions.pop().unwrap();
    assert_eq!(v.settings, ModelSettings::default(), "the rest of its settings are as seeded, penalty on");
}
on_both!(upgrading_gives_the_seeded_persona_short_replies);

/// Issue 9: the embedded model keeps a chat's KV cache between turns. On the default persona
/// (whose system prompt shows only the date), turn 2 evaluates only what follows the prefix
/// it shares with turn 1 (prompt and reply); the request log says how many tokens were
/// reused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_two_of_a_chat_reuses_the_cache() {
    let path = model_path();
    assert!(path.exists(), "{} is missing: run `make model`", path.display());
    let url = fresh_database(Backend::Sqlite).await;
    let llm = LlmConfig::Local { model_path: path, threads: 1, context_size: 2048, seed: Some(3) };
    let app = spawn_with(test_config(&url, llm), FakeLlm::start().await).await;
    app.login_admin().await;
    let mut rows = Vec::new();
    for message in ["Hi! Who are you?", "What do you like to do?"] {
        let (s, body) = app.chat("cache", message).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (_, log) = app.get("/admin/requests?limit=1").await;
        rows.push(log[0].clone());
    }
    let tokens = |row: &serde_json::Value, field: &str| row[field].as_i64().unwrap_or(0);
    eprintln!("{rows:#?}");
    assert!(tokens(&rows[0], "cached_tokens") < tokens(&rows[0], "prompt_tokens") / 2, "{}", rows[0]);
    let (prompt, cached) = (tokens(&rows[1], "prompt_tokens"), tokens(&rows[1], "cached_tokens"));
    assert!(cached > 0, "turn 2 reused nothing: {}", rows[1]);
    assert!(cached < prompt, "the new message is evaluated: {}", rows[1]);
    assert!(
        cached >= tokens(&rows[0], "prompt_tokens"),
        "at least turn 1's prompt is reused: {} then {}",
        rows[0],
        rows[1]
    );
}

/// Issue 9: a streamed turn on the embedded model sends its reply in several pieces as they
/// are generated, before `done`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_model_streams_its_reply() {
    use futures::StreamExt;
    let path = model_path();
    assert!(path.exists(), "{} is missing: run `make model`", path.display());
    let url = fresh_database(Backend::Sqlite).await;
    let llm = LlmConfig::Local { model_path: path, threads: 1, context_size: 2048, seed: Some(5) };
    let app = spawn_with(test_config(&url, llm), FakeLlm::start().await).await;
    app.login_admin().await;
    let body = serde_json::json!({"user_id": "streamer", "message": "Tell me about the sea.", "stream": true});
    let resp = app.client.post(format!("{}/chat", app.base)).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let (mut buf, mut events) = (String::new(), Vec::<(String, serde_json::Value)>::new());
    let mut bytes = resp.bytes_stream();
    while let Some(chunk) = bytes.next().await {
        buf.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let event = frame.lines().find_map(|l| l.strip_prefix("event:")).unwrap_or("message").trim().to_owned();
            let data: String = frame.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            if !data.is_empty() {
                events.push((event, serde_json::from_str(&data).unwrap_or(serde_json::Value::String(data))));
            }
        }
    }
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    let done = names.iter().position(|e| *e == "done").unwrap_or_else(|| panic!("no done event: {names:?}"));
    let pieces: Vec<&str> =
        events[..done].iter().filter(|(e, _)| e == "delta").map(|(_, d)| d["text"].as_str().unwrap()).collect();
    assert!(pieces.len() > 1, "one piece only: {pieces:?}");
    let reply = events[done].1["reply"].as_str().or(events[done].1["response"].as_str()).unwrap_or_default();
    assert_eq!(pieces.concat().trim(), reply.trim(), "{:?}", events[done].1);
}
