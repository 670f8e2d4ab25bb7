//! The shared library: `GET /admin/library` (personas other workspaces share) and
//! `POST /admin/library/{id}/clone`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::PersonaId;
use app::engine::{personas, AppState};
use app::types::{PersonaSummary, SharedPersona};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// The library routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/library", get(library)).route("/admin/library/{id}/clone", post(clone_template))
}

async fn library(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<SharedPersona>> {
    Ok(Json(personas::library(&state.db, op.workspace()).await?))
}

#[derive(Deserialize)]
struct CloneBody {
    /// Default: the source's name.
    #[serde(default)]
    name: Option<String>,
}

/// `POST /admin/library/{id}/clone` `{"name"?}` → 201 with the new persona.
async fn clone_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
    ApiJson(b): ApiJson<CloneBody>,
) -> Result<(http::StatusCode, Json<PersonaSummary>), ApiError> {
    let p = personas::clone_shared(&state.db, op.workspace(), id, b.name.as_deref(), &op.email).await?;
    Ok((http::StatusCode::CREATED, Json(p)))
}
