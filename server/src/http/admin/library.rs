//! The shared library: `GET /admin/library` (personas other workspaces share) and
//! `POST /admin/library/{id}/clone`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, Operator};
use app::engine::ids::PersonaId;
use app::engine::{personas, AppState};
use app::types::{PersonaSummary, SharedPersona};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The library routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(library)).routes(routes!(clone_template))
}

/// Personas other workspaces share, with the version a clone would copy.
#[utoipa::path(get, path = "/admin/library", tag = "library", responses((status = 200, body = Vec<SharedPersona>)))]
async fn library(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<SharedPersona>> {
    Ok(Json(personas::library(&state.db, op.workspace()).await?))
}

#[derive(Deserialize, ToSchema)]
struct CloneTemplateBody {
    /// The new persona's name (1–80 characters); default: the source's name.
    #[serde(default)]
    name: Option<String>,
}

/// Clones a shared persona into this workspace, as a draft.
///
/// Version 1 is the source's production version (content, kind, settings, variables); the
/// clone records its source. No `production` label: it is not offered in chat until a
/// version is published.
#[utoipa::path(
    post,
    path = "/admin/library/{id}/clone",
    tag = "library",
    params(("id" = i64, Path, description = "The shared persona's id (as the library lists it)")),
    request_body = CloneTemplateBody,
    responses(
        (status = 201, description = "The new persona", body = PersonaSummary),
        (status = 404, description = "No such shared persona (unknown, not shared or deleted: the same answer)",
            body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The name is taken in this workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn clone_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
    ApiJson(b): ApiJson<CloneTemplateBody>,
) -> Result<(http::StatusCode, Json<PersonaSummary>), ApiError> {
    let p = personas::clone_shared(&state.db, op.workspace(), id, b.name.as_deref(), &op.email).await?;
    Ok((http::StatusCode::CREATED, Json(p)))
}
