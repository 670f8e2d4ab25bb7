//! A persona's flags and life: `POST /admin/templates/{id}/activate|deactivate|share|unshare`,
//! `DELETE /admin/templates/{id}` (to the trash), `GET /admin/trash`, `POST …/restore`,
//! `GET …/export`, `POST /admin/templates/import`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use crate::http::limits::IMPORT_BODY_BYTES;
use app::engine::ids::PersonaId;
use app::engine::{personas, transfer, AppState};
use app::types::{DeletedPersona, ImportConflict, ImportResult, OperatorInfo, PersonaExport, PersonaSummary};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// The flag, trash and import/export routes. The import route reads bodies up to
/// [`IMPORT_BODY_BYTES`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/templates/import", post(import_template).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)))
        .route("/admin/templates/{id}", delete(delete_template))
        .route("/admin/templates/{id}/activate", post(activate))
        .route("/admin/templates/{id}/deactivate", post(deactivate))
        .route("/admin/templates/{id}/share", post(share))
        .route("/admin/templates/{id}/unshare", post(unshare))
        .route("/admin/templates/{id}/export", get(export_template))
        .route("/admin/templates/{id}/restore", post(restore_template))
        .route("/admin/trash", get(trash))
}

/// Sets one of a persona's flags and answers with the persona.
async fn set_flag(
    state: &AppState,
    op: &OperatorInfo,
    id: PersonaId,
    flag: &str,
    on: bool,
) -> ApiResult<PersonaSummary> {
    let ws = op.workspace();
    match flag {
        "active" => personas::set_active(state, ws, id, on, &op.email).await?,
        _ => personas::set_shared(&state.db, ws, id, on, &op.email).await?,
    }
    Ok(Json(personas::summary(&state.db, ws, id).await?))
}

async fn activate(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "active", true).await
}

async fn deactivate(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "active", false).await
}

async fn share(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "shared", true).await
}

async fn unshare(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "shared", false).await
}

/// `GET /admin/templates/{id}/export`: the JSON export, as a file download.
async fn export_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> Result<Response, ApiError> {
    let export = transfer::export(&state.db, op.workspace(), id).await?;
    let file: String =
        export.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{file}.persona.json\"");
    Ok(([(http::header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}

#[derive(Deserialize)]
struct ImportBody {
    persona: PersonaExport,
    #[serde(default)]
    on_conflict: ImportConflict,
    #[serde(default)]
    new_name: Option<String>,
}

/// `POST /admin/templates/import` `{"persona": <export>, "on_conflict": "ask"|"new_version"|"rename", "new_name"?}`
/// → 201 (or 200 when a new-version import changed nothing); 409 when the name exists and `ask`.
async fn import_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<ImportBody>,
) -> Result<(http::StatusCode, Json<ImportResult>), ApiError> {
    let r = transfer::import(&state.db, op.workspace(), &b.persona, b.on_conflict, b.new_name.as_deref(), &op.email)
        .await?;
    let status = if r.versions_created > 0 { http::StatusCode::CREATED } else { http::StatusCode::OK };
    Ok((status, Json(r)))
}

#[derive(Deserialize)]
struct DeleteBody {
    confirm_name: String,
}

/// `DELETE /admin/templates/{id}` `{"confirm_name": "<its name>"}` → 204; restorable for 30 days.
async fn delete_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
    ApiJson(b): ApiJson<DeleteBody>,
) -> Result<http::StatusCode, ApiError> {
    personas::delete(&state, op.workspace(), id, &b.confirm_name, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

async fn trash(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<DeletedPersona>> {
    Ok(Json(personas::deleted(&state.db, op.workspace()).await?))
}

async fn restore_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<PersonaSummary> {
    Ok(Json(personas::restore(&state.db, op.workspace(), id, &op.email).await?))
}
