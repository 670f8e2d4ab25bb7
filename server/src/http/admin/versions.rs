//! A persona's versions and labels: `POST /admin/templates/{id}/versions` (save),
//! `GET …/versions/{n}`, `POST …/rollback/{n}`, `GET …/diff`, `GET …/labels`,
//! `PUT`/`DELETE …/labels/{label}`.

use super::save_status;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use app::engine::ids::PersonaId;
use app::engine::personas::VersionPatch;
use app::engine::{personas, AppState};
use app::error::AppError;
use app::types::{DeclaredVariable, Label, ModelSettings, PersonaKind, SaveResult, VersionDiff, VersionInfo};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The version and label routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(save_version))
        .routes(routes!(get_version))
        .routes(routes!(rollback))
        .routes(routes!(diff))
        .routes(routes!(list_labels))
        .routes(routes!(put_label, delete_label))
}

#[derive(Deserialize, ToSchema)]
struct SaveVersionBody {
    /// The template (MiniJinja, at most 64 KiB); it must compile.
    content: String,
    /// The version's note, at most 500 characters.
    #[serde(default)]
    note: String,
    /// `chat` or `text`; default: the latest version's.
    #[serde(default)]
    kind: Option<PersonaKind>,
    /// Model settings (missing fields take the defaults); default: the latest version's.
    #[serde(default)]
    settings: Option<ModelSettings>,
    /// Declared variables (at most 32); default: the latest version's.
    #[serde(default)]
    variables: Option<Vec<DeclaredVariable>>,
    /// Move this label (e.g. `production`) to the version saved.
    #[serde(default)]
    label: Option<String>,
}

/// Saves a new version of a persona.
///
/// Kind, settings and variables not given keep the latest version's. Content-addressed:
/// when nothing differs from the latest version, nothing is written (200, `unchanged`).
/// With `label`, that label is moved to the version saved (or the latest, unchanged).
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/versions",
    tag = "versions",
    params(("id" = i64, Path, description = "The persona's id")),
    request_body = SaveVersionBody,
    responses(
        (status = 201, description = "A version was written", body = SaveResult),
        (status = 200, description = "Unchanged: `version` is the latest, equal to what was sent", body = SaveResult),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Someone else is saving this persona; try again", body = crate::http::openapi::ErrorBody),
    )
)]
async fn save_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
    ApiJson(b): ApiJson<SaveVersionBody>,
) -> Result<(http::StatusCode, Json<SaveResult>), ApiError> {
    let ws = op.workspace();
    let patch =
        VersionPatch { content: b.content, note: b.note, kind: b.kind, settings: b.settings, variables: b.variables };
    let r = personas::save_patch(&state.db, ws, id, patch, &op.email).await?;
    if let Some(label) = &b.label {
        personas::move_label(&state.db, ws, id, label, r.version.version, &op.email).await?;
    }
    Ok((save_status(&r), Json(r)))
}

/// One version of a persona.
#[utoipa::path(
    get,
    path = "/admin/templates/{id}/versions/{n}",
    tag = "versions",
    params(
        ("id" = i64, Path, description = "The persona's id"),
        ("n" = i64, Path, description = "The version number (1, 2, 3 …)"),
    ),
    responses(
        (status = 200, body = VersionInfo),
        (status = 404, description = "No such persona in the workspace, or no such version", body = crate::http::openapi::ErrorBody),
    )
)]
async fn get_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath((id, n)): ApiPath<(PersonaId, i64)>,
) -> ApiResult<VersionInfo> {
    Ok(Json(personas::version(&state.db, op.workspace(), id, n).await?))
}

/// `mode` of a rollback (documentation only: the query reads a string, so another value is
/// a 422 naming `mode`).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum RollbackMode {
    /// Restore version N as a new version.
    NewVersion,
    /// Move a label back to version N.
    Label,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RollbackQuery {
    /// `new_version` (default: restore N as a new version) or `label` (move a label back to N).
    #[serde(default)]
    #[param(value_type = Option<RollbackMode>, inline)]
    mode: Option<String>,
    /// The label to move when `mode=label`; default `production`.
    #[serde(default)]
    label: Option<String>,
}

/// A rollback's answer: the save (`mode=new_version`) or the label moved (`mode=label`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum RollbackResult {
    Saved(SaveResult),
    Label(Label),
}

