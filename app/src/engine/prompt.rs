//! The prompt: what a template sees for one turn and exactly what the LLM gets. Pure —
//! no database, no provider — so the preview, the playground and the chat pipeline
//! build it the same way.

use crate::error::AppResult;
use crate::types::{ChatMessage, DeclaredVariable, PersonaKind, Sender};
use serde_json::json;

/// The LLM role for a stored sender: operator injections speak for the persona.
pub fn llm_role(sender: Sender) -> &'static str {
    match sender {
        Sender::User => "user",
        _ => "assistant",
    }
}

/// What a template sees, besides declared variables.
pub struct TurnInput<'a> {
    pub user_id: &'a str,
    pub current_message: &'a str,
    /// (sender, content, ms) oldest first, without the current message.
    pub history: &'a [(Sender, String, i64)],
    pub memory: &'a serde_json::Map<String, serde_json::Value>,
    /// What the summary job wrote about the turns older than `history` (`summary` in the
    /// template); None when the chat has none yet.
    pub summary: Option<&'a str>,
    /// The recent average sentiment of the user's messages (`sentiment` in the template:
    /// `{valence, arousal, dominance, trust, engagement, confidence}`); None when scoring
    /// is off or nothing was scored yet.
    pub sentiment: Option<&'a serde_json::Value>,
    /// Text added after the rendered template, in order (guardrail instructions by
    /// priority, then operators' hidden notes): appended to the system message (`chat`
    /// kind) or to the prompt (`text` kind), each on its own paragraph.
    pub system_additions: &'a [String],
}

/// Renders `version`'s template for one turn and returns exactly what the LLM gets.
/// Context: `user_id`, `current_message`, `history` (role, sender, content, at), `memory`,
/// `now`, and every declared variable (its default, or the value in `values`).
/// `chat` kind: [system = rendered, history…, user = current message]; `text` kind:
/// [user = rendered] (the template carries the history itself).
/// Errors: `Template` (syntax, undefined variable, fuel) with its line.
pub fn build_messages(
    kind: PersonaKind,
    content: &str,
    declared: &[DeclaredVariable],
    values: &serde_json::Map<String, serde_json::Value>,
    input: &TurnInput<'_>,
) -> AppResult<Vec<ChatMessage>> {
    let mut ctx = serde_json::Map::new();
    for d in declared {
        ctx.insert(d.name.clone(), values.get(&d.name).cloned().unwrap_or_else(|| d.default.clone()));
    }
    ctx.insert("user_id".into(), json!(input.user_id));
    ctx.insert("current_message".into(), json!(input.current_message));
    ctx.insert(
        "history".into(),
        json!(input
            .history
            .iter()
            .map(|(s, c, at)| json!({"role": llm_role(*s), "sender": s.as_str(), "content": c, "at": at}))
            .collect::<Vec<_>>()),
    );
    ctx.insert("memory".into(), serde_json::Value::Object(input.memory.clone()));
    ctx.insert("summary".into(), json!(input.summary.unwrap_or("")));
    ctx.insert("sentiment".into(), input.sentiment.cloned().unwrap_or(serde_json::Value::Null));
    ctx.insert("now".into(), json!(chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()));
    let mut rendered = super::render::render(content, &serde_json::Value::Object(ctx))?;
    for extra in input.system_additions.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        if !rendered.is_empty() {
            rendered.push_str("\n\n");
        }
        rendered.push_str(extra);
    }
    Ok(match kind {
        PersonaKind::Chat => {
            let mut messages = Vec::with_capacity(input.history.len() + 2);
            messages.push(ChatMessage::new("system", rendered));
            messages.extend(input.history.iter().map(|(s, c, _)| ChatMessage::new(llm_role(*s), c.clone())));
            messages.push(ChatMessage::new("user", input.current_message));
            messages
        }
        PersonaKind::Text => vec![ChatMessage::new("user", rendered)],
    })
}

/// Estimated tokens per message besides its text: the chat template's role markers
/// (`<|im_start|>user\n` … `<|im_end|>\n` is 4–5 tokens with SmolLM2's ChatML).
pub const MESSAGE_OVERHEAD_TOKENS: u32 = 4;

/// The estimated prompt tokens of one history message of `chars` characters: characters
/// divided by 4, rounded up, plus [`MESSAGE_OVERHEAD_TOKENS`]. A documented estimate, not
/// the model's tokenizer: English text runs at about 4 characters a token on the models
/// PromptDev targets (the request log's real `prompt_tokens` shows how close it is).
pub fn estimate_tokens(chars: u32) -> u32 {
    chars.div_ceil(4) + MESSAGE_OVERHEAD_TOKENS
}

