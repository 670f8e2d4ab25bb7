//! The workspace's settings: `GET /admin/settings` → `{"anonymous_chat": bool,
//! "webhook_url": string|null}`, `PUT /admin/settings` with the same shape (fields left
//! out keep their value; `"webhook_url": ""` removes the webhook; a URL that is not
//! http(s) or points inside the network is 422 on `webhook_url`).

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
    /// Where alerts are POSTed; blank removes the webhook.
    #[serde(default)]
    webhook_url: Option<String>,
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
    if let Some(url) = &b.webhook_url {
        let allow_private = state.config.webhook_allow_private;
        workspace_settings::set_webhook_url(&state.db, op.workspace(), url, allow_private).await?;
    }
    Ok(Json(workspace_settings::set(&state.db, op.workspace(), &settings).await?))
}
