//! Creating personas, saving versions (content-addressed), reading them, rolling back.

use super::{
    checksum, name_conflict, parse_name, validate_draft, variables_for, DEFAULT_PERSONA, DEFAULT_PERSONA_NAME,
    PRODUCTION,
};
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::store::{personas as store, versions};
use crate::engine::{is_unique_violation, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{
    CloneSource, DeclaredVariable, ModelSettings, PersonaDetail, PersonaKind, PersonaSummary, SaveResult, VersionDraft,
    VersionInfo,
};

fn default_draft() -> VersionDraft {
    VersionDraft {
        content: DEFAULT_PERSONA.to_string(),
        kind: PersonaKind::Chat,
        settings: ModelSettings::default(),
        variables: Vec::new(),
        note: "Default persona".into(),
    }
}

/// Seeds the default persona in a new workspace (inside the caller's transaction).
pub async fn seed_default(tx: &mut sqlx::AnyConnection, ws: WorkspaceId, author: &str) -> AppResult<()> {
    let id = store::insert(tx, ws, DEFAULT_PERSONA_NAME, true, None).await?;
    let draft = default_draft();
    versions::insert(tx, ws, id, 1, &draft, &checksum(&draft.content), &draft.note, author, now_ms()).await?;
    versions::set_label(tx, ws, id, PRODUCTION, 1, author).await?;
    Ok(())
}

/// Whether a new persona starts live in chat or as a draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    /// `production` points at v1: end users can pick it at once (the original API's
    /// `POST /admin/templates`, the seeded default).
    Now,
    /// No `production` label: not offered in chat and not chattable until an operator
    /// publishes a version (moves `production` to it). Personas made in the dashboard.
    Draft,
}

/// Creates a persona at version 1, published or as a draft (see [`Publish`]).
/// Errors: `Invalid` (name, note, settings, variables), `Template` (content does not
/// compile), `Conflict` (name taken in this workspace).
pub async fn create(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    draft: &VersionDraft,
    author: &str,
    publish: Publish,
) -> AppResult<PersonaSummary> {
    create_with_source(db, ws, name, draft, author, None, publish).await
}

/// [`create`] recording where a clone came from.
pub(super) async fn create_with_source(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    draft: &VersionDraft,
    author: &str,
    source: Option<&CloneSource>,
    publish: Publish,
) -> AppResult<PersonaSummary> {
    let name = parse_name(name)?;
    let note = validate_draft(draft)?;
    let mut tx = db.pool.begin().await?;
    let id = store::insert(&mut tx, ws, &name, true, source).await.map_err(|e| {
        if is_unique_violation(&e) {
            name_conflict(&name)
        } else {
            e.into()
        }
    })?;
    versions::insert(&mut tx, ws, id, 1, draft, &checksum(&draft.content), &note, author, now_ms()).await?;
    if publish == Publish::Now {
        versions::set_label(&mut tx, ws, id, PRODUCTION, 1, author).await?;
    }
    tx.commit().await?;
    summary(db, ws, id).await
}

/// Saves a draft as the next version (latest + 1). Content-addressed: when the content's
/// sha256 equals the latest version's and kind, settings and variables are equal too, no
/// version is created and the result says `unchanged`. Labels do not move: promoting is a
/// separate step ([`super::move_label`]). Errors: `NotFound` (not in this workspace),
/// `Template`, `Invalid`.
pub async fn save_version(
    db: &Db,
    ws: WorkspaceId,
    id: PersonaId,
    draft: &VersionDraft,
    author: &str,
) -> AppResult<SaveResult> {
    let note = validate_draft(draft)?;
    let sum = checksum(&draft.content);
    // Two operators saving at once both compute the same next number; the unique
    // (id, version) constraint refuses the second, which then retries.
    for _ in 0..3 {
        let latest = latest(db, ws, id).await?.1;
        if latest.checksum == sum
            && latest.kind == draft.kind
            && latest.settings == draft.settings
            && latest.variables == draft.variables
        {
            return Ok(SaveResult { version: latest, unchanged: true });
        }
        let n = latest.version + 1;
        let mut tx = db.pool.begin().await?;
        match versions::insert(&mut tx, ws, id, n, draft, &sum, &note, author, now_ms()).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(SaveResult { version: version(db, ws, id, n).await?, unchanged: false });
            }
            Err(e) if is_unique_violation(&e) => {
                tx.rollback().await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { message: "the persona is being saved by someone else; try again".into() })
}

/// A version to save where only the content is required: a field not given keeps the
/// base version's value (the latest, for a persona that exists) or the default (for a
/// new one). The one place REST bodies and server functions fill in a partial draft.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionPatch {
    pub content: String,
    pub note: String,
    pub kind: Option<PersonaKind>,
    pub settings: Option<ModelSettings>,
    pub variables: Option<Vec<DeclaredVariable>>,
}

impl VersionPatch {
    /// The full draft over `base` (None: the defaults).
    pub fn apply(self, base: Option<&VersionInfo>) -> VersionDraft {
        VersionDraft {
            content: self.content,
            kind: self.kind.or(base.map(|b| b.kind)).unwrap_or_default(),
            settings: self.settings.or_else(|| base.map(|b| b.settings.clone())).unwrap_or_default(),
            variables: self.variables.or_else(|| base.map(|b| b.variables.clone())).unwrap_or_default(),
            note: self.note,
        }
    }
}

