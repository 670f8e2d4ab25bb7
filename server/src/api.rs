//! The REST API for scripts. Paths and shapes follow the original PromptDev so existing
//! scripts keep working. Errors are JSON: `{"error": {"code", "message", …}}` with the
//! status of [`AppError::status`].

use app::engine::monitor::{self, LlmRequestRow};
use app::engine::{auth, chat, personas, web::OPERATOR_KEY, AppState};
use app::error::AppError;
use app::types::{
    EndUserSummary, MemoryEntry, OperatorInfo, PersonaDetail, PersonaSummary, SaveResult, TurnOutcome, UserState,
    VersionDiff, VersionInfo,
};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, State};
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/me", get(me))
        .route("/admin/templates", post(create_template).get(list_templates))
        .route("/admin/templates/{id}", get(get_template))
        .route("/admin/templates/{id}/versions", post(save_version))
        .route("/admin/templates/{id}/versions/{n}", get(get_version))
        .route("/admin/templates/{id}/rollback/{n}", post(rollback))
        .route("/admin/templates/{id}/diff", get(diff))
        .route("/admin/interventions/{user_id}/halt", post(halt))
        .route("/admin/interventions/{user_id}/resume", post(resume))
        .route("/admin/interventions/{user_id}/inject", post(inject))
        .route("/admin/users", get(users))
        .route("/admin/users/{user_id}", get(conversation))
        .route("/admin/users/{user_id}/memory/{key}", put(set_memory).delete(delete_memory))
        .route("/admin/requests", get(requests))
        .route("/chat", post(chat_turn))
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
    /// The operator's email (called `username` in the original API).
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

/// `POST /admin/templates`: creates the persona, or a new version when the name exists.
async fn create_template(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<CreateTemplateBody>,
) -> Result<(http::StatusCode, Json<TemplateWritten>), ApiError> {
    let (persona, r) = personas::upsert_by_name(
        &state.db,
        op.workspace_id,
        &b.name,
        &b.content,
        b.note.as_deref().unwrap_or(""),
        &op.email,
    )
    .await?;
    Ok((save_status(&r), Json(TemplateWritten { persona, version: r.version.version, unchanged: r.unchanged })))
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

#[derive(Deserialize)]
struct VersionBody {
    content: String,
    #[serde(default)]
    note: String,
}

async fn save_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<(http::StatusCode, Json<SaveResult>), ApiError> {
    let r = personas::save_version(&state.db, op.workspace_id, id, &b.content, &b.note, &op.email).await?;
    Ok((save_status(&r), Json(r)))
}

async fn get_version(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, n)): Path<(i64, i64)>,
) -> ApiResult<VersionInfo> {
    Ok(Json(personas::version(&state.db, op.workspace_id, id, n).await?))
}

async fn rollback(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((id, n)): Path<(i64, i64)>,
) -> Result<(http::StatusCode, Json<SaveResult>), ApiError> {
    let r = personas::rollback(&state.db, op.workspace_id, id, n, &op.email).await?;
    Ok((save_status(&r), Json(r)))
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
    Ok(Json(monitor::resume(&state, op.workspace_id, &user_id, &op.email).await?))
}

#[derive(Deserialize)]
struct InjectBody {
    message: String,
}

async fn inject(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    ApiJson(b): ApiJson<InjectBody>,
) -> Result<(http::StatusCode, Json<app::types::Message>), ApiError> {
    let m = monitor::inject(&state, op.workspace_id, &user_id, &op.email, &b.message).await?;
    Ok((http::StatusCode::CREATED, Json(m)))
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

async fn set_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
    ApiJson(value): ApiJson<serde_json::Value>,
) -> ApiResult<MemoryEntry> {
    Ok(Json(monitor::set_memory(&state.db, op.workspace_id, &user_id, &key, &value).await?))
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
    user_id: String,
    message: String,
    /// Persona id; default: the workspace's first persona.
    #[serde(default)]
    persona_id: Option<i64>,
    /// Workspace slug; default: the server's chat workspace.
    #[serde(default)]
    workspace: Option<String>,
}

/// `POST /chat` → `{"status": "replied"|"paused"|"failed", "reply": "…", …}`. A failed LLM
/// call answers 502 with the stored user message in the body.
async fn chat_turn(State(state): State<AppState>, ApiJson(b): ApiJson<ChatBody>) -> Result<Response, ApiError> {
    let ws = chat::chat_workspace(&state, b.workspace.as_deref()).await?;
    let outcome = chat::run_turn(&state, ws, &b.user_id, b.persona_id, &b.message).await?;
    let (status, reply) = match &outcome {
        TurnOutcome::Replied { reply, .. } => (http::StatusCode::OK, Some(reply.content.clone())),
        TurnOutcome::Paused { notice, .. } => (http::StatusCode::OK, Some(notice.content.clone())),
        TurnOutcome::Failed { .. } => (AppError::LlmFailed.status(), None),
    };
    let mut body = serde_json::to_value(&outcome).unwrap_or_else(|_| json!({}));
    body["reply"] = json!(reply);
    Ok((status, Json(body)).into_response())
}
