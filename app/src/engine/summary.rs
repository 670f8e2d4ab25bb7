//! History by token budget and the running summary of the turns older than it.
//!
//! A turn sends the newest messages of its chat that fit [`crate::engine::config::Config::history_tokens`]
//! (estimated, see [`prompt::estimate_tokens`]) and at most `history_window` of them; the
//! window's start moves in jumps ([`prompt::history_start`]) so the embedded model's KV cache
//! keeps matching. The messages before the start are folded, incrementally, into one summary
//! per chat by the [`JobKind::Summarize`] job: the previous summary plus the newly dropped
//! messages go to the LLM (logged with source `summary`), and the result is stored with the
//! last message it covers. The template reads it as `summary`.
//!
//! The job is idempotent (delivery is at least once): it recomputes what is dropped and not
//! yet covered each time, and writes with compare-and-set on the message the previous
//! summary ended at. A failed call leaves the summary and the chat as they were.

use super::ids::{MessageId, SessionId, WorkspaceId};
use super::prompt::{self, HistoryBudget};
use super::queue::{self, JobError, JobKind};
use super::store::llm_requests::{self, RequestLog};
use super::store::messages::{self, HistoryItem, SessionRef};
use super::store::summaries::{self, OutlineItem, StoredSummary};
use super::{llm, now_ms, AppState};
use crate::error::AppResult;
use crate::types::{ChatMessage, Message, ModelSettings, Sender};
use std::time::Instant;

/// Estimated tokens of dropped messages one LLM call folds in (a long backlog takes several
/// calls, each stored): with the instructions, the previous summary and the answer it fits
/// the embedded model's 2048-token slot.
pub const CHUNK_TOKENS: u32 = 900;

/// Longest summary kept, in characters (longer answers are cut at a word).
pub const MAX_SUMMARY_CHARS: usize = 1500;

/// A message longer than this many characters is cut when it is summarized.
const MAX_MESSAGE_CHARS: usize = 1200;

/// What the summarizer is told.
pub const INSTRUCTIONS: &str = "You keep a running summary of a chat between a user and an AI companion, so the \
companion remembers what was said after the messages leave its context. Update the summary with the newer messages (or start one). \
Write at most 120 words in plain sentences, in the third person (\"The user …\"): facts the user shared about \
themselves, what was discussed or agreed, open questions. Answer with the summary only.";

/// The history budget from the configuration.
pub fn budget(state: &AppState) -> HistoryBudget {
    HistoryBudget { tokens: state.config.history_tokens, messages: state.config.history_window }
}

/// The estimated token cost of each message of an outline.
fn costs(outline: &[OutlineItem]) -> Vec<u32> {
    outline.iter().map(|o| prompt::estimate_tokens(o.chars)).collect()
}

/// The history the turn for user message `before` sends: the newest messages within the
/// budget, oldest first (see [`prompt::history_start`]).
pub async fn history_for(
    state: &AppState,
    ws: WorkspaceId,
    session: SessionId,
    before: MessageId,
) -> AppResult<Vec<HistoryItem>> {
    let outline = summaries::outline(&state.db, ws, session, before).await?;
    let start = prompt::history_start(&costs(&outline), budget(state));
    let keep = u32::try_from(outline.len() - start).unwrap_or(u32::MAX);
    if keep == 0 {
        return Ok(Vec::new());
    }
    messages::history_window(&state.db, ws, session, before, keep).await
}

/// The chat's summary for the template's `summary`; None when there is none yet.
pub async fn for_turn(state: &AppState, at: &SessionRef) -> AppResult<Option<String>> {
    Ok(summaries::get(&state.db, at.workspace_id, at.session_id).await?.map(|s| s.content))
}

