//! The end-user chat: pick a persona, talk, see the history, see when it is paused.

pub mod api;

use crate::components::{use_interactive, ErrorBox, Loading};
use crate::error::AppError;
use crate::live::{refresh_on, use_live_events};
use crate::types::{ChatHistory, Message, Sender, TurnOutcome, UNAVAILABLE_NOTICE};
use api::{chat_personas, load_chat, SendMessage};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ChatPage() -> impl IntoView {
    let query = use_query_map();
    let workspace = query.read_untracked().get("w");
    let events_url = match &workspace {
        Some(w) => format!("/chat/events?w={w}"),
        None => "/chat/events".to_string(),
    };
    let ws = workspace.clone();
    let personas = Resource::new(|| (), move |_| chat_personas(ws.clone()));
    let selected = RwSignal::new(query.read_untracked().get("persona").and_then(|p| p.parse::<i64>().ok()));
    let send = ServerAction::<SendMessage>::new();
    // The draft lives here, not in the conversation view, which is rebuilt whenever the
    // history reloads (after each send and each live event): typing is never lost.
    let draft = RwSignal::new(String::new());
    let last_sent = RwSignal::new(String::new());
    // Put the text back if the server refused it (too long, persona deactivated meanwhile).
    Effect::new(move || {
        if let Some(Err(_)) = send.value().get() {
            draft.set(last_sent.get_untracked());
        }
    });
    let tick = RwSignal::new(0u64);
    use_live_events(events_url, move |_| tick.update(|t| *t += 1));
    // Keyed on the persona only: live events and sends update the open conversation in
    // place (see `Conversation`), so the composer and the message list are never rebuilt
    // under the user's fingers.
    let ws = workspace.clone();
    let history = Resource::new(move || selected.get(), move |p| load_chat(ws.clone(), p));

    view! {
        <main class="chat">
            <header class="chat-head">
                <h1>"Chat"</h1>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match personas.await {
                            Ok(list) if list.is_empty() => view! { <p class="empty">"No personas are available yet."</p> }.into_any(),
                            Ok(list) => {
                                // A persona that is not offered any more (deactivated) stays open
                                // read-only; the picker then asks for another one.
                                let ids: Vec<i64> = list.iter().map(|p| p.id).collect();
                                let gone = move || selected.get().is_some_and(|id| !ids.contains(&id));
                                view! {
                                <label class="persona-pick">"Persona "
                                    <select on:change=move |ev| {
                                        // The last send's outcome belongs to the previous persona.
                                        send.clear();
                                        selected.set(event_target_value(&ev).parse().ok());
                                    }>
                                        {move || gone().then(|| view! {
                                            <option value="" selected=true disabled=true>"Choose another persona"</option>
                                        })}
                                        {list.into_iter().map(|p| {
                                            let is_sel = move || selected.get() == Some(p.id);
                                            view! { <option value=p.id selected=is_sel>{p.name}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                            }.into_any()
                            }
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </header>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(h) => view! { <Conversation h send draft last_sent tick/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </main>
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

/// One open conversation. Built once per persona choice; afterwards the messages and the
/// paused/unavailable state change in place: a finished send adds its messages at once,
/// and every live event (or send) reloads the history in the background.
#[component]
fn Conversation(
    h: ChatHistory,
    send: ServerAction<SendMessage>,
    draft: RwSignal<String>,
    last_sent: RwSignal<String>,
    tick: RwSignal<u64>,
) -> impl IntoView {
    let ready = use_interactive();
    let persona_id = h.persona.id;
    let persona_name = h.persona.name.clone();
    let workspace = use_query_map().read_untracked().get("w");
    let current = RwSignal::new(h);

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
            TurnOutcome::Replied { user_message, reply } => (user_message, Some(reply), false),
            TurnOutcome::Paused { user_message, notice } => (user_message, Some(notice), true),
            TurnOutcome::Failed { user_message, .. } => (user_message, None, false),
        };
        current.update(|c| {
            c.paused = paused;
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

    let available = move || current.with(|c| c.available);
    // Deactivated before the page loaded, or while it was open (the send was refused).
    let unavailable = move || !available() || matches!(send.value().get(), Some(Err(AppError::Conflict { .. })));
    let submit = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() || send.pending().get_untracked() || unavailable() {
            return;
        }
        last_sent.set(text.clone());
        sent_here.set_value(true);
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
                    <span class="who">{match m.sender {
                        Sender::User => "You".to_string(),
                        Sender::Assistant => m.persona_name.clone(),
                        Sender::Operator => "Team".to_string(),
                        Sender::Notice => "Notice".to_string(),
                    }}</span>
                    <span class="text">{m.content}</span>
                </li>
            </For>
            {move || send.pending().get().then(|| {
                let pending = last_sent.get();
                view! {
                    <li class="msg user pending" data-sender="user"><span class="who">"You"</span><span class="text">{pending}</span></li>
                    <li class="typing" aria-busy="true">{format!("{name_for_typing} is typing…")}</li>
                }
            })}
        </ol>
        {move || failed().then(|| view! {
            <p class="error" role="alert">"The persona could not reply right now. Your message is saved — please try again."</p>
        })}
        {move || refused().map(|e| view! { <ErrorBox error=e/> })}
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label class="sr-only" for="chat-input">"Message"</label>
            <textarea
                id="chat-input"
                name="message"
                rows="2"
                maxlength="4000"
                placeholder="Write a message… (Enter to send, Shift+Enter for a new line)"
                disabled=unavailable
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        submit_on_enter();
                    }
                }
            ></textarea>
            <button type="submit" disabled=move || !ready.get() || send.pending().get() || unavailable()>"Send"</button>
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
