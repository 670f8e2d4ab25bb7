//! `GET /health`, for load balancers and `make run`'s wait loop.

use app::engine::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// `GET /health`.
pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// `GET /health` → `{"status":"ok","database":"ok","llm":<kind>}`; 503
/// `{"status":"error","database":"unreachable"}` if the database does not answer.
async fn health(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(_) => Json(json!({"status": "ok", "database": "ok", "llm": state.llm.kind()})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "error", "database": "unreachable"})))
                .into_response()
        }
    }
}
