//! The workspace's settings: `GET /admin/settings` → `{"anonymous_chat": bool,
//! "webhook_url"?: string}` (`webhook_url` is left out without a webhook), `PUT
//! /admin/settings` with the same shape (fields left out keep their value;
//! `"webhook_url": ""` removes the webhook; a URL that is not http(s) or points inside
//! the network is 422 on `webhook_url`). Changing them is for owners.

use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, Operator};
use app::engine::{workspace_settings, AppState};
use app::types::WorkspaceSettings;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The settings routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(read, write))
}

/// The workspace's settings.
///
/// `webhook_url` is left out when the workspace has no webhook.
#[utoipa::path(get, path = "/admin/settings", tag = "settings", responses((status = 200, body = WorkspaceSettings)))]
async fn read(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<WorkspaceSettings> {
    Ok(Json(workspace_settings::get(&state.db, op.workspace()).await?))
}

/// Fields left out keep their value.
#[derive(Deserialize, ToSchema)]
struct WorkspaceSettingsBody {
    /// Whether browsers known only by their chat cookie may chat.
    #[serde(default)]
    anonymous_chat: Option<bool>,
    /// Where alerts are POSTed as JSON: an http(s) URL that does not point inside the
    /// network (else 422 on `webhook_url`); blank removes the webhook.
    #[serde(default)]
    webhook_url: Option<String>,
}

/// Changes the workspace's settings. Owners only.
///
/// Fields left out keep their value; `"webhook_url": ""` removes the webhook.
#[utoipa::path(
    put,
    path = "/admin/settings",
    tag = "settings",
    request_body = WorkspaceSettingsBody,
    responses((status = 200, description = "The settings after the change", body = WorkspaceSettings))
)]
async fn write(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(b): ApiJson<WorkspaceSettingsBody>,
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
