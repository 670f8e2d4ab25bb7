//! One open chat: its messages, the reply being generated (typing, then its text growing
//! from live pieces), Stop, Regenerate and the versions pager, the pause notice, the
//! composer.

use super::api::{choose_alternate, regenerate_reply, send_message, stop_reply};
use super::chats_api::{new_chat, open_chat_by_id};
use super::composer::Composer;
use super::messages::{absorb, apply_event, upsert, MessageItem, Streaming, StreamingItem};
use crate::components::ErrorBox;
use crate::error::AppError;
use crate::live::refresh_on;
use crate::types::{ChatHistory, LiveEvent, Sender, TurnOutcome, STOPPED_BEFORE_REPLY, UNAVAILABLE_NOTICE};
use leptos::prelude::*;

/// What the open chat shares with the page around it.
#[derive(Clone)]
pub struct Room {
    pub workspace: Option<String>,
    /// The message being written: kept across chats and personas.
    pub draft: RwSignal<String>,
    /// The text of the last send (put back in the box if the server refuses it).
    pub last_sent: RwSignal<String>,
    /// Live events not handled yet; the open conversation takes them.
    pub inbox: RwSignal<Vec<LiveEvent>>,
    /// Bumped by every live event except a reply's pieces: reload in the background.
    pub tick: RwSignal<u64>,
    /// Another persona or chat is loading: the one on screen cannot be written to.
    pub switching: Signal<bool>,
    /// The chat open (set here when the first message creates it).
    pub open_id: RwSignal<Option<i64>>,
}

