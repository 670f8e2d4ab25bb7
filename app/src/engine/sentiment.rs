//! Sentiment: a job scores each user message (valence −1..1; arousal, dominance, trust,
//! engagement, confidence 0..1) when scoring is on for the chat (its own switch, else its
//! persona's; both off by default). The LLM answers JSON; values are clamped to their
//! ranges and stored per message. The template's `sentiment` is the average of the chat's
//! last [`RECENT`] scores. A failed scoring fails the job and never touches the chat.

use super::chat::find_end_user;
use super::db::Db;
use super::ids::{MessageId, PersonaId, SessionId, WorkspaceId};
use super::memory::job_llm::{ask, find_object};
use super::queue::{enqueue, JobError, JobKind};
use super::store::audit;
use super::store::messages::SessionRef;
use super::store::sentiment::{self as store, message_target, Dimensions};
use super::AppState;
use crate::error::{AppError, AppResult};
use crate::types::{Message, Sender, SentimentAggregate, SentimentScore, SessionSentiment};
use serde::{Deserialize, Serialize};

/// How many of a chat's newest scores the template's `sentiment` averages.
pub const RECENT: i64 = 5;
/// `llm_requests.source` of the sentiment job's calls.
pub const SOURCE: &str = "sentiment";
/// Most scores a listing returns.
pub const MAX_LISTED: i64 = 500;
/// The instruction the sentiment job sends (the system message). The end-to-end fake LLM
/// recognises scoring requests by "relational affect".
pub const SENTIMENT_INSTRUCTION: &str = "You rate the emotional and relational affect of one chat message, from \
the speaker's perspective: valence (emotional positivity, -1 very negative to 1 very positive), arousal (energy, \
0 very calm to 1 very excited), dominance (assertiveness, 0 submissive to 1 dominant), trust (openness, 0 guarded \
to 1 trusting), engagement (investment in the conversation, 0 disengaged to 1 engaged) and your confidence (0 to \
1). Answer ONLY with JSON like {\"valence\": 0.0, \"arousal\": 0.5, \"dominance\": 0.5, \"trust\": 0.5, \
\"engagement\": 0.5, \"confidence\": 0.8}.";

/// The [`JobKind::ScoreSentiment`] payload.
#[derive(Debug, Serialize, Deserialize)]
pub struct Payload {
    pub workspace_id: WorkspaceId,
    pub message_id: MessageId,
}

/// The weighted composite of a score (trust and engagement weigh most).
pub fn overall(d: &Dimensions) -> f64 {
    d.valence * 0.2 + d.arousal * 0.1 + d.dominance * 0.1 + d.trust * 0.3 + d.engagement * 0.3
}

/// The score in an answer: the first JSON object with a numeric `valence`; each value
/// clamped (valence to −1..1, the others to 0..1); a missing dimension is 0.5 (neutral),
/// a missing confidence 0.5. Errors: no such object, or a value that is not a finite number.
pub fn parse_score(answer: &str) -> Result<Dimensions, String> {
    let junk = || format!("no sentiment JSON in the answer: {:.200}", answer);
    find_object(answer, |m| {
        let num = |k: &str| match m.get(k) {
            None | Some(serde_json::Value::Null) => Some(None),
            Some(v) => v.as_f64().filter(|f| f.is_finite()).map(Some),
        };
        let valence = num("valence")??;
        let unit = |k: &str| num(k).map(|v| v.unwrap_or(0.5).clamp(0.0, 1.0));
        Some(Dimensions {
            valence: valence.clamp(-1.0, 1.0),
            arousal: unit("arousal")?,
            dominance: unit("dominance")?,
            trust: unit("trust")?,
            engagement: unit("engagement")?,
            confidence: unit("confidence")?,
        })
    })
    .ok_or_else(junk)
}

