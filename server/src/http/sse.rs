//! Server-Sent Event streams: `/admin/events` (every event of the operator's workspace)
//! and `/chat/events` (the calling end user's own events only).

use super::caller::{ChatCaller, SentChatCookie};
use super::error::ApiError;
use super::extract::{ApiQuery, Operator};
use app::engine::ids::WorkspaceId;
use app::engine::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `GET /admin/events` and `GET /chat/events`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_events)).routes(routes!(chat_events))
}

/// Counts an open stream in `promptdev_sse_clients` for as long as it lives.
struct Connected;

impl Connected {
    fn new() -> Self {
        metrics::gauge!("promptdev_sse_clients").increment(1.0);
        Connected
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        metrics::gauge!("promptdev_sse_clients").decrement(1.0);
    }
}

fn stream(
    state: &AppState,
    workspace_id: WorkspaceId,
    user: Option<String>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let connected = Connected::new();
    BroadcastStream::new(state.events.subscribe()).filter_map(move |item| {
        let _alive = &connected;
        let ev = item.ok()?;
        // An end user gets their own events and the workspace-wide ones (persona availability).
        let other_user = user.as_deref().is_some_and(|u| ev.event.user_id().is_some_and(|e| e != u));
        let hidden = user.is_some() && ev.event.operators_only();
        if ev.workspace_id != workspace_id || other_user || hidden {
            return None;
        }
        Event::default().json_data(&ev.event).ok().map(Ok)
    })
}

/// Every message and state change of the operator's workspace, live.
///
/// A Server-Sent Events stream: each event's `data` is one JSON [`LiveEvent`]
/// (`{"type": "message" | "piece" | "state" | …, …}`); a comment every 15 s keeps it open.
/// 401 without login.
///
/// [`LiveEvent`]: app::types::LiveEvent
#[utoipa::path(
    get,
    path = "/admin/events",
    tag = "events",
    responses((status = 200, description = "The stream; each `data:` line is a LiveEvent", content_type = "text/event-stream", body = crate::http::openapi::ServerSentEvent))
)]
pub async fn admin_events(
    State(state): State<AppState>,
    Operator(op): Operator,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(stream(&state, op.workspace(), None)).keep_alive(KeepAlive::default())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatEventsQuery {
    /// Workspace slug, as in `/chat?w=…`.
    w: Option<String>,
    /// The end user an operator watches on behalf of (default: the operator's own chat cookie).
    user_id: Option<String>,
}

/// The calling end user's own events, live.
///
/// Their messages and pause state, and personas becoming unavailable. Who is calling follows [`ChatCaller`]: a logged-in end user, an operator
/// on behalf of `user_id` (or, naming none, as their browser's chat cookie), or a browser
/// by the chat cookie it sent where anonymous chat is allowed; else 401.
///
/// A Server-Sent Events stream of JSON `LiveEvent`s, as `/admin/events`.
#[utoipa::path(
    get,
    path = "/chat/events",
    tag = "events",
    params(ChatEventsQuery),
    responses(
        (status = 200, description = "The stream; each `data:` line is a LiveEvent", content_type = "text/event-stream", body = crate::http::openapi::ServerSentEvent),
        (status = 404, description = "No such workspace", body = crate::http::openapi::ErrorBody),
    )
)]
pub async fn chat_events(
    State(state): State<AppState>,
    caller: ChatCaller,
    SentChatCookie(cookie): SentChatCookie,
    ApiQuery(q): ApiQuery<ChatEventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let caller = caller.or_browser(cookie, q.user_id.as_deref());
    let (ws, user) = caller.acts_for(&state, q.w.as_deref(), q.user_id.as_deref()).await?;
    Ok(Sse::new(stream(&state, ws, Some(user))).keep_alive(KeepAlive::default()))
}