/// How much history a turn may send: an estimated token budget ([`estimate_tokens`]) and
/// an upper bound on the number of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryBudget {
    /// Estimated tokens of all history messages together.
    pub tokens: u32,
    /// Messages at most.
    pub messages: u32,
}

/// Where a turn's history starts: the index of the oldest of the earlier messages (their
/// estimated token costs `costs`, oldest first) that the turn sends; the ones before it
/// are left to the chat's summary ([`crate::engine::summary`]).
///
/// The window grows with the chat until it would pass the budget (tokens or messages);
/// then its start jumps forward until at most half of the tokens remain (and just over half
/// of the message limit, as the message window always did), and stays there until
/// the window is full again. So the oldest message sent (the prompt's start after the
/// system message) stays the same for several turns and the embedded model can reuse its
/// cached prompt; a window sliding by one message every turn would change the prompt's
/// start every turn. Message limits under 4 slide one message at a time.
///
/// The start is computed by replaying the chat from its first message, so it depends only
/// on the messages: every turn, the summary job and a fork agree on it, and a longer chat
/// never starts earlier than a shorter prefix of it. A single message over the whole budget
/// is never sent.
pub fn history_start(costs: &[u32], budget: HistoryBudget) -> usize {
    let (token_floor, message_floor) = if budget.messages < 4 {
        (budget.tokens / 2, budget.messages)
    } else {
        (budget.tokens / 2, budget.messages + 1 - budget.messages / 2)
    };
    let mut start = 0;
    let mut sum: u64 = 0;
    for (k, cost) in costs.iter().enumerate() {
        sum += u64::from(*cost);
        let count = |start: usize| (k + 1 - start) as u64;
        if sum > u64::from(budget.tokens) || count(start) > u64::from(budget.messages) {
            while start <= k && (sum > u64::from(token_floor) || count(start) > u64::from(message_floor)) {
                sum -= u64::from(costs[start]);
                start += 1;
            }
        }
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGES_ONLY: u32 = u32::MAX;

    #[test]
    fn the_history_window_moves_in_half_steps_of_its_message_limit() {
        let budget = HistoryBudget { tokens: MESSAGES_ONLY, messages: 20 };
        let kept: Vec<usize> = (0..=45).map(|n| n - history_start(&vec![1; n], budget)).collect();
        // All of it up to the limit, then 11..=20 again and again: never more than the
        // limit, never less than half of it.
        assert_eq!(&kept[..=20], &(0..=20).collect::<Vec<_>>()[..]);
        assert_eq!(&kept[21..=30], &[11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        assert_eq!(&kept[31..=40], &[11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        let starts: std::collections::BTreeSet<usize> = (21..=40).map(|n| history_start(&vec![1; n], budget)).collect();
        assert_eq!(starts.into_iter().collect::<Vec<_>>(), vec![10, 20]);
        assert_eq!(history_start(&[1; 5], HistoryBudget { tokens: MESSAGES_ONLY, messages: 2 }), 3);
        assert_eq!(history_start(&[1; 5], HistoryBudget { tokens: MESSAGES_ONLY, messages: 0 }), 5);
    }

    #[test]
    fn the_history_window_keeps_within_its_token_budget_and_its_start_stays_put() {
        let budget = HistoryBudget { tokens: 100, messages: 1000 };
        // Messages of 10, 20, 30 tokens, repeating.
        let costs: Vec<u32> = (0..60).map(|i| 10 * (i % 3 + 1)).collect();
        let mut starts = Vec::new();
        for n in 0..=costs.len() {
            let start = history_start(&costs[..n], budget);
            let sent: u32 = costs[start..n].iter().sum();
            assert!(sent <= 100, "{n} messages: {sent} tokens sent");
            if n > 0 {
                assert!(sent + costs[start.saturating_sub(1)] > 50 || start == 0, "{n}: not too little either");
            }
            starts.push(start);
        }
        assert!(starts.windows(2).all(|w| w[0] <= w[1]), "the start never moves back");
        let moves = starts.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(moves <= 60 / 3, "the start moved {moves} times in 60 messages: it must hold for several turns");
        assert!(starts[60] > 40, "the oldest messages are dropped");
        // One message larger than the whole budget is never sent.
        assert_eq!(history_start(&[10, 500, 10], budget), 2);
    }

    #[test]
    fn tokens_are_estimated_from_characters() {
        assert_eq!(estimate_tokens(0), 4);
        assert_eq!(estimate_tokens(1), 5);
        assert_eq!(estimate_tokens(8), 6);
        assert_eq!(estimate_tokens(9), 7);
    }

    #[test]
    fn operator_injections_speak_for_the_persona() {
        assert_eq!(llm_role(Sender::User), "user");
        assert_eq!(llm_role(Sender::Assistant), "assistant");
        assert_eq!(llm_role(Sender::Operator), "assistant");
    }
}
