//! Who a chat request acts for. The caller decides, never the body alone:
//!
//! 0. A request carrying an API key (`Authorization: Bearer pd_…` or `X-API-Key`) acts
//!    as the key alone: it needs the `chat` scope (403 without) and chats on behalf of
//!    the `user_id` the body names, in the key's workspace — like an operator.
//! 1. A logged-in end user (`POST /user/login`) chats as itself; a body's `user_id` is
//!    ignored, as in the original. A `workspace` naming another workspace is 404.
//! 2. Else an operator session chats on behalf of the `user_id` the body names, in the
//!    operator's own workspace (another workspace is 404, no `user_id` 422).
//! 3. Else a browser with a `pd_uid` cookie it actually sent (not one the identity
//!    middleware just minted, see [`identity::MintedChatId`]) chats as that cookie's id,
//!    and only where the workspace allows anonymous chat and the id is not an account's.
//! 4. Else 401 `unauthorized` — a cookieless script without a login among them.
//!
//! When one browser session holds both an end-user and an operator login, **the end user
//! wins on chat routes**: they logged in on the chat page to chat as that user, and the
//! narrower identity is the safe one. The operator login still serves `/admin/…`. (The
//! original let the admin win; its chat page had no end-user login in the same browser.)
//! A deactivated or deleted end user's login answers 401 on the next request, then is
//! dropped from the session.

use super::error::ApiError;
use app::engine::api_keys::KeyCaller;
use app::engine::ids::WorkspaceId;
use app::engine::{auth, chat, end_users, identity, AppState};
use app::error::AppError;
use app::types::{ApiScope, EndUserInfo, OperatorInfo};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The caller of a chat route (see the module docs for the order). Rejects with 401
/// `unauthorized` when there is no login and no chat cookie the client sent.
pub enum ChatCaller {
    /// A logged-in end user: chats as itself only.
    EndUser(EndUserInfo),
    /// A logged-in operator: may act for any end user of their own workspace.
    Operator(OperatorInfo),
    /// An API key with the `chat` scope: acts for any end user of its workspace.
    Key(app::engine::api_keys::KeyCaller),
    /// A browser known only by the `pd_uid` cookie it sent: acts as that id.
    Anonymous { user_id: String },
}

impl FromRequestParts<AppState> for ChatCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(key) = super::extract::request_key(parts, state).await? {
            key.require(ApiScope::Chat)?;
            return Ok(ChatCaller::Key(key));
        }
        let session = tower_sessions::Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| ApiError(app::engine::internal("session extract", msg)))?;
        if let Some(user) = end_users::current(&state.db, &session).await? {
            return Ok(ChatCaller::EndUser(user));
        }
        match auth::current_operator(&state.db, &session).await {
            Ok(op) => return Ok(ChatCaller::Operator(op)),
            Err(AppError::Unauthorized) => {}
            Err(e) => return Err(e.into()),
        }
        let user_id = identity::sent_cookie_user_id(&parts.headers, &parts.extensions)?;
        Ok(ChatCaller::Anonymous { user_id })
    }
}

impl ChatCaller {
    /// The workspace and end user a chat request acts for. `slug` is the workspace the
    /// request names (an operator's or end user's must be their own: another is 404),
    /// `body_user_id` the user it names (required for an operator: 422 without; ignored
    /// for an end user or a browser, who are always themselves). Errors: 401 for a
    /// browser where anonymous chat is off or whose id belongs to an account.
    pub async fn acts_for(
        &self,
        state: &AppState,
        slug: Option<&str>,
        body_user_id: Option<&str>,
    ) -> Result<(WorkspaceId, String), ApiError> {
        match self {
            ChatCaller::EndUser(user) => {
                let ws = WorkspaceId(user.tenant_id);
                own_workspace(state, ws, slug).await?;
                Ok((ws, user.external_id.clone()))
            }
            ChatCaller::Operator(op) | ChatCaller::Key(KeyCaller { operator: op, .. }) => {
                let ws = op.workspace();
                own_workspace(state, ws, slug).await?;
                let user = body_user_id.ok_or_else(|| AppError::invalid("user_id", "name the end user to chat as"))?;
                Ok((ws, chat::parse_user_id(user)?))
            }
            ChatCaller::Anonymous { user_id } => {
                let ws = chat::chat_workspace(state, slug).await?;
                if !end_users::may_chat_anonymously(&state.db, ws, user_id).await? {
                    return Err(AppError::Unauthorized.into());
                }
                Ok((ws, user_id.clone()))
            }
        }
    }

    /// Whether this caller is an operator or a key (who may read other users' chats in
    /// their workspace).
    pub fn operator(&self) -> Option<&OperatorInfo> {
        match self {
            ChatCaller::Operator(op) | ChatCaller::Key(KeyCaller { operator: op, .. }) => Some(op),
            _ => None,
        }
    }

    /// For browser routes the chat page calls (its live events): an operator naming no
    /// user acts as the browser's own chat cookie, as the chat page's server functions
    /// do ([`app::ctx::chat_user`]). Other callers are unchanged.
    pub fn or_browser(self, parts_cookie: Option<String>, body_user_id: Option<&str>) -> ChatCaller {
        match (self, parts_cookie) {
            (ChatCaller::Operator(_), Some(user_id)) if body_user_id.is_none() => ChatCaller::Anonymous { user_id },
            (caller, _) => caller,
        }
    }
}

/// 404 `workspace` when `slug` names a workspace other than `ws`.
async fn own_workspace(state: &AppState, ws: WorkspaceId, slug: Option<&str>) -> Result<(), ApiError> {
    if let Some(slug) = slug {
        if chat::chat_workspace(state, Some(slug)).await? != ws {
            return Err(AppError::not_found("workspace").into());
        }
    }
    Ok(())
}

/// The `pd_uid` cookie the client sent, if any (not one minted for this request).
pub struct SentChatCookie(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SentChatCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(SentChatCookie(identity::sent_cookie_user_id(&parts.headers, &parts.extensions).ok()))
    }
}
