//! Automatic memory: after a turn, a job asks the LLM for durable facts about the user
//! (name, likes, important dates, relationships) in the user's message, as JSON
//! (`{"facts": [{"key": "name", "value": "Ana"}]}`), and — as the persona says — writes
//! them to the user's memory (`on`, tagged `extraction` with their source message) or
//! queues them for approval (`approval`, see [`super::approval`]). A failed or unreadable
//! answer fails the job ([`JobError`]); it never touches the chat.

use super::job_llm::{ask, find_object};
use super::{parse_memory_key, write, SetBy};
use crate::engine::ids::{MessageId, SessionId, WorkspaceId};
use crate::engine::queue::{enqueue, JobError, JobKind};
use crate::engine::store::memory::{self as store, NewCandidate};
use crate::engine::store::messages::SessionRef;
use crate::engine::store::sentiment::message_target;
use crate::engine::AppState;
use crate::error::AppResult;
use crate::types::{ExtractionMode, LiveEvent, MemorySource, Message, Sender};
use serde::{Deserialize, Serialize};

/// The instruction the memory job sends (the system message). Its first sentence is
/// stable: the end-to-end fake LLM recognises extraction requests by "durable facts".
pub const EXTRACTION_INSTRUCTION: &str = "You extract durable facts about the user from their latest chat message, \
for a companion's long-term memory: their name, what they like or dislike, important dates (birthdays, \
anniversaries), relationships (partner, family, friends, pets), work and home. Only what the user says about \
themselves; nothing about the assistant; nothing passing (moods, today's plans). Answer ONLY with JSON like \
{\"facts\": [{\"key\": \"name\", \"value\": \"Ana\"}, {\"key\": \"likes\", \"value\": \"hiking\"}]} — short \
snake_case keys, reusing a known key when the fact updates it — or {\"facts\": []} when there is nothing.";

/// `llm_requests.source` of the memory job's calls.
pub const SOURCE: &str = "memory_extraction";
/// Most facts taken from one answer.
pub const MAX_FACTS: usize = 10;
/// Largest extracted value, serialised JSON, in bytes.
pub const MAX_FACT_BYTES: usize = 1024;
/// Most tokens the extraction answer may use.
const MAX_TOKENS: u32 = 256;

/// The [`JobKind::ExtractMemory`] payload.
#[derive(Debug, Serialize, Deserialize)]
pub struct Payload {
    pub workspace_id: WorkspaceId,
    pub session_id: SessionId,
    /// The user message the facts come from.
    pub message_id: MessageId,
}

/// After a turn: enqueues extraction from `user_message` when the persona has it on
/// (`on` or `approval`), once per message. Errors: database.
pub async fn after_turn(state: &AppState, at: &SessionRef, user_message: &Message) -> AppResult<()> {
    if user_message.sender != Sender::User {
        return Ok(());
    }
    let mode = store::extraction_mode(&state.db, at.workspace_id, at.persona_id).await?.unwrap_or_default();
    if mode == ExtractionMode::Off {
        return Ok(());
    }
    let payload =
        Payload { workspace_id: at.workspace_id, session_id: at.session_id, message_id: MessageId(user_message.id) };
    let json = serde_json::to_value(&payload).map_err(|e| crate::engine::internal("job payload", e))?;
    let key = format!("extract_memory:{}", user_message.id);
    enqueue(&state.db, at.workspace_id, JobKind::ExtractMemory, &json, Some(&key)).await?;
    Ok(())
}

/// The facts in an answer: the first JSON object with a `facts` array, each fact an
/// object with a valid `key` (lower-cased, spaces as `_`, see [`parse_memory_key`]; not
/// starting with `__`) and a non-null `value` of at most [`MAX_FACT_BYTES`]. Invalid facts
/// are skipped; at most [`MAX_FACTS`], the first of a repeated key wins. Errors: no such
/// object (the answer is junk).
pub fn parse_facts(answer: &str) -> Result<Vec<(String, serde_json::Value)>, String> {
    let facts = find_object(answer, |m| m.get("facts").and_then(|f| f.as_array()).cloned())
        .ok_or_else(|| format!("no {{\"facts\": [...]}} object in the answer: {:.200}", answer))?;
    let mut out: Vec<(String, serde_json::Value)> = Vec::new();
    for fact in facts {
        let (Some(key), Some(value)) = (fact.get("key").and_then(|k| k.as_str()), fact.get("value")) else {
            continue;
        };
        let key = key.trim().to_lowercase().split_whitespace().collect::<Vec<_>>().join("_");
        let Ok(key) = parse_memory_key(&key) else { continue };
        let empty = value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty());
        let too_big = serde_json::to_string(value).map_or(true, |raw| raw.len() > MAX_FACT_BYTES);
        if key.starts_with("__") || empty || too_big || out.iter().any(|(k, _)| *k == key) {
            continue;
        }
        out.push((key, value.clone()));
        if out.len() == MAX_FACTS {
            break;
        }
    }
    Ok(out)
}

