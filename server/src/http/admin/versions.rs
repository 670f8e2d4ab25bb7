//! A persona's versions and labels: `POST /admin/templates/{id}/versions` (save),
//! `GET …/versions/{n}`, `POST …/rollback/{n}`, `GET …/diff`, `GET …/labels`,
//! `PUT`/`DELETE …/labels/{label}`.

use super::save_status;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::PersonaId;
use app::engine::personas::VersionPatch;
use app::engine::{personas, AppState};
use app::error::AppError;
use app::types::{DeclaredVariable, Label, ModelSettings, PersonaKind, SaveResult, VersionDiff, VersionInfo};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

/// The version and label routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/templates/{id}/versions", post(save_version))
        .route("/admin/templates/{id}/versions/{n}", get(get_version))
        .route("/admin/templates/{id}/rollback/{n}", post(rollback))
        .route("/admin/templates/{id}/diff", get(diff))
        .route("/admin/templates/{id}/labels", get(list_labels))
        .route("/admin/templates/{id}/labels/{label}", put(put_label).delete(delete_label))
}

#[derive(Deserialize)]
struct VersionBody {
    content: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    kind: Option<PersonaKind>,
    #[serde(default)]
    settings: Option<ModelSettings>,
    #[serde(default)]
    variables: Option<Vec<DeclaredVariable>>,
    #[serde(default)]
    label: Option<String>,
}

/// `POST /admin/templates/{id}/versions`: kind, settings and variables not given keep
/// the latest version's. 201 written, 200 unchanged.
async fn save_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
    ApiJson(b): ApiJson<VersionBody>,
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

async fn get_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, n)): Path<(PersonaId, i64)>,
) -> ApiResult<VersionInfo> {
    Ok(Json(personas::version(&state.db, op.workspace(), id, n).await?))
}

#[derive(Deserialize)]
struct RollbackQuery {
    /// `new_version` (default: restore N as a new version) or `label` (move a label back to N).
    #[serde(default)]
    mode: Option<String>,
    /// The label to move when `mode=label`; default `production`.
    #[serde(default)]
    label: Option<String>,
}

/// `POST /admin/templates/{id}/rollback/{n}[?mode=label&label=production]`.
/// Default: N's content becomes a new version (201, or 200 unchanged). `mode=label`:
/// the label points back to N, no version is written (200, the label).
async fn rollback(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, n)): Path<(PersonaId, i64)>,
    Query(q): Query<RollbackQuery>,
) -> Result<Response, ApiError> {
    match q.mode.as_deref().unwrap_or("new_version") {
        "new_version" => {
            let r = personas::rollback(&state.db, op.workspace(), id, n, &op.email).await?;
            Ok((save_status(&r), Json(r)).into_response())
        }
        "label" => {
            let label = q.label.as_deref().unwrap_or(personas::PRODUCTION);
            let l = personas::move_label(&state.db, op.workspace(), id, label, n, &op.email).await?;
            Ok(Json(l).into_response())
        }
        other => Err(AppError::invalid("mode", format!("mode is new_version or label, not “{other}”")).into()),
    }
}

#[derive(Deserialize)]
struct DiffQuery {
    /// Older version; default: the one before `to`.
    from: Option<i64>,
    /// Newer version; default: the latest.
    to: Option<i64>,
}

/// `GET /admin/templates/{id}/diff?from=&to=`: line diff with word highlights.
async fn diff(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<VersionDiff> {
    Ok(Json(personas::diff(&state.db, op.workspace(), id, personas::DiffRange { from: q.from, to: q.to }).await?))
}

async fn list_labels(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<Vec<Label>> {
    personas::summary(&state.db, op.workspace(), id).await?;
    Ok(Json(personas::labels(&state.db, op.workspace(), id).await?))
}

#[derive(Deserialize)]
struct LabelBody {
    version: i64,
}

/// `PUT /admin/templates/{id}/labels/{label}` `{"version": N}`: promote / move a label.
async fn put_label(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, label)): Path<(PersonaId, String)>,
    ApiJson(b): ApiJson<LabelBody>,
) -> ApiResult<Label> {
    Ok(Json(personas::move_label(&state.db, op.workspace(), id, &label, b.version, &op.email).await?))
}

async fn delete_label(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, label)): Path<(PersonaId, String)>,
) -> Result<http::StatusCode, ApiError> {
    personas::remove_label(&state.db, op.workspace(), id, &label, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}
