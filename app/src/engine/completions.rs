//! The OpenAI-compatible API's model names: `model` names a persona of the caller's
//! workspace, optionally with the version to answer with —
//!
//! - `Ava`: the persona as chat serves it (the user's assignment, else `production`);
//! - `Ava@staging`: the version the label points to now;
//! - `Ava@v3`: version 3.
//!
//! A persona whose own name contains `@` is found by its whole name first. The version
//! chosen is pinned on the chat session ([`VersionPin`]) so recovery after a restart
//! answers with the same one.

use super::chat::{self, PersonaChoice};
use super::db::Db;
use super::ids::{MessageId, PersonaId, WorkspaceId};
use super::personas;
use super::turn::VersionPin;
use crate::error::{AppError, AppResult};
use crate::types::ChatPersona;

/// A resolved `model`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelChoice {
    pub persona: ChatPersona,
    pub pin: VersionPin,
}

/// What follows `@`: a version (`v3`) or a label (`staging`).
#[derive(Debug, PartialEq, Eq)]
enum Suffix {
    Version(i64),
    Label(String),
}

/// Splits `name@suffix`; None when there is no `@` or the suffix is neither a version
/// nor a label name.
fn split(model: &str) -> Option<(&str, Suffix)> {
    let (name, suffix) = model.rsplit_once('@')?;
    let version = suffix.strip_prefix('v').or_else(|| suffix.strip_prefix('V'));
    if let Some(n) = version.and_then(|d| d.parse::<i64>().ok()).filter(|n| *n >= 1) {
        return Some((name, Suffix::Version(n)));
    }
    personas::parse_label(suffix).ok().map(|l| (name, Suffix::Label(l)))
}

/// The persona and version `model` names in the workspace. Errors: `NotFound` (`model
/// …`: no chattable persona by that name, or no such version or label); `Invalid` (field
/// `model`) when it is blank.
pub async fn resolve_model(db: &Db, ws: WorkspaceId, model: &str) -> AppResult<ModelChoice> {
    let model = model.trim();
    if model.is_empty() {
        return Err(AppError::invalid("model", "name a persona, e.g. \"Ava\", \"Ava@staging\" or \"Ava@v3\""));
    }
    let unknown = || AppError::not_found(format!("model {model}"));
    if let Ok((persona, _)) = chat::chat_persona(db, ws, &PersonaChoice::Name(model.to_string())).await {
        return Ok(ModelChoice { persona, pin: VersionPin::Serving });
    }
    let (name, suffix) = split(model).ok_or_else(unknown)?;
    let (persona, _) =
        chat::chat_persona(db, ws, &PersonaChoice::Name(name.trim().to_string())).await.map_err(|_| unknown())?;
    let id = PersonaId(persona.id);
    let version = match suffix {
        Suffix::Version(n) => personas::version(db, ws, id, n).await,
        Suffix::Label(label) => personas::resolve_label(db, ws, id, &label).await,
    };
    let version = version.map_err(|e| match e {
        AppError::NotFound { .. } => unknown(),
        e => e,
    })?;
    Ok(ModelChoice { persona, pin: VersionPin::Version(version.version) })
}

/// The models `GET /v1/models` lists: the personas chat offers, by name.
pub async fn models(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ChatPersona>> {
    chat::personas(db, ws).await
}

/// Prompt and completion tokens of the newest LLM request written for the turn of user
/// message `user_message` (0, 0 when none was: a paused turn calls no LLM).
pub async fn usage(db: &Db, ws: WorkspaceId, user_message: MessageId) -> AppResult<(i64, i64)> {
    let rows = super::store::llm_requests::of_turn(db, ws, user_message).await?;
    Ok(rows.first().map(|r| (r.row.prompt_tokens.unwrap_or(0), r.row.completion_tokens.unwrap_or(0))).unwrap_or((0, 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_versions_or_labels() {
        assert_eq!(split("Ava@v3"), Some(("Ava", Suffix::Version(3))));
        assert_eq!(split("Ava@staging"), Some(("Ava", Suffix::Label("staging".into()))));
        assert_eq!(split("a@b@v12"), Some(("a@b", Suffix::Version(12))));
        assert_eq!(split("Ava"), None);
        assert_eq!(split("Ava@"), None);
        assert_eq!(split("Ava@no spaces"), None);
        // v0 is no version; as a label name it is fine.
        assert_eq!(split("Ava@v0"), Some(("Ava", Suffix::Label("v0".into()))));
    }
}
