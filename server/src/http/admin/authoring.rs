//! Writing a persona without touching a conversation: `POST /admin/templates/preview`,
//! `POST /admin/templates/{id}/playground`, `POST /admin/templates/draft`,
//! `GET /admin/providers`.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, Operator};
use app::engine::ids::PersonaId;
use app::engine::{playground, AppState};
use app::types::{PersonaDraft, PlaygroundResult, Preview, PreviewRequest, ProviderInfo};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The preview, playground, draft and provider routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview))
        .routes(routes!(draft))
        .routes(routes!(playground_run))
        .routes(routes!(providers))
}

/// Renders a template (saved or not) with sample values: the exact messages, no LLM call.
///
/// Nothing is stored. A template that does not compile or render is 422 `template` with
/// its line.
#[utoipa::path(
    post,
    path = "/admin/templates/preview",
    tag = "authoring",
    request_body = PreviewRequest,
    responses(
        (status = 200, description = "What the LLM would receive", body = Preview),
        (status = 404, description = "No such end user (`user_id`)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn preview(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<PreviewRequest>,
) -> ApiResult<Preview> {
    Ok(Json(playground::preview(&state, op.workspace(), &b).await?))
}

#[derive(Deserialize, ToSchema)]
struct PlaygroundBody {
    /// One version, or two to compare side by side.
    versions: Vec<i64>,
    /// The test message (at most 4000 characters; may be blank with `fork`).
    message: String,
    /// A real end user (1–128 characters) whose memory, history and summary are used.
    #[serde(default)]
    user_id: Option<String>,
    /// A message of a real conversation: its turn's recorded context (and its user message
    /// when `message` is blank) instead of `user_id`'s.
    #[serde(default)]
    fork: Option<i64>,
}

/// Runs a test message through the real pipeline, once per version.
///
/// No conversation is written; each call is in the request log with source `playground`.
/// A render or LLM failure is reported in the result's `error`, not as an error status.
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/playground",
    tag = "authoring",
    params(("id" = i64, Path, description = "The persona's id")),
    request_body = PlaygroundBody,
    responses(
        (status = 200, description = "One result per version, in the order asked", body = Vec<PlaygroundResult>),
        (status = 404, description = "No such persona, version, end user or forked message", body = crate::http::openapi::ErrorBody),
    )
)]
async fn playground_run(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
    ApiJson(b): ApiJson<PlaygroundBody>,
) -> ApiResult<Vec<PlaygroundResult>> {
    let fork = b.fork.map(app::engine::ids::MessageId);
    Ok(Json(playground::run(&state, op.workspace(), id, &b.versions, &b.message, b.user_id.as_deref(), fork).await?))
}

#[derive(Deserialize, ToSchema)]
struct DraftTemplateBody {
    /// The persona in plain words, 1–2000 characters.
    description: String,
}

/// Asks the LLM to draft a template from a description, to edit before saving.
///
/// The draft may not compile: then `error` says why. Nothing is saved; the call is in the
/// request log with source `draft`.
#[utoipa::path(
    post,
    path = "/admin/templates/draft",
    tag = "authoring",
    request_body = DraftTemplateBody,
    responses(
        (status = 200, body = PersonaDraft),
        (status = 502, description = "The LLM could not answer (`llm_failed`)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn draft(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<DraftTemplateBody>,
) -> ApiResult<PersonaDraft> {
    Ok(Json(playground::draft(&state, op.workspace(), &b.description).await?))
}

/// The LLM providers this server runs (one: the configured default).
#[utoipa::path(get, path = "/admin/providers", tag = "authoring", responses((status = 200, body = Vec<ProviderInfo>)))]
async fn providers(State(state): State<AppState>, _op: Operator) -> ApiResult<Vec<ProviderInfo>> {
    Ok(Json(playground::providers(&state)))
}
