//! Export and import of personas: one JSON document ([`PersonaExport`]) or a folder
//! holding `persona.json` (the manifest) and one `v<N>.jinja` file per version, so
//! personas can live in git.

use super::db::Db;
use super::ids::{PersonaId, WorkspaceId};
use super::personas;
use crate::error::{AppError, AppResult};
use crate::types::{ExportedLabel, ExportedVersion, ImportConflict, ImportResult, PersonaExport, VersionDraft};
use std::path::Path;

/// The manifest's file name in a folder export.
pub const MANIFEST: &str = "persona.json";
/// Largest export accepted, in bytes (every version of a big persona fits easily).
pub const MAX_EXPORT_BYTES: usize = 8 * 1024 * 1024;
/// Most versions one import may carry.
pub const MAX_IMPORT_VERSIONS: usize = 2000;

/// A persona with every version (settings, variables, notes, authors, times) and its labels.
/// Errors: `NotFound`.
pub async fn export(db: &Db, ws: WorkspaceId, id: PersonaId) -> AppResult<PersonaExport> {
    let p = personas::get(db, ws, id).await?;
    let mut versions: Vec<ExportedVersion> = p
        .versions
        .into_iter()
        .map(|v| ExportedVersion {
            version: v.version,
            content: v.content,
            file: None,
            kind: v.kind,
            settings: v.settings,
            variables: v.variables,
            note: v.note,
            author: v.author,
            created_at: v.created_at,
        })
        .collect();
    versions.sort_by_key(|v| v.version);
    Ok(PersonaExport {
        format: PersonaExport::FORMAT.into(),
        name: p.name,
        active: p.active,
        versions,
        labels: p.labels.into_iter().map(|l| ExportedLabel { name: l.name, version: l.version }).collect(),
    })
}

/// Parses an export document. Errors: `Invalid` (field `json`) when it is not one.
pub fn parse_export(json: &str) -> AppResult<PersonaExport> {
    if json.len() > MAX_EXPORT_BYTES {
        return Err(AppError::invalid("json", format!("an export is at most {} MiB", MAX_EXPORT_BYTES / 1024 / 1024)));
    }
    serde_json::from_str(json)
        .map_err(|e| AppError::invalid("json", format!("this is not a PromptDev persona export: {e}")))
}

/// `ask`, `new_version` or `rename`. Errors: `Invalid` (field `on_conflict`).
pub fn parse_conflict(s: &str) -> AppResult<ImportConflict> {
    match s.trim() {
        "" | "ask" => Ok(ImportConflict::Ask),
        "new_version" | "new-version" => Ok(ImportConflict::NewVersion),
        "rename" => Ok(ImportConflict::Rename),
        other => {
            Err(AppError::invalid("on_conflict", format!("on_conflict is ask, new_version or rename, not “{other}”")))
        }
    }
}

/// Checks an export: format, versions numbered uniquely from 1, each a valid draft,
/// labels pointing at exported versions (production must exist; if missing it points to
/// the newest). Returns the versions as drafts, oldest first, and the labels.
/// Errors: `Invalid`, `Template` (naming the version).
#[allow(clippy::type_complexity)]
fn validated(export: &PersonaExport) -> AppResult<(Vec<(i64, VersionDraft, String, i64)>, Vec<(String, i64)>)> {
    if export.format != PersonaExport::FORMAT {
        return Err(AppError::invalid(
            "json",
            format!("unknown export format “{}” (expected {})", export.format, PersonaExport::FORMAT),
        ));
    }
    if export.versions.is_empty() || export.versions.len() > MAX_IMPORT_VERSIONS {
        return Err(AppError::invalid("json", format!("an export holds 1 to {MAX_IMPORT_VERSIONS} versions")));
    }
    let mut versions: Vec<&ExportedVersion> = export.versions.iter().collect();
    versions.sort_by_key(|v| v.version);
    let mut out = Vec::with_capacity(versions.len());
    for (i, v) in versions.iter().enumerate() {
        if v.version != i as i64 + 1 {
            return Err(AppError::invalid("json", "versions must be numbered 1, 2, 3 … without gaps or repeats"));
        }
        let draft = VersionDraft {
            content: v.content.clone(),
            kind: v.kind,
            settings: v.settings.clone(),
            variables: v.variables.clone(),
            note: v.note.clone(),
        };
        personas::validate_draft(&draft).map_err(|e| match e {
            AppError::Template { line, message } => {
                AppError::Template { line, message: format!("version {}: {message}", v.version) }
            }
            AppError::Invalid { field, message } => {
                AppError::Invalid { field, message: format!("version {}: {message}", v.version) }
            }
            other => other,
        })?;
        let author = if v.author.trim().is_empty() { "import".to_string() } else { v.author.clone() };
        let created_at = if v.created_at > 0 { v.created_at } else { super::now_ms() };
        out.push((v.version, draft, author, created_at));
    }
    let newest = out.len() as i64;
    let mut labels = Vec::new();
    for l in &export.labels {
        let name = personas::parse_label(&l.name)?;
        if l.version < 1 || l.version > newest {
            return Err(AppError::invalid(
                "json",
                format!("label {name} points to version {}, which is not in the export", l.version),
            ));
        }
        if labels.iter().any(|(n, _)| *n == name) {
            return Err(AppError::invalid("json", format!("label {name} appears twice")));
        }
        labels.push((name, l.version));
    }
    if !labels.iter().any(|(n, _)| n == personas::PRODUCTION) {
        labels.insert(0, (personas::PRODUCTION.to_string(), newest));
    }
    Ok((out, labels))
}

