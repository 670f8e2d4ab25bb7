//! Guardrails: rule sets per workspace (presets read-only), chosen per persona or per chat
//! request, applied by the pipeline to every turn.
//!
//! Which set a turn uses: the chat session's own choice (`guardrail_config` of `POST
//! /chat`, stored on the session so later turns and recovery use it), else the persona's
//! (`templates.guardrail_id`), else none. An inactive set does nothing.
//!
//! - [`instructions`]: `system_instruction` texts, appended after the rendered template.
//! - [`screen_input`]: before the LLM — `block_input`, `max_input_chars`, `flag`.
//! - [`screen_output`]: the finished reply — `block_output`, `flag`.
//!   The turn reads its [`output_rules`] once, and watches the reply with them while it
//!   streams: once the text so far matches a rule that would replace it, no more pieces
//!   are sent.
//!
//! Every match is stored as a hit (`guardrail_hits`); `flag` and `halt` raise an alert
//! ([`super::alerts::raise`]); `halt` pauses the conversation through
//! [`super::monitor::halt`] (by `guardrail`, the reason naming the rule).
//! [`sets`] is the CRUD of rule sets; [`rules`] the pure matching; [`backtest`] runs a
//! draft over stored messages.

pub mod backtest;
pub mod rules;
pub mod sets;

use super::chat::{self, MessageMeta};
use super::ids::MessageId;
use super::store::guardrails::{self as store, NewHit};
use super::store::messages::{self, SessionRef};
use super::{alerts, monitor, now_ms, AppState};
use crate::error::AppResult;
use crate::types::{Alert, Guardrail, Message, RuleAction, RuleMatch, Sender, TextSide, TurnOutcome, PAUSE_NOTICE};

/// Who a guardrail halt is recorded as (`user_state.halted_by`, the audit log).
pub const HALTED_BY: &str = "guardrail";
/// `turn_status` of a user message an input rule blocked (its answer is the rule's reply).
pub const BLOCKED: &str = "blocked";

/// The active set the turns in `at` use, if any.
async fn active_set(state: &AppState, at: &SessionRef) -> AppResult<Option<Guardrail>> {
    let Some(id) = store::for_session(&state.db, at.workspace_id, at.session_id).await? else { return Ok(None) };
    Ok(store::by_id(&state.db, at.workspace_id, id).await?.filter(|g| g.is_active))
}

/// The set's rules compiled; a stored set that no longer compiles is logged and skipped
/// (its rules were checked when saved).
fn compiled(set: &Guardrail) -> Option<Vec<rules::Compiled>> {
    match rules::compile(&set.rules) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(guardrail = %set.name, error = %e, "stored guardrail does not compile; skipped");
            None
        }
    }
}

/// The `system_instruction` texts that apply to a turn in `at`, by priority (highest
/// first).
pub async fn instructions(state: &AppState, at: &SessionRef) -> AppResult<Vec<String>> {
    Ok(active_set(state, at).await?.map(|g| rules::instructions(&g.rules)).unwrap_or_default())
}

/// Checks the user's message before anything else runs: Some(outcome) when a rule ended
/// the turn (blocked: the rule's reply is stored as the answer, the turn is `blocked`;
/// halted: the conversation is paused, the pause notice is the answer, operators are
/// alerted), None to go on (flags are stored and alerted either way).
pub async fn screen_input(state: &AppState, at: &SessionRef, user_message: &Message) -> AppResult<Option<TurnOutcome>> {
    let Some(set) = active_set(state, at).await? else { return Ok(None) };
    let Some(compiled) = compiled(&set) else { return Ok(None) };
    let id = MessageId(user_message.id);
    // A message that halted the conversation runs again only after an operator reviewed
    // it and resumed: it goes on to the persona.
    if store::has_hit(&state.db, at.workspace_id, id, RuleAction::Halt.as_str()).await? {
        return Ok(None);
    }
    let found = rules::check(&compiled, TextSide::Input, &user_message.content);
    let Some(decisive) = rules::decisive(&found).cloned() else { return Ok(None) };
    record(state, at, &set.name, id, &found).await?;
    let meta = MessageMeta { reply_to: Some(id), ..Default::default() };
    match decisive.action {
        RuleAction::Flag => Ok(None),
        RuleAction::Block => {
            let text = compiled[decisive.index].reply.as_deref().unwrap_or(rules::DEFAULT_INPUT_REPLY);
            let reply = chat::store_message_with(state, at, Sender::Assistant, text, meta).await?;
            messages::set_turn_status(&state.db, id, BLOCKED).await?;
            Ok(Some(TurnOutcome::Replied { user_message: user_message.clone(), reply }))
        }
        RuleAction::Halt => {
            halt(state, at, &set.name, &decisive).await?;
            let notice = chat::store_message_with(state, at, Sender::Notice, PAUSE_NOTICE, meta).await?;
            messages::set_turn_status(&state.db, id, "paused").await?;
            Ok(Some(TurnOutcome::Paused { user_message: user_message.clone(), notice }))
        }
    }
}

