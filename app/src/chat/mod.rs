//! The end-user chat: pick a persona, keep several chats with it, talk (replies stream in
//! live, Stop, Regenerate, versions), see when it is paused.
//!
//! - `conversation`: the open chat; `messages`: one message and how events fold in;
//!   `composer`: the message box; `chat_list`: the list of chats.
//! - `api` and `chats_api`: the server functions.

pub mod api;
mod chat_list;
pub mod chats_api;
mod composer;
mod conversation;
pub mod login;
mod messages;

pub use composer::MAX_MESSAGE_CHARS;

use crate::components::{percent_encode, ErrorBox, Loading};
use crate::error::AppError;
use crate::live::{refresh_on, use_live_events};
use crate::types::{ChatHistory, ChatPersona, LiveEvent};
use api::{load_chat, open_chat, ChatStart};
use chat_list::{ChatList, ChatListCtx};
use chats_api::{list_chats, new_chat, open_chat_by_id};
use conversation::{Conversation, Room};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use login::ChatLogin;

#[component]
pub fn ChatPage() -> impl IntoView {
    let query = use_query_map();
    let workspace = query.read_untracked().get("w");
    let asked = query.read_untracked().get("persona").and_then(|p| p.parse::<i64>().ok());
    let chat = query.read_untracked().get("chat").and_then(|p| p.parse::<i64>().ok());
    // One resource, one call: the personas, the conversation to open and its chat list.
    // Switching persona or chat afterwards loads in the browser (see `ChatRoom`).
    let ws = workspace.clone();
    let start = Resource::new(|| (), move |_| open_chat(ws.clone(), asked, chat));
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

/// An empty conversation with `persona` (no chat created yet).
fn empty_chat(persona: ChatPersona, session_id: Option<i64>, paused: bool) -> ChatHistory {
    ChatHistory { session_id, persona, messages: Vec::new(), paused, available: true }
}

/// The picker, the chat list and the open conversation. Built once per page load;
/// choosing another persona or chat loads it in the background and then replaces the
/// conversation (the old one stays on screen until then).
#[component]
fn ChatRoom(start: ChatStart, workspace: Option<String>) -> impl IntoView {
    let events_url = match &workspace {
        Some(w) => format!("/chat/events?w={}", percent_encode(w)),
        None => "/chat/events".to_string(),
    };
    let tick = RwSignal::new(0u64);
    let inbox = RwSignal::new(Vec::<LiveEvent>::new());
    use_live_events(events_url, move |ev| {
        let piece = matches!(ev, LiveEvent::Delta { .. } | LiveEvent::Waiting { .. });
        inbox.update(|q| q.push(ev));
        if !piece {
            tick.update(|t| *t += 1);
        }
    });
    // The draft lives here, not in the conversation view, which is rebuilt when another
    // chat is opened: typing is never lost.
    let draft = RwSignal::new(String::new());
    let last_sent = RwSignal::new(String::new());

    let ChatStart { personas, history, chats } = start;
    // The persona the picker shows; the conversation below follows it once loaded.
    let selected = RwSignal::new(history.as_ref().map(|h| h.persona.id));
    let open_id = RwSignal::new(history.as_ref().and_then(|h| h.session_id));
    let opened = RwSignal::new(history);
    let chats = RwSignal::new(chats);
    let switch_error = RwSignal::new(None::<AppError>);
    // A chat or persona is being loaded.
    let loading = RwSignal::new(false);
    // Between a choice and its history arriving, the old conversation stays on screen
    // but cannot be written to (a message would go to the persona no longer picked).
    let switching =
        Signal::derive(move || loading.get() || opened.with(|h| h.as_ref().map(|h| h.persona.id)) != selected.get());
    // On phones the list is a panel opened from the header.
    let list_open = RwSignal::new(false);
    let ws = StoredValue::new(workspace.clone());
    // The list follows live events (titles come from first messages, previews change).
    refresh_on(
        chats,
        move || tick.track(),
        move || {
            let pid = selected.get_untracked();
            let ws = ws.get_value();
            async move {
                match pid {
                    Some(pid) => list_chats(ws, Some(pid), false).await,
                    None => Ok(Vec::new()),
                }
            }
        },
        move |c, loaded| {
            if loaded.iter().all(|x| Some(x.persona_id) == selected.get_untracked()) {
                *c = loaded;
            }
        },
    );

    // Shows `h` (a load finished) if it is still what is wanted.
    let show = move |h: ChatHistory| {
        _ = open_id.try_set(h.session_id);
        _ = opened.try_set(Some(h));
        _ = loading.try_set(false);
    };
    let choose = move |id: Option<i64>| {
        switch_error.set(None);
        selected.set(id);
        let Some(id) = id else { return };
        let (load, list) = (load_chat(ws.get_value(), Some(id)), list_chats(ws.get_value(), Some(id), false));
        loading.set(true);
        leptos::task::spawn_local(async move {
            let (loaded, listed) = (load.await, list.await);
            // `try_`: the page may be gone; a later choice wins over this one.
            if selected.try_get_untracked() != Some(Some(id)) {
                return;
            }
            match (loaded, listed) {
                (Ok(h), Ok(list)) => {
                    _ = chats.try_set(list);
                    show(h);
                }
                (Err(e), _) | (_, Err(e)) => {
                    _ = loading.try_set(false);
                    _ = switch_error.try_set(Some(e));
                }
            }
        });
    };
    let on_open = Callback::new(move |id: i64| {
        list_open.set(false);
        if open_id.get_untracked() == Some(id) {
            return;
        }
        switch_error.set(None);
        loading.set(true);
        let load = open_chat_by_id(ws.get_value(), id);
        leptos::task::spawn_local(async move {
            match load.await {
                Ok(h) => show(h),
                Err(e) => {
                    _ = loading.try_set(false);
                    _ = switch_error.try_set(Some(e));
                }
            }
        });
    });
    let on_new = Callback::new(move |_: ()| {
        let Some(pid) = selected.get_untracked() else { return };
        switch_error.set(None);
        list_open.set(false);
        let paused = opened.with_untracked(|h| h.as_ref().is_some_and(|h| h.paused));
        let create = new_chat(ws.get_value(), Some(pid));
        leptos::task::spawn_local(async move {
            match create.await {
                Ok(c) => {
                    let persona = ChatPersona { id: c.persona_id, name: c.persona_name.clone() };
                    _ = chats.try_update(|l| l.insert(0, c.clone()));
                    show(empty_chat(persona, Some(c.id), paused));
                }
                Err(e) => _ = switch_error.try_set(Some(e)),
            }
        });
    });
    // The open chat was archived or deleted: open the newest other one, else an empty one.
    let on_gone = Callback::new(move |id: i64| {
        if open_id.get_untracked() != Some(id) {
            return;
        }
        match chats.with_untracked(|l| l.first().map(|c| c.id)) {
            Some(next) => on_open.run(next),
            None => {
                let current = opened.get_untracked();
                if let Some(h) = current {
                    show(empty_chat(h.persona, None, h.paused));
                }
            }
        }
    });

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
    let list_ctx = ChatListCtx { workspace: workspace.clone(), chats, open_id: open_id.into(), on_open, on_gone };
    let can_start = Signal::derive(move || selected.get().is_some() && !loading.get());

    view! {
        <header class="chat-head">
            <button type="button" class="chats-toggle secondary" aria-controls="chat-list"
                aria-expanded=move || list_open.get().to_string() on:click=move |_| list_open.update(|o| *o = !*o)>
                "Chats"
            </button>
            <h1>"Chat"</h1>
            {picker}
            // Signing in is optional: a small menu, not a form across the page.
            <details class="chat-account">
                <summary>"Account"</summary>
                <ChatLogin workspace=workspace.clone()/>
            </details>
        </header>
        {move || switch_error.get().map(|e| view! { <ErrorBox error=e/> })}
        <div class="chat-body">
            <aside id="chat-list" class="chat-list" class:open=move || list_open.get() aria-label="Your chats">
                <ChatList ctx=list_ctx persona_id=selected on_new can_start/>
            </aside>
            <div class="conversation" aria-busy=move || switching.get().to_string()>
                {move || opened.get().map(|h| {
                    let room = Room {
                        workspace: workspace.clone(),
                        draft,
                        last_sent,
                        inbox,
                        tick,
                        switching,
                        open_id,
                    };
                    view! { <Conversation h room/> }
                })}
            </div>
        </div>
    }
}
