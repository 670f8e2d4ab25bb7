//! The library: personas other workspaces share, and cloning one into this workspace.

use super::version;
use super::versions::{create_with_source, draft_of, Publish};
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::store::{audit, personas as store};
use crate::error::{AppError, AppResult};
use crate::types::{CloneSource, PersonaSummary, SharedPersona};

/// Personas other workspaces share (not deleted), with the version a clone would copy.
pub async fn library(db: &Db, ws: WorkspaceId) -> AppResult<Vec<SharedPersona>> {
    Ok(store::shared(db, ws, None).await?.into_iter().map(|(p, _)| p).collect())
}

/// Clones another workspace's shared persona into this one as `name` (default: the
/// source's name): version 1 is the source's production version (content, kind,
/// settings, variables), the clone records its source. Errors: `NotFound` (not shared,
/// deleted, or unknown — the same answer, so nothing unshared leaks), `Conflict` (name
/// taken), `Invalid`.
pub async fn clone_shared(
    db: &Db,
    ws: WorkspaceId,
    source_id: PersonaId,
    name: Option<&str>,
    actor: &str,
) -> AppResult<PersonaSummary> {
    let Some((shared, src_ws)) = store::shared(db, ws, Some(source_id)).await?.pop() else {
        return Err(AppError::not_found("shared persona"));
    };
    let v = version(db, src_ws, source_id, shared.version).await?;
    let source = CloneSource {
        persona_id: source_id.get(),
        version: shared.version,
        workspace: shared.workspace.clone(),
        name: shared.name.clone(),
    };
    let note = format!("Cloned from {} / {} v{}", shared.workspace, shared.name, shared.version);
    let name = name.unwrap_or(&shared.name);
    let p = create_with_source(db, ws, name, &draft_of(&v, note), actor, Some(&source), Publish::Draft).await?;
    audit::record(db, ws, actor, "persona_clone", &p.id.to_string(), &source_id.to_string()).await?;
    Ok(p)
}
