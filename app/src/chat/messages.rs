//! The chat's messages: how live events and reloads fold into the conversation on screen,
//! one message (rendered HTML, "stopped", versions pager, Regenerate), and the reply
//! being generated.

use crate::types::{ChatHistory, LiveEvent, Message, Sender};
use leptos::prelude::*;

/// The reply being generated in the open chat, as its pieces arrive.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Streaming {
    /// The user message it answers.
    pub reply_to: i64,
    /// The text so far (plain text until the stored reply replaces it).
    pub text: String,
    /// Turns served before this one while it waits for the model; None once it runs.
    pub ahead: Option<u32>,
}

/// Folds a freshly loaded history into the one on screen: the messages are the union of
/// both by id (a load that started before a send finished never takes the sent messages
/// away again; a changed message — another version chosen — is replaced); the flags
/// come from the newest load. Only for the same chat.
pub fn absorb(current: &mut ChatHistory, loaded: ChatHistory) {
    let same_chat = match current.session_id {
        Some(id) => loaded.session_id == Some(id),
        None => loaded.persona.id == current.persona.id,
    };
    if same_chat {
        current.paused = loaded.paused;
        current.available = loaded.available;
        if current.session_id.is_none() {
            current.session_id = loaded.session_id;
        }
        upsert(current, loaded.messages);
    }
}

/// Adds messages not on screen yet and replaces changed ones, keeping the list in id
/// (= storage) order.
pub fn upsert(current: &mut ChatHistory, messages: Vec<Message>) {
    for m in messages {
        match current.messages.iter_mut().find(|have| have.id == m.id) {
            Some(have) => *have = m,
            None => current.messages.push(m),
        }
    }
    current.messages.sort_by_key(|m| m.id);
}

/// What a live event changed in the open chat.
#[derive(Debug, Default, PartialEq)]
pub struct Applied {
    /// A reply (or pause notice) of this chat was stored or changed.
    pub answered: bool,
    /// Worth a reload of the history in the background (not a piece of a reply).
    pub reload: bool,
}

/// Folds a live event into the conversation on screen and the reply being generated: a
/// message of this chat (a stored reply ends the streaming one), a piece of a reply, the
/// wait for the model, the pause state, this persona's availability.
pub fn apply_event(current: &mut ChatHistory, streaming: &mut Option<Streaming>, event: &LiveEvent) -> Applied {
    let this_chat = |id: i64| current.session_id == Some(id);
    match event {
        LiveEvent::Message { message, .. } if this_chat(message.session_id) => {
            let answered = message.sender != Sender::User;
            if answered {
                *streaming = None;
            }
            upsert(current, vec![message.clone()]);
            Applied { answered, reload: true }
        }
        LiveEvent::Delta { session_id, reply_to, text, .. } if this_chat(*session_id) => {
            match streaming {
                Some(s) if s.reply_to == *reply_to => {
                    s.text.push_str(text);
                    s.ahead = None;
                }
                _ => *streaming = Some(Streaming { reply_to: *reply_to, text: text.clone(), ahead: None }),
            }
            Applied::default()
        }
        LiveEvent::Waiting { session_id, reply_to, ahead, .. } if this_chat(*session_id) => {
            match streaming {
                Some(s) if s.reply_to == *reply_to => s.ahead = Some(*ahead),
                _ => *streaming = Some(Streaming { reply_to: *reply_to, text: String::new(), ahead: Some(*ahead) }),
            }
            Applied::default()
        }
        LiveEvent::Message { .. } | LiveEvent::Delta { .. } | LiveEvent::Waiting { .. } => Applied::default(),
        LiveEvent::State { state, .. } => {
            current.paused = state.halted;
            Applied { answered: false, reload: true }
        }
        LiveEvent::Persona { persona_id, available } if *persona_id == current.persona.id => {
            current.available = *available;
            Applied { answered: false, reload: true }
        }
        LiveEvent::Persona { .. } | LiveEvent::Alert { .. } | LiveEvent::Memory { .. } => Applied::default(),
    }
}

/// What a message's author is called in the chat.
pub fn author(m: &Message) -> String {
    match m.sender {
        Sender::User => "You".to_string(),
        Sender::Assistant => m.persona_name.clone(),
        Sender::Operator => "Team".to_string(),
        Sender::Notice => "Notice".to_string(),
    }
}

/// The text of a message: its sanitized HTML for assistant and operator messages (the
/// server renders Markdown and strips anything active), plain text otherwise.
pub fn message_body(m: &Message) -> AnyView {
    let rich = matches!(m.sender, Sender::Assistant | Sender::Operator) && !m.html.is_empty();
    if rich {
        view! { <div class="text rich" inner_html=m.html.clone()></div> }.into_any()
    } else {
        view! { <span class="text">{m.content.clone()}</span> }.into_any()
    }
}

