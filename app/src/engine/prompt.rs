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
    ctx.insert("now".into(), json!(chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()));
    let rendered = super::render::render(content, &serde_json::Value::Object(ctx))?;
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

/// How many of the `n` earlier messages of a chat a turn sends, with a history window of
/// `window` messages. Up to `window` all of them; past it, the window moves in steps of
/// half its size (keeping more than `window / 2` and at most `window` messages), so the oldest
/// message sent stays the same for several turns and the embedded model can reuse its
/// cached prompt (a window sliding by one message every turn changes the prompt's start
/// every turn). Windows under 4 slide one message at a time.
pub fn history_keep(n: u32, window: u32) -> u32 {
    if n <= window {
        return n;
    }
    if window < 4 {
        return window;
    }
    let step = window / 2;
    let dropped = ((n - window - 1) / step + 1) * step;
    n - dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_window_moves_in_half_steps() {
        let kept: Vec<u32> = (0..=45).map(|n| history_keep(n, 20)).collect();
        // All of it up to the window, then 11..=20, 11..=20, …: never more than the window,
        // never less than half of it.
        assert_eq!(&kept[..=20], &(0..=20).collect::<Vec<_>>()[..]);
        assert_eq!(&kept[21..=30], &[11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        assert_eq!(&kept[31..=40], &[11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
        // The oldest message sent (n - kept) changes only every `window / 2` messages.
        let starts: std::collections::BTreeSet<u32> = (21..=40).map(|n| n - history_keep(n, 20)).collect();
        assert_eq!(starts.into_iter().collect::<Vec<_>>(), vec![10, 20]);
        assert_eq!(history_keep(5, 2), 2);
        assert_eq!(history_keep(5, 0), 0);
    }

    #[test]
    fn operator_injections_speak_for_the_persona() {
        assert_eq!(llm_role(Sender::User), "user");
        assert_eq!(llm_role(Sender::Assistant), "assistant");
        assert_eq!(llm_role(Sender::Operator), "assistant");
    }
}