/// Whether the chat's messages are scored (its own switch, else its persona's). Errors:
/// `NotFound` (chat).
pub async fn enabled(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<bool> {
    let (persona, own) = store::switches(db, ws, session).await?.ok_or_else(|| AppError::not_found("session"))?;
    Ok(own.unwrap_or(persona))
}

/// The average of `scores` (any order) as the template's `sentiment`:
/// `{valence, arousal, dominance, trust, engagement, confidence, overall, count}`; None when empty.
pub fn average(scores: &[SentimentScore]) -> Option<serde_json::Value> {
    let n = scores.len() as f64;
    if scores.is_empty() {
        return None;
    }
    let avg = |f: fn(&SentimentScore) -> f64| scores.iter().map(f).sum::<f64>() / n;
    Some(serde_json::json!({
        "valence": avg(|s| s.valence),
        "arousal": avg(|s| s.arousal),
        "dominance": avg(|s| s.dominance),
        "trust": avg(|s| s.trust),
        "engagement": avg(|s| s.engagement),
        "confidence": avg(|s| s.confidence),
        "overall": avg(|s| s.overall_sentiment),
        "count": scores.len(),
    }))
}

/// Whether the chat's messages are scored, for the pipeline: a chat gone meanwhile is off
/// (the turn is not failed for it).
async fn scoring(db: &Db, at: &SessionRef) -> AppResult<bool> {
    Ok(store::switches(db, at.workspace_id, at.session_id).await?.is_some_and(|(persona, own)| own.unwrap_or(persona)))
}

/// The recent average for the template's `sentiment` (the chat's last [`RECENT`] scores,
/// see [`average`]); None when scoring is off or nothing was scored yet.
pub async fn recent(state: &AppState, at: &SessionRef) -> AppResult<Option<serde_json::Value>> {
    if !scoring(&state.db, at).await? {
        return Ok(None);
    }
    let scores = store::of_session(&state.db, at.workspace_id, at.session_id, RECENT).await?;
    Ok(average(&scores))
}

/// After a turn: enqueues scoring of `user_message` when scoring is on, once per message.
pub async fn after_turn(state: &AppState, at: &SessionRef, user_message: &Message) -> AppResult<()> {
    if user_message.sender != Sender::User || !scoring(&state.db, at).await? {
        return Ok(());
    }
    let payload = Payload { workspace_id: at.workspace_id, message_id: MessageId(user_message.id) };
    let json = serde_json::to_value(&payload).map_err(|e| super::internal("job payload", e))?;
    let key = format!("score_sentiment:{}", user_message.id);
    enqueue(&state.db, at.workspace_id, JobKind::ScoreSentiment, &json, Some(&key)).await?;
    Ok(())
}

/// The [`JobKind::ScoreSentiment`] job: asks the LLM to score the message and stores the
/// clamped score. Idempotent: a message scored already is not asked about again.
/// Errors: `Fail` (unreadable payload, message gone or not the user's, junk answer),
/// `Retry` (provider down, database).
pub async fn run_job(state: &AppState, payload: &serde_json::Value) -> Result<(), JobError> {
    let p: Payload = serde_json::from_value(payload.clone()).map_err(|e| JobError::Fail(format!("payload: {e}")))?;
    let retry = |e: AppError| JobError::Retry(e.to_string());
    let db = &state.db;
    if store::of_message(db, p.workspace_id, p.message_id).await.map_err(retry)?.is_some() {
        return Ok(());
    }
    let target = message_target(db, p.workspace_id, p.message_id)
        .await
        .map_err(retry)?
        .ok_or_else(|| JobError::Fail(format!("message {} is gone", p.message_id)))?;
    if target.sender != Sender::User {
        return Err(JobError::Fail(format!("message {} is not a user message", p.message_id)));
    }
    let answer = ask(state, &target.at, SOURCE, SENTIMENT_INSTRUCTION, &target.content, 96).await?;
    let d = parse_score(&answer).map_err(JobError::Fail)?;
    store::insert(db, &target.at, p.message_id, &d, overall(&d), state.llm.model()).await.map_err(retry)?;
    Ok(())
}

/// Averages and trends of `scores` (any order; sorted by message here). None when empty.
pub fn aggregate(
    scores: &[SentimentScore],
    session_id: Option<i64>,
    user_id: Option<&str>,
) -> Option<SentimentAggregate> {
    if scores.is_empty() {
        return None;
    }
    let mut sorted = scores.to_vec();
    sorted.sort_by_key(|s| s.message_id);
    let n = sorted.len() as f64;
    let avg = |f: fn(&SentimentScore) -> f64| sorted.iter().map(f).sum::<f64>() / n;
    // Least-squares slope against the position (0, 1, 2, …).
    let slope = |f: fn(&SentimentScore) -> f64| {
        if sorted.len() < 2 {
            return None;
        }
        let mean_x = (n - 1.0) / 2.0;
        let mean_y = avg(f);
        let (mut num, mut den) = (0.0, 0.0);
        for (i, s) in sorted.iter().enumerate() {
            let dx = i as f64 - mean_x;
            num += dx * (f(s) - mean_y);
            den += dx * dx;
        }
        Some(num / den)
    };
    Some(SentimentAggregate {
        session_id,
        user_id: user_id.map(str::to_string),
        window_type: if session_id.is_some() { "session" } else { "user" }.to_string(),
        window_start: sorted.iter().map(|s| s.created_at).min().unwrap_or_default(),
        avg_valence: avg(|s| s.valence),
        avg_arousal: avg(|s| s.arousal),
        avg_dominance: avg(|s| s.dominance),
        avg_trust: avg(|s| s.trust),
        avg_engagement: avg(|s| s.engagement),
        avg_confidence: avg(|s| s.confidence),
        avg_overall: avg(|s| s.overall_sentiment),
        valence_trend: slope(|s| s.valence),
        engagement_trend: slope(|s| s.engagement),
        message_count: sorted.len() as i64,
    })
}

/// The chat's scores, newest first (at most `limit`, capped at [`MAX_LISTED`]). Errors:
/// `NotFound` (chat not in the workspace).
pub async fn of_session(db: &Db, ws: WorkspaceId, session: SessionId, limit: i64) -> AppResult<Vec<SentimentScore>> {
    store::switches(db, ws, session).await?.ok_or_else(|| AppError::not_found("session"))?;
    store::of_session(db, ws, session, limit.clamp(1, MAX_LISTED)).await
}

/// The chat's aggregate; None when nothing was scored. Errors: `NotFound` (chat).
pub async fn session_aggregate(db: &Db, ws: WorkspaceId, session: SessionId) -> AppResult<Option<SentimentAggregate>> {
    let scores = of_session(db, ws, session, MAX_LISTED).await?;
    Ok(aggregate(&scores, Some(session.get()), None))
}

/// The user's aggregate over all their chats; None when nothing was scored. Errors: `NotFound` (user).
pub async fn user_aggregate(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<Option<SentimentAggregate>> {
    let eu = find_end_user(db, ws, user_id).await?;
    let scores = store::of_user(db, ws, eu, MAX_LISTED).await?;
    Ok(aggregate(&scores, None, Some(user_id)))
}

/// The score of message `id`. Errors: `NotFound` (no such message in the workspace, or not scored).
pub async fn of_message(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<SentimentScore> {
    store::of_message(db, ws, id).await?.ok_or_else(|| AppError::not_found("sentiment for this message"))
}

/// Turns scoring on or off for one chat (`None`: flips what is in effect now), audited
/// (`sentiment_toggle`). Returns what is in effect afterwards. Errors: `NotFound` (chat).
pub async fn toggle(db: &Db, ws: WorkspaceId, session: SessionId, on: Option<bool>, actor: &str) -> AppResult<bool> {
    let before = enabled(db, ws, session).await?;
    let after = on.unwrap_or(!before);
    if !store::set_session_switch(db, ws, session, Some(after)).await? {
        return Err(AppError::not_found("session"));
    }
    let (b, a) = (serde_json::json!(before), serde_json::json!(after));
    audit::record_change(db, ws, actor, "sentiment_toggle", &session.to_string(), Some(&b), Some(&a)).await?;
    Ok(after)
}

/// Sets the persona's switch (chats without their own follow it), audited
/// (`sentiment_persona`). Errors: `NotFound` (persona).
pub async fn set_persona(db: &Db, ws: WorkspaceId, persona: PersonaId, on: bool, actor: &str) -> AppResult<()> {
    if !store::set_persona_switch(db, ws, persona, on).await? {
        return Err(AppError::not_found("persona"));
    }
    audit::record_change(db, ws, actor, "sentiment_persona", &persona.to_string(), None, Some(&serde_json::json!(on)))
        .await
}

/// What the monitor's sentiment panel shows for chat `session` of `user_id`: the switch,
/// the scores oldest first and the user's aggregate. Errors: `NotFound` (chat, user).
pub async fn panel(db: &Db, ws: WorkspaceId, user_id: &str, session: SessionId) -> AppResult<SessionSentiment> {
    let (persona, own) = store::switches(db, ws, session).await?.ok_or_else(|| AppError::not_found("session"))?;
    let mut scores = store::of_session(db, ws, session, MAX_LISTED).await?;
    scores.reverse();
    Ok(SessionSentiment {
        session_id: session.get(),
        enabled: own.unwrap_or(persona),
        session_override: own,
        scores,
        user_aggregate: user_aggregate(db, ws, user_id).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_clamped_and_junk_is_refused() {
        let d = parse_score("Sure: {\"valence\": 3, \"arousal\": -2, \"trust\": 0.9, \"confidence\": 7} ok").unwrap();
        assert_eq!((d.valence, d.arousal, d.dominance, d.trust, d.confidence), (1.0, 0.0, 0.5, 0.9, 1.0));
        assert_eq!(parse_score("{\"valence\": -4}").unwrap().valence, -1.0);
        assert!(parse_score("I feel fine").is_err());
        assert!(parse_score("{\"valence\": \"happy\"}").is_err());
        assert!(parse_score("{\"arousal\": 0.3}").is_err(), "valence is required");
    }

    fn score(message_id: i64, valence: f64) -> SentimentScore {
        SentimentScore {
            id: message_id,
            message_id,
            session_id: 1,
            valence,
            arousal: 0.5,
            dominance: 0.5,
            trust: 0.5,
            engagement: 0.5,
            overall_sentiment: 0.0,
            confidence: 1.0,
            created_at: message_id * 10,
        }
    }

    #[test]
    fn the_aggregate_averages_and_finds_the_trend() {
        let a = aggregate(&[score(3, 1.0), score(1, -1.0), score(2, 0.0)], Some(1), None).unwrap();
        assert_eq!(a.avg_valence, 0.0);
        assert_eq!(a.valence_trend, Some(1.0));
        assert_eq!(a.engagement_trend, Some(0.0));
        assert_eq!((a.message_count, a.window_start, a.window_type.as_str()), (3, 10, "session"));
        assert_eq!(aggregate(&[score(1, 0.5)], None, Some("u")).unwrap().valence_trend, None);
        assert!(aggregate(&[], None, None).is_none());
    }
}
