//! The full pipeline with the real embedded model (SmolLM2-135M through llama.cpp).

use crate::fake_llm::FakeLlm;
use crate::helpers::{fresh_database, spawn_with, test_config, Backend};
use app::engine::config::LlmConfig;
use reqwest::StatusCode;

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
    let config = test_config(&url, LlmConfig::Local { model_path: path, threads: 1, context_size: 2048 });
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
