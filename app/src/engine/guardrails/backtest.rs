//! Backtest: a draft rule set (not saved) over the workspace's stored messages of the last
//! N days — what it would have blocked, flagged or halted — before it is switched on.
//! User messages are checked by input rules, assistant replies by output rules.

use super::rules;
use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::engine::now_ms;
use crate::engine::store::guardrails as store;
use crate::error::{AppError, AppResult};
use crate::types::{BacktestHit, BacktestReport, BacktestRequest, GuardrailRule, RuleAction, RuleMatch, TextSide};

/// Days looked back when the request names none.
pub const DEFAULT_DAYS: i64 = 7;
/// Most days looked back.
pub const MAX_DAYS: i64 = 90;
/// Matching messages listed when the request names no limit.
pub const DEFAULT_LIMIT: i64 = 50;
/// Most matching messages listed.
pub const MAX_LIMIT: i64 = 200;
/// Most stored messages checked (the newest).
pub const MAX_SCANNED: i64 = 10_000;
/// Longest message preview, in characters.
const PREVIEW_CHARS: usize = 200;

/// Runs `req.rules` over the messages of the last `req.days` days. Errors: `Invalid`
/// (days, limit; rules naming the rule).
pub async fn run(db: &Db, ws: WorkspaceId, req: &BacktestRequest) -> AppResult<BacktestReport> {
    let days = req.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::invalid("days", format!("look back 1 to {MAX_DAYS} days")));
    }
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", format!("list 1 to {MAX_LIMIT} messages")));
    }
    let since = now_ms() - days * 24 * 3600 * 1000;
    let scanned = store::messages_since(db, ws, since, MAX_SCANNED).await?;
    let mut report = evaluate(&req.rules, scanned.iter().map(|m| (m, m.sender.as_str(), m.content.as_str())), limit)?;
    report.days = days;
    report.scanned = scanned.len() as i64;
    Ok(report)
}

/// The counting and listing of [`run`] over `(message, sender, text)`, newest first.
fn evaluate<'a>(
    rules_: &[GuardrailRule],
    messages: impl Iterator<Item = (&'a store::ScannedMessage, &'a str, &'a str)>,
    limit: i64,
) -> AppResult<BacktestReport> {
    let compiled = rules::compile(rules_)?;
    let mut report = BacktestReport::default();
    for (m, sender, text) in messages {
        let side = if sender == "user" { TextSide::Input } else { TextSide::Output };
        let found: Vec<RuleMatch> = rules::check(&compiled, side, text);
        let Some(action) = rules::decisive(&found).map(|d| d.action) else { continue };
        match action {
            RuleAction::Block => report.blocked += 1,
            RuleAction::Flag => report.flagged += 1,
            RuleAction::Halt => report.halted += 1,
        }
        if (report.hits.len() as i64) < limit {
            report.hits.push(BacktestHit {
                message_id: m.id,
                user_id: m.user_id.clone(),
                session_id: m.session_id,
                sender: sender.to_string(),
                created_at: m.created_at,
                action,
                matches: found,
                preview: text.chars().take(PREVIEW_CHARS).collect(),
            });
        } else {
            report.truncated = true;
        }
    }
    Ok(report)
}
