//! Watching and steering conversations: `GET /admin/users` (the list; with wall
//! parameters, the live wall), `GET /admin/users/{user_id}`, `GET /admin/halted`,
//! `POST /admin/interventions/{user_id}/halt|resume|inject|draft|send`,
//! `GET|PUT|DELETE /admin/users/{user_id}/assignment`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::SessionId;
use app::engine::interventions::{self, Injected};
use app::engine::{assignments, monitor, turn, AppState};
use app::types::{Assignment, AssignmentRequest, Conversation, Draft, InjectKind, UserState, WallQuery};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

/// The user list, conversation and intervention routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/interventions/{user_id}/halt", post(halt))
        .route("/admin/interventions/{user_id}/resume", post(resume))
        .route("/admin/interventions/{user_id}/inject", post(inject))
        .route("/admin/interventions/{user_id}/draft", post(draft))
        .route("/admin/interventions/{user_id}/send", post(send))
        .route("/admin/halted", get(halted))
        .route("/admin/users", get(users))
        .route("/admin/users/{user_id}", get(conversation))
        .route("/admin/users/{user_id}/assignment", get(assignment).put(assign).delete(unassign))
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
    Ok(Json(monitor::halt(&state, op.workspace(), &user_id, &op.email, &b.reason).await?))
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
    Ok(Json(turn::resume(&state, op.workspace(), &user_id, &op.email).await?))
}

/// `?session_id=` on the intervention routes (the original's); a body's `session_id` wins.
#[derive(Deserialize)]
struct SessionQuery {
    #[serde(default)]
    session_id: Option<i64>,
}

#[derive(Deserialize)]
struct InjectBody {
    /// The text (`content` in the original API; `message` is accepted too).
    #[serde(alias = "message")]
    content: String,
    /// One of the user's chat sessions; default: their most recent one.
    #[serde(default)]
    session_id: Option<i64>,
    /// `message` (default: the user sees it) or `note` (hidden, for the persona).
    #[serde(default)]
    kind: InjectKind,
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

/// `POST /admin/interventions/{user_id}/inject[?session_id=]` `{"content", "kind"?}` →
/// 201. A message: the stored message plus the original's `user_id`, `message_id`,
/// `operator`. A note: `{"kind": "note", "note": {…}, "user_id", "note_id", "operator"}`.
async fn inject(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(q): Query<SessionQuery>,
    ApiJson(b): ApiJson<InjectBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let session = b.session_id.or(q.session_id).map(SessionId);
    let ws = op.workspace();
    let body = match interventions::inject(&state, ws, &user_id, &op.email, &b.content, session, b.kind).await? {
        Injected::Message(m) => {
            let mut body = serde_json::to_value(&m).map_err(|e| app::engine::internal("inject json", e))?;
            body["kind"] = json!("message");
            body["message_id"] = json!(m.id);
            body
        }
        Injected::Note(n) => json!({"kind": "note", "note": n, "note_id": n.id, "session_id": n.session_id}),
    };
    let mut body = body;
    body["user_id"] = json!(user_id);
    body["operator"] = json!(op.email);
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Deserialize, Default)]
struct DraftBody {
    #[serde(default)]
    session_id: Option<i64>,
}

/// `POST /admin/interventions/{user_id}/draft[?session_id=]` `{"session_id"?}` → the
/// persona's suggested reply ([`Draft`]); nothing is stored as a message.
async fn draft(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(q): Query<SessionQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Draft> {
    let b: DraftBody = if body.iter().all(u8::is_ascii_whitespace) {
        DraftBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| app::error::AppError::invalid("body", e.to_string()))?
    };
    let session = b.session_id.or(q.session_id).map(SessionId);
    Ok(Json(turn::draft_reply(&state, op.workspace(), &user_id, session).await?))
}

#[derive(Deserialize)]
struct SendBody {
    #[serde(alias = "message")]
    content: String,
    /// The draft it was edited from (None: written from scratch).
    #[serde(default)]
    draft: Option<String>,
    #[serde(default)]
    session_id: Option<i64>,
}

/// `POST /admin/interventions/{user_id}/send[?session_id=]` `{"content", "draft"?}` →
/// 201 with the stored message: sent as the persona, its `author` the operator and
/// `edited` whether the draft was changed.
async fn send(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    Query(q): Query<SessionQuery>,
    ApiJson(b): ApiJson<SendBody>,
) -> Result<(StatusCode, Json<app::types::Message>), ApiError> {
    let session = b.session_id.or(q.session_id).map(SessionId);
    let ws = op.workspace();
    let m = interventions::send_as_persona(&state, ws, &user_id, &op.email, &b.content, b.draft.as_deref(), session)
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// `GET /admin/halted` (the original's): `{"count", "halted_users": [{"user_id",
/// "halted_at", "operator", "reason"}]}`, this workspace's only.
async fn halted(State(state): State<AppState>, Operator(op): Operator) -> Result<Json<serde_json::Value>, ApiError> {
    let list = monitor::halted(&state.db, op.workspace()).await?;
    Ok(Json(json!({"count": list.len(), "halted_users": list})))
}

/// `GET /admin/users`: the list as before (an array of `EndUserSummary`), or — with any
/// of `view=wall`, `status`, `persona_id`, `label`, `q`, `limit`, `offset` — a page of
/// the live wall (`WallPage`).
async fn users(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(q): Query<UsersQuery>,
) -> Result<Response, ApiError> {
    if q.is_wall() {
        let wall = WallQuery {
            status: q.status,
            persona_id: q.persona_id,
            label: q.label,
            q: q.q,
            limit: q.limit,
            offset: q.offset,
        };
        let page = monitor::wall(&state.db, op.workspace(), &op.email, &wall).await?;
        return Ok(Json(page).into_response());
    }
    Ok(Json(monitor::list_users(&state.db, op.workspace()).await?).into_response())
}

/// [`WallQuery`]'s fields, plus `view` (no `flatten`: it breaks numbers in query strings).
#[derive(Deserialize)]
struct UsersQuery {
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    persona_id: Option<i64>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

impl UsersQuery {
    fn is_wall(&self) -> bool {
        let w = self;
        self.view.as_deref() == Some("wall")
            || w.status.is_some()
            || w.persona_id.is_some()
            || w.label.is_some()
            || w.q.is_some()
            || w.limit.is_some()
            || w.offset.is_some()
    }
}

/// `GET /admin/users/{user_id}`: the conversation; opening it marks it seen by the caller.
async fn conversation(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<Conversation> {
    Ok(Json(monitor::open_conversation(&state.db, op.workspace(), &op.email, &user_id).await?))
}

/// `GET /admin/users/{user_id}/assignment` → `{"user_id", "assignment": Assignment | null}`.
async fn assignment(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let a = assignments::assignment(&state.db, op.workspace(), &user_id).await?;
    Ok(Json(json!({"user_id": user_id, "assignment": a})))
}

/// `PUT /admin/users/{user_id}/assignment` `{"persona_id"?, "label"?, "version"?}` → the
/// assignment.
async fn assign(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
    ApiJson(b): ApiJson<AssignmentRequest>,
) -> ApiResult<Assignment> {
    Ok(Json(assignments::assign(&state, op.workspace(), &user_id, &op.email, &b).await?))
}

/// `DELETE /admin/users/{user_id}/assignment` → 204; 404 when nothing was assigned.
async fn unassign(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    assignments::unassign(&state, op.workspace(), &user_id, &op.email).await?;
    Ok(StatusCode::NO_CONTENT)
}
