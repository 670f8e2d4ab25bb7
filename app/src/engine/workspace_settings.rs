//! A workspace's settings, as its operator switches them on the dashboard's Settings page.

use super::db::Db;
use super::ids::WorkspaceId;
use super::store::workspace_settings as store;
use crate::error::AppResult;
use crate::types::WorkspaceSettings;

/// The workspace's settings. Errors: `NotFound` for an unknown workspace.
pub async fn get(db: &Db, ws: WorkspaceId) -> AppResult<WorkspaceSettings> {
    let anonymous_chat = store::anonymous_chat(db, ws).await?;
    let webhook_url = store::webhook(db, ws).await?.and_then(|(_, url)| url);
    Ok(WorkspaceSettings { anonymous_chat, webhook_url })
}

/// Stores the settings but the webhook URL (see [`set_webhook_url`]) and returns them as stored.
pub async fn set(db: &Db, ws: WorkspaceId, settings: &WorkspaceSettings) -> AppResult<WorkspaceSettings> {
    store::set_anonymous_chat(db, ws, settings.anonymous_chat).await?;
    get(db, ws).await
}

/// Sets the workspace's alert webhook from the URL as typed (blank removes it), checked by
/// [`super::alerts::parse_webhook_url`] (`allow_private`: the server's
/// `webhook_allow_private`). Returns the settings as stored. Errors: `Invalid` on
/// `webhook_url`.
pub async fn set_webhook_url(db: &Db, ws: WorkspaceId, raw: &str, allow_private: bool) -> AppResult<WorkspaceSettings> {
    let url = super::alerts::parse_webhook_url(raw, allow_private)?;
    store::set_webhook_url(db, ws, url.as_deref()).await?;
    get(db, ws).await
}
