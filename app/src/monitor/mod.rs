//! The monitor: every conversation, live; halt with a reason, resume, inject; memory.

pub mod api;

use crate::components::{format_time, percent_encode, ErrorBox, Loading};
use crate::live::use_live_events;
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
    let conversation = Resource::new(
        move || {
            (
                user_id(),
                tick.get(),
                halt.version().get(),
                resume.version().get(),
                inject.version().get(),
                set_mem.version().get(),
                del_mem.version().get(),
            )
        },
        |(u, ..)| get_conversation(u),
    );
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
                    Ok(c) => view! { <ConversationPanel c halt resume inject set_mem del_mem/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ConversationPanel(
    c: Conversation,
    halt: ServerAction<HaltUser>,
    resume: ServerAction<ResumeUser>,
    inject: ServerAction<InjectMessage>,
    set_mem: ServerAction<SetMemory>,
    del_mem: ServerAction<DeleteMemory>,
) -> impl IntoView {
    let uid = c.user_id.clone();
    let (uid_inject, uid_memory, uid_form) = (uid.clone(), uid.clone(), uid.clone());
    let halted = c.state.halted;
    view! {
        <div class="page-head">
            <h1>{format!("Conversation with {}", c.user_id)}</h1>
            {if halted {
                view! { <span class="badge halted" data-testid="user-status">"halted"</span> }.into_any()
            } else {
                view! { <span class="badge active" data-testid="user-status">"active"</span> }.into_any()
            }}
        </div>
        <div class="monitor-grid">
            <section aria-label="Messages" class="transcript">
                {if c.messages.is_empty() {
                    view! { <p class="empty">"No messages yet."</p> }.into_any()
                } else {
                    view! {
                        <ol class="messages">
                            {c.messages.into_iter().map(|m| view! {
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
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </section>
            <aside class="controls">
                {if halted {
                    let uid = uid.clone();
                    view! {
                        <div class="halted-box">
                            <p><strong>"Halted"</strong>{c.state.reason.clone().map(|r| format!(": {r}"))}</p>
                            <p class="muted">{c.state.halted_by.clone().map(|b| format!("by {b}"))}" "{c.state.halted_at.map(format_time)}</p>
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
                <ActionForm action=inject attr:class="stack">
                    <input type="hidden" name="user_id" value=uid_inject/>
                    <label>"Message as operator" <textarea name="message" rows="3" required maxlength="4000"></textarea></label>
                    <button type="submit">"Send as operator"</button>
                </ActionForm>
                <section aria-labelledby="memory-title">
                    <h2 id="memory-title">"Memory"</h2>
                    {if c.memory.is_empty() {
                        view! { <p class="empty">"Nothing remembered yet."</p> }.into_any()
                    } else {
                        let uid = uid_memory;
                        view! {
                            <table class="list memory">
                                <tbody>
                                    {c.memory.into_iter().map(|m| {
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
                    }}
                    <ActionForm action=set_mem attr:class="stack">
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
