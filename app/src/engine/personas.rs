//! Personas (templates) and their immutable, numbered versions.

use super::db::Db;
use super::{is_unique_violation, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{PersonaDetail, PersonaSummary, VersionInfo};
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

/// Saves `content` as the next version (latest + 1). Errors: `NotFound` (not in this
/// workspace), `Template`, `Invalid`.
pub async fn save_version(
    db: &Db,
    workspace_id: i64,
    template_id: i64,
    content: &str,
    note: &str,
    author: &str,
) -> AppResult<VersionInfo> {
    let note = parse_note(note)?;
    super::render::check(content)?;
    // Two operators saving at once both compute the same next number; the unique
    // (template_id, version) constraint refuses the second, which then retries.
    for _ in 0..3 {
        let mut tx = db.pool.begin().await?;
        let latest: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(v.version) FROM template_versions v JOIN templates t ON t.id = v.template_id \
             WHERE t.id = $1 AND t.workspace_id = $2",
        )
        .bind(template_id)
        .bind(workspace_id)
        .fetch_one(&mut *tx)
        .await?;
        let Some(latest) = latest else {
            return Err(AppError::not_found("persona"));
        };
        match insert_version(&mut tx, workspace_id, template_id, latest + 1, content, &note, author).await {
            Ok(()) => {
                tx.commit().await?;
                return version(db, workspace_id, template_id, latest + 1).await;
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { message: "the persona is being saved by someone else; try again".into() })
}

/// Restores version `n` by saving its content as a new version (history stays intact).
/// Errors: `NotFound` (persona or version).
pub async fn rollback(db: &Db, workspace_id: i64, template_id: i64, n: i64, author: &str) -> AppResult<VersionInfo> {
    let old = version(db, workspace_id, template_id, n).await?;
    save_version(db, workspace_id, template_id, &old.content, &format!("Rollback to version {n}"), author).await
}

/// Creates the persona, or saves a new version if the name exists (the REST API's
/// `POST /admin/templates`). Returns the persona and the version number written.
pub async fn upsert_by_name(
    db: &Db,
    workspace_id: i64,
    name: &str,
    content: &str,
    note: &str,
    author: &str,
) -> AppResult<(PersonaSummary, i64)> {
    let name = parse_name(name)?;
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM templates WHERE workspace_id = $1 AND name = $2")
        .bind(workspace_id)
        .bind(&name)
        .fetch_optional(&db.pool)
        .await?;
    match existing {
        Some(id) => {
            let v = save_version(db, workspace_id, id, content, note, author).await?;
            Ok((PersonaSummary { id, name, latest_version: v.version, updated_at: v.created_at }, v.version))
        }
        None => {
            let p = create(db, workspace_id, &name, content, note, author).await?;
            Ok((p, 1))
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
    let versions = rows.iter().map(version_from_row).collect::<Result<_, _>>()?;
    Ok(PersonaDetail { id: template_id, name, versions })
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
    fn the_default_persona_compiles() {
        crate::engine::render::check(DEFAULT_PERSONA).unwrap();
    }
}
