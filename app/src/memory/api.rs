//! Server functions for the Memory page (per-persona switches, the approval queue) and
//! the monitor's sentiment panel. Each checks the operator and acts in their workspace only.

use crate::error::AppResult;
use crate::types::{ExtractionMode, MemoryEntry, MemoryPage, SessionSentiment};
use leptos::prelude::*;

/// Every persona's switches and the pending facts, oldest first.
#[server(endpoint = "memory/page", input = server_fn::codec::GetUrl)]
pub async fn load_memory_page() -> AppResult<MemoryPage> {
    use crate::ctx;
    use crate::engine::memory::{approval, persona_settings};
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let personas = persona_settings(&state.db, op.workspace()).await?;
        let pending = approval::pending(&state.db, op.workspace(), None).await?;
        Ok(MemoryPage { personas, pending })
    })
    .await
}

/// Sets a persona's automatic-memory mode. Errors: `NotFound`.
#[server(endpoint = "memory/set_extraction")]
pub async fn set_extraction(persona_id: i64, mode: ExtractionMode) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::{ids::PersonaId, memory};
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        memory::set_extraction_mode(&state.db, op.workspace(), PersonaId(persona_id), mode, &op.email).await
    })
    .await
}

/// Turns sentiment scoring on or off for a persona's chats (a chat's own switch wins).
/// Errors: `NotFound`.
#[server(endpoint = "memory/set_persona_sentiment")]
pub async fn set_persona_sentiment(persona_id: i64, on: bool) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::{ids::PersonaId, sentiment};
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        sentiment::set_persona(&state.db, op.workspace(), PersonaId(persona_id), on, &op.email).await
    })
    .await
}

/// Approves pending fact `id`; `value` (text, or JSON when it parses) replaces the
/// extracted value when given. Errors: `NotFound`, `Conflict` (decided already), `Invalid`.
#[server(endpoint = "memory/approve")]
pub async fn approve_memory(id: i64, value: Option<String>) -> AppResult<MemoryEntry> {
    use crate::ctx;
    use crate::engine::memory::approval;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let edited = value.map(|v| serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v)));
        approval::approve(&state, op.workspace(), id, edited.as_ref(), &op.email).await
    })
    .await
}

/// Rejects pending fact `id`. Errors: `NotFound`, `Conflict` (decided already).
#[server(endpoint = "memory/reject")]
pub async fn reject_memory(id: i64) -> AppResult<()> {
    use crate::ctx;
    use crate::engine::memory::approval;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        approval::reject(&state, op.workspace(), id, &op.email).await
    })
    .await
}

/// The sentiment panel of chat `session_id` of `user_id`. Errors: `NotFound`.
#[server(endpoint = "memory/session_sentiment", input = server_fn::codec::GetUrl)]
pub async fn load_session_sentiment(user_id: String, session_id: i64) -> AppResult<SessionSentiment> {
    use crate::ctx;
    use crate::engine::{ids::SessionId, sentiment};
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        sentiment::panel(&state.db, op.workspace(), &user_id, SessionId(session_id)).await
    })
    .await
}

/// Turns scoring on or off for one chat; returns what is in effect. Errors: `NotFound`.
#[server(endpoint = "memory/toggle_session_sentiment")]
pub async fn toggle_session_sentiment(session_id: i64, enabled: bool) -> AppResult<bool> {
    use crate::ctx;
    use crate::engine::{ids::SessionId, sentiment};
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        sentiment::toggle(&state.db, op.workspace(), SessionId(session_id), Some(enabled), &op.email).await
    })
    .await
}