/// How many messages of the whole chat are before the next turn's window, and how many
/// of them the stored summary covers.
async fn backlog(state: &AppState, ws: WorkspaceId, session: SessionId) -> AppResult<(usize, usize)> {
    let outline = summaries::outline(&state.db, ws, session, MessageId(i64::MAX)).await?;
    let dropped = prompt::history_start(&costs(&outline), budget(state));
    let covered = summaries::get(&state.db, ws, session).await?.map(|s| s.covered).unwrap_or(0);
    Ok((dropped, usize::try_from(covered).unwrap_or(0)))
}

/// After a turn: enqueues a summary when the chat grew past its history budget (messages
/// fell out of the next turn's window that the summary does not cover yet). One queued job
/// per chat (dedupe key `summarize:<session id>`).
pub async fn after_turn(state: &AppState, at: &SessionRef, _user_message: &Message) -> AppResult<()> {
    let (dropped, covered) = backlog(state, at.workspace_id, at.session_id).await?;
    if dropped <= covered {
        return Ok(());
    }
    let payload = serde_json::json!({ "session_id": at.session_id.get() });
    let key = format!("summarize:{}", at.session_id.get());
    queue::enqueue(&state.db, at.workspace_id, JobKind::Summarize, &payload, Some(&key)).await?;
    Ok(())
}

/// The [`JobKind::Summarize`] job: payload `{"session_id"}`. Folds every dropped message
/// not yet covered into the chat's summary (in chunks of [`CHUNK_TOKENS`]). A deleted chat
/// is done; a database or LLM failure is [`JobError::Retry`] (the summary stays as it was);
/// an unreadable payload is [`JobError::Fail`].
pub async fn run_job(state: &AppState, payload: &serde_json::Value) -> Result<(), JobError> {
    let session = payload
        .get("session_id")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| JobError::Fail(format!("summarize payload without session_id: {payload}")))?;
    summarize(state, SessionId(session)).await.map(|_| ())
}

/// Brings the summary of `session` up to date. Returns how many LLM calls were stored.
pub async fn summarize(state: &AppState, session: SessionId) -> Result<usize, JobError> {
    let retry = |e: crate::error::AppError| JobError::Retry(e.to_string());
    let Some(owner) = summaries::owner(&state.db, session).await.map_err(retry)? else {
        return Ok(0);
    };
    let ws = owner.workspace_id;
    let mut stored = 0;
    loop {
        let outline = summaries::outline(&state.db, ws, session, MessageId(i64::MAX)).await.map_err(retry)?;
        let costs = costs(&outline);
        let dropped = prompt::history_start(&costs, budget(state));
        let previous = summaries::get(&state.db, ws, session).await.map_err(retry)?;
        // Where the stored summary ends in today's outline; a summary whose last message is
        // gone (history cleared) is started again.
        let (from, previous_text) = match &previous {
            Some(p) => match outline.iter().position(|o| o.id == p.through) {
                Some(i) => (i + 1, Some(p.content.as_str())),
                None => (0, None),
            },
            None => (0, None),
        };
        if from >= dropped {
            return Ok(stored);
        }
        let mut to = from;
        let mut tokens = 0;
        while to < dropped && (to == from || tokens + costs[to] <= CHUNK_TOKENS) {
            tokens += costs[to];
            to += 1;
        }
        let items = summaries::range(&state.db, ws, session, from, to - from).await.map_err(retry)?;
        let expected: Vec<MessageId> = outline[from..to].iter().map(|o| o.id).collect();
        if items.iter().map(|(id, _, _)| *id).collect::<Vec<_>>() != expected {
            return Err(JobError::Retry("the chat changed while it was summarized".into()));
        }
        let text = call(state, &owner, session, previous_text, &items).await?;
        let new =
            StoredSummary { content: text, through: outline[to - 1].id, covered: to as i64, updated_at: now_ms() };
        let written = summaries::replace(&state.db, ws, session, previous.as_ref().map(|p| p.through), &new)
            .await
            .map_err(retry)?;
        if !written {
            // Another run got there first; it carries on from its own summary.
            return Ok(stored);
        }
        stored += 1;
    }
}