/// The prompt's user message: the known keys, then the user's message.
fn prompt(known: &[String], message: &str) -> String {
    let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    format!("Known memory keys: {known}\n\nThe user's message:\n{message}")
}

/// The [`JobKind::ExtractMemory`] job: reads the message, asks the LLM, writes or queues
/// the facts. Idempotent: a fact already remembered with the same value, or extracted
/// for the user before (pending, approved or rejected), is not added again; entries an operator set (`operator`,
/// `api`) are never overwritten by `on` mode. Nothing happens when the persona's mode is
/// `off` by now. Errors: `Fail` (unreadable payload, message gone, junk answer), `Retry`
/// (provider down, database).
pub async fn run_job(state: &AppState, payload: &serde_json::Value) -> Result<(), JobError> {
    let p: Payload = serde_json::from_value(payload.clone()).map_err(|e| JobError::Fail(format!("payload: {e}")))?;
    let retry = |e: crate::error::AppError| JobError::Retry(e.to_string());
    let db = &state.db;
    let target = message_target(db, p.workspace_id, p.message_id)
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Fail(format!("message {} is gone", p.message_id)))?;
    if target.sender != Sender::User {
        return Err(JobError::Fail(format!("message {} is not a user message", p.message_id)));
    }
    let at = &target.at;
    let mode = store::extraction_mode(db, at.workspace_id, at.persona_id).await.map_err(retry)?.unwrap_or_default();
    if mode == ExtractionMode::Off {
        return Ok(());
    }
    let existing = store::list(db, at.workspace_id, at.end_user_id).await.map_err(retry)?;
    let known: Vec<String> = existing.iter().map(|e| e.key.clone()).collect();
    let answer = ask(state, at, SOURCE, EXTRACTION_INSTRUCTION, &prompt(&known, &target.content), MAX_TOKENS).await?;
    let facts = parse_facts(&answer).map_err(JobError::Fail)?;
    let mut changed = false;
    for (key, value) in facts {
        let current = existing.iter().find(|e| e.key == key);
        if current.is_some_and(|e| e.value == value) {
            continue;
        }
        match mode {
            ExtractionMode::On => {
                if current.is_some_and(|e| e.source != MemorySource::Extraction) {
                    continue;
                }
                let by = SetBy::extraction(p.message_id, None);
                write(db, at.workspace_id, (at.end_user_id, &at.user_id), &key, &value, by).await.map_err(retry)?;
                changed = true;
            }
            ExtractionMode::Approval => {
                let raw = serde_json::to_string(&value).map_err(|e| JobError::Fail(e.to_string()))?;
                let known = store::candidate_known(db, at.workspace_id, at.end_user_id, &key, &raw).await;
                if known.map_err(retry)? {
                    continue;
                }
                let c = NewCandidate {
                    end_user_id: at.end_user_id,
                    session_id: at.session_id,
                    source_message_id: p.message_id,
                    key: &key,
                    raw: &raw,
                };
                store::insert_candidate(db, at.workspace_id, &c).await.map_err(retry)?;
                changed = true;
            }
            ExtractionMode::Off => {}
        }
    }
    if changed {
        state.events.publish(at.workspace_id, LiveEvent::Memory { user_id: at.user_id.clone() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn facts_are_read_robustly() {
        let answer = "Here you go:\n```json\n{\"facts\": [{\"key\": \"Name\", \"value\": \"Ana\"}, \
                      {\"key\": \"favourite food\", \"value\": [\"pho\"]}, {\"key\": \"bad key!\", \"value\": 1}, \
                      {\"key\": \"__halt\", \"value\": 1}, {\"key\": \"empty\", \"value\": \" \"}, \
                      {\"key\": \"name\", \"value\": \"Bo\"}, {\"value\": \"no key\"}]}\n```";
        assert_eq!(
            parse_facts(answer).unwrap(),
            vec![("name".to_string(), json!("Ana")), ("favourite_food".to_string(), json!(["pho"]))]
        );
        assert_eq!(parse_facts("{\"facts\": []}").unwrap(), vec![]);
        assert!(parse_facts("I could not find anything.").is_err());
        assert!(parse_facts("{\"facts\": \"name=Ana\"}").is_err());
    }

    #[test]
    fn facts_are_capped_in_count_and_size() {
        let many: Vec<_> = (0..30).map(|i| json!({"key": format!("k{i}"), "value": i})).collect();
        assert_eq!(parse_facts(&json!({"facts": many}).to_string()).unwrap().len(), MAX_FACTS);
        let big = json!({"facts": [{"key": "essay", "value": "x".repeat(MAX_FACT_BYTES)}, {"key": "ok", "value": 1}]});
        assert_eq!(parse_facts(&big.to_string()).unwrap(), vec![("ok".to_string(), json!(1))]);
    }
}
