//! What the benchmarks share: logging in as the first operator, and (for those that need
//! no LLM) the real server on a loopback port with that operator logged in.

// Each example uses the part it needs.
#![allow(dead_code)]

use app::engine::config::{Config, LlmConfig};
use app::engine::AppState;
use server::startup::Application;
use std::time::Duration;

/// A running server whose LLM is never called, and a client logged in as its first operator.
pub struct OfflineServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Keeps the operator's session cookie.
    pub client: reqwest::Client,
    pub state: AppState,
    /// The id of the default persona.
    pub persona_id: i64,
    _server: tokio::task::JoinHandle<()>,
}

/// Builds the app on `database_url` (fresh: its first operator is created), serves it on a
/// free loopback port and logs in. Errors: start-up, HTTP.
pub async fn offline_server(database_url: String) -> anyhow::Result<OfflineServer> {
    let config = Config {
        database_url,
        addr: "127.0.0.1:0".parse()?,
        site_root: "target/site".into(),
        // Never called by these benchmarks.
        llm: LlmConfig::OpenAi {
            base_url: "http://127.0.0.1:9/v1".into(),
            model: "none".into(),
            api_key: None,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_retries: 0,
        },
        history_window: 20,
        history_tokens: 1024,
        secure_cookies: false,
        chat_workspace: None,
        webhook_allow_private: false,
    };
    let app = Application::build(config).await?;
    let base = format!("http://{}", app.addr);
    let (email, password) = app.first_login.clone().expect("fresh database");
    let state = app.state.clone();
    let server = app.spawn();
    let client = log_in(&base, &email, &password).await?;
    let personas: serde_json::Value = client.get(format!("{base}/admin/templates")).send().await?.json().await?;
    let persona_id = personas[0]["id"].as_i64().expect("the default persona");
    Ok(OfflineServer { base, client, state, persona_id, _server: server })
}

/// A client holding an operator session on the server at `base` (`http://host:port`),
/// logged in through `POST /admin/login`. Errors: HTTP, or a login the server refused.
pub async fn log_in(base: &str, email: &str, password: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    client
        .post(format!("{base}/admin/login"))
        .json(&serde_json::json!({"username": email, "password": password}))
        .send()
        .await?
        .error_for_status()?;
    Ok(client)
}
