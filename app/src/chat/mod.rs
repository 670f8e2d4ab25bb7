//! The end-user chat: pick a persona, talk, see the history, see when it is paused.

pub mod api;

use crate::components::{percent_encode, use_interactive, ErrorBox, Loading};
use crate::error::AppError;
use crate::live::{refresh_on, use_live_events};
use crate::types::{ChatHistory, LiveEvent, Message, Sender, TurnOutcome, UNAVAILABLE_NOTICE};
use api::{load_chat, open_chat, ChatStart, SendMessage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Longest message an end user may send, in characters (mirrors the server's
/// `engine::chat::MAX_MESSAGE_CHARS`, which is ssr-only; a test keeps them equal).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// From this length on the composer shows how much room is left.
const COUNTER_FROM_CHARS: usize = MAX_MESSAGE_CHARS * 9 / 10;

#[component]
pub fn ChatPage() -> impl IntoView {
    let query = use_query_map();
    let workspace = query.read_untracked().get("w");
    let asked = query.read_untracked().get("persona").and_then(|p| p.parse::<i64>().ok());
    // One resource, one call: the personas and the conversation to open. Switching persona
    // afterwards loads the other conversation in the browser (see `ChatRoom`).
    let ws = workspace.clone();
    let start = Resource::new(|| (), move |_| open_chat(ws.clone(), asked));
    view! {
        <main class="chat">
            <Suspense fallback=Loading>
                {move || {
                    let workspace = workspace.clone();
                    Suspend::new(async move {
                        match start.await {
                            Ok(start) => view! { <ChatRoom start workspace/> }.into_any(),
                            Err(e) => view! { <h1>"Chat"</h1><ErrorBox error=e/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

/// The picker and the open conversation. Built once per page load; choosing another
/// persona loads its history in the background and then replaces the conversation below
/// (the old one stays on screen until then).
#[component]
fn ChatRoom(start: ChatStart, workspace: Option<String>) -> impl IntoView {
    let events_url = match &workspace {
        Some(w) => format!("/chat/events?w={}", percent_encode(w)),
        None => "/chat/events".to_string(),
    };
    let tick = RwSignal::new(0u64);
    let last_event = RwSignal::new(None::<LiveEvent>);
    use_live_events(events_url, move |ev| {
        last_event.set(Some(ev));
        tick.update(|t| *t += 1);
    });
    let send = ServerAction::<SendMessage>::new();
    // The draft lives here, not in the conversation view, which is rebuilt when another
    // persona is chosen: typing is never lost.
    let draft = RwSignal::new(String::new());
    let last_sent = RwSignal::new(String::new());
    // Put the text back if the server refused it (too long, persona deactivated meanwhile).
    Effect::new(move || {
        if let Some(Err(_)) = send.value().get() {
            draft.set(last_sent.get_untracked());
        }
    });

    let ChatStart { personas, history } = start;
    // The persona the picker shows; the conversation below follows it once loaded.
    let selected = RwSignal::new(history.as_ref().map(|h| h.persona.id));
    let opened = RwSignal::new(history);
    let switch_error = RwSignal::new(None::<AppError>);
    // Between a choice and its history arriving, the old conversation stays on screen
    // but cannot be written to (a message would go to the persona no longer picked).
    let switching = Signal::derive(move || opened.with(|h| h.as_ref().map(|h| h.persona.id)) != selected.get());
    let ws = workspace.clone();
    let choose = move |id: Option<i64>| {
        // The last send's outcome belongs to the previous persona.
        send.clear();
        switch_error.set(None);
        selected.set(id);
        let Some(id) = id else { return };
        let load = load_chat(ws.clone(), Some(id));
        leptos::task::spawn_local(async move {
            let loaded = load.await;
            // `try_`: the page may be gone; a later choice wins over this one.
            if selected.try_get_untracked() != Some(Some(id)) {
                return;
            }
            match loaded {
                Ok(h) => _ = opened.try_set(Some(h)),
                Err(e) => _ = switch_error.try_set(Some(e)),
            }
        });
    };

    let picker = if personas.is_empty() {
        view! { <p class="empty">"No personas are available yet."</p> }.into_any()
    } else {
        // A persona that is not offered any more (deactivated) stays open read-only; the
        // picker then asks for another one.
        let ids: Vec<i64> = personas.iter().map(|p| p.id).collect();
        let gone = move || selected.get().is_some_and(|id| !ids.contains(&id));
        view! {
            <label class="persona-pick">"Persona "
                <select on:change=move |ev| choose(event_target_value(&ev).parse().ok())>
                    {move || gone().then(|| view! {
                        <option value="" selected=true disabled=true>"Choose another persona"</option>
                    })}
                    {personas.into_iter().map(|p| {
                        let is_sel = move || selected.get() == Some(p.id);
                        view! { <option value=p.id selected=is_sel>{p.name}</option> }
                    }).collect_view()}
                </select>
            </label>
        }
        .into_any()
    };

    view! {
        <header class="chat-head">
            <h1>"Chat"</h1>
            {picker}
        </header>
        {move || switch_error.get().map(|e| view! { <ErrorBox error=e/> })}
        <div class="conversation" aria-busy=move || switching.get().to_string()>
            {move || opened.get().map(|h| {
                let workspace = workspace.clone();
                view! { <Conversation h workspace send draft last_sent tick last_event switching/> }
            })}
        </div>
    }
}

/// Folds a freshly loaded history into the one on screen. Messages are append-only, so
/// the list is the union of both by id (a load that started before a send finished never
/// takes the sent messages away again); the flags come from the newest load.
fn absorb(current: &mut ChatHistory, loaded: ChatHistory) {
    if loaded.persona.id == current.persona.id {
        current.paused = loaded.paused;
        current.available = loaded.available;
        add_messages(current, loaded.messages);
    }
}

/// Adds messages not on screen yet, keeping the list in id (= storage) order.
fn add_messages(current: &mut ChatHistory, messages: Vec<Message>) {
    for m in messages {
        if !current.messages.iter().any(|have| have.id == m.id) {
            current.messages.push(m);
        }
    }
    current.messages.sort_by_key(|m| m.id);
}

/// Folds a live event into the conversation on screen at once (the reload that follows
/// confirms it): a message of this chat, the pause state, this persona's availability.
fn apply_event(current: &mut ChatHistory, event: &LiveEvent) {
    match event {
        LiveEvent::Message { message, .. } if current.session_id == Some(message.session_id) => {
            add_messages(current, vec![message.clone()]);
        }
        LiveEvent::Message { .. } => {}
        LiveEvent::State { state, .. } => current.paused = state.halted,
        LiveEvent::Persona { persona_id, available } if *persona_id == current.persona.id => {
            current.available = *available;
        }
        LiveEvent::Persona { .. } => {}
    }
}

/// `n` with thousands separators: 4000 → "4,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Why a draft of `chars` characters cannot be sent, if it is too long.
fn too_long_message(chars: usize) -> Option<String> {
    (chars > MAX_MESSAGE_CHARS).then(|| {
        format!(
            "This message is {} characters long; the limit is {}. Shorten it by {} to send it.",
            thousands(chars),
            thousands(MAX_MESSAGE_CHARS),
            thousands(chars - MAX_MESSAGE_CHARS)
        )
    })
}

/// What a message's author is called in the chat.
fn author(m: &Message) -> String {
    match m.sender {
        Sender::User => "You".to_string(),
        Sender::Assistant => m.persona_name.clone(),
        Sender::Operator => "Team".to_string(),
        Sender::Notice => "Notice".to_string(),
    }
}

/// One open conversation. Built once per persona choice; afterwards the messages and the
/// paused/unavailable state change in place: a finished send adds its messages at once,
/// each live event is applied at once, and every live event (or send) reloads the history
/// in the background.
#[component]
fn Conversation(
    h: ChatHistory,
    workspace: Option<String>,
    send: ServerAction<SendMessage>,
    draft: RwSignal<String>,
    last_sent: RwSignal<String>,
    tick: RwSignal<u64>,
    last_event: RwSignal<Option<LiveEvent>>,
    switching: Signal<bool>,
) -> impl IntoView {
    let ready = use_interactive();
    let persona_id = h.persona.id;
    let persona_name = h.persona.name.clone();
    let current = RwSignal::new(h);

    // Not the event that was already there when this view was built (another persona's).
    Effect::new(move |prev: Option<()>| {
        let event = last_event.get();
        if let (Some(()), Some(event)) = (prev, event) {
            current.update(|c| apply_event(c, &event));
        }
    });
    // Every live event reloads the history in the background (a send causes two: its
    // message and the reply or pause notice).
    let ws = workspace.clone();
    refresh_on(current, move || tick.track(), move || load_chat(ws.clone(), Some(persona_id)), absorb);
    // A send from this view shows its outcome at once, without waiting for the reload.
    // (Not one sent from a previous persona's view that finished after the switch.)
    let sent_here = StoredValue::new(false);
    Effect::new(move || {
        let Some(Ok(outcome)) = send.value().get() else { return };
        if !sent_here.get_value() {
            return;
        }
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
            add_messages(c, std::iter::once(user_message).chain(answer).collect());
        });
    });

    // The newest message stays in view: always after the user sends, otherwise when the
    // reader was already at the bottom (not while they scroll back through the history).
    let list = NodeRef::<leptos::html::Ol>::new();
    follow_newest(list, move || {
        current.with(|c| c.messages.len());
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

    let chars = Memo::new(move |_| draft.with(|d| d.chars().count()));
    let too_long = move || too_long_message(chars.get());
    let available = move || current.with(|c| c.available);
    // Deactivated before the page loaded, or while it was open (the send was refused).
    let unavailable = move || !available() || matches!(send.value().get(), Some(Err(AppError::Conflict { .. })));
    let locked = move || unavailable() || switching.get();
    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || send.pending().get_untracked() || locked() || too_long().is_some() {
            return;
        }
        last_sent.set(text.clone());
        sent_here.set_value(true);
        newest_at_send.set_value(current.with_untracked(|c| c.messages.iter().map(|m| m.id).max().unwrap_or(0)));
        send.dispatch(SendMessage { workspace: workspace.clone(), persona_id, message: text });
        draft.set(String::new());
    };
    let submit_on_enter = submit.clone();
    let failed = move || matches!(send.value().get(), Some(Ok(TurnOutcome::Failed { .. })));
    // A conflict is the persona going away: the notice above says so.
    let refused = move || send.value().get().and_then(Result::err).filter(|e| !matches!(e, AppError::Conflict { .. }));
    let name_for_typing = persona_name.clone();
    view! {
        {move || current.with(|c| c.paused).then(|| view! {
            <div class="paused" role="status" data-testid="paused-banner">
                <strong>"Conversation paused"</strong>
                " — a member of our team is reviewing this conversation. Your messages are saved."
            </div>
        })}
        {move || unavailable().then(|| view! {
            <div class="paused unavailable" role="status" data-testid="unavailable-banner">{UNAVAILABLE_NOTICE}</div>
        })}
        <ol class="messages" aria-live="polite" aria-label="Messages" node_ref=list>
            {move || {
                let empty = current.with(|c| c.messages.is_empty()) && !send.pending().get();
                empty.then(|| view! { <li class="empty">{format!("Say hello to {persona_name}.")}</li> })
            }}
            <For each=move || current.with(|c| c.messages.clone()) key=|m| m.id let:m>
                <li class=format!("msg {}", m.sender.as_str()) data-sender=m.sender.as_str()>
                    <span class="who">{author(&m)}</span>
                    <span class="text">{m.content}</span>
                    {m.truncated.then(|| view! { <span class="cut">"… (reply cut at the length limit)"</span> })}
                </li>
            </For>
            {move || echo().map(|pending| view! {
                <li class="msg user pending" data-sender="user" data-testid="pending-message">
                    <span class="who">"You"</span><span class="text">{pending}</span>
                </li>
            })}
            {move || send.pending().get().then(|| view! {
                <li class="typing" aria-busy="true">{format!("{name_for_typing} is typing…")}</li>
            })}
        </ol>
        {move || failed().then(|| view! {
            <p class="error" role="alert">"The persona could not reply right now. Your message is saved — please try again."</p>
        })}
        {move || refused().map(|e| view! { <ErrorBox error=e/> })}
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="composer-field">
                <label class="sr-only" for="chat-input">"Message"</label>
                <textarea
                    id="chat-input"
                    name="message"
                    rows="2"
                    aria-describedby="chat-limit"
                    aria-invalid=move || too_long().is_some().to_string()
                    placeholder="Write a message… (Enter to send, Shift+Enter for a new line)"
                    disabled=locked
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            submit_on_enter();
                        }
                    }
                ></textarea>
                <div id="chat-limit" class="limit">
                    {move || match too_long() {
                        Some(why) => view! { <p class="error" role="alert" data-testid="too-long">{why}</p> }.into_any(),
                        None => (chars.get() >= COUNTER_FROM_CHARS).then(|| view! {
                            <p class="counter" data-testid="char-counter">
                                {format!("{} / {} characters", thousands(chars.get()), thousands(MAX_MESSAGE_CHARS))}
                            </p>
                        }).into_any(),
                    }}
                </div>
            </div>
            <button
                type="submit"
                disabled=move || !ready.get() || send.pending().get() || locked() || too_long().is_some()
            >"Send"</button>
        </form>
    }
}

/// Scrolls the last item of `list` into view each time `track` runs again: when it returns
/// true (the user just sent), or when the page was scrolled to the bottom (within 80 px)
/// before the list grew. Also once when the conversation opens, so a long history opens at
/// its newest message. Browser only.
#[allow(unused_variables)]
fn follow_newest(list: NodeRef<leptos::html::Ol>, track: impl Fn() -> bool + 'static) {
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
                if let Some(last) = list.get_untracked().and_then(|ol| ol.last_element_child()) {
                    last.scroll_into_view_with_bool(false);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(4000), "4,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_message_over_the_limit_is_refused_with_how_much_to_cut() {
        assert_eq!(too_long_message(MAX_MESSAGE_CHARS), None);
        assert_eq!(
            too_long_message(5000).as_deref(),
            Some("This message is 5,000 characters long; the limit is 4,000. Shorten it by 1,000 to send it.")
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_limit_matches_the_server() {
        assert_eq!(MAX_MESSAGE_CHARS, crate::engine::chat::MAX_MESSAGE_CHARS);
    }
}