/// [`save_version`] of a [`VersionPatch`] over the latest version. Errors: as [`save_version`].
pub async fn save_patch(
    db: &Db,
    ws: WorkspaceId,
    id: PersonaId,
    patch: VersionPatch,
    author: &str,
) -> AppResult<SaveResult> {
    let (_, latest) = latest(db, ws, id).await?;
    save_version(db, ws, id, &patch.apply(Some(&latest)), author).await
}

/// The draft that restores `v` as a new version.
pub(super) fn draft_of(v: &VersionInfo, note: String) -> VersionDraft {
    VersionDraft {
        content: v.content.clone(),
        kind: v.kind,
        settings: v.settings.clone(),
        variables: v.variables.clone(),
        note,
    }
}

/// Restores version `n` (content, kind, settings, variables) by saving it as a new version;
/// history stays intact and labels do not move. Restoring what the latest version already
/// has creates nothing (`unchanged`). Errors: `NotFound` (persona or version).
pub async fn rollback(db: &Db, ws: WorkspaceId, id: PersonaId, n: i64, author: &str) -> AppResult<SaveResult> {
    let old = version(db, ws, id, n).await?;
    save_version(db, ws, id, &draft_of(&old, format!("Rollback to version {n}")), author).await
}

/// The id of the (not deleted) persona called `name`.
pub async fn find_by_name(db: &Db, ws: WorkspaceId, name: &str) -> AppResult<Option<PersonaId>> {
    store::find_by_name(db, ws, name).await
}

/// One persona as the list shows it. Errors: `NotFound` (also when deleted).
pub async fn summary(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<PersonaSummary> {
    store::summary(db, ws, id).await?.ok_or_else(|| AppError::not_found("persona"))
}

/// Personas of the workspace (not deleted), by name.
pub async fn list(db: &Db, ws: WorkspaceId) -> AppResult<Vec<PersonaSummary>> {
    store::list(db, ws).await
}

/// A persona with all its versions (newest first), labels, label moves and clone source.
/// Errors: `NotFound` (also when deleted).
pub async fn get(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<PersonaDetail> {
    let row = store::get(db, ws, id).await?.ok_or_else(|| AppError::not_found("persona"))?;
    let versions = versions::all(db, ws, id).await?;
    let variables = versions.first().map(|v| variables_for(&v.content, &v.variables)).unwrap_or_default();
    Ok(PersonaDetail {
        id: id.get(),
        name: row.name,
        active: row.active,
        shared: row.shared,
        versions,
        variables,
        labels: versions::labels(db, ws, id).await?,
        label_moves: versions::label_moves(db, ws, id).await?,
        source: row.source,
    })
}

/// One version. Errors: `NotFound` (persona deleted or elsewhere, or no such version).
pub async fn version(db: &Db, ws: WorkspaceId, id: PersonaId, n: i64) -> AppResult<VersionInfo> {
    versions::get(db, ws, id, n).await?.ok_or_else(|| AppError::not_found(format!("version {n}")))
}

/// The newest version and the persona's name. Errors: `NotFound`.
pub async fn latest(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<(String, VersionInfo)> {
    versions::latest(db, ws, id).await?.ok_or_else(|| AppError::not_found("persona"))
}

/// The version `label` points to. Errors: `NotFound` (persona, or no such label).
pub async fn resolve_label(db: &Db, ws: WorkspaceId, id: PersonaId, label: &str) -> AppResult<VersionInfo> {
    versions::by_label(db, ws, id, label).await?.ok_or_else(|| AppError::not_found(format!("label {label}")))
}

/// The version chat uses: the one `production` points to. A draft (no `production`
/// label) has none: there is no fallback to the latest version. Errors: `NotFound`.
pub async fn production(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<VersionInfo> {
    resolve_label(db, ws, id, PRODUCTION).await
}

/// Imports a persona with all its versions (numbers, notes, authors and times kept) and
/// labels; the caller has validated `versions` (see `transfer`). Errors: `Conflict`.
pub async fn insert_imported(
    db: &Db,
    ws: WorkspaceId,
    name: &str,
    active: bool,
    imported: &[(i64, VersionDraft, String, i64)],
    labels: &[(String, i64)],
    actor: &str,
) -> AppResult<PersonaSummary> {
    let mut tx = db.pool.begin().await?;
    let id = store::insert(&mut tx, ws, name, active, None).await.map_err(|e| {
        if is_unique_violation(&e) {
            name_conflict(name)
        } else {
            e.into()
        }
    })?;
    for (n, draft, author, created_at) in imported {
        versions::insert(&mut tx, ws, id, *n, draft, &checksum(&draft.content), &draft.note, author, *created_at)
            .await?;
    }
    for (label, n) in labels {
        versions::set_label(&mut tx, ws, id, label, *n, actor).await?;
    }
    tx.commit().await?;
    summary(db, ws, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_keeps_what_it_does_not_name() {
        let base = VersionInfo {
            version: 3,
            content: "old".into(),
            checksum: String::new(),
            note: String::new(),
            author: String::new(),
            created_at: 0,
            kind: PersonaKind::Text,
            settings: ModelSettings { temperature: 0.2, ..Default::default() },
            variables: vec![],
        };
        let patch = VersionPatch { content: "new".into(), note: "n".into(), ..Default::default() };
        let d = patch.clone().apply(Some(&base));
        assert_eq!((d.content.as_str(), d.kind, d.settings.temperature), ("new", PersonaKind::Text, 0.2));
        let fresh = patch.apply(None);
        assert_eq!((fresh.kind, fresh.settings), (PersonaKind::Chat, ModelSettings::default()));
        let chosen = VersionPatch { kind: Some(PersonaKind::Chat), ..Default::default() }.apply(Some(&base));
        assert_eq!(chosen.kind, PersonaKind::Chat);
    }
}
