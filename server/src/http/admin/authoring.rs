//! Writing a persona without touching a conversation: `POST /admin/templates/preview`,
//! `POST /admin/templates/{id}/playground`, `POST /admin/templates/draft`,
//! `GET /admin/providers`.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::PersonaId;
use app::engine::{playground, AppState};
use app::types::{PersonaDraft, PlaygroundResult, Preview, PreviewRequest, ProviderInfo};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// The preview, playground, draft and provider routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/templates/preview", post(preview))
        .route("/admin/templates/draft", post(draft))
        .route("/admin/templates/{id}/playground", post(playground_run))
        .route("/admin/providers", get(providers))
}

/// `POST /admin/templates/preview` (a [`PreviewRequest`]): the exact messages, no LLM call.
async fn preview(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<PreviewRequest>,
) -> ApiResult<Preview> {
    Ok(Json(playground::preview(&state, op.workspace(), &b).await?))
}

#[derive(Deserialize)]
struct PlaygroundBody {
    /// One version, or two to compare side by side.
    versions: Vec<i64>,
    message: String,
    #[serde(default)]
    user_id: Option<String>,
    /// A message of a real conversation: its turn's recorded context (and its user message
    /// when `message` is blank) instead of `user_id`'s.
    #[serde(default)]
    fork: Option<i64>,
}

/// `POST /admin/templates/{id}/playground`: one result per version; no conversation is written.
async fn playground_run(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
    ApiJson(b): ApiJson<PlaygroundBody>,
) -> ApiResult<Vec<PlaygroundResult>> {
    let fork = b.fork.map(app::engine::ids::MessageId);
    Ok(Json(playground::run(&state, op.workspace(), id, &b.versions, &b.message, b.user_id.as_deref(), fork).await?))
}

#[derive(Deserialize)]
struct DraftBody {
    description: String,
}

/// `POST /admin/templates/draft` `{"description"}`: an LLM-drafted template to edit.
async fn draft(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<DraftBody>,
) -> ApiResult<PersonaDraft> {
    Ok(Json(playground::draft(&state, op.workspace(), &b.description).await?))
}

async fn providers(State(state): State<AppState>, Operator(_): Operator) -> ApiResult<Vec<ProviderInfo>> {
    Ok(Json(playground::providers(&state)))
}
