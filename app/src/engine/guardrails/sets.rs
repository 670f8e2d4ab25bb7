//! Rule sets: list, read, create (or copy), update, delete, which personas use one, and
//! resolving a chat request's `guardrail_config`. Presets (no workspace) are read-only;
//! another workspace's set is `NotFound` everywhere. Every change is audited
//! (before → after JSON, the operator as actor).

use super::rules;
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::is_unique_violation;
use crate::engine::store::audit;
use crate::engine::store::guardrails::{self as store, GuardrailId};
use crate::error::{AppError, AppResult};
use crate::types::{Guardrail, GuardrailPatch, GuardrailRule, GuardrailSummary, NewGuardrail};

/// Longest set name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Names the REST routes use for themselves (`/admin/guardrails/presets`, …).
const RESERVED: [&str; 4] = ["presets", "id", "test", "backtest"];

/// A set name: 1–64 letters, digits, `_`, `-` or `.`, not a route's own word. Errors:
/// `Invalid` on field `name`.
pub fn parse_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "give the guardrail a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid("name", format!("a name is at most {MAX_NAME_CHARS} characters")));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(AppError::invalid("name", "use letters, digits, _, - and . only"));
    }
    if RESERVED.contains(&name) {
        return Err(AppError::invalid("name", format!("\"{name}\" is reserved; choose another name")));
    }
    Ok(name.to_string())
}

fn parse_description(d: Option<String>) -> AppResult<Option<String>> {
    let d = d.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
    if d.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
        return Err(AppError::invalid("description", format!("at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    Ok(d)
}

fn not_found() -> AppError {
    AppError::not_found("guardrail")
}

fn read_only(g: &Guardrail) -> AppError {
    AppError::Conflict {
        message: format!("\"{}\" is a preset and cannot be changed or deleted; copy it and edit the copy", g.name),
    }
}

fn snapshot(g: &Guardrail) -> serde_json::Value {
    serde_json::to_value(g).unwrap_or(serde_json::Value::Null)
}

/// The presets and the workspace's sets (presets first), each with the personas of the
/// workspace that use it.
pub async fn list(db: &Db, ws: WorkspaceId) -> AppResult<Vec<GuardrailSummary>> {
    let choices = store::persona_choices(db, ws).await?;
    Ok(store::list(db, ws)
        .await?
        .into_iter()
        .map(|g| GuardrailSummary {
            personas: choices.iter().filter(|(_, _, gid)| *gid == Some(g.id)).map(|(_, n, _)| n.clone()).collect(),
            id: g.id,
            rule_count: g.rules.len(),
            name: g.name,
            description: g.description,
            is_system: g.is_system,
            is_active: g.is_active,
            created_by: g.created_by,
            created_at: g.created_at,
        })
        .collect())
}

/// The presets with their rules.
pub async fn presets(db: &Db, ws: WorkspaceId) -> AppResult<Vec<Guardrail>> {
    Ok(store::list(db, ws).await?.into_iter().filter(|g| g.is_system).collect())
}

/// The set named `name` (the workspace's own, else a preset). Errors: `NotFound`.
pub async fn by_name(db: &Db, ws: WorkspaceId, name: &str) -> AppResult<Guardrail> {
    store::by_name(db, ws, name).await?.ok_or_else(not_found)
}

/// Set `id` (the workspace's or a preset). Errors: `NotFound`.
pub async fn get(db: &Db, ws: WorkspaceId, id: GuardrailId) -> AppResult<Guardrail> {
    store::by_id(db, ws, id).await?.ok_or_else(not_found)
}

/// Checks rules (see [`rules::compile`]). Errors: `Invalid` naming the rule.
pub fn validate(rules: &[GuardrailRule]) -> AppResult<()> {
    rules::compile(rules).map(|_| ())
}

async fn conflict_if_taken(db: &Db, ws: WorkspaceId, name: &str, except: Option<i64>) -> AppResult<()> {
    match store::by_name(db, ws, name).await? {
        Some(g) if Some(g.id) != except => Err(AppError::Conflict {
            message: if g.is_system {
                format!("\"{name}\" is a preset's name; choose another")
            } else {
                format!("a guardrail named \"{name}\" already exists")
            },
        }),
        _ => Ok(()),
    }
}

/// Creates a set of the workspace: `new.rules`, or a copy of the set named `copy_from`
/// (rules and description unless given). Errors: `Invalid` (name, rules naming the rule),
/// `NotFound` (`copy_from`), `Conflict` (name taken, also by a preset).
pub async fn create(db: &Db, ws: WorkspaceId, actor: &str, new: NewGuardrail) -> AppResult<Guardrail> {
    let name = parse_name(&new.name)?;
    let mut description = parse_description(new.description)?;
    let rules = match (new.rules, new.copy_from.as_deref().map(str::trim).filter(|c| !c.is_empty())) {
        (Some(rules), _) => rules,
        (None, Some(from)) => {
            let source = store::by_name(db, ws, from)
                .await?
                .ok_or_else(|| AppError::not_found(format!("guardrail \"{from}\" to copy")))?;
            description = description.or(source.description);
            source.rules
        }
        (None, None) => Vec::new(),
    };
    validate(&rules)?;
    conflict_if_taken(db, ws, &name, None).await?;
    let id = match store::insert(db, ws, &name, description.as_deref(), &rules, actor).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict { message: format!("a guardrail named \"{name}\" already exists") })
        }
        Err(e) => return Err(e.into()),
    };
    let created = get(db, ws, id).await?;
    audit::record_change(db, ws, actor, "guardrail_create", &id.get().to_string(), None, Some(&snapshot(&created)))
        .await?;
    Ok(created)
}

