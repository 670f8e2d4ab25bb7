//! A workspace's settings, as its operator switches them on the dashboard's Settings page.

use super::db::Db;
use super::ids::WorkspaceId;
use super::store::workspace_settings as store;
use crate::error::AppResult;
use crate::types::WorkspaceSettings;

/// The workspace's settings. Errors: `NotFound` for an unknown workspace.
pub async fn get(db: &Db, ws: WorkspaceId) -> AppResult<WorkspaceSettings> {
    Ok(WorkspaceSettings { anonymous_chat: store::anonymous_chat(db, ws).await? })
}

/// Stores the settings and returns them as stored.
pub async fn set(db: &Db, ws: WorkspaceId, settings: &WorkspaceSettings) -> AppResult<WorkspaceSettings> {
    store::set_anonymous_chat(db, ws, settings.anonymous_chat).await?;
    get(db, ws).await
}
