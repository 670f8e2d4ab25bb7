//! Server functions for the dashboard's End users page: list, create, edit, activate or
//! deactivate, delete. Each checks the operator and acts in their workspace only.

#[cfg(feature = "ssr")]
use crate::engine::ids::EndUserId;
use crate::error::AppResult;
use crate::types::{EndUserAccount, EndUserPage};
use leptos::prelude::*;

/// Users per page on the dashboard.
pub const PAGE_SIZE: i64 = 50;

/// Empty form fields mean "not given".
#[cfg(feature = "ssr")]
fn given(s: String) -> Option<String> {
    (!s.trim().is_empty()).then_some(s)
}

/// One page of the workspace's end users, newest first.
#[server(endpoint = "end_users/list", input = server_fn::codec::GetUrl)]
pub async fn list_end_users(offset: i64, include_inactive: bool) -> AppResult<EndUserPage> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::end_users::list(&state.db, op.workspace(), include_inactive, PAGE_SIZE, offset).await
    })
    .await
}

/// Creates an end user (empty fields are left out; the external id defaults to the email).
/// Errors: `Invalid` (field named), `Conflict` (external id or email taken).
#[server(endpoint = "end_users/create")]
pub async fn create_end_user(
    external_id: String,
    email: String,
    password: String,
    display_name: String,
) -> AppResult<EndUserAccount> {
    use crate::ctx;
    use crate::types::NewEndUser;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let new = NewEndUser {
            external_id: given(external_id),
            email: given(email),
            password: given(password),
            display_name: given(display_name),
        };
        crate::engine::end_users::create(&state.db, op.workspace(), &new).await
    })
    .await
}

/// Changes a user's email and display name (empty clears them) and, when given, the
/// password. Errors: `NotFound`, `Invalid`, `Conflict`.
#[server(endpoint = "end_users/update")]
pub async fn update_end_user(
    id: i64,
    email: String,
    display_name: String,
    password: String,
) -> AppResult<EndUserAccount> {
    use crate::ctx;
    use crate::types::EndUserPatch;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let patch = EndUserPatch {
            email: Some(email),
            display_name: Some(display_name),
            password: given(password),
            is_active: None,
        };
        crate::engine::end_users::update(&state.db, op.workspace(), EndUserId(id), &patch).await
    })
    .await
}

/// Activates or deactivates a user (a deactivated user's logins end at their next
/// request). Errors: `NotFound`.
#[server(endpoint = "end_users/set_active")]
pub async fn set_end_user_active(id: i64, active: bool) -> AppResult<EndUserAccount> {
    use crate::ctx;
    use crate::types::EndUserPatch;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let patch = EndUserPatch { is_active: Some(active), ..EndUserPatch::default() };
        crate::engine::end_users::update(&state.db, op.workspace(), EndUserId(id), &patch).await
    })
    .await
}

/// Deletes a user with their chats, messages and memory. Errors: `NotFound`.
#[server(endpoint = "end_users/delete")]
pub async fn delete_end_user(id: i64) -> AppResult<()> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::end_users::delete(&state.db, op.workspace(), EndUserId(id)).await
    })
    .await
}
