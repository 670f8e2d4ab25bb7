//! Personas (templates) and their immutable, numbered versions.

use super::db::Db;
use super::{is_unique_violation, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{DiffKind, DiffLine, PersonaDetail, PersonaSummary, SaveResult, VersionDiff, VersionInfo};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The persona every new workspace starts with.
pub const DEFAULT_PERSONA_NAME: &str = "Ava";
pub const DEFAULT_PERSONA: &str = r#"You are Ava, a warm, curious and supportive companion talking with {{ user_id }}.
Speak casually, in short replies of one to three sentences, and ask a question back now and then.
{% if memory %}
What you remember about them:
{% for key, value in memory|items %}- {{ key }}: {{ value }}
{% endfor %}{% endif %}
The current time is {{ now }}."#;

/// Longest persona name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest version note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// A persona name: trimmed, 1–80 characters, no control characters.
pub fn parse_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "give the persona a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            format!("use at most {MAX_NAME_CHARS} characters, no control characters"),
        ));
    }
    Ok(name.to_string())
}

fn parse_note(note: &str) -> AppResult<String> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::invalid("note", format!("use at most {MAX_NOTE_CHARS} characters")));
    }
    Ok(note.to_string())
}

/// sha256 of the content, lowercase hex.
pub fn checksum(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// Seeds the default persona in a new workspace (inside the caller's transaction).
pub async fn seed_default(tx: &mut sqlx::Transaction<'_, sqlx::Any>, workspace_id: i64, author: &str) -> AppResult<()> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO templates (workspace_id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(workspace_id)
    .bind(DEFAULT_PERSONA_NAME)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(insert_version(tx, workspace_id, id, 1, DEFAULT_PERSONA, "Default persona", author).await?)
}

async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: i64,
    template_id: i64,
    version: i64,
    content: &str,
    note: &str,
    author: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO template_versions (workspace_id, template_id, version, content, checksum, note, author, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(workspace_id)
    .bind(template_id)
    .bind(version)
    .bind(content)
    .bind(checksum(content))
    .bind(note)
    .bind(author)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE templates SET updated_at = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(now)
        .bind(template_id)
        .bind(workspace_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Creates a persona at version 1. Errors: `Invalid` (name, note), `Template` (content
/// does not compile), `Conflict` (name taken in this workspace).
pub async fn create(
    db: &Db,
    workspace_id: i64,
    name: &str,
    content: &str,
    note: &str,
    author: &str,
) -> AppResult<PersonaSummary> {
    let name = parse_name(name)?;
    let note = parse_note(note)?;
    super::render::check(content)?;
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO templates (workspace_id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(workspace_id)
    .bind(&name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict { message: format!("a persona named “{name}” exists already") }
        } else {
            e.into()
        }
    })?;
    insert_version(&mut tx, workspace_id, id, 1, content, &note, author).await?;
    tx.commit().await?;
    Ok(PersonaSummary { id, name, latest_version: 1, updated_at: now })
}

/// Saves `content` as the next version (latest + 1). Content-addressed: when its sha256
/// equals the latest version's, no version is created and the result says `unchanged`.
/// Errors: `NotFound` (not in this workspace), `Template`, `Invalid`.
pub async fn save_version(
    db: &Db,
    workspace_id: i64,
    template_id: i64,
    content: &str,
    note: &str,
    author: &str,
) -> AppResult<SaveResult> {
    let note = parse_note(note)?;
    super::render::check(content)?;
    let sum = checksum(content);
    // Two operators saving at once both compute the same next number; the unique
    // (template_id, version) constraint refuses the second, which then retries.
    for _ in 0..3 {
        let mut tx = db.pool.begin().await?;
        let latest = sqlx::query(
            "SELECT v.version, v.checksum FROM template_versions v JOIN templates t ON t.id = v.template_id \
             WHERE t.id = $1 AND t.workspace_id = $2 ORDER BY v.version DESC LIMIT 1",
        )
        .bind(template_id)
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(latest) = latest else {
            return Err(AppError::not_found("persona"));
        };
        let (latest_n, latest_sum): (i64, String) = (latest.try_get("version")?, latest.try_get("checksum")?);
        if latest_sum == sum {
            drop(tx);
            return Ok(SaveResult {
                version: version(db, workspace_id, template_id, latest_n).await?,
                unchanged: true,
            });
        }
        match insert_version(&mut tx, workspace_id, template_id, latest_n + 1, content, &note, author).await {
            Ok(()) => {
                tx.commit().await?;
                let v = version(db, workspace_id, template_id, latest_n + 1).await?;
                return Ok(SaveResult { version: v, unchanged: false });
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { message: "the persona is being saved by someone else; try again".into() })
}

/// Restores version `n` by saving its content as a new version (history stays intact).
/// Errors: `NotFound` (persona or version).
/// Restoring the content the latest version already has creates nothing (`unchanged`).
pub async fn rollback(db: &Db, workspace_id: i64, template_id: i64, n: i64, author: &str) -> AppResult<SaveResult> {
    let old = version(db, workspace_id, template_id, n).await?;
    save_version(db, workspace_id, template_id, &old.content, &format!("Rollback to version {n}"), author).await
}

/// Creates the persona, or saves a new version if the name exists (the REST API's
/// `POST /admin/templates`). Returns the persona and the save result (version 1 when created).
pub async fn upsert_by_name(
    db: &Db,
    workspace_id: i64,
    name: &str,
    content: &str,
    note: &str,
    author: &str,
) -> AppResult<(PersonaSummary, SaveResult)> {
    let name = parse_name(name)?;
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM templates WHERE workspace_id = $1 AND name = $2")
        .bind(workspace_id)
        .bind(&name)
        .fetch_optional(&db.pool)
        .await?;
    match existing {
        Some(id) => {
            let r = save_version(db, workspace_id, id, content, note, author).await?;
            let v = &r.version;
            Ok((PersonaSummary { id, name, latest_version: v.version, updated_at: v.created_at }, r))
        }
        None => {
            let p = create(db, workspace_id, &name, content, note, author).await?;
            let v = version(db, workspace_id, p.id, 1).await?;
            Ok((p, SaveResult { version: v, unchanged: false }))
        }
    }
}

/// Personas of the workspace, by name.
pub async fn list(db: &Db, workspace_id: i64) -> AppResult<Vec<PersonaSummary>> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, t.updated_at, MAX(v.version) AS latest FROM templates t \
         JOIN template_versions v ON v.template_id = t.id \
         WHERE t.workspace_id = $1 GROUP BY t.id, t.name, t.updated_at ORDER BY t.name",
    )
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PersonaSummary {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                latest_version: r.try_get("latest")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

fn version_from_row(r: &sqlx::any::AnyRow) -> Result<VersionInfo, sqlx::Error> {
    Ok(VersionInfo {
        version: r.try_get("version")?,
        content: r.try_get("content")?,
        checksum: r.try_get("checksum")?,
        note: r.try_get("note")?,
        author: r.try_get("author")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A persona with all its versions, newest first. Errors: `NotFound`.
pub async fn get(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<PersonaDetail> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM templates WHERE id = $1 AND workspace_id = $2")
        .bind(template_id)
        .bind(workspace_id)
        .fetch_optional(&db.pool)
        .await?;
    let name = name.ok_or_else(|| AppError::not_found("persona"))?;
    let rows = sqlx::query(
        "SELECT version, content, checksum, note, author, created_at FROM template_versions \
         WHERE template_id = $1 AND workspace_id = $2 ORDER BY version DESC",
    )
    .bind(template_id)
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    let versions: Vec<VersionInfo> = rows.iter().map(version_from_row).collect::<Result<_, _>>()?;
    // Stored versions always compiled; an empty list only if that ever changes.
    let variables = versions.first().and_then(|v| super::render::variables(&v.content).ok()).unwrap_or_default();
    Ok(PersonaDetail { id: template_id, name, versions, variables })
}

/// One version. Errors: `NotFound`.
pub async fn version(db: &Db, workspace_id: i64, template_id: i64, n: i64) -> AppResult<VersionInfo> {
    let row = sqlx::query(
        "SELECT version, content, checksum, note, author, created_at FROM template_versions \
         WHERE template_id = $1 AND workspace_id = $2 AND version = $3",
    )
    .bind(template_id)
    .bind(workspace_id)
    .bind(n)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(version_from_row(&r)?),
        None => Err(AppError::not_found(format!("version {n}"))),
    }
}

/// The version chat uses: the latest. Errors: `NotFound`.
pub async fn latest(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<(String, VersionInfo)> {
    let row = sqlx::query(
        "SELECT t.name, v.version, v.content, v.checksum, v.note, v.author, v.created_at FROM templates t \
         JOIN template_versions v ON v.template_id = t.id \
         WHERE t.id = $1 AND t.workspace_id = $2 ORDER BY v.version DESC LIMIT 1",
    )
    .bind(template_id)
    .bind(workspace_id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok((r.try_get("name")?, version_from_row(&r)?)),
        None => Err(AppError::not_found("persona")),
    }
}

/// Line diff of `old` → `new` with word-level highlights inside changed lines (the
/// `similar` crate: Myers line diff, then a word diff of replaced line ranges). Returns
/// the lines and the counts (added, removed).
pub fn diff_text(old: &str, new: &str) -> (Vec<DiffLine>, u32, u32) {
    use similar::{ChangeTag, TextDiff};
    // A last line without its newline would otherwise count as changed the moment a line
    // is added after it.
    let with_newline = |s: &str| if s.is_empty() || s.ends_with('\n') { s.to_string() } else { format!("{s}\n") };
    let (old, new) = (with_newline(old), with_newline(new));
    let diff = TextDiff::from_lines(&old, &new);
    let (mut lines, mut added, mut removed) = (Vec::new(), 0u32, 0u32);
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            let kind = match change.tag() {
                ChangeTag::Equal => DiffKind::Equal,
                ChangeTag::Insert => {
                    added += 1;
                    DiffKind::Added
                }
                ChangeTag::Delete => {
                    removed += 1;
                    DiffKind::Removed
                }
            };
            let mut segments: Vec<(bool, String)> =
                change.iter_strings_lossy().map(|(emph, text)| (emph, text.into_owned())).collect();
            if let Some((_, last)) = segments.last_mut() {
                if last.ends_with('\n') {
                    last.pop();
                }
            }
            segments.retain(|(_, t)| !t.is_empty());
            lines.push(DiffLine {
                kind,
                old_line: change.old_index().map(|i| i as u32 + 1),
                new_line: change.new_index().map(|i| i as u32 + 1),
                segments,
            });
        }
    }
    (lines, added, removed)
}

/// Diff between versions `from` and `to` (any two, either order). Errors: `NotFound`.
pub async fn diff(db: &Db, workspace_id: i64, template_id: i64, from: i64, to: i64) -> AppResult<VersionDiff> {
    let old = version(db, workspace_id, template_id, from).await?;
    let new = version(db, workspace_id, template_id, to).await?;
    let (lines, added, removed) = diff_text(&old.content, &new.content);
    Ok(VersionDiff { persona_id: template_id, from, to, added, removed, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Ava ").unwrap(), "Ava");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(parse_name("a\u{7}b").is_err());
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(checksum("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn diffs_count_lines_and_mark_changed_words() {
        let (lines, added, removed) =
            diff_text("You are Ava.\nBe kind.\nBye\n", "You are Ava.\nBe very kind.\nBye\nNew line\n");
        assert_eq!((added, removed), (2, 1));
        let kinds: Vec<DiffKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, vec![DiffKind::Equal, DiffKind::Removed, DiffKind::Added, DiffKind::Equal, DiffKind::Added]);
        let changed = &lines[2];
        assert_eq!((changed.old_line, changed.new_line), (None, Some(2)));
        let text: String = changed.segments.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(text, "Be very kind.");
        let emphasized: Vec<&str> = changed.segments.iter().filter(|(e, _)| *e).map(|(_, t)| t.as_str()).collect();
        assert_eq!(emphasized, vec!["very "], "only the inserted word is highlighted");
        assert_eq!(lines[4].segments, vec![(false, "New line".to_string())]);
    }

    #[test]
    fn a_missing_final_newline_is_not_a_change() {
        let (lines, added, removed) = diff_text("a\nb", "a\nb\nc");
        assert_eq!((added, removed), (1, 0), "{lines:?}");
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let (lines, added, removed) = diff_text("a\nb", "a\nb");
        assert_eq!((added, removed), (0, 0));
        assert!(lines.iter().all(|l| l.kind == DiffKind::Equal));
    }

    #[test]
    fn the_default_persona_compiles() {
        crate::engine::render::check(DEFAULT_PERSONA).unwrap();
    }
}
