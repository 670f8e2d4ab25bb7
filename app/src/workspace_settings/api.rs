//! Server functions for the dashboard's Settings page.

use crate::error::AppResult;
use crate::types::WorkspaceSettings;
use leptos::prelude::*;

/// The operator's workspace settings.
#[server(endpoint = "workspace_settings/get", input = server_fn::codec::GetUrl)]
pub async fn get_workspace_settings() -> AppResult<WorkspaceSettings> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::workspace_settings::get(&state.db, op.workspace()).await
    })
    .await
}

/// Turns anonymous chat (browsers without an account) on or off.
#[server(endpoint = "workspace_settings/set_anonymous_chat")]
pub async fn set_anonymous_chat(on: bool) -> AppResult<WorkspaceSettings> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        // `set` leaves the webhook as it is.
        let settings = WorkspaceSettings { anonymous_chat: on, webhook_url: None };
        crate::engine::workspace_settings::set(&state.db, op.workspace(), &settings).await
    })
    .await
}

/// Sets the workspace's alert webhook (blank removes it): alerts are POSTed there as JSON.
/// Errors: `Invalid` on `webhook_url` (not http(s), or an address inside the network).
#[server(endpoint = "workspace_settings/set_webhook_url")]
pub async fn set_webhook_url(webhook_url: String) -> AppResult<WorkspaceSettings> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let allow_private = state.config.webhook_allow_private;
        crate::engine::workspace_settings::set_webhook_url(&state.db, op.workspace(), &webhook_url, allow_private).await
    })
    .await
}
