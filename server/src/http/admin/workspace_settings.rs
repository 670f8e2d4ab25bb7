//! The workspace's settings: `GET /admin/settings` → `{"anonymous_chat": bool}`,
//! `PUT /admin/settings` with the same shape (fields left out keep their value).

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Operator};
use app::engine::{workspace_settings, AppState};
use app::types::WorkspaceSettings;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

/// The settings routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/settings", get(read).put(write))
}

async fn read(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<WorkspaceSettings> {
    Ok(Json(workspace_settings::get(&state.db, op.workspace()).await?))
}

#[derive(Deserialize)]
struct SettingsBody {
    /// Whether browsers known only by their chat cookie may chat.
    #[serde(default)]
    anonymous_chat: Option<bool>,
}

async fn write(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<SettingsBody>,
) -> ApiResult<WorkspaceSettings> {
    let mut settings = workspace_settings::get(&state.db, op.workspace()).await?;
    if let Some(on) = b.anonymous_chat {
        settings.anonymous_chat = on;
    }
    Ok(Json(workspace_settings::set(&state.db, op.workspace(), &settings).await?))
}
