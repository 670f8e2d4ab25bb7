//! Personas (templates) and their immutable, numbered versions.

use super::db::Db;
use super::AppState;
use super::{is_unique_violation, now_ms};
use crate::error::{AppError, AppResult};
use crate::types::{
    CloneSource, DeclaredVariable, DeletedPersona, DiffKind, DiffLine, Label, LabelMove, LiveEvent, ModelSettings,
    PersonaDetail, PersonaKind, PersonaSummary, SaveResult, SharedPersona, TemplateVariable, VersionDiff, VersionDraft,
    VersionInfo,
};
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

/// Longest label name, in characters.
pub const MAX_LABEL_CHARS: usize = 32;
/// The label chat uses.
pub const PRODUCTION: &str = "production";
/// Most variables one version may declare.
pub const MAX_DECLARED_VARIABLES: usize = 32;
/// How long a deleted persona can be restored, in ms (30 days).
pub const RESTORE_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// A label name: 1–32 of `a-z 0-9 - _`, starting with a letter or digit (`production`,
/// `staging`, `canary-2`). Errors: `Invalid` (field `label`).
pub fn parse_label(name: &str) -> AppResult<String> {
    let name = name.trim().to_lowercase();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_LABEL_CHARS
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(AppError::invalid(
            "label",
            format!("a label is 1 to {MAX_LABEL_CHARS} lowercase letters, digits, - or _"),
        ));
    }
    Ok(name)
}

/// Checks declared variables: identifiers (≤ 40 characters), unique, not one the pipeline
/// provides, defaults of the declared type, at most [`MAX_DECLARED_VARIABLES`].
/// Errors: `Invalid` (field `variables`).
pub fn validate_variables(vars: &[DeclaredVariable]) -> AppResult<()> {
    let bad = |m: String| Err(AppError::invalid("variables", m));
    if vars.len() > MAX_DECLARED_VARIABLES {
        return bad(format!("declare at most {MAX_DECLARED_VARIABLES} variables"));
    }
    for (i, v) in vars.iter().enumerate() {
        let ident = !v.name.is_empty()
            && v.name.len() <= 40
            && v.name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && v.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return bad(format!(
                "“{}” is not a variable name: use letters, digits and _, starting with a letter",
                v.name
            ));
        }
        if super::render::PIPELINE_VARIABLES.contains(&v.name.as_str()) {
            return bad(format!("“{}” is provided by the pipeline; choose another name", v.name));
        }
        if vars[..i].iter().any(|o| o.name == v.name) {
            return bad(format!("“{}” is declared twice", v.name));
        }
        if !v.var_type.accepts(&v.default) {
            return bad(format!("the default of “{}” is not a {}", v.name, v.var_type.as_str()));
        }
        if v.description.chars().count() > 200 {
            return bad(format!("the description of “{}” is longer than 200 characters", v.name));
        }
    }
    Ok(())
}

/// Declared variables from the editor's JSON (blank = none), validated.
/// Errors: `Invalid` (field `variables`).
pub fn parse_variables_json(json: &str) -> AppResult<Vec<DeclaredVariable>> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let vars: Vec<DeclaredVariable> = serde_json::from_str(json).map_err(|e| {
        AppError::invalid("variables", format!("variables must be a list of {{name, type, default}}: {e}"))
    })?;
    validate_variables(&vars)?;
    Ok(vars)
}