/// The messages sent to the summarizer: instructions, then the summary so far (when there
/// is one: a placeholder for "none" gets copied by a small model) and the newer messages.
pub fn summary_messages(previous: Option<&str>, items: &[(MessageId, Sender, String)]) -> Vec<ChatMessage> {
    let previous = previous.filter(|p| !p.trim().is_empty());
    let mut text = String::new();
    if let Some(p) = previous {
        text.push_str("Summary so far:\n");
        text.push_str(p);
        text.push_str("\n\nNewer messages:\n");
    } else {
        text.push_str("Messages:\n");
    }
    for (_, sender, content) in items {
        let who = match sender {
            Sender::User => "User",
            _ => "Companion",
        };
        text.push_str(who);
        text.push_str(": ");
        text.push_str(&cut(content.trim(), MAX_MESSAGE_CHARS));
        text.push('\n');
    }
    text.push_str(if previous.is_some() { "\nWrite the updated summary." } else { "\nWrite the summary." });
    vec![ChatMessage::new("system", INSTRUCTIONS), ChatMessage::new("user", text)]
}

/// `s` cut to at most `max` characters, at a word when there is one, with `…`.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    let head = match head.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => head[..i].to_string(),
        _ => head,
    };
    format!("{}…", head.trim_end())
}

/// One summarizer call, logged with source `summary`. Errors: [`JobError::Retry`] on an
/// LLM failure or an empty answer.
async fn call(
    state: &AppState,
    owner: &summaries::SessionOwner,
    session: SessionId,
    previous: Option<&str>,
    items: &[(MessageId, Sender, String)],
) -> Result<String, JobError> {
    let settings = ModelSettings { max_tokens: 200, temperature: 0.3, ..ModelSettings::default() };
    let sent = summary_messages(previous, items);
    let started = Instant::now();
    let (result, provider, model) = llm::complete(&state.llm, &settings, sent.clone()).await;
    let mut log = RequestLog {
        end_user_id: Some(owner.end_user_id),
        session_id: Some(session),
        template_id: Some(owner.persona_id),
        provider,
        model,
        messages: &sent,
        latency_ms: started.elapsed().as_millis() as i64,
        ..RequestLog::new(&state.llm, owner.workspace_id, "summary", &settings)
    };
    let outcome = match &result {
        Ok(c) if !c.content.trim().is_empty() => {
            log.response = Some(&c.content);
            log.prompt_tokens = Some(c.prompt_tokens);
            log.completion_tokens = Some(c.completion_tokens);
            log.cached_tokens = Some(c.cached_tokens);
            Ok(cut(c.content.trim(), MAX_SUMMARY_CHARS))
        }
        Ok(_) => Err("empty summary".to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = &outcome {
        tracing::warn!(error = %e, session_id = %session, "summary failed");
        log.status = "error";
        log.error = Some(e.clone());
    }
    llm_requests::insert(&state.db, &log).await.map_err(|e| JobError::Retry(e.to_string()))?;
    outcome.map_err(JobError::Retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summarizer_gets_the_previous_summary_and_the_newer_messages() {
        let items = vec![
            (MessageId(1), Sender::User, "I have a cat named Miso".to_string()),
            (MessageId(2), Sender::Assistant, "Lovely!".to_string()),
        ];
        let sent = summary_messages(Some("The user lives in Lyon."), &items);
        assert_eq!(sent[0].role, "system");
        let text = &sent[1].content;
        assert!(text.contains("The user lives in Lyon."), "{text}");
        assert!(text.contains("User: I have a cat named Miso\nCompanion: Lovely!"), "{text}");
        let first = &summary_messages(None, &items)[1].content;
        assert!(first.starts_with("Messages:\nUser: I have a cat") && !first.contains("Summary so far"), "{first}");
    }

    #[test]
    fn long_text_is_cut_at_a_word() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("one two three four", 12), "one two…");
        assert_eq!(cut(&"x".repeat(20), 5), "xxxxx…");
    }
}
