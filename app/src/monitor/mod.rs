//! The monitor: every conversation, live; halt with a reason, resume, inject; memory.

pub mod api;

use crate::components::{format_time, percent_encode, ErrorBox, Loading};
use crate::live::{refresh_on, use_live_events};
use crate::types::{Conversation, Sender};
use api::{get_conversation, list_users, DeleteMemory, HaltUser, InjectMessage, ResumeUser, SetMemory};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn UserList() -> impl IntoView {
    let tick = RwSignal::new(0u64);
    use_live_events("/admin/events".into(), move |_| tick.update(|t| *t += 1));
    let users = Resource::new(move || tick.get(), |_| list_users());
    view! {
        <div class="page-head"><h1>"Monitor"</h1><span class="live" title="Updates live">"● live"</span></div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No conversations yet. They appear here as soon as someone chats."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="list">
                            <thead><tr><th>"User"</th><th>"Messages"</th><th>"Last message"</th><th>"Status"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let href = format!("/dashboard/monitor/{}", percent_encode(&u.user_id));
                                    view! {
                                        <tr>
                                            <td><A href=href>{u.user_id.clone()}</A></td>
                                            <td>{u.message_count}</td>
                                            <td>{u.last_message_at.map(format_time).unwrap_or_else(|| "—".into())}</td>
                                            <td>{if u.halted {
                                                view! { <span class="badge halted">"halted"</span> }.into_any()
                                            } else {
                                                view! { <span class="badge active">"active"</span> }.into_any()
                                            }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let params = use_params_map();
    let user_id = move || params.read().get("user_id").unwrap_or_default();
    let tick = RwSignal::new(0u64);
    use_live_events("/admin/events".into(), move |ev| {
        if ev.user_id() == Some(params.read_untracked().get("user_id").unwrap_or_default().as_str()) {
            tick.update(|t| *t += 1)
        }
    });
    let halt = ServerAction::<HaltUser>::new();
    let resume = ServerAction::<ResumeUser>::new();
    let inject = ServerAction::<InjectMessage>::new();
    let set_mem = ServerAction::<SetMemory>::new();
    let del_mem = ServerAction::<DeleteMemory>::new();
    // Keyed on the user only: live events and finished actions update the open panel in
    // place (see `ConversationPanel`), so a half-typed reason or message survives them.
    let conversation = Resource::new(user_id, get_conversation);
    let action_error = move || {
        halt.value()
            .get()
            .and_then(Result::err)
            .or_else(|| resume.value().get().and_then(Result::err))
            .or_else(|| inject.value().get().and_then(Result::err))
            .or_else(|| set_mem.value().get().and_then(Result::err))
            .or_else(|| del_mem.value().get().and_then(Result::err))
    };
    view! {
        <p><A href="/dashboard/monitor">"← All conversations"</A></p>
        {move || action_error().map(|e| view! { <ErrorBox error=e/> })}
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match conversation.await {
                    Ok(c) => view! { <ConversationPanel c halt resume inject set_mem del_mem tick/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One conversation. Built once per user; afterwards the messages, the state and the
/// memory change in place (each live event or finished action reloads them in the
/// background) and the forms keep what the operator is typing. A form is cleared after
/// its action succeeds.
#[component]
fn ConversationPanel(
    c: Conversation,
    halt: ServerAction<HaltUser>,
    resume: ServerAction<ResumeUser>,
    inject: ServerAction<InjectMessage>,
    set_mem: ServerAction<SetMemory>,
    del_mem: ServerAction<DeleteMemory>,
    tick: RwSignal<u64>,
) -> impl IntoView {
    let uid = c.user_id.clone();
    let current = RwSignal::new(c);
    let load_uid = uid.clone();
    refresh_on(
        current,
        move || {
            tick.track();
            halt.version().track();
            resume.version().track();
            inject.version().track();
            set_mem.version().track();
            del_mem.version().track();
        },
        move || get_conversation(load_uid.clone()),
        |c, loaded| {
            if c.user_id == loaded.user_id {
                *c = loaded;
            }
        },
    );
    // Memos: the parts below are rebuilt only when what they show changed.
    let state = Memo::new(move |_| current.with(|c| c.state.clone()));
    let halted = Memo::new(move |_| state.with(|s| s.halted));
    let memory = Memo::new(move |_| current.with(|c| c.memory.clone()));
    let no_messages = Memo::new(move |_| current.with(|c| c.messages.is_empty()));

    let inject_form = NodeRef::<leptos::html::Form>::new();
    let memory_form = NodeRef::<leptos::html::Form>::new();
    clear_after_success(move || matches!(inject.value().get(), Some(Ok(_))), inject_form);
    clear_after_success(move || matches!(set_mem.value().get(), Some(Ok(_))), memory_form);

    let (uid_inject, uid_memory, uid_form) = (uid.clone(), uid.clone(), uid.clone());
    view! {
        <div class="page-head">
            <h1>{format!("Conversation with {uid}")}</h1>
            {move || if halted.get() {
                view! { <span class="badge halted" data-testid="user-status">"halted"</span> }.into_any()
            } else {
                view! { <span class="badge active" data-testid="user-status">"active"</span> }.into_any()
            }}
        </div>
        <div class="monitor-grid">
            <section aria-label="Messages" class="transcript">
                {move || no_messages.get().then(|| view! { <p class="empty">"No messages yet."</p> })}
                <ol class="messages">
                    <For each=move || current.with(|c| c.messages.clone()) key=|m| m.id let:m>
                        <li class=format!("msg {}", m.sender.as_str()) data-sender=m.sender.as_str()>
                            <span class="who">{match m.sender {
                                Sender::User => "User".to_string(),
                                Sender::Assistant => m.persona_name.clone(),
                                Sender::Operator => "Operator".to_string(),
                                Sender::Notice => "Pause notice".to_string(),
                            }}</span>
                            <span class="text">{m.content}</span>
                            <time>{format_time(m.created_at)}</time>
                        </li>
                    </For>
                </ol>
            </section>
            <aside class="controls">
                {move || if halted.get() {
                    let uid = uid.clone();
                    let st = state.get_untracked();
                    view! {
                        <div class="halted-box">
                            <p><strong>"Halted"</strong>{st.reason.map(|r| format!(": {r}"))}</p>
                            <p class="muted">{st.halted_by.map(|b| format!("by {b}"))}" "{st.halted_at.map(format_time)}</p>
                            <ActionForm action=resume>
                                <input type="hidden" name="user_id" value=uid/>
                                <button type="submit">"Resume conversation"</button>
                            </ActionForm>
                        </div>
                    }.into_any()
                } else {
                    let uid = uid.clone();
                    view! {
                        <ActionForm action=halt attr:class="stack">
                            <input type="hidden" name="user_id" value=uid/>
                            <label>"Reason for halting" <input type="text" name="reason" required maxlength="500"/></label>
                            <button type="submit" class="danger">"Halt conversation"</button>
                        </ActionForm>
                    }.into_any()
                }}
                <ActionForm action=inject node_ref=inject_form attr:class="stack">
                    <input type="hidden" name="user_id" value=uid_inject/>
                    <label>"Message as operator" <textarea name="message" rows="3" required maxlength="4000"></textarea></label>
                    <button type="submit">"Send as operator"</button>
                </ActionForm>
                <section aria-labelledby="memory-title">
                    <h2 id="memory-title">"Memory"</h2>
                    {move || {
                        let entries = memory.get();
                        if entries.is_empty() {
                            view! { <p class="empty">"Nothing remembered yet."</p> }.into_any()
                        } else {
                            let uid = uid_memory.clone();
                            view! {
                                <table class="list memory">
                                    <tbody>
                                        {entries.into_iter().map(|m| {
                                            let uid = uid.clone();
                                            let key = m.key.clone();
                                            view! {
                                                <tr>
                                                    <th scope="row">{m.key.clone()}</th>
                                                    <td><code>{m.value.to_string()}</code></td>
                                                    <td>
                                                        <button type="button" class="link" on:click=move |_| {
                                                            del_mem.dispatch(DeleteMemory { user_id: uid.clone(), key: key.clone() });
                                                        }>"Delete"</button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                    }}
                    <ActionForm action=set_mem node_ref=memory_form attr:class="stack">
                        <input type="hidden" name="user_id" value=uid_form/>
                        <label>"Key" <input type="text" name="key" required maxlength="64"/></label>
                        <label>"Value (text or JSON)" <input type="text" name="value" required/></label>
                        <button type="submit" class="secondary">"Remember"</button>
                    </ActionForm>
                </section>
            </aside>
        </div>
    }
}

/// Empties `form` each time `succeeded` becomes true again (an action's value turned
/// `Some(Ok(_))`: what was sent is on screen now); after a failure the text stays for
/// another try.
fn clear_after_success(succeeded: impl Fn() -> bool + 'static, form: NodeRef<leptos::html::Form>) {
    Effect::new(move |prev: Option<()>| {
        if succeeded() && prev.is_some() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
        }
    });
}
