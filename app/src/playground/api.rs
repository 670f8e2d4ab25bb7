//! Server functions for the playground. The endpoint keeps its `personas/` prefix.

#[cfg(feature = "ssr")]
use crate::engine::ids::{MessageId, PersonaId};
use crate::error::AppResult;
use crate::types::{ForkContext, PlaygroundResult};
use leptos::prelude::*;

/// Sends `message` through the pipeline with version `version_a` (and `version_b`, side
/// by side), writing to no conversation. `user_id` uses a real end user's memory and
/// history; `fork` (a message id) the recorded context of that turn of a real conversation.
/// Errors: `NotFound`, `Invalid`; LLM failures are reported per result.
#[server(endpoint = "personas/playground_run")]
pub async fn playground_run(
    id: i64,
    version_a: i64,
    version_b: Option<i64>,
    message: String,
    user_id: Option<String>,
    fork: Option<i64>,
) -> AppResult<Vec<PlaygroundResult>> {
    use crate::ctx;
    use crate::engine::playground;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let versions: Vec<i64> = std::iter::once(version_a).chain(version_b).collect();
        let user_id = user_id.filter(|u| !u.trim().is_empty());
        let fork = fork.map(MessageId);
        playground::run(&state, op.workspace(), PersonaId(id), &versions, &message, user_id.as_deref(), fork).await
    })
    .await
}

/// The context of the turn of message `id` for a fork to the playground. Errors: `NotFound`.
#[server(endpoint = "personas/fork_context", input = server_fn::codec::GetUrl)]
pub async fn load_fork(id: i64) -> AppResult<ForkContext> {
    use crate::ctx;
    use crate::engine::inspector;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        inspector::fork(&state, op.workspace(), MessageId(id)).await
    })
    .await
}
