//! `GET /health` (is the database answering: for `make run`'s wait loop and load
//! balancers) and `GET /ready` (may this process take traffic: database, migrations,
//! start-up, provider).

use app::engine::config::LlmConfig;
use app::engine::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long `/ready` and `/health` wait for the database's answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`, `GET /ready`.
pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready))
}

/// `GET /health` → `{"status":"ok","database":"ok","llm":<kind>}`; 503
/// `{"status":"error","database":"unreachable"}` if the database does not answer
/// within [`CHECK_TIMEOUT`].
async fn health(State(state): State<AppState>) -> Response {
    if database_answers(&state).await {
        Json(json!({"status": "ok", "database": "ok", "llm": state.llm.kind()})).into_response()
    } else {
        unavailable(json!({"status": "error", "database": "unreachable"}))
    }
}

/// Whether the database answers `SELECT 1` within [`CHECK_TIMEOUT`] (a failure is logged).
async fn database_answers(state: &AppState) -> bool {
    match tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "database check failed");
            false
        }
        Err(_) => false,
    }
}

/// `GET /ready` → 200 `{"status": "ready", "checks": {"database": "ok", "migrations":
/// "applied", "startup": "done", "provider": "ok"}}`, or 503 with `"status":
/// "not_ready"` and the failing checks' values: `database` `unreachable`, `migrations`
/// `pending` (or `unknown` when the database does not answer), `startup` `waiting`
/// (the database part of start-up has not run yet), `provider` the reason it is not
/// configured (a local model file that is missing, an OpenAI base URL that is not
/// http(s)).
async fn ready(State(state): State<AppState>) -> Response {
    let database = database_answers(&state).await;
    let migrations = if database {
        match tokio::time::timeout(CHECK_TIMEOUT, state.db.migrations_applied()).await {
            Ok(Ok(true)) => "applied",
            Ok(Ok(false)) => "pending",
            _ => "unknown",
        }
    } else {
        "unknown"
    };
    let started = state.started.load(Ordering::Acquire);
    let provider = provider_problem(&state.config.llm);
    let checks = json!({
        "database": if database { "ok" } else { "unreachable" },
        "migrations": migrations,
        "startup": if started { "done" } else { "waiting" },
        "provider": provider.clone().unwrap_or_else(|| "ok".into()),
    });
    if database && migrations == "applied" && started && provider.is_none() {
        Json(json!({"status": "ready", "checks": checks})).into_response()
    } else {
        unavailable(json!({"status": "not_ready", "checks": checks}))
    }
}

/// Why the configured provider cannot answer, if it cannot.
fn provider_problem(llm: &LlmConfig) -> Option<String> {
    match llm {
        LlmConfig::Local { model_path, .. } if !model_path.is_file() => {
            Some(format!("the model file {} is missing (make model fetches it)", model_path.display()))
        }
        LlmConfig::Local { .. } => None,
        LlmConfig::OpenAi { base_url, model, .. } => {
            if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                Some("OPENAI_BASE_URL is not an http(s) URL".into())
            } else if model.trim().is_empty() {
                Some("OPENAI_MODEL is not set".into())
            } else {
                None
            }
        }
    }
}

fn unavailable(body: serde_json::Value) -> Response {
    (http::StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
