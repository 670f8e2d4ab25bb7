//! The chat list: the user's chats with the persona picked, New chat, and per chat
//! rename (inline), archive / unarchive (archived ones under a toggle) and delete (after
//! a confirmation). A sidebar on wide screens, a collapsible panel on phones (see
//! `style/main.css`).

use super::chats_api::{archive_chat, delete_chat, list_chats, rename_chat, unarchive_chat};
use crate::components::ErrorBox;
use crate::error::AppError;
use crate::types::{ChatSummary, MAX_CHAT_TITLE_CHARS};
use leptos::prelude::*;

/// What the list shares with the page around it.
#[derive(Clone)]
pub struct ChatListCtx {
    pub workspace: Option<String>,
    /// The chats shown (not archived), most recently active first.
    pub chats: RwSignal<Vec<ChatSummary>>,
    /// The chat open on the right.
    pub open_id: Signal<Option<i64>>,
    /// Opens a chat of the list.
    pub on_open: Callback<i64>,
    /// A chat was archived or deleted (the page opens another one if it was open).
    pub on_gone: Callback<i64>,
}

/// The list, with New chat (`on_new`) above it; `persona_id` is the persona picked.
#[component]
pub fn ChatList(
    ctx: ChatListCtx,
    #[prop(into)] persona_id: Signal<Option<i64>>,
    on_new: Callback<()>,
    #[prop(into)] can_start: Signal<bool>,
) -> impl IntoView {
    let chats = ctx.chats;
    let show_archived = RwSignal::new(false);
    let archived = RwSignal::new(None::<Vec<ChatSummary>>);
    let error = RwSignal::new(None::<AppError>);
    let ws = ctx.workspace.clone();
    let load_archived = move || {
        let Some(pid) = persona_id.get_untracked() else { return };
        let load = list_chats(ws.clone(), Some(pid), true);
        leptos::task::spawn_local(async move {
            match load.await {
                Ok(list) => _ = archived.try_set(Some(list)),
                Err(e) => _ = error.try_set(Some(e)),
            }
        });
    };
    // Another persona: its archive is loaded again when asked for.
    Effect::new(move |prev: Option<()>| {
        persona_id.track();
        if prev.is_some() {
            archived.set(None);
            show_archived.set(false);
        }
    });
    let toggle_archived = {
        let load_archived = load_archived.clone();
        move |_| {
            let show = !show_archived.get_untracked();
            show_archived.set(show);
            if show {
                load_archived();
            }
        }
    };
    let row_ctx =
        RowCtx { list: ctx.clone(), archived, error, reload_archived: Callback::new(move |_| load_archived()) };
    let archived_ctx = row_ctx.clone();
    view! {
        <div class="chat-list-head">
            <h2 id="chats-title">"Chats"</h2>
            <button type="button" class="new-chat" disabled=move || !can_start.get() on:click=move |_| on_new.run(())>
                "New chat"
            </button>
        </div>
        {move || error.get().map(|e| view! { <ErrorBox error=e/> })}
        <ul class="chats" aria-labelledby="chats-title">
            {move || chats.with(Vec::is_empty).then(|| view! { <li class="empty">"No chats yet."</li> })}
            <For
                each=move || chats.get()
                key=|c| (c.id, c.title.clone(), c.preview.clone(), c.message_count)
                let:chat
            >
                <ChatRow chat ctx=row_ctx.clone()/>
            </For>
        </ul>
        <button type="button" class="link archived-toggle" aria-expanded=move || show_archived.get().to_string()
            on:click=toggle_archived>
            {move || if show_archived.get() { "Hide archived chats" } else { "Show archived chats" }}
        </button>
        {move || show_archived.get().then(|| {
            let ctx = archived_ctx.clone();
            view! {
                <ul class="chats archived" aria-label="Archived chats">
                    {move || match archived.get() {
                        None => view! { <li class="empty">"Loading…"</li> }.into_any(),
                        Some(list) if list.is_empty() => view! { <li class="empty">"No archived chats."</li> }.into_any(),
                        Some(list) => list.into_iter().map(|chat| view! { <ChatRow chat ctx=ctx.clone()/> }).collect_view().into_any(),
                    }}
                </ul>
            }
        })}
    }
}

/// What a row needs to act on the lists.
#[derive(Clone)]
struct RowCtx {
    list: ChatListCtx,
    archived: RwSignal<Option<Vec<ChatSummary>>>,
    error: RwSignal<Option<AppError>>,
    reload_archived: Callback<()>,
}

