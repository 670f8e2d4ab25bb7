//! Server functions for personas beyond the workspace's own list: the shared library
//! (clone one), the trash (restore one) and import. Their endpoints keep the
//! `personas/` prefix they always had.

#[cfg(feature = "ssr")]
use crate::engine::ids::PersonaId;
use crate::error::AppResult;
use crate::types::{DeletedPersona, ImportConflict, ImportResult, PersonaSummary, SharedPersona};
use leptos::prelude::*;

/// Personas deleted in the last 30 days, newest first.
#[server(endpoint = "personas/deleted_personas", input = server_fn::codec::GetUrl)]
pub async fn deleted_personas() -> AppResult<Vec<DeletedPersona>> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::deleted(&state.db, op.workspace()).await
    })
    .await
}

/// Restores a deleted persona. Errors: `NotFound` (or deleted more than 30 days ago),
/// `Conflict` (its name was taken meanwhile).
#[server(endpoint = "personas/restore_persona")]
pub async fn restore_persona(id: i64) -> AppResult<PersonaSummary> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::restore(&state.db, op.workspace(), PersonaId(id), &op.email).await
    })
    .await
}

/// Personas other workspaces share.
#[server(endpoint = "personas/shared_library", input = server_fn::codec::GetUrl)]
pub async fn shared_library() -> AppResult<Vec<SharedPersona>> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::library(&state.db, op.workspace()).await
    })
    .await
}

/// Clones a shared persona into this workspace as `name` (version 1 = the source's
/// production version; the clone records its source). Errors: `NotFound` (not shared),
/// `Conflict` (name taken), `Invalid`.
#[server(endpoint = "personas/clone_persona")]
pub async fn clone_persona(source_id: i64, name: String) -> AppResult<PersonaSummary> {
    use crate::ctx;
    use crate::engine::personas;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        personas::clone_shared(&state.db, op.workspace(), PersonaId(source_id), Some(&name), &op.email).await
    })
    .await
}

/// Imports an export (`json`, the file's text as chosen or pasted). `on_conflict`:
/// `ask` (the default: `Conflict` if the name exists), `new_version` or `rename` (then
/// `new_name`). Errors: `Invalid` (not an export, bad versions), `Template`, `Conflict`.
#[server(endpoint = "personas/import_persona")]
pub async fn import_persona(
    json: String,
    on_conflict: Option<ImportConflict>,
    new_name: Option<String>,
) -> AppResult<ImportResult> {
    use crate::ctx;
    use crate::engine::transfer;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let export = transfer::parse_export(&json)?;
        let mode = on_conflict.unwrap_or_default();
        transfer::import(&state.db, op.workspace(), &export, mode, new_name.as_deref(), &op.email).await
    })
    .await
}