/// One stored message. An assistant reply shows "stopped" when it is partial, a pager
/// over its versions when it was regenerated, and Regenerate while `can_regenerate`.
#[component]
pub fn MessageItem(
    m: Message,
    #[prop(into)] can_regenerate: Signal<bool>,
    on_regenerate: Callback<()>,
    on_choose: Callback<(i64, i64)>,
) -> impl IntoView {
    let (id, alternate, alternates) = (m.id, m.alternate, m.alternates);
    let pager = (m.sender == Sender::Assistant && alternates > 1).then(|| {
        view! {
            <div class="pager" role="group" aria-label="Versions of this reply">
                <button type="button" class="link" aria-label="Previous version" disabled={alternate <= 1}
                    on:click=move |_| on_choose.run((id, alternate - 1))>"‹"</button>
                <span data-testid="version">{format!("{alternate}/{alternates}")}</span>
                <button type="button" class="link" aria-label="Next version" disabled={alternate >= alternates}
                    on:click=move |_| on_choose.run((id, alternate + 1))>"›"</button>
            </div>
        }
    });
    let assistant = m.sender == Sender::Assistant;
    view! {
        <li class=format!("msg {}", m.sender.as_str()) data-sender=m.sender.as_str() data-id=m.id>
            <span class="who">{author(&m)}</span>
            {message_body(&m)}
            {m.truncated.then(|| view! { <span class="cut">"… (reply cut at the length limit)"</span> })}
            {m.incomplete.then(|| view! { <span class="stopped" data-testid="stopped">"stopped"</span> })}
            <div class="msg-actions">
                {pager}
                {move || (assistant && can_regenerate.get()).then(|| view! {
                    <button type="button" class="link" on:click=move |_| on_regenerate.run(())>"Regenerate"</button>
                })}
            </div>
        </li>
    }
}

/// The reply being generated: "typing…" (or the wait for the model) until its first
/// piece, then its text growing as plain text.
#[component]
pub fn StreamingItem(name: String, streaming: Signal<Option<Streaming>>) -> impl IntoView {
    let text = move || streaming.with(|s| s.as_ref().map(|s| s.text.clone()).unwrap_or_default());
    let status = {
        let name = name.clone();
        move || {
            streaming.with(|s| match s {
                Some(Streaming { ahead: Some(n), text, .. }) if *n > 0 && text.is_empty() => {
                    Some(format!("Waiting for the model — {n} ahead"))
                }
                Some(Streaming { text, .. }) if !text.is_empty() => None,
                _ => Some(format!("{name} is typing…")),
            })
        }
    };
    view! {
        <div class="msg assistant streaming" role="status" data-testid="streaming-reply" aria-busy="true">
            <span class="who">{name}</span>
            {move || status().map(|s| view! { <span class="typing">{s}</span> })}
            <span class="text">{text}</span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ChatPersona;

    fn msg(id: i64, sender: Sender, content: &str) -> Message {
        Message {
            id,
            session_id: 7,
            persona_name: "Ava".into(),
            sender,
            content: content.into(),
            created_at: 0,
            persona_version: None,
            truncated: false,
            incomplete: false,
            alternates: 1,
            alternate: 1,
            html: String::new(),
            author: None,
            edited: false,
        }
    }

    fn history() -> ChatHistory {
        ChatHistory {
            session_id: Some(7),
            persona: ChatPersona { id: 1, name: "Ava".into() },
            messages: vec![msg(1, Sender::User, "hi")],
            paused: false,
            available: true,
        }
    }

    fn delta(session_id: i64, text: &str) -> LiveEvent {
        LiveEvent::Delta { user_id: "u".into(), session_id, reply_to: 1, text: text.into() }
    }

    #[test]
    fn pieces_of_a_reply_grow_the_streaming_text_and_the_stored_reply_ends_it() {
        let (mut h, mut s) = (history(), None);
        assert_eq!(apply_event(&mut h, &mut s, &delta(7, "Hel")), Applied::default());
        apply_event(&mut h, &mut s, &delta(7, "lo"));
        assert_eq!(s.as_ref().map(|s| s.text.as_str()), Some("Hello"));
        apply_event(&mut h, &mut s, &delta(8, "other chat"));
        assert_eq!(s.as_ref().map(|s| s.text.as_str()), Some("Hello"));
        let reply = LiveEvent::Message { user_id: "u".into(), message: msg(2, Sender::Assistant, "Hello") };
        assert_eq!(apply_event(&mut h, &mut s, &reply), Applied { answered: true, reload: true });
        assert_eq!(s, None);
        assert_eq!(h.messages.len(), 2);
    }

    #[test]
    fn waiting_shows_how_many_are_ahead_until_the_first_piece() {
        let (mut h, mut s) = (history(), None);
        let waiting = LiveEvent::Waiting { user_id: "u".into(), session_id: 7, reply_to: 1, ahead: 2 };
        apply_event(&mut h, &mut s, &waiting);
        assert_eq!(s.as_ref().and_then(|s| s.ahead), Some(2));
        apply_event(&mut h, &mut s, &delta(7, "x"));
        assert_eq!(s.as_ref().and_then(|s| s.ahead), None);
    }

    #[test]
    fn a_changed_message_replaces_the_one_on_screen() {
        let mut h = history();
        let mut v2 = msg(1, Sender::User, "hi");
        v2.alternate = 2;
        upsert(&mut h, vec![v2.clone(), msg(3, Sender::Assistant, "b"), msg(2, Sender::User, "a")]);
        assert_eq!(h.messages.iter().map(|m| m.id).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(h.messages[0], v2);
    }

    #[test]
    fn a_reload_of_another_chat_is_ignored() {
        let mut h = history();
        let mut other = history();
        other.session_id = Some(8);
        other.paused = true;
        absorb(&mut h, other);
        assert!(!h.paused);
    }
}
