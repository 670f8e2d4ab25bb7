//! The REST API for scripts. Paths and shapes follow the original PromptDev so existing
//! scripts keep working. Errors are JSON: `{"error": {"code", "message", …}}` with the
//! status of [`AppError::status`].

use app::engine::monitor::{self, LlmRequestRow};
use app::engine::{auth, chat, personas, playground, transfer, turn, web::OPERATOR_KEY, AppState};
use app::error::AppError;
use app::types::{
    DeclaredVariable, DeletedPersona, EndUserSummary, ImportConflict, ImportResult, Label, LabelMove, ModelSettings,
    OperatorInfo, PersonaDetail, PersonaDraft, PersonaExport, PersonaKind, PersonaSummary, PlaygroundResult, Preview,
    PreviewRequest, ProviderInfo, SaveResult, SharedPersona, TurnOutcome, UserState, VersionDiff, VersionDraft,
    VersionInfo,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An [`AppError`] rendered as a JSON response.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError(AppError::TooLarge {
                message: format!(
                    "the request body is too large: at most {} KiB here ({} MiB for an import)",
                    JSON_BODY_BYTES / 1024,
                    IMPORT_BODY_BYTES / 1024 / 1024
                ),
            });
        }
        ApiError(AppError::Invalid {
            field: None,
            message: format!("the request body is not valid: {}", r.body_text()),
        })
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError(AppError::Invalid { field: None, message: r.body_text() })
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError(AppError::Invalid { field: None, message: r.body_text() })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::to_value(&self.0).unwrap_or_else(|_| json!({}));
        if let Some(obj) = body.as_object_mut() {
            obj.insert("code".into(), json!(self.0.code()));
            obj.insert("message".into(), json!(self.0.to_string()));
        }
        (self.0.status(), Json(json!({ "error": body }))).into_response()
    }
}

/// JSON body whose rejections are [`ApiError`]s.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// The logged-in operator; rejects with 401 JSON.
pub struct Operator(pub OperatorInfo);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| ApiError(app::engine::internal("session extract", msg)))?;
        Ok(Operator(auth::current_operator(&state.db, &session).await?))
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Largest JSON body the REST API reads, in bytes (2 MiB, axum's default made explicit).
pub const JSON_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Largest body `POST /admin/templates/import` reads, in bytes: an export of up to
/// [`transfer::MAX_EXPORT_BYTES`] plus room for the wrapper fields.
pub const IMPORT_BODY_BYTES: usize = transfer::MAX_EXPORT_BYTES + 64 * 1024;
/// Largest request body of any kind the server reads, in bytes. Server functions buffer
/// their whole body before decoding it, so this bounds memory per request; it leaves
/// room for an 8 MiB export sent URL-encoded from the import page (up to 3 bytes per byte).
pub const MAX_REQUEST_BYTES: usize = 3 * transfer::MAX_EXPORT_BYTES + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/me", get(me))
        .route("/admin/templates", post(create_template).get(list_templates))
        .route("/admin/templates/import", post(import_template).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)))
        .route("/admin/templates/preview", post(preview))
        .route("/admin/templates/draft", post(draft))
        .route("/admin/templates/{id}", get(get_template).put(update_template).delete(delete_template))
        .route("/admin/templates/{id}/history", get(history))
        .route("/admin/templates/{id}/versions", post(save_version))
        .route("/admin/templates/{id}/versions/{n}", get(get_version))
        .route("/admin/templates/{id}/rollback/{n}", post(rollback))
        .route("/admin/templates/{id}/diff", get(diff))
        .route("/admin/templates/{id}/labels", get(list_labels))
        .route("/admin/templates/{id}/labels/{label}", put(put_label).delete(delete_label))
        .route("/admin/templates/{id}/activate", post(activate))
        .route("/admin/templates/{id}/deactivate", post(deactivate))
        .route("/admin/templates/{id}/share", post(share))
        .route("/admin/templates/{id}/unshare", post(unshare))
        .route("/admin/templates/{id}/export", get(export_template))
        .route("/admin/templates/{id}/restore", post(restore_template))
        .route("/admin/templates/{id}/playground", post(playground_run))
        .route("/admin/library", get(library))
        .route("/admin/library/{id}/clone", post(clone_template))
        .route("/admin/trash", get(trash))
        .route("/admin/providers", get(providers))
        .route("/admin/interventions/{user_id}/halt", post(halt))
        .route("/admin/interventions/{user_id}/resume", post(resume))
        .route("/admin/interventions/{user_id}/inject", post(inject))
        .route("/admin/users", get(users))
        .route("/admin/users/{user_id}", get(conversation))
        .route("/admin/users/{user_id}/memory", get(list_memory))
        .route("/admin/users/{user_id}/memory/{key}", put(set_memory).delete(delete_memory))
        .route("/admin/requests", get(requests))
        .route("/chat", post(chat_turn))
        // Every JSON route reads up to this; the import route's own layer raises it.
        .layer(DefaultBodyLimit::max(JSON_BODY_BYTES))
}

