//! Personas as the original API calls them, templates: `POST /admin/templates` (create),
//! `GET /admin/templates` (list), `GET`/`PUT /admin/templates/{id}` (one; update and
//! publish), `GET /admin/templates/{id}/history`.

use super::save_status;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, Operator};
use app::engine::ids::PersonaId;
use app::engine::personas::VersionPatch;
use app::engine::{personas, AppState};
use app::types::{
    DeclaredVariable, Label, LabelMove, ModelSettings, PersonaDetail, PersonaKind, PersonaSummary, VersionInfo,
};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The template routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template))
        .routes(routes!(history))
}

#[derive(Deserialize, ToSchema)]
struct CreateTemplateBody {
    /// The persona's name: 1–80 characters, no control characters, unique in the workspace.
    name: String,
    /// The template (MiniJinja, at most 64 KiB); it must compile.
    content: String,
    /// Kept for compatibility; the author recorded is the logged-in operator.
    #[serde(default)]
    #[allow(dead_code)]
    created_by: Option<String>,
    /// The version's note (at most 500 characters).
    #[serde(default)]
    note: Option<String>,
    /// `chat` or `text`; default: chat for a new persona, the latest version's otherwise.
    #[serde(default)]
    kind: Option<PersonaKind>,
    /// Model settings (missing fields take the defaults); default: as for `kind`.
    #[serde(default)]
    settings: Option<ModelSettings>,
    /// Variables the template declares, with their defaults (at most 32).
    #[serde(default)]
    variables: Option<Vec<DeclaredVariable>>,
    /// Move this label (e.g. `production`) to the version written.
    #[serde(default)]
    label: Option<String>,
}

/// The persona (its list fields) with the version written.
#[derive(Serialize, ToSchema)]
struct TemplateWritten {
    #[serde(flatten)]
    persona: PersonaSummary,
    /// The version this call wrote (or the latest, when `unchanged`).
    version: i64,
    /// True when the content equals the latest version's and nothing was written.
    unchanged: bool,
}

/// The 409 of `POST /admin/templates` for a name in use:
/// `{"error": {"code": "conflict", "id", "message"}}`.
#[derive(Serialize, ToSchema)]
struct NameTaken {
    error: NameTakenDetail,
}

#[derive(Serialize, ToSchema)]
struct NameTakenDetail {
    /// Always `conflict`.
    #[schema(value_type = String, example = "conflict")]
    code: &'static str,
    /// The existing persona's id: `PUT /admin/templates/{id}` saves a new version of it.
    id: i64,
    message: String,
}

/// Creates a published persona (`production` at v1).
///
/// As the original API did. A name that exists is refused: 409 with the existing persona's
/// `id` (a new version is `PUT /admin/templates/{id}` or `POST …/versions`). With `label`,
/// that label is moved to v1 as well.
#[utoipa::path(
    post,
    path = "/admin/templates",
    tag = "templates",
    request_body = CreateTemplateBody,
    responses(
        (status = 201, description = "Created at version 1", body = TemplateWritten),
        (status = 409, description = "A persona with this name exists: `id` is its id (two creations racing \
            get the usual error body, without `id`)", body = NameTaken),
    )
)]
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
        let body = NameTaken { error: NameTakenDetail { code: "conflict", id: id.get(), message } };
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

#[derive(Deserialize, ToSchema)]
struct UpdateTemplateBody {
    /// The template (MiniJinja, at most 64 KiB); it must compile.
    content: String,
    /// The version's note (the original's name for it; `note` is accepted too), at most
    /// 500 characters.
    #[serde(default, alias = "note")]
    change_description: Option<String>,
    /// Kept for compatibility; the author recorded is the logged-in operator.
    #[serde(default)]
    #[allow(dead_code)]
    updated_by: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct TemplateUpdated {
    template_id: i64,
    /// The version now in `production` (the latest when the content was unchanged).
    new_version: i64,
    /// The operator who saved it.
    updated_by: String,
    /// True when the content equals the latest version's and nothing was written.
    unchanged: bool,
    version: VersionInfo,
}

/// Saves a new version and publishes it (the original's update).
///
/// `{"content", "change_description"?}`: kind, settings and variables are kept from the
/// latest version, and `production` moves to the version saved, as the original's scripts
/// expect.
#[utoipa::path(
    put,
    path = "/admin/templates/{id}",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    request_body = UpdateTemplateBody,
    responses(
        (status = 201, description = "A version was written and published", body = TemplateUpdated),
        (status = 200, description = "Unchanged: the content equals the latest version's; `production` \
            points to it", body = TemplateUpdated),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Someone else is saving this persona; try again", body = crate::http::openapi::ErrorBody),
    )
)]
async fn update_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
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

/// The workspace's personas, by name (deleted ones are in the trash).
#[utoipa::path(
    get,
    path = "/admin/templates",
    tag = "templates",
    responses((status = 200, body = Vec<PersonaSummary>))
)]
async fn list_templates(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<PersonaSummary>> {
    Ok(Json(personas::list(&state.db, op.workspace()).await?))
}

/// One persona with all its versions (newest first), labels and label moves.
#[utoipa::path(
    get,
    path = "/admin/templates/{id}",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, body = PersonaDetail),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn get_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<PersonaDetail> {
    Ok(Json(personas::get(&state.db, op.workspace(), id).await?))
}

/// `{"versions", "labels", "label_moves"}`.
#[derive(Serialize, ToSchema)]
struct TemplateHistory {
    /// Newest first.
    versions: Vec<VersionInfo>,
    /// `production` first, then by name.
    labels: Vec<Label>,
    /// Newest first.
    label_moves: Vec<LabelMove>,
}

/// A persona's history: versions newest first, labels, label moves.
#[utoipa::path(
    get,
    path = "/admin/templates/{id}/history",
    tag = "templates",
    params(("id" = i64, Path, description = "The persona's id")),
    responses(
        (status = 200, body = TemplateHistory),
        (status = 404, description = "No such persona in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn history(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<PersonaId>,
) -> ApiResult<TemplateHistory> {
    let p = personas::get(&state.db, op.workspace(), id).await?;
    Ok(Json(TemplateHistory { versions: p.versions, labels: p.labels, label_moves: p.label_moves }))
}
