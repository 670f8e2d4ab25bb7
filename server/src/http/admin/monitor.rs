//! Watching and steering conversations: `GET /admin/users` (the list; with wall
//! parameters, the live wall), `GET /admin/users/{user_id}`, `GET /admin/halted`,
//! `POST /admin/interventions/{user_id}/halt|resume|inject|draft|send`,
//! `GET|PUT|DELETE /admin/users/{user_id}/assignment`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use app::engine::ids::SessionId;
use app::engine::interventions::{self, Injected};
use app::engine::{assignments, monitor, turn, AppState};
use app::types::{
    Assignment, AssignmentRequest, Conversation, Draft, EndUserSummary, HaltedUser, InjectKind, Message, OperatorNote,
    UserState, WallPage, WallQuery,
};
use axum::extract::State;
use axum::Json;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The user list, conversation and intervention routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(halt))
        .routes(routes!(resume))
        .routes(routes!(inject))
        .routes(routes!(draft))
        .routes(routes!(send))
        .routes(routes!(halted))
        .routes(routes!(users))
        .routes(routes!(conversation))
        .routes(routes!(assignment, assign, unassign))
}

#[derive(Deserialize, ToSchema)]
struct HaltBody {
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
    /// Why the conversation is halted (1–500 characters).
    reason: String,
}