/// `GET /health` → `{"status":"ok","database":"ok"}`; 503 if the database does not answer.
pub async fn health(State(state): State<AppState>) -> Response {
    match sqlx::query("SELECT 1").execute(&state.db.pool).await {
        Ok(_) => Json(json!({"status": "ok", "database": "ok", "llm": state.llm.kind()})).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "error", "database": "unreachable"})))
                .into_response()
        }
    }
}

#[derive(Deserialize)]
struct LoginBody {
    /// The operator's email: `username` as the original's README shows it, or `email`
    /// as its code reads it.
    #[serde(alias = "email")]
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    session: tower_sessions::Session,
    ApiJson(b): ApiJson<LoginBody>,
) -> ApiResult<OperatorInfo> {
    Ok(Json(auth::login(&state.db, &session, &b.username, &b.password).await?))
}

async fn logout(session: tower_sessions::Session) -> ApiResult<serde_json::Value> {
    auth::logout(&session).await?;
    Ok(Json(json!({"status": "logged_out"})))
}

async fn me(Operator(op): Operator, session: tower_sessions::Session) -> ApiResult<OperatorInfo> {
    // Touch the session so its inactivity expiry moves forward.
    let _ = session.get::<i64>(OPERATOR_KEY).await;
    Ok(Json(op))
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

/// 201 when a version was written, 200 when the content was unchanged.
fn save_status(r: &SaveResult) -> http::StatusCode {
    if r.unchanged {
        http::StatusCode::OK
    } else {
        http::StatusCode::CREATED
    }
}

/// A draft from a request body: fields not given keep `base` (the latest version) or the defaults.
fn draft_from(
    content: String,
    note: String,
    kind: Option<PersonaKind>,
    settings: Option<ModelSettings>,
    variables: Option<Vec<DeclaredVariable>>,
    base: Option<&VersionInfo>,
) -> VersionDraft {
    VersionDraft {
        content,
        kind: kind.or(base.map(|b| b.kind)).unwrap_or_default(),
        settings: settings.or_else(|| base.map(|b| b.settings.clone())).unwrap_or_default(),
        variables: variables.or_else(|| base.map(|b| b.variables.clone())).unwrap_or_default(),
        note,
    }
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
    let ws = op.workspace_id;
    let name = personas::parse_name(&b.name)?;
    if let Some(id) = personas::find_by_name(&state.db, ws, &name).await? {
        let message = format!(
            "a persona called “{name}” already exists (id {id}); PUT /admin/templates/{id} saves a new version"
        );
        let body = json!({"error": {"code": "conflict", "message": message, "id": id}});
        return Ok((http::StatusCode::CONFLICT, Json(body)).into_response());
    }
    let draft = draft_from(b.content, b.note.unwrap_or_default(), b.kind, b.settings, b.variables, None);
    let mut persona = personas::create(&state.db, ws, &name, &draft, &op.email, personas::Publish::Now).await?;
    if let Some(label) = &b.label {
        personas::move_label(&state.db, ws, persona.id, label, 1, &op.email).await?;
        persona = personas::summary(&state.db, ws, persona.id).await?;
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
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UpdateTemplateBody>,
) -> Result<(http::StatusCode, Json<TemplateUpdated>), ApiError> {
    let ws = op.workspace_id;
    let (_, latest) = personas::latest(&state.db, ws, id).await?;
    let draft = draft_from(b.content, b.change_description.unwrap_or_default(), None, None, None, Some(&latest));
    let r = personas::save_version(&state.db, ws, id, &draft, &op.email).await?;
    personas::move_label(&state.db, ws, id, personas::PRODUCTION, r.version.version, &op.email).await?;
    let body = TemplateUpdated {
        template_id: id,
        new_version: r.version.version,
        updated_by: op.email.clone(),
        unchanged: r.unchanged,
        version: r.version.clone(),
    };
    Ok((save_status(&r), Json(body)))
}

async fn list_templates(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<PersonaSummary>> {
    Ok(Json(personas::list(&state.db, op.workspace_id).await?))
}

async fn get_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaDetail> {
    Ok(Json(personas::get(&state.db, op.workspace_id, id).await?))
}

#[derive(Serialize)]
struct History {
    versions: Vec<VersionInfo>,
    labels: Vec<Label>,
    label_moves: Vec<LabelMove>,
}

/// `GET /admin/templates/{id}/history`: versions newest first, labels, label moves.
async fn history(State(state): State<AppState>, Operator(op): Operator, Path(id): Path<i64>) -> ApiResult<History> {
    let p = personas::get(&state.db, op.workspace_id, id).await?;
    Ok(Json(History { versions: p.versions, labels: p.labels, label_moves: p.label_moves }))
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
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<(http::StatusCode, Json<SaveResult>), ApiError> {
    let ws = op.workspace_id;
    let (_, latest) = personas::latest(&state.db, ws, id).await?;
    let draft = draft_from(b.content, b.note, b.kind, b.settings, b.variables, Some(&latest));
    let r = personas::save_version(&state.db, ws, id, &draft, &op.email).await?;
    if let Some(label) = &b.label {
        personas::move_label(&state.db, ws, id, label, r.version.version, &op.email).await?;
    }
    Ok((save_status(&r), Json(r)))
}

async fn get_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, n)): Path<(i64, i64)>,
) -> ApiResult<VersionInfo> {
    Ok(Json(personas::version(&state.db, op.workspace_id, id, n).await?))
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
    Path((id, n)): Path<(i64, i64)>,
    Query(q): Query<RollbackQuery>,
) -> Result<Response, ApiError> {
    match q.mode.as_deref().unwrap_or("new_version") {
        "new_version" => {
            let r = personas::rollback(&state.db, op.workspace_id, id, n, &op.email).await?;
            Ok((save_status(&r), Json(r)).into_response())
        }
        "label" => {
            let label = q.label.as_deref().unwrap_or(personas::PRODUCTION);
            let l = personas::move_label(&state.db, op.workspace_id, id, label, n, &op.email).await?;
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
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> ApiResult<VersionDiff> {
    let to = match q.to {
        Some(n) => n,
        None => personas::latest(&state.db, op.workspace_id, id).await?.1.version,
    };
    let from = q.from.unwrap_or((to - 1).max(1));
    Ok(Json(personas::diff(&state.db, op.workspace_id, id, from, to).await?))
}

async fn list_labels(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<Vec<Label>> {
    personas::summary(&state.db, op.workspace_id, id).await?;
    Ok(Json(personas::labels(&state.db, op.workspace_id, id).await?))
}

#[derive(Deserialize)]
struct LabelBody {
    version: i64,
}

/// `PUT /admin/templates/{id}/labels/{label}` `{"version": N}`: promote / move a label.
async fn put_label(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, label)): Path<(i64, String)>,
    ApiJson(b): ApiJson<LabelBody>,
) -> ApiResult<Label> {
    Ok(Json(personas::move_label(&state.db, op.workspace_id, id, &label, b.version, &op.email).await?))
}

async fn delete_label(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, label)): Path<(i64, String)>,
) -> Result<http::StatusCode, ApiError> {
    personas::remove_label(&state.db, op.workspace_id, id, &label, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

/// Sets one of a persona's flags and answers with the persona.
async fn set_flag(state: &AppState, op: &OperatorInfo, id: i64, flag: &str, on: bool) -> ApiResult<PersonaSummary> {
    let ws = op.workspace_id;
    match flag {
        "active" => personas::set_active(state, ws, id, on, &op.email).await?,
        _ => personas::set_shared(&state.db, ws, id, on, &op.email).await?,
    }
    Ok(Json(personas::summary(&state.db, ws, id).await?))
}

async fn activate(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "active", true).await
}

async fn deactivate(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "active", false).await
}

async fn share(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "shared", true).await
}

