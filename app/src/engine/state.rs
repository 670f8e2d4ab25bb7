//! The one application state, built once at start-up and shared by Leptos (context) and
//! axum (`State`).

use super::config::{Config, LlmConfig};
use super::db::Db;
use super::events::EventBus;
use super::llm::{local, openai, LlmProvider};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub llm: Arc<LlmProvider>,
    pub events: EventBus,
    /// Turns running on server-owned tasks, and their per-session locks.
    pub turns: super::turn::Turns,
    /// Set once start-up's database part (migrations, first operator, session table,
    /// recovered turns, job runner) has finished: until then `/ready` answers 503.
    pub started: Arc<std::sync::atomic::AtomicBool>,
    /// Failed logins per account and IP, this process's ([`super::throttle`]).
    pub logins: Arc<super::throttle::LoginThrottle>,
}

impl AppState {
    /// Opens the database (without connecting: see [`Db::open`]; start-up migrates it),
    /// builds the LLM provider and the event bus. Errors: see [`Db::open`] and
    /// [`openai::OpenAiClient::new`].
    pub async fn build(config: Config, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let db = Db::open(&config.database_url)?;
        let llm = match &config.llm {
            LlmConfig::Local { model_path, threads, context_size, seed } => {
                LlmProvider::Local(local::LocalLlm::spawn(local::LocalConfig {
                    model_path: model_path.clone(),
                    threads: *threads,
                    context_size: *context_size,
                    seed: *seed,
                }))
            }
            LlmConfig::OpenAi { base_url, model, api_key, connect_timeout, request_timeout, max_retries } => {
                LlmProvider::OpenAi(openai::OpenAiClient::new(openai::OpenAiConfig {
                    base_url: base_url.clone(),
                    model: model.clone(),
                    api_key: api_key.clone(),
                    connect_timeout: *connect_timeout,
                    request_timeout: *request_timeout,
                    max_retries: *max_retries,
                })?)
            }
        };
        Ok(AppState {
            leptos_options,
            db,
            config: Arc::new(config),
            llm: Arc::new(llm),
            events: EventBus::new(),
            turns: Default::default(),
            started: Default::default(),
            logins: Default::default(),
        })
    }
}