/// One chat: its title (a button that opens it) and preview, and its menu.
#[component]
fn ChatRow(chat: ChatSummary, ctx: RowCtx) -> impl IntoView {
    let id = chat.id;
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let name = RwSignal::new(chat.title.clone());
    let RowCtx { list, archived, error, reload_archived } = ctx;
    let ChatListCtx { workspace, chats, open_id, on_open, on_gone } = list;
    let is_open = move || open_id.get() == Some(id);
    // Runs a chat-list call; its answer updates the lists.
    let run = move |call: std::pin::Pin<Box<dyn std::future::Future<Output = Result<Done, AppError>>>>| {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(Done::Renamed(c)) => {
                    _ = chats.try_update(|l| l.iter_mut().filter(|x| x.id == c.id).for_each(|x| *x = c.clone()));
                    _ = renaming.try_set(false);
                }
                Ok(Done::Archived(c)) => {
                    _ = chats.try_update(|l| l.retain(|x| x.id != c.id));
                    _ = archived.try_update(|a| {
                        if let Some(a) = a {
                            a.insert(0, c.clone());
                        }
                    });
                    _ = on_gone.try_run(c.id);
                }
                Ok(Done::Unarchived(c)) => {
                    _ = archived.try_update(|a| {
                        if let Some(a) = a {
                            a.retain(|x| x.id != c.id);
                        }
                    });
                    _ = chats.try_update(|l| {
                        l.insert(0, c.clone());
                        l.sort_by_key(|x| std::cmp::Reverse(x.updated_at));
                    });
                }
                Ok(Done::Deleted(id)) => {
                    _ = chats.try_update(|l| l.retain(|x| x.id != id));
                    _ = reload_archived.try_run(());
                    _ = on_gone.try_run(id);
                }
                Err(e) => _ = error.try_set(Some(e)),
            }
        });
        _ = error.try_set(None);
    };
    let ws = StoredValue::new(workspace);
    let save = move || {
        let title = name.get_untracked().trim().to_string();
        let call = rename_chat(ws.get_value(), id, (!title.is_empty()).then_some(title));
        run(Box::pin(async move { call.await.map(Done::Renamed) }));
    };
    let archive = move |_| {
        let call = archive_chat(ws.get_value(), id);
        run(Box::pin(async move { call.await.map(Done::Archived) }));
    };
    let unarchive = move |_| {
        let call = unarchive_chat(ws.get_value(), id);
        run(Box::pin(async move { call.await.map(Done::Unarchived) }));
    };
    let delete = move |_| {
        let call = delete_chat(ws.get_value(), id);
        run(Box::pin(async move { call.await.map(|_| Done::Deleted(id)) }));
    };
    let menu = RwSignal::new(false);
    let (title, preview, is_archived) = (chat.title.clone(), chat.preview.clone(), chat.archived);
    let menu_label = format!("Actions for {title}");
    let title_for_rename = title.clone();
    let start_rename = move |_| {
        name.set(title_for_rename.clone());
        menu.set(false);
        renaming.set(true);
    };
    view! {
        <li class="chat-item" aria-current=move || is_open().then_some("true") data-chat-id=id>
            <div class="chat-row">
                {move || if renaming.get() {
                    view! {
                        <form class="rename" on:submit=move |ev| { ev.prevent_default(); save(); }>
                            <label class="sr-only" for=format!("rename-{id}")>"Chat title"</label>
                            <input id=format!("rename-{id}") type="text" maxlength=MAX_CHAT_TITLE_CHARS.to_string()
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))
                                on:keydown=move |ev| match ev.key().as_str() {
                                    "Escape" => renaming.set(false),
                                    "Enter" => { ev.prevent_default(); save(); }
                                    _ => {}
                                }/>
                            <button type="submit" class="link">"Save"</button>
                            <button type="button" class="link" on:click=move |_| renaming.set(false)>"Cancel"</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="chat-open" on:click=move |_| on_open.run(id)>
                            <span class="chat-title">{title.clone()}</span>
                            {preview.clone().map(|p| view! { <span class="chat-preview">{p}</span> })}
                        </button>
                    }.into_any()
                }}
                <button type="button" class="chat-menu-button" aria-label=menu_label aria-expanded=move || menu.get().to_string()
                    on:click=move |_| menu.update(|m| *m = !*m)>"⋯"</button>
            </div>
            {move || menu.get().then(|| view! {
                <div class="chat-menu-items">
                    {(!is_archived).then(|| view! {
                        <button type="button" class="link" on:click=start_rename.clone()>"Rename"</button>
                        <button type="button" class="link" on:click=move |ev| { menu.set(false); archive(ev); }>"Archive"</button>
                    })}
                    {is_archived.then(|| view! {
                        <button type="button" class="link" on:click=move |ev| { menu.set(false); unarchive(ev); }>"Unarchive"</button>
                    })}
                    <button type="button" class="link danger-link" on:click=move |_| { menu.set(false); confirming.set(true); }>"Delete"</button>
                </div>
            })}
            {move || confirming.get().then(|| view! {
                <div class="confirm" role="group" aria-label="Confirm delete">
                    <span>"Delete this chat and its messages?"</span>
                    <button type="button" class="danger" on:click=move |ev| { confirming.set(false); delete(ev); }>"Delete"</button>
                    <button type="button" class="link" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            })}
        </li>
    }
}

/// What a chat-list call did.
enum Done {
    Renamed(ChatSummary),
    Archived(ChatSummary),
    Unarchived(ChatSummary),
    Deleted(i64),
}
