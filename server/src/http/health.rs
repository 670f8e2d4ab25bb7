//! `GET /health` (is the database answering: for `make run`'s wait loop and load
//! balancers) and `GET /ready` (may this process take traffic: database, migrations,
//! start-up, provider).

use app::engine::config::LlmConfig;
use app::engine::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long `/ready` and `/health` wait for the database's answer.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /health`, `GET /ready`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(ready))
}

/// `/health`'s answer.
#[derive(Serialize, ToSchema)]
struct Health {
    /// `ok`, or `error` (503) when the database does not answer.
    status: &'static str,
    /// `ok` or `unreachable`.
    database: &'static str,
    /// The provider kind (`local`, `openai`); absent when the database does not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<&'static str>,
}

/// Whether the database answers.
///
/// → `{"status":"ok","database":"ok","llm":<kind>}`; 503
/// `{"status":"error","database":"unreachable"}` if the database does not answer
/// within [`CHECK_TIMEOUT`] (2 s).
#[utoipa::path(
    get,
    path = "/health",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer within 2 s", body = Health),
    )
)]
async fn health(State(state): State<AppState>) -> Response {
    if database_answers(&state).await {
        Json(Health { status: "ok", database: "ok", llm: Some(state.llm.kind()) }).into_response()
    } else {
        (http::StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "error", database: "unreachable", llm: None }))
            .into_response()
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

/// `/ready`'s answer.
#[derive(Serialize, ToSchema)]
struct Ready {
    /// `ready`, or `not_ready` (503).
    status: &'static str,
    checks: ReadyChecks,
}

/// Each check's value: `ok` / `applied` / `done` when it passes.
#[derive(Serialize, ToSchema)]
struct ReadyChecks {
    /// `ok` or `unreachable`.
    database: &'static str,
    /// `applied`, `pending`, or `unknown` (the database does not answer).
    migrations: &'static str,
    /// `done`, or `waiting` (the database part of start-up has not run yet).
    startup: &'static str,
    /// `ok`, or why the configured provider cannot answer.
    provider: String,
}

/// Whether this process may take traffic.
///
/// → 200 `{"status": "ready", "checks": {"database": "ok", "migrations":
/// "applied", "startup": "done", "provider": "ok"}}`, or 503 with `"status":
/// "not_ready"` and the failing checks' values: `database` `unreachable`, `migrations`
/// `pending` (or `unknown` when the database does not answer), `startup` `waiting`
/// (the database part of start-up has not run yet), `provider` the reason it is not
/// configured (a local model file that is missing, an OpenAI base URL that is not
/// http(s)).
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Every check passes", body = Ready),
        (status = 503, description = "A check fails; `checks` says which", body = Ready),
    )
)]
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
    let checks = ReadyChecks {
        database: if database { "ok" } else { "unreachable" },
        migrations,
        startup: if started { "done" } else { "waiting" },
        provider: provider.clone().unwrap_or_else(|| "ok".into()),
    };
    if database && migrations == "applied" && started && provider.is_none() {
        Json(Ready { status: "ready", checks }).into_response()
    } else {
        (http::StatusCode::SERVICE_UNAVAILABLE, Json(Ready { status: "not_ready", checks })).into_response()
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
