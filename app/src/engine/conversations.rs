//! A user's conversation as a file (JSON in the original's shape, or Markdown to read)
//! and clearing it. Operators only; scoped to the operator's workspace.

use super::chat::find_end_user;
use super::db::Db;
use super::ids::WorkspaceId;
use super::store::{audit, messages, notes as note_store, sessions as session_store, user_state as state_store};
use super::AppState;
use crate::error::AppResult;
use crate::types::{Message, OperatorNote, Sender, UserState};

/// Most messages an export holds (the newest).
pub const EXPORT_LIMIT: i64 = 10_000;

/// Everything an export holds.
pub struct Export {
    pub user_id: String,
    /// When it was made (ms).
    pub exported_at: i64,
    pub state: UserState,
    /// Oldest first, every chat, with operator authors.
    pub messages: Vec<Message>,
    pub notes: Vec<OperatorNote>,
}

/// The user's conversation for export. Errors: `NotFound` (user not in this workspace).
pub async fn export(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<Export> {
    let eu = find_end_user(db, ws, user_id).await?;
    Ok(Export {
        user_id: user_id.to_string(),
        exported_at: super::now_ms(),
        state: state_store::get(db, ws, eu).await?,
        messages: messages::newest_of_user(db, ws, eu, EXPORT_LIMIT).await?,
        notes: note_store::of_user(db, ws, eu).await?,
    })
}

/// The original's `role` for a stored sender.
pub fn role(sender: Sender) -> &'static str {
    match sender {
        Sender::User => "user",
        Sender::Assistant | Sender::Operator => "assistant",
        Sender::Notice => "system",
    }
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Who wrote a message, as the Markdown export names them.
fn who(m: &Message) -> String {
    let persona = match m.persona_version {
        Some(v) => format!("{} v{v}", m.persona_name),
        None => m.persona_name.clone(),
    };
    match (m.sender, &m.author) {
        (Sender::User, _) => "User".into(),
        (Sender::Assistant, Some(a)) => format!("{persona} (sent by {a}{})", if m.edited { ", edited" } else { "" }),
        (Sender::Assistant, None) => persona,
        (Sender::Operator, Some(a)) => format!("Operator {a}"),
        (Sender::Operator, None) => "Operator".into(),
        (Sender::Notice, _) => "Pause notice".into(),
    }
}

/// The export as Markdown: a heading per chat, each message with its author and time
/// (UTC), hidden notes as quotes where they were added.
pub fn markdown(e: &Export) -> String {
    let mut out = format!("# Conversation with {}\n\n", e.user_id);
    out.push_str(&format!(
        "Exported {} · {} message{} · {}\n",
        utc(e.exported_at),
        e.messages.len(),
        if e.messages.len() == 1 { "" } else { "s" },
        if e.state.halted { "halted" } else { "active" }
    ));
    let mut session = None;
    let mut notes = e.notes.iter().peekable();
    for m in &e.messages {
        if session != Some(m.session_id) {
            session = Some(m.session_id);
            out.push_str(&format!("\n## Chat {} with {}\n", m.session_id, m.persona_name));
        }
        while let Some(n) = notes.next_if(|n| n.created_at <= m.created_at && n.session_id == m.session_id) {
            out.push_str(&format!(
                "\n> Hidden note from {} · {}\n> {}\n",
                n.author,
                utc(n.created_at),
                quote(&n.content)
            ));
        }
        out.push_str(&format!("\n**{}** · {}\n\n{}\n", who(m), utc(m.created_at), m.content.trim_end()));
    }
    for n in notes {
        out.push_str(&format!("\n> Hidden note from {} · {}\n> {}\n", n.author, utc(n.created_at), quote(&n.content)));
    }
    out
}

fn quote(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join("\n> ")
}

/// A download name for the export: `conversation_{user}_{YYYYmmdd_HHMMSS}.{ext}`, with
/// anything but letters, digits, `-` and `_` in the user id replaced by `_`.
pub fn file_name(e: &Export, ext: &str) -> String {
    let user: String =
        e.user_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let when = chrono::DateTime::from_timestamp_millis(e.exported_at)
        .map(|t| t.format("%Y%m%d_%H%M%S").to_string())
        .unwrap_or_default();
    format!("conversation_{user}_{when}.{ext}")
}

/// Deletes every chat of the user with its messages and hidden notes (memory, state and
/// assignment stay); audited as `conversation_clear` (before: how many messages and
/// notes). Returns how many messages were deleted. Errors: `NotFound` (user not in this
/// workspace).
pub async fn clear(state: &AppState, ws: WorkspaceId, user_id: &str, by: &str) -> AppResult<i64> {
    let eu = find_end_user(&state.db, ws, user_id).await?;
    let deleted = session_store::delete_of_user(&state.db, ws, eu).await?;
    let notes = note_store::delete_of_user(&state.db, ws, eu).await?;
    let before = serde_json::json!({"messages": deleted, "notes": notes});
    audit::record_change(&state.db, ws, by, "conversation_clear", user_id, Some(&before), None).await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: i64, sender: Sender, content: &str, at: i64) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": id, "session_id": 3, "persona_name": "Ava", "sender": sender, "content": content,
            "created_at": at, "persona_version": if sender == Sender::Assistant { Some(2) } else { None }
        }))
        .unwrap()
    }

    #[test]
    fn markdown_names_authors_and_places_notes() {
        let mut sent = msg(3, Sender::Assistant, "From the team", 3_000);
        sent.author = Some("op@example.com".into());
        sent.edited = true;
        let e = Export {
            user_id: "ann/1".into(),
            exported_at: 0,
            state: UserState { halted: false, reason: None, halted_by: None, halted_at: None },
            messages: vec![msg(1, Sender::User, "hi", 1_000), msg(2, Sender::Assistant, "hello", 2_000), sent],
            notes: vec![OperatorNote {
                id: 1,
                session_id: 3,
                author: "op@example.com".into(),
                content: "be gentle".into(),
                created_at: 1_500,
            }],
        };
        let md = markdown(&e);
        assert!(md.starts_with("# Conversation with ann/1\n"), "{md}");
        assert!(md.contains("## Chat 3 with Ava"), "{md}");
        let note = md.find("> be gentle").unwrap();
        assert!(md.find("hi\n").unwrap() < note && note < md.find("hello").unwrap(), "{md}");
        assert!(md.contains("**Ava v2 (sent by op@example.com, edited)**"), "{md}");
        assert_eq!(file_name(&e, "md"), "conversation_ann_1_19700101_000000.md");
    }
}