/// Imports an export into the workspace. A new name creates the persona with every
/// version and label. When the name exists: `Ask` → `Conflict` (the caller asks the
/// operator), `NewVersion` → the export's production version is saved as a new version
/// of the existing persona (content-addressed, labels untouched), `Rename` → created
/// under `new_name`. Errors: `Invalid`, `Template`, `Conflict`.
pub async fn import(
    db: &Db,
    ws: WorkspaceId,
    export: &PersonaExport,
    on_conflict: ImportConflict,
    new_name: Option<&str>,
    actor: &str,
) -> AppResult<ImportResult> {
    let (versions, labels) = validated(export)?;
    let name = personas::parse_name(&export.name)?;
    let existing = personas::find_by_name(db, ws, &name).await?;
    let target_name = match (existing, on_conflict) {
        (None, _) => name,
        (Some(_), ImportConflict::Ask) => {
            return Err(AppError::Conflict {
                message: format!(
                    "a persona named “{name}” exists: import as a new version of it, or under another name"
                ),
            })
        }
        (Some(id), ImportConflict::NewVersion) => {
            let prod = labels.iter().find(|(n, _)| n == personas::PRODUCTION).map(|(_, v)| *v).unwrap_or(1);
            let (_, draft, _, _) = &versions[(prod - 1) as usize];
            let mut draft = draft.clone();
            draft.note = format!("Imported (version {prod} of the export)");
            let r = personas::save_version(db, ws, id, &draft, actor).await?;
            return Ok(ImportResult {
                persona: personas::summary(db, ws, id).await?,
                versions_created: if r.unchanged { 0 } else { 1 },
            });
        }
        (Some(_), ImportConflict::Rename) => {
            let n = new_name.map(str::trim).filter(|n| !n.is_empty());
            let Some(n) = n else {
                return Err(AppError::invalid("new_name", "give the imported persona a new name"));
            };
            personas::parse_name(n)?
        }
    };
    let persona = personas::insert_imported(db, ws, &target_name, export.active, &versions, &labels, actor).await?;
    Ok(ImportResult { persona, versions_created: versions.len() as i64 })
}

/// The files of a folder export: the manifest (`persona.json`, versions without content,
/// each naming its file) and `v<N>.jinja` per version. Paths are relative.
pub fn to_folder(export: &PersonaExport) -> Vec<(String, String)> {
    let mut manifest = export.clone();
    let mut files = Vec::with_capacity(export.versions.len() + 1);
    for v in &mut manifest.versions {
        let file = format!("v{}.jinja", v.version);
        files.push((file.clone(), std::mem::take(&mut v.content)));
        v.file = Some(file);
    }
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    files.insert(0, (MANIFEST.to_string(), json + "\n"));
    files
}

/// Writes a folder export into `dir` (created if missing; files overwritten).
/// Errors: I/O, with the path.
pub fn write_folder(dir: &Path, export: &PersonaExport) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, text) in to_folder(export) {
        let path = dir.join(&name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Reads a folder export: the manifest, then each version's content from its file
/// (a file name may not leave the folder). Errors: `Invalid` naming the file.
pub fn read_folder(dir: &Path) -> AppResult<PersonaExport> {
    let read = |name: &str| -> AppResult<String> {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            return Err(AppError::invalid("file", format!("“{name}” must be a file name inside the folder")));
        }
        std::fs::read_to_string(dir.join(name))
            .map_err(|e| AppError::invalid("file", format!("cannot read {name} in {}: {e}", dir.display())))
    };
    let mut export = parse_export(&read(MANIFEST)?)?;
    for v in &mut export.versions {
        if let Some(file) = v.file.take() {
            v.content = read(&file)?;
        }
    }
    Ok(export)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ModelSettings, PersonaKind};

    fn sample() -> PersonaExport {
        PersonaExport {
            format: PersonaExport::FORMAT.into(),
            name: "Ava".into(),
            active: true,
            versions: (1..=2)
                .map(|n| ExportedVersion {
                    version: n,
                    content: format!("You are Ava {n}.\n{{{{ user_id }}}}\n"),
                    file: None,
                    kind: PersonaKind::Chat,
                    settings: ModelSettings { temperature: 0.2, ..Default::default() },
                    variables: vec![],
                    note: format!("v{n}"),
                    author: "a@b.c".into(),
                    created_at: 1000 * n,
                })
                .collect(),
            labels: vec![ExportedLabel { name: crate::types::PRODUCTION.into(), version: 1 }],
        }
    }

    #[test]
    fn folder_round_trip_is_lossless() {
        let dir = std::env::temp_dir().join(format!("pd-folder-{}", uuid::Uuid::new_v4()));
        write_folder(&dir, &sample()).unwrap();
        assert!(dir.join("v2.jinja").exists());
        let manifest = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
        assert!(!manifest.contains("You are Ava"), "content lives in the .jinja files");
        assert_eq!(read_folder(&dir).unwrap(), sample());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn exports_are_checked_before_import() {
        let mut gap = sample();
        gap.versions[1].version = 3;
        assert!(matches!(validated(&gap), Err(AppError::Invalid { .. })));
        let mut broken = sample();
        broken.versions[1].content = "{{ oops".into();
        match validated(&broken) {
            Err(AppError::Template { message, .. }) => assert!(message.starts_with("version 2:"), "{message}"),
            other => panic!("{other:?}"),
        }
        let mut no_prod = sample();
        no_prod.labels.clear();
        let (_, labels) = validated(&no_prod).unwrap();
        assert_eq!(labels, vec![(crate::types::PRODUCTION.to_string(), 2)]);
        let mut dangling = sample();
        dangling.labels.push(ExportedLabel { name: "staging".into(), version: 9 });
        assert!(validated(&dangling).is_err());
        assert!(parse_export("{}").is_err());
    }
}
