//! Server functions for the playground. The endpoint keeps its `personas/` prefix.

#[cfg(feature = "ssr")]
use crate::engine::ids::PersonaId;
use crate::error::AppResult;
use crate::types::PlaygroundResult;
use leptos::prelude::*;

/// Sends `message` through the pipeline with version `version_a` (and `version_b`, side
/// by side), writing to no conversation. `user_id` uses a real end user's memory and
/// history. Errors: `NotFound`, `Invalid`; LLM failures are reported per result.
#[server(endpoint = "personas/playground_run")]
pub async fn playground_run(
    id: i64,
    version_a: i64,
    version_b: Option<i64>,
    message: String,
    user_id: Option<String>,
) -> AppResult<Vec<PlaygroundResult>> {
    use crate::ctx;
    use crate::engine::playground;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let versions: Vec<i64> = std::iter::once(version_a).chain(version_b).collect();
        let user_id = user_id.filter(|u| !u.trim().is_empty());
        playground::run(&state, op.workspace(), PersonaId(id), &versions, &message, user_id.as_deref()).await
    })
    .await
}
