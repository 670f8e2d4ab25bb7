//! Personas as the original API calls them, templates: `POST /admin/templates` (create),
//! `GET /admin/templates` (list), `GET`/`PUT /admin/templates/{id}` (one; update and
//! publish), `GET /admin/templates/{id}/history`.

use super::save_status;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::PersonaId;
use app::engine::personas::VersionPatch;
use app::engine::{personas, AppState};
use app::types::{
    DeclaredVariable, Label, LabelMove, ModelSettings, PersonaDetail, PersonaKind, PersonaSummary, VersionInfo,
};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The template routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/templates", get(list_templates).post(create_template))
        .route("/admin/templates/{id}", get(get_template).put(update_template))
        .route("/admin/templates/{id}/history", get(history))
}

#[derive(Deserialize)]
struct CreateTemplateBody {
    name: String,
    content: String,
    /// Kept for compatibility; the author recorded is the logged-in operator.
    #[serde(default)]
    #[allow(dead_code)]
    created_by: Option<String>,
    #[serde(default)]
    note: Option<String>,
    /// `chat` or `text`; default: chat for a new persona, the latest version's otherwise.
    #[serde(default)]
    kind: Option<PersonaKind>,
    /// Model settings (missing fields take the defaults); default: as for `kind`.
    #[serde(default)]
    settings: Option<ModelSettings>,
    #[serde(default)]
    variables: Option<Vec<DeclaredVariable>>,
    /// Move this label (e.g. `production`) to the version written.
    #[serde(default)]
    label: Option<String>,
}

#[derive(Serialize)]
struct TemplateWritten {
    #[serde(flatten)]
    persona: PersonaSummary,
    /// The version this call wrote (or the latest, when `unchanged`).
    version: i64,
    /// True when the content equals the latest version's and nothing was written.
    unchanged: bool,
}

/// `POST /admin/templates`: creates a published persona (`production` at v1), as the
/// original API did. A name that exists is refused: 409 with the existing persona's `id`
/// (a new version is `PUT /admin/templates/{id}` or `POST …/versions`). With `label`, that
/// label is moved to v1 as well.
async fn create_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<CreateTemplateBody>,
) -> Result<Response, ApiError> {
    let ws = op.workspace();
    let name = personas::parse_name(&b.name)?;
    if let Some(id) = personas::find_by_name(&state.db, ws, &name).await? {
        let message = format!(
            "a persona called “{name}” already exists (id {id}); PUT /admin/templates/{id} saves a new version"
        );
        let body = json!({"error": {"code": "conflict", "message": message, "id": id}});
        return Ok((http::StatusCode::CONFLICT, Json(body)).into_response());
    }
    let patch = VersionPatch {
        content: b.content,
        note: b.note.unwrap_or_default(),
        kind: b.kind,
        settings: b.settings,
        variables: b.variables,
    };
    let draft = patch.apply(None);
    let mut persona = personas::create(&state.db, ws, &name, &draft, &op.email, personas::Publish::Now).await?;
    if let Some(label) = &b.label {
        personas::move_label(&state.db, ws, PersonaId(persona.id), label, 1, &op.email).await?;
        persona = personas::summary(&state.db, ws, PersonaId(persona.id)).await?;
    }
    let written = TemplateWritten { persona, version: 1, unchanged: false };
    Ok((http::StatusCode::CREATED, Json(written)).into_response())
}

#[derive(Deserialize)]
struct UpdateTemplateBody {
    content: String,
    /// The version's note (the original's name for it).
    #[serde(default, alias = "note")]
    change_description: Option<String>,
    /// Kept for compatibility; the author recorded is the logged-in operator.
    #[serde(default)]
    #[allow(dead_code)]
    updated_by: Option<String>,
}

#[derive(Serialize)]
struct TemplateUpdated {
    template_id: i64,
    /// The version now in `production` (the latest when the content was unchanged).
    new_version: i64,
    updated_by: String,
    unchanged: bool,
    version: VersionInfo,
}

/// `PUT /admin/templates/{id}` `{"content", "change_description"?}` — the original's
/// update: saves a new version (kind, settings and variables kept from the latest) and
/// publishes it (moves `production` to it), as the original's scripts expect.
async fn update_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
    ApiJson(b): ApiJson<UpdateTemplateBody>,
) -> Result<(http::StatusCode, Json<TemplateUpdated>), ApiError> {
    let ws = op.workspace();
    let patch =
        VersionPatch { content: b.content, note: b.change_description.unwrap_or_default(), ..Default::default() };
    let r = personas::save_patch(&state.db, ws, id, patch, &op.email).await?;
    personas::move_label(&state.db, ws, id, personas::PRODUCTION, r.version.version, &op.email).await?;
    let body = TemplateUpdated {
        template_id: id.get(),
        new_version: r.version.version,
        updated_by: op.email.clone(),
        unchanged: r.unchanged,
        version: r.version.clone(),
    };
    Ok((save_status(&r), Json(body)))
}

async fn list_templates(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<PersonaSummary>> {
    Ok(Json(personas::list(&state.db, op.workspace()).await?))
}

async fn get_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<PersonaDetail> {
    Ok(Json(personas::get(&state.db, op.workspace(), id).await?))
}

#[derive(Serialize)]
struct History {
    versions: Vec<VersionInfo>,
    labels: Vec<Label>,
    label_moves: Vec<LabelMove>,
}

/// `GET /admin/templates/{id}/history`: versions newest first, labels, label moves.
async fn history(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<PersonaId>,
) -> ApiResult<History> {
    let p = personas::get(&state.db, op.workspace(), id).await?;
    Ok(Json(History { versions: p.versions, labels: p.labels, label_moves: p.label_moves }))
}
