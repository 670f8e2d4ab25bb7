//! Server functions of the API keys page (a login; keys themselves cannot call these).

use crate::error::AppResult;
use crate::types::{ApiKeyInfo, CreatedApiKey};
use leptos::prelude::*;

/// The workspace's keys, newest first (revoked ones too).
#[server(endpoint = "api_keys/list", input = server_fn::codec::GetUrl)]
pub async fn list_api_keys() -> AppResult<Vec<ApiKeyInfo>> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::api_keys::list(&state.db, op.workspace()).await
    })
    .await
}

/// Creates a key; the answer holds the secret, shown this once. `scopes`: names from the
/// form's checkboxes (`chat`, `read`, `manage`). Errors: `Invalid` (name, scopes).
#[server(endpoint = "api_keys/create", input = server_fn::codec::Json)]
pub async fn create_api_key(name: String, scopes: Vec<String>) -> AppResult<CreatedApiKey> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::api_keys::create(&state.db, &op, &name, &scopes).await
    })
    .await
}

/// Revokes a key: its next request is refused. Errors: `NotFound`.
#[server(endpoint = "api_keys/revoke")]
pub async fn revoke_api_key(id: i64) -> AppResult<ApiKeyInfo> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::api_keys::revoke(&state.db, &op, id).await
    })
    .await
}