/// What the output rules made of a finished reply: the text to store instead (blocked
/// or halted), and the matches to record once the reply is stored ([`OutputScreen::record`]).
#[derive(Debug, Default)]
pub struct OutputScreen {
    guardrail: String,
    found: Vec<RuleMatch>,
    replacement: Option<String>,
    halt: Option<RuleMatch>,
}

impl OutputScreen {
    /// The text to store and show: the rule's reply when one blocked, else `generated`.
    pub fn content<'a>(&'a self, generated: &'a str) -> &'a str {
        self.replacement.as_deref().unwrap_or(generated)
    }

    /// Stores the hits on the stored `reply`, alerts, and halts when a rule says so.
    pub async fn record(self, state: &AppState, at: &SessionRef, reply: &Message) -> AppResult<()> {
        if self.found.is_empty() {
            return Ok(());
        }
        record(state, at, &self.guardrail, MessageId(reply.id), &self.found).await?;
        if let Some(m) = &self.halt {
            halt(state, at, &self.guardrail, m).await?;
        }
        Ok(())
    }
}

/// The output rules of a turn in `at`, read and compiled once per turn: watched while the
/// reply streams ([`OutputRules::trips`]) and applied to the finished text
/// ([`screen_output`]). None when the turn has no active set.
pub async fn output_rules(state: &AppState, at: &SessionRef) -> AppResult<Option<OutputRules>> {
    let Some(set) = active_set(state, at).await? else { return Ok(None) };
    Ok(compiled(&set).map(|compiled| OutputRules { guardrail: set.name, compiled }))
}

/// A turn's guardrail set, compiled, for its reply ([`output_rules`]).
pub struct OutputRules {
    guardrail: String,
    compiled: Vec<rules::Compiled>,
}

impl OutputRules {
    /// Whether `text_so_far` already matches a rule that will replace the reply (block or
    /// halt): the turn then sends no more pieces, so the user never sees the rest of it.
    pub fn trips(&self, text_so_far: &str) -> bool {
        rules::check(&self.compiled, TextSide::Output, text_so_far).iter().any(|m| m.action != RuleAction::Flag)
    }
}

/// Checks a finished (or cut-short) reply before it is stored, with the turn's
/// [`output_rules`]. A blocking or halting rule replaces it by its reply (streaming
/// stopped at the first piece that matched; the stored message replaces the pieces the
/// user saw before it). No rules: nothing to screen.
pub fn screen_output(output: Option<&OutputRules>, generated: &str) -> OutputScreen {
    let Some(OutputRules { guardrail, compiled }) = output else { return OutputScreen::default() };
    let found = rules::check(compiled, TextSide::Output, generated);
    let decisive = rules::decisive(&found).cloned();
    let replacement = decisive
        .as_ref()
        .filter(|m| m.action != RuleAction::Flag)
        .map(|m| compiled[m.index].reply.clone().unwrap_or_else(|| rules::DEFAULT_OUTPUT_REPLY.to_string()));
    let halt = decisive.filter(|m| m.action == RuleAction::Halt);
    OutputScreen { guardrail: guardrail.clone(), found, replacement, halt }
}

/// Stores a hit per match on message `id`, and raises an alert for each `flag` / `halt`
/// (an alert that fails is logged: it never fails the turn).
async fn record(
    state: &AppState,
    at: &SessionRef,
    guardrail: &str,
    id: MessageId,
    found: &[RuleMatch],
) -> AppResult<()> {
    for m in found {
        let hit = NewHit {
            message_id: id,
            session_id: at.session_id,
            guardrail,
            rule: &m.rule,
            kind: m.kind.as_str(),
            action: m.action.as_str(),
            excerpt: &m.excerpt,
        };
        store::insert_hit(&state.db, at.workspace_id, &hit).await?;
        if m.action == RuleAction::Block {
            continue;
        }
        let alert = Alert {
            user_id: at.user_id.clone(),
            session_id: at.session_id.get(),
            message_id: id.get(),
            action: m.action.as_str().to_string(),
            guardrail: guardrail.to_string(),
            rule: m.rule.clone(),
            excerpt: m.excerpt.clone(),
            at: now_ms(),
        };
        if let Err(e) = alerts::raise(state, at.workspace_id, alert).await {
            tracing::warn!(error = %e, user_id = %at.user_id, "could not raise a guardrail alert");
        }
    }
    Ok(())
}

/// Halts the user of `at` for review, the reason naming the set and the rule.
async fn halt(state: &AppState, at: &SessionRef, guardrail: &str, m: &RuleMatch) -> AppResult<()> {
    let reason: String = format!("guardrail \"{guardrail}\", rule \"{}\" ({}): {}", m.rule, m.kind.as_str(), m.excerpt)
        .chars()
        .take(monitor::MAX_REASON_CHARS)
        .collect();
    monitor::halt(state, at.workspace_id, &at.user_id, HALTED_BY, &reason).await?;
    Ok(())
}
