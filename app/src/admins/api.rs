//! Server functions of the Operators page (super admins only: `Forbidden` for anyone
//! else) and of changing one's own password.

use crate::error::AppResult;
use crate::types::{AdminAccount, AdminUpdate, Role};
use leptos::prelude::*;

/// Every operator account, by email.
#[server(endpoint = "admins/list", input = server_fn::codec::GetUrl)]
pub async fn list_admins() -> AppResult<Vec<AdminAccount>> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::admins::list(&state.db, &op).await
    })
    .await
}

/// A new operator and, when it was generated, their password (shown once).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreatedAdmin {
    pub admin: AdminAccount,
    pub password: Option<String>,
}

/// Creates an operator: a workspace of their own (`workspace_id` None) or a member of
/// an existing one with `role`. A blank password is generated. Errors: `Invalid`
/// (email, password), `NotFound` (workspace), `Conflict` (email taken).
#[server(endpoint = "admins/create", input = server_fn::codec::Json)]
pub async fn create_admin(
    email: String,
    password: String,
    workspace_id: Option<i64>,
    role: Option<Role>,
) -> AppResult<CreatedAdmin> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let new = crate::engine::admins::NewAdmin {
            email,
            password: Some(password).filter(|p| !p.is_empty()),
            workspace_id,
            role,
            is_super: false,
        };
        let (admin, password) = crate::engine::admins::create(&state.db, &op, &new).await?;
        Ok(CreatedAdmin { admin, password })
    })
    .await
}

/// Changes an account (role, active, super admin, password). Errors: as the REST route.
#[server(endpoint = "admins/update", input = server_fn::codec::Json)]
pub async fn update_admin(id: i64, update: AdminUpdate) -> AppResult<AdminAccount> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::admins::update(&state.db, &op, id, &update).await
    })
    .await
}

/// Resets an account's password to a generated one, answered once.
#[server(endpoint = "admins/reset_password")]
pub async fn reset_admin_password(id: i64) -> AppResult<String> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let password = crate::engine::auth::generate_password();
        let update = AdminUpdate { password: Some(password.clone()), ..Default::default() };
        crate::engine::admins::update(&state.db, &op, id, &update).await?;
        Ok(password)
    })
    .await
}

/// The logged-in operator changes their own password. Errors: `Invalid` on
/// `current_password` or `new_password`.
#[server(endpoint = "auth/change_password")]
pub async fn change_password(current_password: String, new_password: String) -> AppResult<()> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::auth::change_password(&state.db, &op, &current_password, &new_password).await
    })
    .await
}
