//! Runtime configuration, read from the environment (and the `promptdev` CLI flags that
//! mirror it). Secrets are `SecretString` so they never end up in a log or a response.

use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Which LLM provider answers chat turns.
#[derive(Clone, Debug)]
pub enum LlmConfig {
    /// The embedded SmolLM2 model, run in-process.
    /// `seed`: fixed sampling seed (same request, same reply), None = a fresh one per request.
    Local { model_path: PathBuf, threads: u32, context_size: u32, seed: Option<u32> },
    /// Any OpenAI-compatible endpoint.
    OpenAi {
        /// e.g. `https://api.openai.com/v1` (the client appends `/chat/completions`).
        base_url: String,
        model: String,
        api_key: Option<SecretString>,
        connect_timeout: Duration,
        /// Whole-request timeout.
        request_timeout: Duration,
        /// Retries after the first attempt, on connect errors, 429 and 5xx.
        max_retries: u32,
    },
}

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://data/promptdev.db` (default) or `postgres://…`.
    pub database_url: String,
    pub addr: SocketAddr,
    /// Directory holding `pkg/` (the wasm bundle) and static files.
    pub site_root: String,
    pub llm: LlmConfig,
    /// Messages of history given to the template and the LLM (default 20).
    pub history_window: u32,
    /// Send the session cookie with `Secure`. Defaults to true unless bound to loopback.
    pub secure_cookies: bool,
    /// Workspace (slug) whose personas `/chat` offers when none is named; default: the first.
    pub chat_workspace: Option<String>,
}

impl Config {
    /// Reads `PROMPTDEV_*` and `DATABASE_URL` variables; unset ones take the defaults
    /// documented in the README. Errors name the variable that could not be parsed.
    pub fn from_env() -> anyhow::Result<Self> {
        use anyhow::Context;
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let parse_u32 = |k: &str, d: u32| -> anyhow::Result<u32> {
            var(k).map(|v| v.parse().with_context(|| format!("{k} must be a whole number"))).unwrap_or(Ok(d))
        };
        let addr: SocketAddr = var("PROMPTDEV_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8001".into())
            .parse()
            .context("PROMPTDEV_ADDR must look like 127.0.0.1:8001")?;
        let llm = match var("PROMPTDEV_LLM").as_deref().unwrap_or("local") {
            "local" => LlmConfig::Local {
                model_path: var("PROMPTDEV_MODEL_PATH")
                    .unwrap_or_else(|| "models/SmolLM2-135M-Instruct.Q4_1.gguf".into())
                    .into(),
                threads: parse_u32("PROMPTDEV_LLM_THREADS", 1)?,
                context_size: parse_u32("PROMPTDEV_LLM_CONTEXT", 2048)?,
                seed: var("PROMPTDEV_LLM_SEED")
                    .map(|v| v.parse().context("PROMPTDEV_LLM_SEED must be a whole number below 4294967295"))
                    .transpose()?,
            },
            "openai" => LlmConfig::OpenAi {
                base_url: var("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into()),
                model: var("OPENAI_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
                api_key: var("OPENAI_API_KEY").map(SecretString::from),
                connect_timeout: Duration::from_secs(parse_u32("PROMPTDEV_LLM_CONNECT_TIMEOUT_S", 5)? as u64),
                request_timeout: Duration::from_secs(parse_u32("PROMPTDEV_LLM_TIMEOUT_S", 120)? as u64),
                max_retries: parse_u32("PROMPTDEV_LLM_RETRIES", 2)?,
            },
            other => anyhow::bail!("PROMPTDEV_LLM must be `local` or `openai`, not `{other}`"),
        };
        let secure_default = !addr.ip().is_loopback();
        Ok(Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/promptdev.db".into()),
            addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            llm,
            history_window: parse_u32("PROMPTDEV_HISTORY_WINDOW", 20)?,
            secure_cookies: match var("PROMPTDEV_SECURE_COOKIES").as_deref() {
                Some("1" | "true") => true,
                Some("0" | "false") => false,
                _ => secure_default,
            },
            chat_workspace: var("PROMPTDEV_CHAT_WORKSPACE"),
        })
    }
}