/// Rolls a persona back to version N.
///
/// Default (`mode=new_version`): N's content, kind, settings and variables become a new
/// version (201, or 200 when that equals the latest); labels do not move. `mode=label`:
/// the label (default `production`) points back to N and no version is written (200, the
/// label).
#[utoipa::path(
    post,
    path = "/admin/templates/{id}/rollback/{n}",
    tag = "versions",
    params(
        ("id" = i64, Path, description = "The persona's id"),
        ("n" = i64, Path, description = "The version to go back to"),
        RollbackQuery,
    ),
    responses(
        (status = 201, description = "`mode=new_version`: version N restored as a new version", body = SaveResult),
        (status = 200, description = "`mode=new_version` and N equals the latest (a `SaveResult`, `unchanged`), \
            or `mode=label` (the `Label` moved)", body = RollbackResult),
        (status = 404, description = "No such persona in the workspace, or no such version", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Someone else is saving this persona; try again", body = crate::http::openapi::ErrorBody),
    )
)]
async fn rollback(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath((id, n)): ApiPath<(PersonaId, i64)>,
    ApiQuery(q): ApiQuery<RollbackQuery>,
) -> Result<(http::StatusCode, Json<RollbackResult>), ApiError> {
    match q.mode.as_deref().unwrap_or("new_version") {
        "new_version" => {
            let r = personas::rollback(&state.db, op.workspace(), id, n, &op.email).await?;
            Ok((save_status(&r), Json(RollbackResult::Saved(r))))
        }
        "label" => {
            let label = q.label.as_deref().unwrap_or(personas::PRODUCTION);
            let l = personas::move_label(&state.db, op.workspace(), id, label, n, &op.email).await?;
            Ok((http::StatusCode::OK, Json(RollbackResult::Label(l))))
        }
        other => Err(AppError::invalid("mode", format!("mode is new_version or label, not “{other}”")).into()),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    /// Older version; default: the one before `to`.
    from: Option<i64>,
    /// Newer version; default: the latest.
    to: Option<i64>,
}

/// A line diff between two versions, with word highlights.
///
/// Any two versions, in either order.
#[utoipa::path(
    get,
    path = "/admin/templates/{id}/diff",
    tag = "versions",
    params(("id" = i64, Path, description = "The persona's id"), DiffQuery),
    responses(
        (status = 200, body = VersionDiff),
        (status = 404, description = "No such persona in the workspace, or no such version", body = crate::http::openapi::ErrorBody),
    )
)]
async fn diff(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<VersionDiff> {
    Ok(Json(personas::diff(&state.db, op.workspace(), id, personas::DiffRange { from: q.from, to: q.to }).await?))
}

/// A persona's labels, `production` first, then by name.
#[utoipa::path(
    get,
    path = "/admin/templates/{id}/labels",
    tag = "versions",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, body = Vec<Label>),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn list_labels(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<Vec<Label>> {
    personas::summary(&state.db, op.workspace(), id).await?;
    Ok(Json(personas::labels(&state.db, op.workspace(), id).await?))
}

#[derive(Deserialize, ToSchema)]
struct MoveLabelBody {
    /// The version the label is to point to.
    version: i64,
}

/// Points a label at a version (creating the label): promote, or move back.
///
/// Moving `production` publishes that version to chat. Every move is recorded.
#[utoipa::path(
    put,
    path = "/admin/templates/{id}/labels/{label}",
    tag = "versions",
    params(
        ("id" = i64, Path, description = "The persona's id"),
        ("label" = String, Path, description = "1–32 of `a-z 0-9 - _`, starting with a letter or digit"),
    ),
    request_body = MoveLabelBody,
    responses(
        (status = 200, description = "The label, moved", body = Label),
        (status = 404, description = "No such persona in the workspace, or no such version", body = crate::http::openapi::ErrorBody),
    )
)]
async fn put_label(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath((id, label)): ApiPath<(PersonaId, String)>,
    ApiJson(b): ApiJson<MoveLabelBody>,
) -> ApiResult<Label> {
    Ok(Json(personas::move_label(&state.db, op.workspace(), id, &label, b.version, &op.email).await?))
}

/// Removes a label (`production` cannot be removed: 422).
#[utoipa::path(
    delete,
    path = "/admin/templates/{id}/labels/{label}",
    tag = "versions",
    params(
        ("id" = i64, Path, description = "The persona's id"),
        ("label" = String, Path, description = "The label's name"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such persona in the workspace, or no such label", body = crate::http::openapi::ErrorBody),
    )
)]
async fn delete_label(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath((id, label)): ApiPath<(PersonaId, String)>,
) -> Result<http::StatusCode, ApiError> {
    personas::remove_label(&state.db, op.workspace(), id, &label, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}