/// Halts a user's conversation.
///
/// Until it is resumed, the user's messages are stored and answered with the pause notice,
/// and no LLM is called.
#[utoipa::path(
    post,
    path = "/admin/interventions/{user_id}/halt",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id (as the chat or the API names them)")),
    request_body = HaltBody,
    responses(
        (status = 200, description = "The conversation's state, halted", body = UserState),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn halt(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(b): ApiJson<HaltBody>,
) -> ApiResult<UserState> {
    Ok(Json(monitor::halt(&state, op.workspace(), &user_id, &op.email, &b.reason).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ResumeQuery {
    /// Kept for compatibility; the operator recorded is the logged-in one.
    #[serde(default)]
    #[allow(dead_code)]
    operator: Option<String>,
}

/// Resumes a halted conversation.
///
/// What the user sent while halted is answered now.
#[utoipa::path(
    post,
    path = "/admin/interventions/{user_id}/resume",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id"), ResumeQuery),
    responses(
        (status = 200, description = "The conversation's state, resumed", body = UserState),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn resume(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(_q): ApiQuery<ResumeQuery>,
) -> ApiResult<UserState> {
    Ok(Json(turn::resume(&state, op.workspace(), &user_id, &op.email).await?))
}

/// `?session_id=` on the intervention routes (the original's); a body's `session_id` wins.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionQuery {
    /// One of the user's chat sessions; default: their most recent one. A `session_id`
    /// in the body wins.
    #[serde(default)]
    session_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
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

/// What `inject` answers, by `kind`.
#[derive(Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum InjectedBody {
    /// A message the user sees: the stored message, with the original's fields.
    Message {
        #[serde(flatten)]
        message: Message,
        /// The message's `id` again.
        message_id: i64,
        user_id: String,
        /// The operator's email.
        operator: String,
    },
    /// A hidden note to the persona.
    Note {
        note: OperatorNote,
        /// The note's `id` again.
        note_id: i64,
        session_id: i64,
        user_id: String,
        /// The operator's email.
        operator: String,
    },
}

/// Injects a message the user sees, or a hidden note to the persona.
///
/// A message is stored in the chat at once (in the persona's voice for later turns); a
/// note is added to the system prompt of the chat's later turns and never shown to the user.
#[utoipa::path(
    post,
    path = "/admin/interventions/{user_id}/inject",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id"), SessionQuery),
    request_body = InjectBody,
    responses(
        (status = 201, description = "Injected: the message or the note", body = InjectedBody),
        (status = 404, description = "No such user, the session is not theirs, or they have no chat yet", body = crate::http::openapi::ErrorBody),
    )
)]
async fn inject(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SessionQuery>,
    ApiJson(b): ApiJson<InjectBody>,
) -> Result<(StatusCode, Json<InjectedBody>), ApiError> {
    let session = b.session_id.or(q.session_id).map(SessionId);
    let ws = op.workspace();
    let operator = op.email.clone();
    let body = match interventions::inject(&state, ws, &user_id, &op.email, &b.content, session, b.kind).await? {
        Injected::Message(m) => InjectedBody::Message { message_id: m.id, message: m, user_id, operator },
        Injected::Note(n) => InjectedBody::Note { note_id: n.id, session_id: n.session_id, note: n, user_id, operator },
    };
    Ok((StatusCode::CREATED, Json(body)))
}

#[derive(Deserialize, Default, ToSchema)]
struct DraftReplyBody {
    /// One of the user's chat sessions; default: their most recent one.
    #[serde(default)]
    session_id: Option<i64>,
}

/// Suggests a reply for an operator to edit and send (draft-assist).
///
/// The persona's reply to the newest user message of the chat; nothing is stored as a
/// message (the LLM call is in the request log with source `draft_assist`). The body is
/// optional.
#[utoipa::path(
    post,
    path = "/admin/interventions/{user_id}/draft",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id"), SessionQuery),
    request_body = Option<DraftReplyBody>,
    responses(
        (status = 200, description = "The suggested reply", body = Draft),
        (status = 404, description = "No such user, the session is not theirs, or they have no chat yet", body = crate::http::openapi::ErrorBody),
        (status = 502, description = "The LLM could not reply (`llm_failed`)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn draft(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SessionQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Draft> {
    let b: DraftReplyBody = if body.iter().all(u8::is_ascii_whitespace) {
        DraftReplyBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| app::error::AppError::invalid("body", e.to_string()))?
    };
    let session = b.session_id.or(q.session_id).map(SessionId);
    Ok(Json(turn::draft_reply(&state, op.workspace(), &user_id, session).await?))
}

#[derive(Deserialize, ToSchema)]
struct SendAsPersonaBody {
    /// The text to send (`message` is accepted too).
    #[serde(alias = "message")]
    content: String,
    /// The draft it was edited from (None: written from scratch, counted as edited).
    #[serde(default)]
    draft: Option<String>,
    /// One of the user's chat sessions; default: their most recent one.
    #[serde(default)]
    session_id: Option<i64>,
}

/// Sends a message to the user as the persona.
///
/// The stored message's `author` is the operator, and `edited` tells whether the draft was
/// changed.
#[utoipa::path(
    post,
    path = "/admin/interventions/{user_id}/send",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id"), SessionQuery),
    request_body = SendAsPersonaBody,
    responses(
        (status = 201, description = "Sent: the stored message", body = Message),
        (status = 404, description = "No such user, the session is not theirs, or they have no chat yet", body = crate::http::openapi::ErrorBody),
    )
)]
async fn send(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SessionQuery>,
    ApiJson(b): ApiJson<SendAsPersonaBody>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let session = b.session_id.or(q.session_id).map(SessionId);
    let ws = op.workspace();
    let m = interventions::send_as_persona(&state, ws, &user_id, &op.email, &b.content, b.draft.as_deref(), session)
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// `{"count", "halted_users": […]}` (the original's).
#[derive(Serialize, ToSchema)]
struct HaltedUsers {
    /// How many are halted.
    count: usize,
    /// Most recently halted first.
    halted_users: Vec<HaltedUser>,
}

/// The workspace's halted conversations, most recently halted first.
#[utoipa::path(get, path = "/admin/halted", tag = "monitor", responses((status = 200, body = HaltedUsers)))]
async fn halted(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<HaltedUsers> {
    let list = monitor::halted(&state.db, op.workspace()).await?;
    Ok(Json(HaltedUsers { count: list.len(), halted_users: list }))
}

/// The user list, or — with any wall parameter — a page of the live wall.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum MonitorUsers {
    /// Without wall parameters: every end user of the workspace.
    List(Vec<EndUserSummary>),
    /// With any of `view=wall`, `status`, `persona_id`, `label`, `q`, `limit`, `offset`.
    Wall(WallPage),
}

/// The end users, or a page of the live wall.
///
/// Without parameters: every end user with message count, last activity, status and a
/// preview of their newest message. With any of `view=wall`, `status`, `persona_id`,
/// `label`, `q`, `limit`, `offset`: a page of the live wall, riskiest first (halted,
/// flagged, then the lowest sentiment, then the most recently active).
#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "monitor",
    params(UsersQuery),
    responses(
        (status = 200, description = "An array of users, or (with wall parameters) a wall page", body = MonitorUsers),
    )
)]
async fn users(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> ApiResult<MonitorUsers> {
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
        return Ok(Json(MonitorUsers::Wall(page)));
    }
    Ok(Json(MonitorUsers::List(monitor::list_users(&state.db, op.workspace()).await?)))
}

