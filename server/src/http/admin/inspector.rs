//! The per-turn inspector and the fork to the playground:
//! `GET /admin/messages/{id}/inspect` → what went into the turn of message `id` (template
//! version, memory, summary, sentiment, guardrail instructions, hidden notes, history, the
//! exact messages sent and the call's figures); `GET /admin/messages/{id}/fork` → the same
//! context for the playground, with the version `production` points to now. Both 404 for
//! a message of another workspace.

use crate::http::error::ApiResult;
use crate::http::extract::Operator;
use app::engine::ids::MessageId;
use app::engine::{inspector, AppState};
use app::types::{ForkContext, TurnInspection};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

/// The inspector routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/messages/{id}/inspect", get(inspect)).route("/admin/messages/{id}/fork", get(fork))
}

async fn inspect(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<MessageId>,
) -> ApiResult<TurnInspection> {
    Ok(Json(inspector::inspect(&state, op.workspace(), id).await?))
}

async fn fork(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<MessageId>,
) -> ApiResult<ForkContext> {
    Ok(Json(inspector::fork(&state, op.workspace(), id).await?))
}