/// Validates a draft: content compiles (`Template`), note, settings, variables (`Invalid`).
pub fn validate_draft(draft: &VersionDraft) -> AppResult<String> {
    let note = parse_note(&draft.note)?;
    super::render::check(&draft.content)?;
    draft.settings.validate()?;
    validate_variables(&draft.variables)?;
    Ok(note)
}

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
    let draft = default_draft();
    insert_version(tx, workspace_id, id, 1, &draft, &draft.note, author, now).await?;
    set_label_tx(tx, workspace_id, id, PRODUCTION, 1, author).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: i64,
    template_id: i64,
    version: i64,
    draft: &VersionDraft,
    note: &str,
    author: &str,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO template_versions (workspace_id, template_id, version, content, checksum, note, author, created_at, \
         kind, settings, variables) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(workspace_id)
    .bind(template_id)
    .bind(version)
    .bind(&draft.content)
    .bind(checksum(&draft.content))
    .bind(note)
    .bind(author)
    .bind(created_at)
    .bind(draft.kind.as_str())
    .bind(serde_json::to_string(&draft.settings).unwrap_or_else(|_| "{}".into()))
    .bind(serde_json::to_string(&draft.variables).unwrap_or_else(|_| "[]".into()))
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE templates SET updated_at = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(now_ms())
        .bind(template_id)
        .bind(workspace_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Points `label` at `version` inside a transaction and records the move (nothing when
/// it already points there). Returns the version it pointed to before.
async fn set_label_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: i64,
    template_id: i64,
    label: &str,
    version: i64,
    actor: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let now = now_ms();
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT version FROM template_labels WHERE template_id = $1 AND name = $2 AND workspace_id = $3",
    )
    .bind(template_id)
    .bind(label)
    .bind(workspace_id)
    .fetch_optional(&mut **tx)
    .await?;
    if before == Some(version) {
        return Ok(before);
    }
    sqlx::query(
        "INSERT INTO template_labels (workspace_id, template_id, name, version, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (template_id, name) \
         DO UPDATE SET version = excluded.version, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(workspace_id)
    .bind(template_id)
    .bind(label)
    .bind(version)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO label_moves (workspace_id, template_id, label, from_version, to_version, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(workspace_id)
    .bind(template_id)
    .bind(label)
    .bind(before)
    .bind(version)
    .bind(actor)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(before)
}

fn name_conflict(name: &str) -> AppError {
    AppError::Conflict { message: format!("a persona named “{name}” exists already") }
}

/// Inserts a persona row (inside the caller's transaction). Errors: `Conflict` (name taken).
async fn insert_persona(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace_id: i64,
    name: &str,
    active: bool,
    source: Option<&CloneSource>,
) -> AppResult<i64> {
    let now = now_ms();
    sqlx::query_scalar(
        "INSERT INTO templates (workspace_id, name, created_at, updated_at, is_active, source_template_id, source_version, \
         source_workspace, source_name) VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(workspace_id)
    .bind(name)
    .bind(now)
    .bind(active as i64)
    .bind(source.map(|s| s.persona_id))
    .bind(source.map(|s| s.version))
    .bind(source.map(|s| s.workspace.clone()))
    .bind(source.map(|s| s.name.clone()))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { name_conflict(name) } else { e.into() })
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
    workspace_id: i64,
    name: &str,
    draft: &VersionDraft,
    author: &str,
    publish: Publish,
) -> AppResult<PersonaSummary> {
    create_with_source(db, workspace_id, name, draft, author, None, publish).await
}

async fn create_with_source(
    db: &Db,
    workspace_id: i64,
    name: &str,
    draft: &VersionDraft,
    author: &str,
    source: Option<&CloneSource>,
    publish: Publish,
) -> AppResult<PersonaSummary> {
    let name = parse_name(name)?;
    let note = validate_draft(draft)?;
    let mut tx = db.pool.begin().await?;
    let id = insert_persona(&mut tx, workspace_id, &name, true, source).await?;
    insert_version(&mut tx, workspace_id, id, 1, draft, &note, author, now_ms()).await?;
    if publish == Publish::Now {
        set_label_tx(&mut tx, workspace_id, id, PRODUCTION, 1, author).await?;
    }
    tx.commit().await?;
    summary(db, workspace_id, id).await
}

/// Saves a draft as the next version (latest + 1). Content-addressed: when the content's
/// sha256 equals the latest version's and kind, settings and variables are equal too, no
/// version is created and the result says `unchanged`. Labels do not move: promoting is a
/// separate step ([`move_label`]). Errors: `NotFound` (not in this workspace), `Template`,
/// `Invalid`.
pub async fn save_version(
    db: &Db,
    workspace_id: i64,
    template_id: i64,
    draft: &VersionDraft,
    author: &str,
) -> AppResult<SaveResult> {
    let note = validate_draft(draft)?;
    let sum = checksum(&draft.content);
    // Two operators saving at once both compute the same next number; the unique
    // (template_id, version) constraint refuses the second, which then retries.
    for _ in 0..3 {
        let latest = latest(db, workspace_id, template_id).await?.1;
        if latest.checksum == sum
            && latest.kind == draft.kind
            && latest.settings == draft.settings
            && latest.variables == draft.variables
        {
            return Ok(SaveResult { version: latest, unchanged: true });
        }
        let n = latest.version + 1;
        let mut tx = db.pool.begin().await?;
        match insert_version(&mut tx, workspace_id, template_id, n, draft, &note, author, now_ms()).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(SaveResult { version: version(db, workspace_id, template_id, n).await?, unchanged: false });
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { message: "the persona is being saved by someone else; try again".into() })
}

fn draft_of(v: &VersionInfo, note: String) -> VersionDraft {
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
pub async fn rollback(db: &Db, workspace_id: i64, template_id: i64, n: i64, author: &str) -> AppResult<SaveResult> {
    let old = version(db, workspace_id, template_id, n).await?;
    save_version(db, workspace_id, template_id, &draft_of(&old, format!("Rollback to version {n}")), author).await
}

/// The id of the (not deleted) persona called `name`.
pub async fn find_by_name(db: &Db, workspace_id: i64, name: &str) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM templates WHERE workspace_id = $1 AND name = $2 AND deleted_at IS NULL")
        .bind(workspace_id)
        .bind(name)
        .fetch_optional(&db.pool)
        .await?)
}

const SUMMARY_SELECT: &str = "SELECT t.id, t.name, t.updated_at, t.is_active, t.is_shared, \
     (SELECT MAX(v.version) FROM template_versions v WHERE v.template_id = t.id) AS latest, \
     (SELECT l.version FROM template_labels l WHERE l.template_id = t.id AND l.name = 'production') AS production \
     FROM templates t";

fn summary_from_row(r: &sqlx::any::AnyRow) -> Result<PersonaSummary, sqlx::Error> {
    Ok(PersonaSummary {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        latest_version: r.try_get::<Option<i64>, _>("latest")?.unwrap_or_default(),
        production_version: r.try_get("production")?,
        active: r.try_get::<i64, _>("is_active")? != 0,
        shared: r.try_get::<i64, _>("is_shared")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

/// One persona as the list shows it. Errors: `NotFound` (also when deleted).
pub async fn summary(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<PersonaSummary> {
    let row =
        sqlx::query(&format!("{SUMMARY_SELECT} WHERE t.id = $1 AND t.workspace_id = $2 AND t.deleted_at IS NULL"))
            .bind(template_id)
            .bind(workspace_id)
            .fetch_optional(&db.pool)
            .await?;
    match row {
        Some(r) => Ok(summary_from_row(&r)?),
        None => Err(AppError::not_found("persona")),
    }
}

/// Personas of the workspace (not deleted), by name.
pub async fn list(db: &Db, workspace_id: i64) -> AppResult<Vec<PersonaSummary>> {
    let rows =
        sqlx::query(&format!("{SUMMARY_SELECT} WHERE t.workspace_id = $1 AND t.deleted_at IS NULL ORDER BY t.name"))
            .bind(workspace_id)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.iter().map(summary_from_row).collect::<Result<_, _>>()?)
}

const VERSION_COLUMNS: &str =
    "v.version, v.content, v.checksum, v.note, v.author, v.created_at, v.kind, v.settings, v.variables";

fn version_from_row(r: &sqlx::any::AnyRow) -> Result<VersionInfo, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let settings: String = r.try_get("settings")?;
    let variables: String = r.try_get("variables")?;
    Ok(VersionInfo {
        version: r.try_get("version")?,
        content: r.try_get("content")?,
        checksum: r.try_get("checksum")?,
        note: r.try_get("note")?,
        author: r.try_get("author")?,
        created_at: r.try_get("created_at")?,
        kind: PersonaKind::parse(&kind).unwrap_or_default(),
        // Written by this module from the typed values; a hand-edited row falls back to defaults.
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        variables: serde_json::from_str(&variables).unwrap_or_default(),
    })
}

/// Labels of a persona, `production` first, then by name.
pub async fn labels(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<Vec<Label>> {
    let rows = sqlx::query(
        "SELECT name, version, updated_by, updated_at FROM template_labels WHERE template_id = $1 AND workspace_id = $2 \
         ORDER BY CASE WHEN name = 'production' THEN 0 ELSE 1 END, name",
    )
    .bind(template_id)
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(Label {
                name: r.try_get("name")?,
                version: r.try_get("version")?,
                updated_by: r.try_get("updated_by")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Every label move of a persona, newest first.
pub async fn label_moves(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<Vec<LabelMove>> {
    let rows = sqlx::query(
        "SELECT label, from_version, to_version, actor, created_at FROM label_moves \
         WHERE template_id = $1 AND workspace_id = $2 ORDER BY id DESC",
    )
    .bind(template_id)
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(LabelMove {
                label: r.try_get("label")?,
                from_version: r.try_get("from_version")?,
                to_version: r.try_get("to_version")?,
                actor: r.try_get("actor")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// The known-variable list for `content`: pipeline variables plus `declared`.
pub fn variables_for(content: &str, declared: &[DeclaredVariable]) -> Vec<TemplateVariable> {
    super::render::variables(content)
        .map(|vars| {
            vars.into_iter()
                .map(|mut v| {
                    v.known = v.known || declared.iter().any(|d| d.name == v.name);
                    v
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A persona with all its versions (newest first), labels, label moves and clone source.
/// Errors: `NotFound` (also when deleted).
pub async fn get(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<PersonaDetail> {
    let row = sqlx::query(
        "SELECT name, is_active, is_shared, source_template_id, source_version, source_workspace, source_name \
         FROM templates WHERE id = $1 AND workspace_id = $2 AND deleted_at IS NULL",
    )
    .bind(template_id)
    .bind(workspace_id)
    .fetch_optional(&db.pool)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("persona"))?;
    let source = match (
        row.try_get::<Option<i64>, _>("source_template_id")?,
        row.try_get::<Option<i64>, _>("source_version")?,
        row.try_get::<Option<String>, _>("source_workspace")?,
        row.try_get::<Option<String>, _>("source_name")?,
    ) {
        (Some(persona_id), Some(version), Some(workspace), Some(name)) => {
            Some(CloneSource { persona_id, version, workspace, name })
        }
        _ => None,
    };
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM template_versions v WHERE v.template_id = $1 AND v.workspace_id = $2 \
         ORDER BY v.version DESC"
    ))
    .bind(template_id)
    .bind(workspace_id)
    .fetch_all(&db.pool)
    .await?;
    let versions: Vec<VersionInfo> = rows.iter().map(version_from_row).collect::<Result<_, _>>()?;
    let variables = versions.first().map(|v| variables_for(&v.content, &v.variables)).unwrap_or_default();
    Ok(PersonaDetail {
        id: template_id,
        name: row.try_get("name")?,
        active: row.try_get::<i64, _>("is_active")? != 0,
        shared: row.try_get::<i64, _>("is_shared")? != 0,
        versions,
        variables,
        labels: labels(db, workspace_id, template_id).await?,
        label_moves: label_moves(db, workspace_id, template_id).await?,
        source,
    })
}

/// One version. Errors: `NotFound` (persona deleted or elsewhere, or no such version).
pub async fn version(db: &Db, workspace_id: i64, template_id: i64, n: i64) -> AppResult<VersionInfo> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM template_versions v JOIN templates t ON t.id = v.template_id \
         WHERE v.template_id = $1 AND v.workspace_id = $2 AND v.version = $3 AND t.deleted_at IS NULL"
    ))
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

/// The newest version and the persona's name. Errors: `NotFound`.
pub async fn latest(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<(String, VersionInfo)> {
    let row = sqlx::query(&format!(
        "SELECT t.name, {VERSION_COLUMNS} FROM templates t JOIN template_versions v ON v.template_id = t.id \
         WHERE t.id = $1 AND t.workspace_id = $2 AND t.deleted_at IS NULL ORDER BY v.version DESC LIMIT 1"
    ))
    .bind(template_id)
    .bind(workspace_id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok((r.try_get("name")?, version_from_row(&r)?)),
        None => Err(AppError::not_found("persona")),
    }
}

/// The version `label` points to. Errors: `NotFound` (persona, or no such label).
pub async fn resolve_label(db: &Db, workspace_id: i64, template_id: i64, label: &str) -> AppResult<VersionInfo> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM template_labels l JOIN templates t ON t.id = l.template_id \
         JOIN template_versions v ON v.template_id = l.template_id AND v.version = l.version \
         WHERE l.template_id = $1 AND l.workspace_id = $2 AND l.name = $3 AND t.deleted_at IS NULL"
    ))
    .bind(template_id)
    .bind(workspace_id)
    .bind(label)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(version_from_row(&r)?),
        None => Err(AppError::not_found(format!("label {label}"))),
    }
}

/// The version chat uses: the one `production` points to. A draft (no `production`
/// label) has none: there is no fallback to the latest version. Errors: `NotFound`.
pub async fn production(db: &Db, workspace_id: i64, template_id: i64) -> AppResult<VersionInfo> {
    resolve_label(db, workspace_id, template_id, PRODUCTION).await
}

/// Points `label` at version `n` (creating the label), recording who moved it from where.
/// Promoting a version = moving `production`; so is rolling production back.
/// Errors: `Invalid` (label name), `NotFound` (persona or version).
pub async fn move_label(
    db: &Db,
    workspace_id: i64,
    template_id: i64,
    label: &str,
    n: i64,
    actor: &str,
) -> AppResult<Label> {
    let label = parse_label(label)?;
    version(db, workspace_id, template_id, n).await?;
    let mut tx = db.pool.begin().await?;
    set_label_tx(&mut tx, workspace_id, template_id, &label, n, actor).await?;
    tx.commit().await?;
    labels(db, workspace_id, template_id)
        .await?
        .into_iter()
        .find(|l| l.name == label)
        .ok_or_else(|| AppError::not_found(format!("label {label}")))
}

/// Removes a label and records it. `production` cannot be removed (chat needs it).
/// Errors: `Invalid` (production or a bad name), `NotFound`.
pub async fn remove_label(db: &Db, workspace_id: i64, template_id: i64, label: &str, actor: &str) -> AppResult<()> {
    let label = parse_label(label)?;
    if label == PRODUCTION {
        return Err(AppError::invalid("label", "production cannot be removed; move it to another version instead"));
    }
    summary(db, workspace_id, template_id).await?;
    let mut tx = db.pool.begin().await?;
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT version FROM template_labels WHERE template_id = $1 AND name = $2 AND workspace_id = $3",
    )
    .bind(template_id)
    .bind(&label)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(before) = before else {
        return Err(AppError::not_found(format!("label {label}")));
    };
    sqlx::query("DELETE FROM template_labels WHERE template_id = $1 AND name = $2 AND workspace_id = $3")
        .bind(template_id)
        .bind(&label)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO label_moves (workspace_id, template_id, label, from_version, to_version, actor, created_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6)",
    )
    .bind(workspace_id)
    .bind(template_id)
    .bind(&label)
    .bind(before)
    .bind(actor)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn set_flag(db: &Db, workspace_id: i64, template_id: i64, column: &str, on: bool) -> AppResult<()> {
    // `column` is one of two literals below, never user input.
    let done = sqlx::query(&format!(
        "UPDATE templates SET {column} = $1 WHERE id = $2 AND workspace_id = $3 AND deleted_at IS NULL"
    ))
    .bind(on as i64)
    .bind(template_id)
    .bind(workspace_id)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("persona"));
    }
    Ok(())
}

/// Activates or deactivates a persona: inactive ones are not offered in chat and refuse
/// new messages; open chats are told live ([`LiveEvent::Persona`]). Recorded in the audit
/// log. Errors: `NotFound`.
pub async fn set_active(
    state: &AppState,
    workspace_id: i64,
    template_id: i64,
    active: bool,
    actor: &str,
) -> AppResult<()> {
    let db = &state.db;
    set_flag(db, workspace_id, template_id, "is_active", active).await?;
    let action = if active { "persona_activate" } else { "persona_deactivate" };
    super::monitor::audit(db, workspace_id, actor, action, &template_id.to_string(), "").await?;
    state.events.publish(workspace_id, LiveEvent::Persona { persona_id: template_id, available: active });
    Ok(())
}

/// Shares a persona with other workspaces' library, or stops sharing. Errors: `NotFound`.
pub async fn set_shared(db: &Db, workspace_id: i64, template_id: i64, shared: bool, actor: &str) -> AppResult<()> {
    set_flag(db, workspace_id, template_id, "is_shared", shared).await?;
    let action = if shared { "persona_share" } else { "persona_unshare" };
    super::monitor::audit(db, workspace_id, actor, action, &template_id.to_string(), "").await
}

/// Soft-deletes a persona once `confirm_name` equals its name. Its name is freed (kept
/// aside for a restore); it disappears from lists, chat and the library; restorable for
/// 30 days. Open chats are told live. Errors: `NotFound`, `Invalid` (field `confirm_name`).
pub async fn delete(
    state: &AppState,
    workspace_id: i64,
    template_id: i64,
    confirm_name: &str,
    actor: &str,
) -> AppResult<()> {
    let db = &state.db;
    let p = summary(db, workspace_id, template_id).await?;
    if confirm_name.trim() != p.name {
        return Err(AppError::invalid("confirm_name", format!("type the persona's name, “{}”, to delete it", p.name)));
    }
    // A control character cannot be part of a real name (parse_name), so this never clashes.
    let tombstone = format!("\u{1}deleted-{template_id}");
    sqlx::query(
        "UPDATE templates SET deleted_at = $1, deleted_by = $2, deleted_name = name, name = $3, is_shared = 0 \
         WHERE id = $4 AND workspace_id = $5 AND deleted_at IS NULL",
    )
    .bind(now_ms())
    .bind(actor)
    .bind(&tombstone)
    .bind(template_id)
    .bind(workspace_id)
    .execute(&db.pool)
    .await?;
    super::monitor::audit(db, workspace_id, actor, "persona_delete", &template_id.to_string(), &p.name).await?;
    state.events.publish(workspace_id, LiveEvent::Persona { persona_id: template_id, available: false });
    Ok(())
}

/// Personas deleted within the last 30 days, newest first.
pub async fn deleted(db: &Db, workspace_id: i64) -> AppResult<Vec<DeletedPersona>> {
    deleted_where(db, workspace_id, None).await
}

/// Deleted personas restorable now: all of them, or only `only`.
async fn deleted_where(db: &Db, workspace_id: i64, only: Option<i64>) -> AppResult<Vec<DeletedPersona>> {
    let sql = format!(
        "SELECT id, deleted_name, deleted_at, deleted_by FROM templates \
         WHERE workspace_id = $1 AND deleted_at IS NOT NULL AND deleted_at > $2 {} ORDER BY deleted_at DESC",
        if only.is_some() { "AND id = $3" } else { "" }
    );
    let mut q = sqlx::query(&sql).bind(workspace_id).bind(now_ms() - RESTORE_WINDOW_MS);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let deleted_at: i64 = r.try_get("deleted_at")?;
            Ok(DeletedPersona {
                id: r.try_get("id")?,
                name: r.try_get::<Option<String>, _>("deleted_name")?.unwrap_or_default(),
                deleted_at,
                deleted_by: r.try_get::<Option<String>, _>("deleted_by")?.unwrap_or_default(),
                restorable_until: deleted_at + RESTORE_WINDOW_MS,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Restores a persona deleted within the last 30 days under its old name.
/// Errors: `NotFound` (not deleted, elsewhere, or too old), `Conflict` (the name was taken).
pub async fn restore(db: &Db, workspace_id: i64, template_id: i64, actor: &str) -> AppResult<PersonaSummary> {
    let gone = deleted_where(db, workspace_id, Some(template_id)).await?.pop();
    let Some(gone) = gone else {
        return Err(AppError::not_found("deleted persona"));
    };
    sqlx::query(
        "UPDATE templates SET deleted_at = NULL, deleted_by = NULL, name = deleted_name, deleted_name = NULL \
         WHERE id = $1 AND workspace_id = $2",
    )
    .bind(template_id)
    .bind(workspace_id)
    .execute(&db.pool)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict {
                message: format!("a persona named “{}” exists now; rename or delete it, then restore", gone.name),
            }
        } else {
            e.into()
        }
    })?;
    super::monitor::audit(db, workspace_id, actor, "persona_restore", &template_id.to_string(), &gone.name).await?;
    summary(db, workspace_id, template_id).await
}

/// Personas other workspaces share (not deleted), with the version a clone would copy.
pub async fn library(db: &Db, workspace_id: i64) -> AppResult<Vec<SharedPersona>> {
    Ok(shared_where(db, workspace_id, None).await?.into_iter().map(|(p, _)| p).collect())
}

/// Shared personas visible to `workspace_id` (all, or only `only`), each with the id of
/// the workspace that shares it.
async fn shared_where(db: &Db, workspace_id: i64, only: Option<i64>) -> AppResult<Vec<(SharedPersona, i64)>> {
    let sql = format!(
        "SELECT t.id, t.name, t.workspace_id, w.name AS workspace, v.version, v.kind, v.content FROM templates t \
         JOIN workspaces w ON w.id = t.workspace_id \
         JOIN template_labels l ON l.template_id = t.id AND l.name = 'production' \
         JOIN template_versions v ON v.template_id = t.id AND v.version = l.version \
         WHERE t.is_shared = 1 AND t.deleted_at IS NULL AND t.workspace_id <> $1 {} ORDER BY t.name, w.name",
        if only.is_some() { "AND t.id = $2" } else { "" }
    );
    let mut q = sqlx::query(&sql).bind(workspace_id);
    if let Some(id) = only {
        q = q.bind(id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let shared = SharedPersona {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                workspace: r.try_get("workspace")?,
                version: r.try_get("version")?,
                kind: PersonaKind::parse(&kind).unwrap_or_default(),
                content: r.try_get("content")?,
            };
            Ok((shared, r.try_get("workspace_id")?))
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Clones another workspace's shared persona into this one as `name` (default: the
/// source's name): version 1 is the source's production version (content, kind,
/// settings, variables), the clone records its source. Errors: `NotFound` (not shared,
/// deleted, or unknown — the same answer, so nothing unshared leaks), `Conflict` (name
/// taken), `Invalid`.
pub async fn clone_shared(
    db: &Db,
    workspace_id: i64,
    source_id: i64,
    name: Option<&str>,
    actor: &str,
) -> AppResult<PersonaSummary> {
    let Some((shared, src_ws)) = shared_where(db, workspace_id, Some(source_id)).await?.pop() else {
        return Err(AppError::not_found("shared persona"));
    };
    let v = version(db, src_ws, source_id, shared.version).await?;
    let source = CloneSource {
        persona_id: source_id,
        version: shared.version,
        workspace: shared.workspace.clone(),
        name: shared.name.clone(),
    };
    let note = format!("Cloned from {} / {} v{}", shared.workspace, shared.name, shared.version);
    let name = name.unwrap_or(&shared.name);
    let p =
        create_with_source(db, workspace_id, name, &draft_of(&v, note), actor, Some(&source), Publish::Draft).await?;
    super::monitor::audit(db, workspace_id, actor, "persona_clone", &p.id.to_string(), &source_id.to_string()).await?;
    Ok(p)
}

/// Imports a persona with all its versions (numbers, notes, authors and times kept) and
/// labels; the caller has validated `versions` (see `transfer`). Errors: `Conflict`.
pub(crate) async fn insert_imported(
    db: &Db,
    workspace_id: i64,
    name: &str,
    active: bool,
    versions: &[(i64, VersionDraft, String, i64)],
    labels: &[(String, i64)],
    actor: &str,
) -> AppResult<PersonaSummary> {
    let mut tx = db.pool.begin().await?;
    let id = insert_persona(&mut tx, workspace_id, name, active, None).await?;
    for (n, draft, author, created_at) in versions {
        insert_version(&mut tx, workspace_id, id, *n, draft, &draft.note, author, *created_at).await?;
    }
    for (label, n) in labels {
        set_label_tx(&mut tx, workspace_id, id, label, *n, actor).await?;
    }
    tx.commit().await?;
    summary(db, workspace_id, id).await
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
    fn labels_are_lowercase_slugs() {
        assert_eq!(parse_label(" Staging ").unwrap(), "staging");
        assert_eq!(parse_label("canary-2_b").unwrap(), "canary-2_b");
        for bad in ["", "-x", "with space", "ünï", &"x".repeat(MAX_LABEL_CHARS + 1)] {
            assert!(parse_label(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn declared_variables_are_checked() {
        use crate::types::VariableType;
        let var = |name: &str, t: VariableType, d: serde_json::Value| DeclaredVariable {
            name: name.into(),
            var_type: t,
            default: d,
            description: String::new(),
        };
        assert!(validate_variables(&[var("mood", VariableType::String, "calm".into())]).is_ok());
        assert!(validate_variables(&[
            var("n", VariableType::Number, 3.into()),
            var("b", VariableType::Boolean, true.into())
        ])
        .is_ok());
        assert!(validate_variables(&[var("n", VariableType::Number, "3".into())]).is_err());
        assert!(validate_variables(&[var("memory", VariableType::Json, serde_json::json!({}))]).is_err());
        assert!(validate_variables(&[
            var("a", VariableType::String, "".into()),
            var("a", VariableType::String, "".into())
        ])
        .is_err());
        assert!(validate_variables(&[var("a-b", VariableType::String, "".into())]).is_err());
        assert!(parse_variables_json("").unwrap().is_empty());
        assert!(parse_variables_json("{").is_err());
        assert_eq!(parse_variables_json(r#"[{"name":"x","type":"json","default":[1]}]"#).unwrap()[0].name, "x");
    }

    #[test]
    fn the_default_persona_compiles() {
        crate::engine::render::check(DEFAULT_PERSONA).unwrap();
    }
}