/// Changes the workspace's set `id`. Errors: `NotFound` (not the workspace's),
/// `Conflict` (a preset; name taken), `Invalid` (name, description, rules).
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    actor: &str,
    id: GuardrailId,
    patch: GuardrailPatch,
) -> AppResult<Guardrail> {
    let before = get(db, ws, id).await?;
    if before.is_system {
        return Err(read_only(&before));
    }
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = parse_name(&name)?;
        conflict_if_taken(db, ws, &after.name, Some(after.id)).await?;
    }
    if let Some(d) = patch.description {
        after.description = parse_description(Some(d))?;
    }
    if let Some(rules) = patch.rules {
        validate(&rules)?;
        after.rules = rules;
    }
    if let Some(on) = patch.is_active {
        after.is_active = on;
    }
    match store::update(db, ws, &after).await {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict { message: format!("a guardrail named \"{}\" already exists", after.name) })
        }
        Err(e) => return Err(e.into()),
    }
    let after = get(db, ws, id).await?;
    audit::record_change(
        db,
        ws,
        actor,
        "guardrail_update",
        &id.get().to_string(),
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Deletes the workspace's set `id`; chats that chose it fall back to their persona's.
/// Errors: `NotFound`, `Conflict` (a preset; personas still use it — the message names them).
pub async fn delete(db: &Db, ws: WorkspaceId, actor: &str, id: GuardrailId) -> AppResult<()> {
    let before = get(db, ws, id).await?;
    if before.is_system {
        return Err(read_only(&before));
    }
    let used = store::personas_using(db, ws, id).await?;
    if !used.is_empty() {
        let names: Vec<&str> = used.iter().map(|(_, n)| n.as_str()).collect();
        return Err(AppError::Conflict {
            message: format!(
                "\"{}\" is used by {}; choose another guardrail for them first",
                before.name,
                names.join(", ")
            ),
        });
    }
    store::delete(db, ws, id).await?;
    audit::record_change(db, ws, actor, "guardrail_delete", &id.get().to_string(), Some(&snapshot(&before)), None)
        .await?;
    Ok(())
}

/// Every persona of the workspace as (id, name, id of the set it uses).
pub async fn persona_choices(db: &Db, ws: WorkspaceId) -> AppResult<Vec<(i64, String, Option<i64>)>> {
    store::persona_choices(db, ws).await
}

/// Makes exactly `personas` use set `id` (a preset or the workspace's; the others that
/// used it use none). Returns the personas using it now, (id, name). Audited. Errors:
/// `NotFound` (the set, or a persona not in the workspace).
pub async fn set_personas(
    db: &Db,
    ws: WorkspaceId,
    actor: &str,
    id: GuardrailId,
    personas: &[PersonaId],
) -> AppResult<Vec<(i64, String)>> {
    let g = get(db, ws, id).await?;
    let mut wanted = personas.to_vec();
    wanted.sort();
    wanted.dedup();
    let before = store::personas_using(db, ws, id).await?;
    if store::set_personas(db, ws, id, &wanted).await? != wanted.len() {
        return Err(AppError::not_found("persona"));
    }
    let after = store::personas_using(db, ws, id).await?;
    let names = |v: &[(i64, String)]| serde_json::json!({"guardrail": g.name, "personas": v.iter().map(|(_, n)| n).collect::<Vec<_>>()});
    audit::record_change(
        db,
        ws,
        actor,
        "guardrail_personas",
        &id.get().to_string(),
        Some(&names(&before)),
        Some(&names(&after)),
    )
    .await?;
    Ok(after)
}

/// The active set a chat request names (`guardrail_config`): the workspace's own or a
/// preset. Errors: `Invalid` on field `guardrail_config`, naming it (unknown, inactive,
/// another workspace's — all alike).
pub async fn resolve_for_chat(db: &Db, ws: WorkspaceId, name: &str) -> AppResult<GuardrailId> {
    match store::by_name(db, ws, name.trim()).await? {
        Some(g) if g.is_active => Ok(GuardrailId(g.id)),
        _ => Err(AppError::invalid(
            "guardrail_config",
            format!("there is no active guardrail configuration named \"{}\"", name.trim()),
        )),
    }
}