/// [`WallQuery`]'s fields, plus `view` (no `flatten`: it breaks numbers in query strings).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UsersQuery {
    /// `wall`: answer a page of the live wall (any other wall parameter does too).
    #[serde(default)]
    view: Option<String>,
    /// `halted`, `flagged` or `waiting` (pending memory to approve); empty: any.
    #[serde(default)]
    status: Option<String>,
    /// Users with a chat with this persona.
    #[serde(default)]
    persona_id: Option<i64>,
    /// Users answered by this label: `production` (no label assigned) or an assigned one.
    #[serde(default)]
    label: Option<String>,
    /// Part of the user's id or of a message's text (case-insensitive).
    #[serde(default)]
    q: Option<String>,
    /// Page size (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// Rows to skip (default 0).
    #[serde(default)]
    #[param(minimum = 0)]
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

/// A user's conversation; opening it marks it seen by the caller.
///
/// Every chat's messages (the newest 500, oldest first), the state, memory, sessions,
/// hidden notes, assignment and guardrail hits. The wall's unread count for the caller
/// starts again from here.
#[utoipa::path(
    get,
    path = "/admin/users/{user_id}",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id")),
    responses(
        (status = 200, body = Conversation),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn conversation(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<Conversation> {
    Ok(Json(monitor::open_conversation(&state.db, op.workspace(), &op.email, &user_id).await?))
}

/// `{"user_id", "assignment": Assignment | null}`.
#[derive(Serialize, ToSchema)]
struct UserAssignment {
    user_id: String,
    /// Null when nothing is assigned (the user gets `production`).
    assignment: Option<Assignment>,
}

/// The persona, label or version assigned to a user, if any.
#[utoipa::path(
    get,
    path = "/admin/users/{user_id}/assignment",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id")),
    responses(
        (status = 200, body = UserAssignment),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn assignment(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<UserAssignment> {
    let a = assignments::assignment(&state.db, op.workspace(), &user_id).await?;
    Ok(Json(UserAssignment { user_id, assignment: a }))
}

/// Assigns a persona, label and/or pinned version to a user.
///
/// Replaces any earlier assignment. At least one of the three; a `version` needs its
/// `persona_id`, a `label` must be one the persona has.
#[utoipa::path(
    put,
    path = "/admin/users/{user_id}/assignment",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id")),
    request_body = AssignmentRequest,
    responses(
        (status = 200, description = "The assignment", body = Assignment),
        (status = 404, description = "No such user, persona or version in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn assign(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
    ApiJson(b): ApiJson<AssignmentRequest>,
) -> ApiResult<Assignment> {
    Ok(Json(assignments::assign(&state, op.workspace(), &user_id, &op.email, &b).await?))
}

/// Removes a user's assignment: they get `production` again.
#[utoipa::path(
    delete,
    path = "/admin/users/{user_id}/assignment",
    tag = "monitor",
    params(("user_id" = String, Path, description = "The end user's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such user in the workspace, or nothing was assigned", body = crate::http::openapi::ErrorBody),
    )
)]
async fn unassign(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    assignments::unassign(&state, op.workspace(), &user_id, &op.email).await?;
    Ok(StatusCode::NO_CONTENT)
}