/// The open chat. Built once per chat; afterwards messages, the reply being generated and
/// the pause state change in place. Pieces of a reply grow its text without any reload;
/// other live events are applied at once and reload the chat in the background.
#[component]
pub fn Conversation(h: ChatHistory, room: Room) -> impl IntoView {
    let Room { workspace, draft, last_sent, inbox, tick, switching, open_id } = room;
    let ws = StoredValue::new(workspace);
    let persona_id = h.persona.id;
    let persona_name = h.persona.name.clone();
    let current = RwSignal::new(h);
    let streaming = RwSignal::new(None::<Streaming>);
    // The reply (or pause notice) to the last send or regenerate is on screen.
    let answered = RwSignal::new(false);
    // The reply being generated again: hidden while its new version streams.
    let regenerating = RwSignal::new(None::<i64>);
    let action_error = RwSignal::new(None::<AppError>);

    // Live events, in order. Not the ones queued before this view was built (another chat's).
    Effect::new(move |prev: Option<()>| {
        inbox.track();
        let events = inbox.try_update_untracked(std::mem::take).unwrap_or_default();
        if prev.is_none() {
            return;
        }
        for event in events {
            let mut s = streaming.get_untracked();
            let before = s.clone();
            let piece = matches!(event, LiveEvent::Delta { .. } | LiveEvent::Waiting { .. });
            // A piece changes only the streaming reply: the list is not touched.
            let applied = if piece {
                current.try_update_untracked(|c| apply_event(c, &mut s, &event))
            } else {
                current.try_update(|c| apply_event(c, &mut s, &event))
            };
            if s != before {
                streaming.set(s);
            }
            if applied.is_some_and(|a| a.answered) {
                answered.set(true);
                regenerating.set(None);
            }
        }
    });
    refresh_on(
        current,
        move || tick.track(),
        move || {
            let (sid, now) = (current.with_untracked(|c| c.session_id), current.get_untracked());
            let ws = ws.get_value();
            async move {
                match sid {
                    Some(id) => open_chat_by_id(ws, id).await,
                    // Not created yet: nothing stored to reload.
                    None => Ok(now),
                }
            }
        },
        absorb,
    );

    // Send: the first message of a chat not created yet creates it first, so the reply's
    // pieces can be told apart from those of the user's other chats.
    let send = Action::new(move |text: &String| {
        let text = text.clone();
        let known = current.with_untracked(|c| c.session_id);
        let ws = ws.get_value();
        async move {
            let session = match known {
                Some(id) => id,
                None => {
                    let chat = new_chat(ws.clone(), Some(persona_id)).await?;
                    current.try_update(|c| _ = c.session_id.get_or_insert(chat.id));
                    open_id.try_set(Some(chat.id));
                    chat.id
                }
            };
            send_message(ws, persona_id, text, Some(session)).await
        }
    });
    let regenerate = Action::new(move |_: &()| {
        let sid = current.with_untracked(|c| c.session_id);
        let ws = ws.get_value();
        async move {
            let sid = sid.ok_or_else(|| AppError::not_found("chat"))?;
            regenerate_reply(ws, sid).await
        }
    });
    let generating = Signal::derive(move || send.pending().get() || regenerate.pending().get());
    // Put the text back if the server refused it (too long, persona deactivated meanwhile).
    Effect::new(move || {
        if let Some(Err(_)) = send.value().get() {
            draft.set(last_sent.get_untracked());
        }
    });
    // A finished send or regenerate shows its outcome at once, without waiting for the reload.
    Effect::new(move || {
        let Some(Ok(outcome)) = send.value().get() else { return };
        let (user_message, answer, paused) = match outcome {
            TurnOutcome::Replied { user_message, reply } => (user_message, Some(reply), None),
            TurnOutcome::Paused { user_message, notice } => (user_message, Some(notice), Some(true)),
            TurnOutcome::Failed { user_message, .. } => (user_message, None, None),
        };
        current.update(|c| {
            // A reply says nothing about the pause state (the conversation may have been
            // halted meanwhile); a pause notice says it is paused.
            if let Some(p) = paused {
                c.paused = p;
            }
            c.session_id.get_or_insert(user_message.session_id);
            upsert(c, std::iter::once(user_message).chain(answer).collect());
        });
        streaming.set(None);
        answered.set(true);
    });
    Effect::new(move || {
        match regenerate.value().get() {
            Some(Ok(TurnOutcome::Replied { reply, .. })) => current.update(|c| upsert(c, vec![reply])),
            Some(Err(e)) => action_error.set(Some(e)),
            _ => return,
        }
        streaming.set(None);
        regenerating.set(None);
        answered.set(true);
    });

    // The newest message stays in view: always after the user sends, otherwise when the
    // reader was already at the bottom (not while they scroll back through the history).
    let thread = NodeRef::<leptos::html::Div>::new();
    follow_newest(thread, move || {
        current.with(|c| c.messages.len());
        streaming.with(|s| s.as_ref().map(|s| s.text.len()));
        send.pending().get()
    });

    // While a send is pending, its text is shown greyed until the server has stored it
    // (the live event of the stored message usually comes first): never twice.
    let newest_at_send = StoredValue::new(0i64);
    let echo = move || {
        if !send.pending().get() {
            return None;
        }
        let sent = last_sent.get();
        let after = newest_at_send.get_value();
        let stored = current.with(|c| {
            c.messages.iter().any(|m| m.id > after && m.sender == Sender::User && m.content == sent.trim_end())
        });
        (!stored).then_some(sent)
    };

    let available = move || current.with(|c| c.available);
    // Deactivated before the page loaded, or while it was open (the send was refused).
    let unavailable = move || !available() || matches!(send.value().get(), Some(Err(AppError::Conflict { .. })));
    let locked = Signal::derive(move || unavailable() || switching.get());
    let paused = Memo::new(move |_| current.with(|c| c.paused));
    let last_reply =
        Memo::new(move |_| current.with(|c| c.messages.last().filter(|m| m.sender == Sender::Assistant).map(|m| m.id)));
    let on_send = Callback::new(move |text: String| {
        last_sent.set(text.clone());
        newest_at_send.set_value(current.with_untracked(|c| c.messages.iter().map(|m| m.id).max().unwrap_or(0)));
        answered.set(false);
        action_error.set(None);
        send.dispatch(text);
        draft.set(String::new());
    });
    let on_stop = Callback::new(move |_: ()| {
        let Some(sid) = current.with_untracked(|c| c.session_id) else { return };
        let call = stop_reply(ws.get_value(), sid);
        leptos::task::spawn_local(async move {
            if let Err(e) = call.await {
                _ = action_error.try_set(Some(e));
            }
        });
    });
    let on_regenerate = Callback::new(move |_: ()| {
        if generating.get_untracked() {
            return;
        }
        regenerating.set(last_reply.get_untracked());
        answered.set(false);
        action_error.set(None);
        regenerate.dispatch(());
    });
    let on_choose = Callback::new(move |(id, alternate): (i64, i64)| {
        let call = choose_alternate(ws.get_value(), id, alternate);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(m) => _ = current.try_update(|c| upsert(c, vec![m])),
                Err(e) => _ = action_error.try_set(Some(e)),
            }
        });
    });
    // Until the first piece, and while the pieces come.
    let show_streaming = move || streaming.with(Option::is_some) || (generating.get() && !answered.get());
    let can_stop = Signal::derive(move || generating.get() && !answered.get());
    let shown = move || {
        let hide = regenerating.get();
        current.with(|c| c.messages.iter().filter(|m| Some(m.id) != hide).cloned().collect::<Vec<_>>())
    };
    let failed_with = move |stopped: bool| {
        [send.value().get(), regenerate.value().get()].into_iter().any(
            |v| matches!(v, Some(Ok(TurnOutcome::Failed { error, .. })) if (error == STOPPED_BEFORE_REPLY) == stopped),
        )
    };
    let failed = move || failed_with(false);
    let stopped_early = move || failed_with(true);
    // A conflict is the persona going away: the notice above says so.
    let refused = move || {
        send.value()
            .get()
            .and_then(Result::err)
            .filter(|e| !matches!(e, AppError::Conflict { .. }))
            .or(action_error.get())
    };
    let name_for_stream = persona_name.clone();
    view! {
        {move || paused.get().then(|| view! {
            <div class="paused" role="status" data-testid="paused-banner">
                <strong>"Conversation paused"</strong>
                " — your messages are saved and will be answered when the conversation resumes."
            </div>
        })}
        {move || unavailable().then(|| view! {
            <div class="paused unavailable" role="status" data-testid="unavailable-banner">{UNAVAILABLE_NOTICE}</div>
        })}
        <div class="thread" node_ref=thread>
        <ol class="messages" aria-live="polite" aria-label="Messages">
            {move || {
                let empty = current.with(|c| c.messages.is_empty()) && !send.pending().get();
                empty.then(|| view! { <li class="empty">{format!("Say hello to {persona_name}.")}</li> })
            }}
            <For
                each=shown
                key=|m| (m.id, m.alternate, m.alternates, m.incomplete, m.content.len())
                let:m
            >
                {
                    let id = m.id;
                    let can_regenerate = Signal::derive(move || {
                        last_reply.get() == Some(id) && !generating.get() && !paused.get() && available()
                    });
                    view! { <MessageItem m can_regenerate on_regenerate on_choose/> }
                }
            </For>
            {move || echo().map(|pending| view! {
                <li class="msg user pending" data-sender="user" data-testid="pending-message">
                    <span class="who">"You"</span><span class="text">{pending}</span>
                </li>
            })}
        </ol>
        // Outside the list: the reply being generated is not a stored message yet.
        {move || show_streaming().then(|| view! {
            <StreamingItem name=name_for_stream.clone() streaming=streaming.into()/>
        })}
        </div>
        {move || stopped_early().then(|| view! {
            <p class="muted" role="status">"Stopped — nothing was generated. Your message is saved."</p>
        })}
        {move || failed().then(|| view! {
            <p class="error" role="alert">"The persona could not reply right now. Your message is saved — please try again."</p>
        })}
        {move || refused().map(|e| view! { <ErrorBox error=e/> })}
        <Composer draft locked generating can_stop on_send on_stop/>
    }
}

/// Scrolls the last element of `list` (the messages, then the reply being generated) into view each time `track` runs again: when it returns
/// true (the user just sent), or when the page was scrolled to the bottom (within 80 px)
/// before the list grew. Also once when the conversation opens, so a long history opens at
/// its newest message. Browser only.
#[allow(unused_variables)]
fn follow_newest(list: NodeRef<leptos::html::Div>, track: impl Fn() -> bool + 'static) {
    #[cfg(feature = "hydrate")]
    {
        fn at_bottom() -> bool {
            let w = window();
            let scrolled = w.scroll_y().unwrap_or(0.0) + w.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
            let height = document().document_element().map(|e| e.scroll_height() as f64).unwrap_or(0.0);
            scrolled >= height - 80.0
        }
        let pinned = StoredValue::new(true);
        let handle = window_event_listener(leptos::ev::scroll, move |_| pinned.set_value(at_bottom()));
        on_cleanup(move || handle.remove());
        Effect::new(move || {
            let sent = track();
            if sent || pinned.get_value() {
                if let Some(last) = list.get_untracked().and_then(|el| el.last_element_child()) {
                    last.scroll_into_view_with_bool(false);
                }
            }
        });
    }
}
