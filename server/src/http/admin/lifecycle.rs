//! A persona's flags and life: `POST /admin/templates/{id}/activate|deactivate|share|unshare`,
//! `DELETE /admin/templates/{id}` (to the trash), `GET /admin/trash`, `POST …/restore`,
//! `GET …/export`, `POST /admin/templates/import`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, Operator};
use crate::http::limits::IMPORT_BODY_BYTES;
use app::engine::ids::PersonaId;
use app::engine::{personas, transfer, AppState};
use app::types::{DeletedPersona, ImportConflict, ImportResult, OperatorInfo, PersonaExport, PersonaSummary};
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The flag, trash and import/export routes. The import route reads bodies up to
/// [`IMPORT_BODY_BYTES`].
pub fn router() -> OpenApiRouter<AppState> {
    let import = OpenApiRouter::new().routes(routes!(import_template)).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES));
    OpenApiRouter::new()
        .merge(import)
        .routes(routes!(delete_template))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
        .routes(routes!(share))
        .routes(routes!(unshare))
        .routes(routes!(export_template))
        .routes(routes!(restore_template))
        .routes(routes!(trash))
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

/// Activates a persona: it is offered in chat again.
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/activate",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, description = "The persona", body = PersonaSummary),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn activate(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "active", true).await
}

/// Deactivates a persona: not offered in chat, and it refuses new messages.
///
/// Open chats are told live.
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/deactivate",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, description = "The persona", body = PersonaSummary),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "active", false).await
}

/// Shares a persona: it appears in other workspaces' library.
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/share",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, description = "The persona", body = PersonaSummary),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn share(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "shared", true).await
}

/// Stops sharing a persona (clones made already are kept).
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/unshare",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, description = "The persona", body = PersonaSummary),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn unshare(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "shared", false).await
}

/// Exports a persona with every version and its labels, as a file download.
///
/// The JSON `POST /admin/templates/import` takes back (as its `persona`).
#[utoipa::path(
    get,
    path = "/admin/templates/{id}/export",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, description = "The export, as an attachment `<name>.persona.json`", body = PersonaExport,
            headers(("content-disposition" = String, description = "`attachment; filename=\"<name>.persona.json\"`"))),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn export_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> Result<Response, ApiError> {
    let export = transfer::export(&state.db, op.workspace(), id).await?;
    let file: String =
        export.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{file}.persona.json\"");
    Ok(([(http::header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
}

#[derive(Deserialize, ToSchema)]
struct ImportTemplateBody {
    /// An export, as `GET /admin/templates/{id}/export` gives it (at most 8 MiB, 2000 versions).
    persona: PersonaExport,
    /// When the name exists: `ask` (409, the default), `new_version` (its production
    /// version becomes a new version of the existing persona) or `rename` (a new persona
    /// called `new_name`).
    #[serde(default)]
    on_conflict: ImportConflict,
    /// The name for `on_conflict: rename`.
    #[serde(default)]
    new_name: Option<String>,
}

/// Imports an exported persona.
///
/// A new name creates the persona with every version and label. The body may be up to
/// 8 MiB plus 64 KiB (other routes: 2 MiB).
#[utoipa::path(
    post,
    path = "/admin/templates/import",
    tag = "templates",
    request_body = ImportTemplateBody,
    responses(
        (status = 201, description = "Imported: versions were written", body = ImportResult),
        (status = 200, description = "`new_version` import whose content equals the latest version's: \
            nothing written (`versions_created` 0)", body = ImportResult),
        (status = 409, description = "The name exists and `on_conflict` is `ask` (or the new name is taken)",
            body = crate::http::openapi::ErrorBody),
        (status = 413, description = "The body is over the import limit (`too_large`)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn import_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<ImportTemplateBody>,
) -> Result<(http::StatusCode, Json<ImportResult>), ApiError> {
    let r = transfer::import(&state.db, op.workspace(), &b.persona, b.on_conflict, b.new_name.as_deref(), &op.email)
        .await?;
    let status = if r.versions_created > 0 { http::StatusCode::CREATED } else { http::StatusCode::OK };
    Ok((status, Json(r)))
}

#[derive(Deserialize, ToSchema)]
struct DeleteTemplateBody {
    /// The persona's name, typed again to confirm (422 otherwise).
    confirm_name: String,
}

/// Moves a persona to the trash, restorable for 30 days.
///
/// Its name is freed; it disappears from lists, chat and the library; open chats are told
/// live.
#[utoipa::path(
    delete,
    path = "/admin/templates/{id}",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    request_body = DeleteTemplateBody,
    responses(
        (status = 204, description = "In the trash"),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn delete_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
    ApiJson(b): ApiJson<DeleteTemplateBody>,
) -> Result<http::StatusCode, ApiError> {
    personas::delete(&state, op.workspace(), id, &b.confirm_name, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

/// Personas deleted within the last 30 days, newest first.
#[utoipa::path(get, path = "/admin/trash", tag = "templates", responses((status = 200, body = Vec<DeletedPersona>)))]
async fn trash(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<DeletedPersona>> {
    Ok(Json(personas::deleted(&state.db, op.workspace()).await?))
}

/// Restores a persona from the trash under its old name.
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/restore",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, description = "The persona, restored", body = PersonaSummary),
        (status = 404, description = "Not in the trash (not deleted, another workspace's, or deleted over 30 days ago)",
            body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Another persona has its name now", body = crate::http::openapi::ErrorBody),
    )
)]
async fn restore_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<PersonaSummary> {
    Ok(Json(personas::restore(&state.db, op.workspace(), id, &op.email).await?))
}
