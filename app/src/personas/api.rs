//! Server functions for personas (templates) and their versions.

use crate::error::AppResult;
use crate::types::{PersonaDetail, PersonaSummary, SaveResult, VersionDiff};
use leptos::prelude::*;

/// The workspace's personas by name.
#[server(endpoint = "personas/list_personas", input = server_fn::codec::GetUrl)]
pub async fn list_personas() -> AppResult<Vec<PersonaSummary>> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::list(&state.db, op.workspace_id).await
    })
    .await
}

/// A persona with its versions, newest first. Errors: `NotFound`.
#[server(endpoint = "personas/get_persona", input = server_fn::codec::GetUrl)]
pub async fn get_persona(id: i64) -> AppResult<PersonaDetail> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::get(&state.db, op.workspace_id, id).await
    })
    .await
}

/// Creates a persona (version 1) and opens it in the editor.
/// Errors: `Invalid`, `Template`, `Conflict` (name taken).
#[server(endpoint = "personas/create_persona")]
pub async fn create_persona(name: String, content: String, note: String) -> AppResult<PersonaSummary> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        let p = personas::create(&state.db, op.workspace_id, &name, &content, &note, &op.email).await?;
        leptos_axum::redirect(&format!("/dashboard/personas/{}", p.id));
        Ok(p)
    })
    .await
}

/// Saves the editor's content as the next version (nothing, `unchanged`, when it equals
/// the latest). Errors: `NotFound`, `Template`, `Invalid`.
#[server(endpoint = "personas/save_persona_version")]
pub async fn save_persona_version(id: i64, content: String, note: String) -> AppResult<SaveResult> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::save_version(&state.db, op.workspace_id, id, &content, &note, &op.email).await
    })
    .await
}

/// Restores version `version` as a new version. Errors: `NotFound`.
#[server(endpoint = "personas/rollback_persona")]
pub async fn rollback_persona(id: i64, version: i64) -> AppResult<SaveResult> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::rollback(&state.db, op.workspace_id, id, version, &op.email).await
    })
    .await
}

/// Line diff between versions `from` and `to` of a persona. Errors: `NotFound`.
#[server(endpoint = "personas/diff_versions", input = server_fn::codec::GetUrl)]
pub async fn diff_versions(id: i64, from: i64, to: i64) -> AppResult<VersionDiff> {
    use crate::engine::{personas, web};
    web::guard(async move {
        let (state, op) = web::operator().await?;
        personas::diff(&state.db, op.workspace_id, id, from, to).await
    })
    .await
}