async fn unshare(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaSummary> {
    set_flag(&state, &op, id, "shared", false).await
}

async fn library(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<SharedPersona>> {
    Ok(Json(personas::library(&state.db, op.workspace_id).await?))
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
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CloneBody>,
) -> Result<(http::StatusCode, Json<PersonaSummary>), ApiError> {
    let p = personas::clone_shared(&state.db, op.workspace_id, id, b.name.as_deref(), &op.email).await?;
    Ok((http::StatusCode::CREATED, Json(p)))
}

/// `GET /admin/templates/{id}/export`: the JSON export, as a file download.
async fn export_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let export = transfer::export(&state.db, op.workspace_id, id).await?;
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
    let r = transfer::import(&state.db, op.workspace_id, &b.persona, b.on_conflict, b.new_name.as_deref(), &op.email)
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
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DeleteBody>,
) -> Result<http::StatusCode, ApiError> {
    personas::delete(&state, op.workspace_id, id, &b.confirm_name, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

async fn trash(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<DeletedPersona>> {
    Ok(Json(personas::deleted(&state.db, op.workspace_id).await?))
}

async fn restore_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaSummary> {
    Ok(Json(personas::restore(&state.db, op.workspace_id, id, &op.email).await?))
}

/// `POST /admin/templates/preview` (a [`PreviewRequest`]): the exact messages, no LLM call.
async fn preview(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<PreviewRequest>,
) -> ApiResult<Preview> {
    Ok(Json(playground::preview(&state, op.workspace_id, &b).await?))
}

#[derive(Deserialize)]
struct PlaygroundBody {
    /// One version, or two to compare side by side.
    versions: Vec<i64>,
    message: String,
    #[serde(default)]
    user_id: Option<String>,
}

/// `POST /admin/templates/{id}/playground`: one result per version; no conversation is written.
async fn playground_run(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PlaygroundBody>,
) -> ApiResult<Vec<PlaygroundResult>> {
    Ok(Json(playground::run(&state, op.workspace_id, id, &b.versions, &b.message, b.user_id.as_deref()).await?))
}

#[derive(Deserialize)]
struct DraftBody {
    description: String,
}

/// `POST /admin/templates/draft` `{"description"}`: an LLM-drafted template to edit.
async fn draft(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<DraftBody>,
) -> ApiResult<PersonaDraft> {
    Ok(Json(playground::draft(&state, op.workspace_id, &b.description).await?))
}

async fn providers(State(state): State<AppState>, Operator(_): Operator) -> ApiResult<Vec<ProviderInfo>> {
    Ok(Json(playground::providers(&state)))
}

#[derive(Deserialize)]
struct HaltBody {
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
    reason: String,
}

async fn halt(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    ApiJson(b): ApiJson<HaltBody>,
) -> ApiResult<UserState> {
    Ok(Json(monitor::halt(&state, op.workspace_id, &user_id, &op.email, &b.reason).await?))
}

#[derive(Deserialize)]
struct ResumeQuery {
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

async fn resume(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(_q): Query<ResumeQuery>,
) -> ApiResult<UserState> {
    Ok(Json(turn::resume(&state, op.workspace_id, &user_id, &op.email).await?))
}

#[derive(Deserialize)]
struct InjectBody {
    /// The text (`content` in the original API; `message` is accepted too).
    #[serde(alias = "message")]
    content: String,
    /// One of the user's chat sessions; default: their most recent one.
    #[serde(default)]
    session_id: Option<i64>,
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

/// `POST /admin/interventions/{user_id}/inject` `{"content"}` → 201 with the stored
/// message, plus the original's `user_id`, `message_id` and `operator`.
async fn inject(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    ApiJson(b): ApiJson<InjectBody>,
) -> Result<(http::StatusCode, Json<serde_json::Value>), ApiError> {
    let m = monitor::inject(&state, op.workspace_id, &user_id, &op.email, &b.content, b.session_id).await?;
    let mut body = serde_json::to_value(&m).map_err(|e| app::engine::internal("inject json", e))?;
    body["user_id"] = json!(user_id);
    body["message_id"] = json!(m.id);
    body["operator"] = json!(op.email);
    Ok((http::StatusCode::CREATED, Json(body)))
}

async fn users(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Vec<EndUserSummary>> {
    Ok(Json(monitor::list_users(&state.db, op.workspace_id).await?))
}

async fn conversation(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<app::types::Conversation> {
    Ok(Json(monitor::conversation(&state.db, op.workspace_id, &user_id).await?))
}

/// `GET /admin/users/{user_id}/memory` → `{"user_id", "memory": {key: value}, "entries": [{key, value}]}`.
async fn list_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<serde_json::Value> {
    let end_user_id = chat::find_end_user(&state.db, op.workspace_id, &user_id).await?;
    let entries = monitor::memory(&state.db, op.workspace_id, end_user_id).await?;
    let map: serde_json::Map<String, serde_json::Value> =
        entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
    Ok(Json(json!({"user_id": user_id, "memory": map, "entries": entries})))
}

#[derive(Deserialize)]
struct MemoryBody {
    /// Any JSON value.
    value: serde_json::Value,
}

/// `PUT /admin/users/{user_id}/memory/{key}` `{"value": <JSON>}` → `{"user_id", "key", "memory_id", "value"}`.
async fn set_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
    ApiJson(b): ApiJson<MemoryBody>,
) -> ApiResult<serde_json::Value> {
    let entry = monitor::set_memory(&state.db, op.workspace_id, &user_id, &key, &b.value).await?;
    let memory_id = monitor::memory_id(&state.db, op.workspace_id, &user_id, &entry.key).await?;
    Ok(Json(json!({"user_id": user_id, "key": entry.key, "memory_id": memory_id, "value": entry.value})))
}

async fn delete_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
) -> Result<http::StatusCode, ApiError> {
    monitor::delete_memory(&state.db, op.workspace_id, &user_id, &key).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct RequestsQuery {
    limit: Option<i64>,
}

async fn requests(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(q): Query<RequestsQuery>,
) -> ApiResult<Vec<LlmRequestRow>> {
    Ok(Json(monitor::llm_requests(&state.db, op.workspace_id, q.limit.unwrap_or(50)).await?))
}

#[derive(Deserialize)]
struct ChatBody {
    /// The end user the operator chats on behalf of, in the operator's own workspace.
    user_id: String,
    message: String,
    /// The persona by name (the original's field); default: the first persona `/chat` offers.
    #[serde(default)]
    template_name: Option<String>,
    /// The persona by id (instead of `template_name`).
    #[serde(default)]
    persona_id: Option<i64>,
    /// One of this user's chat sessions; default: their latest with the persona.
    #[serde(default)]
    session_id: Option<i64>,
    /// Workspace slug; must be the operator's own (another one is 404).
    #[serde(default)]
    workspace: Option<String>,
    /// The original's guardrail configuration: refused until guardrails exist.
    #[serde(default)]
    guardrail_config: Option<serde_json::Value>,
}

/// `POST /chat` (operator session required; 401 without): one turn on behalf of
/// `user_id` in the operator's workspace. Answers the outcome (`status`: replied | paused
/// | failed, `user_message`, `reply`/`notice`) plus the original's `response` (the text)
/// and `metadata` (`template_used`, `message_count`, `response_time_ms`, `session_id`).
/// 423 while the user is halted (the message is stored; the body carries the pause
/// notice), 502 when the LLM failed (the message is stored). Errors before anything is
/// stored: 404 (persona, session or workspace not the operator's), 409 (persona
/// inactive), 422 (input; `guardrail_config` until guardrails exist).
async fn chat_turn(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<ChatBody>,
) -> Result<Response, ApiError> {
    let ws = op.workspace_id;
    if let Some(slug) = b.workspace.as_deref() {
        if chat::chat_workspace(&state, Some(slug)).await? != ws {
            return Err(AppError::not_found("workspace").into());
        }
    }
    if b.guardrail_config.as_ref().is_some_and(|g| !g.is_null()) {
        return Err(AppError::invalid("guardrail_config", "guardrails are not available on this server yet").into());
    }
    let persona = match (b.persona_id, b.template_name) {
        (Some(id), _) => chat::PersonaChoice::Id(id),
        (None, Some(name)) => chat::PersonaChoice::Name(personas::parse_name(&name).map_err(|e| match e {
            AppError::Invalid { message, .. } => AppError::invalid("template_name", message),
            other => other,
        })?),
        (None, None) => chat::PersonaChoice::First,
    };
    let started = std::time::Instant::now();
    let req =
        turn::TurnRequest { workspace_id: ws, user_id: b.user_id, persona, session_id: b.session_id, text: b.message };
    let outcome = turn::submit(&state, req).await?;
    let response_time_ms = started.elapsed().as_millis() as i64;
    let (status, user_message, reply) = match &outcome {
        TurnOutcome::Replied { user_message, reply } => (http::StatusCode::OK, user_message, Some(reply)),
        TurnOutcome::Paused { user_message, notice } => (http::StatusCode::LOCKED, user_message, Some(notice)),
        TurnOutcome::Failed { user_message, .. } => (AppError::LlmFailed.status(), user_message, None),
    };
    let session_id = user_message.session_id;
    let message_count = chat::session_message_count(&state.db, ws, session_id).await?;
    let mut body = serde_json::to_value(&outcome).map_err(|e| app::engine::internal("chat json", e))?;
    let text = reply.map(|m| m.content.clone());
    body["reply"] = json!(text);
    body["response"] = json!(text);
    if let TurnOutcome::Paused { notice, .. } = &outcome {
        body["detail"] = json!(notice.content);
    }
    body["metadata"] = json!({
        "template_used": user_message.persona_name,
        "message_count": message_count,
        "response_time_ms": response_time_ms,
        "session_id": session_id,
    });
    Ok((status, Json(body)).into_response())
}
