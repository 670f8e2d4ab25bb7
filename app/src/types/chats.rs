//! An end user's chats (chat sessions): several per persona, each with a title, archived
//! or not. What the chat page's chat list and the `/chat/sessions` REST routes send.

use serde::{Deserialize, Serialize};

/// Longest chat title, in characters.
pub const MAX_CHAT_TITLE_CHARS: usize = 100;
/// A chat without a title of its own is called by the start of its first user message,
/// at most this many characters.
pub const DERIVED_TITLE_CHARS: usize = 60;
/// Longest preview of a chat's last message in the chat list, in characters.
pub const CHAT_PREVIEW_CHARS: usize = 120;

/// One chat of an end user, as the chat list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatSummary {
    pub id: i64,
    /// The end user whose chat it is, as the chat or the API names them.
    pub user_id: String,
    /// The user's title, else the start of the first user message (at most
    /// [`DERIVED_TITLE_CHARS`], "…" when cut), else "New chat".
    pub title: String,
    /// True when the user named the chat (the title is not derived).
    pub titled: bool,
    pub persona_id: i64,
    pub persona_name: String,
    /// Messages stored in the chat (every sender).
    pub message_count: i64,
    /// When the newest message was stored; None for an empty chat.
    pub last_message_at: Option<i64>,
    /// The start of the newest message (at most [`CHAT_PREVIEW_CHARS`], "…" when cut).
    pub preview: Option<String>,
    pub archived: bool,
    /// When it was archived; None when it is not.
    pub archived_at: Option<i64>,
    pub created_at: i64,
    /// Last activity: creation or the newest message. The list is ordered by it.
    pub updated_at: i64,
}

/// What a chat is called when it has no title and no user message yet.
pub const UNTITLED_CHAT: &str = "New chat";

/// The start of `text`: at most `max` characters (whitespace runs folded), with "…" when
/// it was cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let mut cut: String = folded.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_fold_whitespace_and_mark_a_cut() {
        assert_eq!(excerpt("hello\n  there", 60), "hello there");
        assert_eq!(excerpt("abcdef", 6), "abcdef");
        assert_eq!(excerpt("abc defgh", 6), "abc d…");
        assert_eq!(excerpt("abcd  efgh", 6), "abcd…");
        assert_eq!(excerpt("ééééééé", 4), "ééé…");
    }
}
