//! The per-turn inspector and the fork to the playground:
//! `GET /admin/messages/{id}/inspect` → what went into the turn of message `id` (template
//! version, memory, summary, sentiment, guardrail instructions, hidden notes, history, the
//! exact messages sent and the call's figures); `GET /admin/messages/{id}/fork` → the same
//! context for the playground, with the version `production` points to now. Both 404 for
//! a message of another workspace.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiPath, Operator};
use app::engine::ids::MessageId;
use app::engine::{inspector, AppState};
use app::types::{ForkContext, TurnInspection};
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The inspector routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(inspect)).routes(routes!(fork))
}

/// What went into the turn of a message: the exact prompt and the call's figures.
///
/// For an assistant reply, or the user message it answers: the template version, memory,
/// summary, sentiment, guardrail instructions, hidden notes, history, the exact messages
/// sent and the call's figures, from the turn's request-log row (the one whose reply is
/// shown now, when the reply was regenerated).
#[utoipa::path(
    get,
    path = "/admin/messages/{id}/inspect",
    tag = "inspector",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, body = TurnInspection),
        (status = 404, description = "No such message in the workspace, or it belongs to no turn (an operator message)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn inspect(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<TurnInspection> {
    Ok(Json(inspector::inspect(&state, op.workspace(), MessageId(id)).await?))
}

/// The turn of a message as a fork for the playground.
///
/// Its recorded context, with the version that answered it and the version `production`
/// points to now; for a turn logged before contexts were kept, the context rebuilt as it
/// would be now.
#[utoipa::path(
    get,
    path = "/admin/messages/{id}/fork",
    tag = "inspector",
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, body = ForkContext),
        (status = 404, description = "No such message in the workspace, or it belongs to no turn (an operator message)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn fork(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ForkContext> {
    Ok(Json(inspector::fork(&state, op.workspace(), MessageId(id)).await?))
}
