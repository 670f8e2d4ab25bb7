//! The monitor: the live wall of every conversation ([`wall`]); one conversation, live:
//! halt with a reason, resume, inject, hidden notes, draft-assist, assignment, export
//! and clear ([`interventions`]); memory.

pub mod api;
pub mod interventions;
pub mod interventions_api;
pub mod wall;

pub use wall::UserList;
pub mod inspector;

use crate::components::{format_time, ErrorBox, Loading};
use crate::error::{AppError, AppResult};
use crate::live::{refresh_on, use_live_events};
use crate::memory::sentiment_chart::SentimentPanel;
use crate::types::{Conversation, LiveEvent, Message, Sender};
use api::{get_conversation, DeleteMemory, HaltUser, InjectMessage, ResumeUser, SetMemory};
use interventions::{AssignmentBox, DraftAssist, ExportAndClear, NoteForm};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// A piece of a reply being generated, or its wait for the model (no reload for those).
fn is_piece(ev: &LiveEvent) -> bool {
    matches!(ev, LiveEvent::Delta { .. } | LiveEvent::Waiting { .. })
}

/// A reply being generated, as the monitor shows it while its pieces arrive.
#[derive(Clone, Debug, PartialEq)]
struct LiveReply {
    session_id: i64,
    reply_to: i64,
    text: String,
}

/// Folds a live event into the replies being generated: a piece grows its reply, a
/// stored reply (or pause notice) of the session ends it.
fn fold_live(live: &mut Vec<LiveReply>, ev: &LiveEvent) {
    match ev {
        LiveEvent::Delta { session_id, reply_to, text, .. } => {
            match live.iter_mut().find(|r| r.session_id == *session_id && r.reply_to == *reply_to) {
                Some(r) => r.text.push_str(text),
                None => live.push(LiveReply { session_id: *session_id, reply_to: *reply_to, text: text.clone() }),
            }
        }
        LiveEvent::Waiting { session_id, reply_to, .. }
            if !live.iter().any(|r| r.session_id == *session_id && r.reply_to == *reply_to) =>
        {
            live.push(LiveReply { session_id: *session_id, reply_to: *reply_to, text: String::new() });
        }
        LiveEvent::Message { message, .. } if message.sender != Sender::User => {
            live.retain(|r| r.session_id != message.session_id);
        }
        _ => {}
    }
}

#[component]
pub fn ConversationView() -> impl IntoView {
    let params = use_params_map();
    let user_id = move || params.read().get("user_id").unwrap_or_default();
    let tick = RwSignal::new(0u64);
    let live = RwSignal::new(Vec::<LiveReply>::new());
    use_live_events("/admin/events".into(), move |ev| {
        if ev.user_id() == Some(params.read_untracked().get("user_id").unwrap_or_default().as_str()) {
            let changes_list =
                matches!(&ev, LiveEvent::Message { message, .. } if message.sender != Sender::User) || is_piece(&ev);
            if changes_list {
                live.update(|l| fold_live(l, &ev));
            }
            if !is_piece(&ev) {
                tick.update(|t| *t += 1)
            }
        }
    });
    // Keyed on the user only: live events and finished actions update the open panel in
    // place (see `ConversationPanel`), so a half-typed reason or message survives them.
    let conversation = Resource::new(user_id, get_conversation);
    view! {
        <p><A href="/dashboard/monitor">"← All conversations"</A></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match conversation.await {
                    Ok(c) => view! { <ConversationPanel c tick live/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the monitor calls a message's author: assistant replies carry their persona and
/// the version that wrote them ("Ava v3").
fn author(m: &Message) -> String {
    match (m.sender, m.persona_version) {
        (Sender::User, _) => "User".to_string(),
        (Sender::Assistant, Some(v)) => format!("{} v{v}", m.persona_name),
        (Sender::Assistant, None) => m.persona_name.clone(),
        (Sender::Operator, _) => "Operator".to_string(),
        (Sender::Notice, _) => "Pause notice".to_string(),
    }
}

/// One stored message: its sanitized HTML for persona and operator messages, and whether
/// a reply was cut, stopped, or regenerated ("3 versions", the chosen one shown).
/// Assistant replies get the turn tools (inspect, fork to persona `persona_id`'s playground).
#[component]
fn MonitorMessage(m: Message, persona_id: Option<i64>) -> impl IntoView {
    let rich = matches!(m.sender, Sender::Assistant | Sender::Operator) && !m.html.is_empty();
    let body = if rich {
        view! { <div class="text rich" inner_html=m.html.clone()></div> }.into_any()
    } else {
        view! { <span class="text">{m.content.clone()}</span> }.into_any()
    };
    view! {
        <li class=format!("msg {}", m.sender.as_str()) data-sender=m.sender.as_str()>
            <span class="who">{author(&m)}</span>
            {body}
            {m.truncated.then(|| view! { <span class="cut">"… (reply cut at the length limit)"</span> })}
            {m.incomplete.then(|| view! { <span class="stopped" data-testid="stopped">"stopped"</span> })}
            {m.author.clone().map(|a| view! {
                <span class="badge author" data-testid="author">
                    {format!("sent by {a}{}", if m.edited { ", edited" } else { "" })}
                </span>
            })}
            {(m.alternates > 1).then(|| view! {
                <span class="badge versions" data-testid="versions">
                    {format!("{} versions, showing {}", m.alternates, m.alternate)}
                </span>
            })}
            <crate::guardrails::HitBadges message_id=m.id/>
            <time>{format_time(m.created_at)}</time>
            {inspector::has_tools(m.sender).then(|| view! { <inspector::TurnTools message_id=m.id persona_id/> })}
        </li>
    }
}

/// The error of an action's last run, if it failed (a later success clears it).
fn failure<T: Clone + Send + Sync + 'static>(value: impl Get<Value = Option<AppResult<T>>>) -> Option<AppError> {
    value.get().and_then(Result::err)
}

/// One conversation. Built once per user; afterwards the messages, the sessions, the
/// state and the memory change in place (each live event or finished action reloads them
/// in the background) and the forms keep what the operator is typing. A form is cleared
/// after its action succeeds; its error shows next to it.
#[component]
fn ConversationPanel(c: Conversation, tick: RwSignal<u64>, live: RwSignal<Vec<LiveReply>>) -> impl IntoView {
    let halt = ServerAction::<HaltUser>::new();
    let resume = ServerAction::<ResumeUser>::new();
    let inject = ServerAction::<InjectMessage>::new();
    let set_mem = ServerAction::<SetMemory>::new();
    let del_mem = ServerAction::<DeleteMemory>::new();
    let uid = c.user_id.clone();
    // Bumped by the intervention controls when one succeeds.
    let changed = RwSignal::new(0u64);
    // The chat session shown: the most recently active one when the page opened (it does
    // not jump when another session gets a message); None until the user has one.
    let chosen = RwSignal::new(c.sessions.first().map(|s| s.id));
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
            changed.track();
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
    provide_context(crate::guardrails::ConversationHits(Memo::new(move |_| current.with(|c| c.hits.clone()))));
    let notes = Memo::new(move |_| current.with(|c| c.notes.clone()));
    let assignment = Memo::new(move |_| current.with(|c| c.assignment.clone()));
    let message_count = Memo::new(move |_| current.with(|c| c.messages.len()));
    let sessions = Memo::new(move |_| current.with(|c| c.sessions.clone()));
    let session = Memo::new(move |_| chosen.get().or_else(|| sessions.with(|s| s.first().map(|s| s.id))));
    let session_name = Memo::new(move |_| {
        let id = session.get();
        sessions.with(|s| s.iter().find(|s| Some(s.id) == id).map(|s| s.persona_name.clone()))
    });
    // Every message until the user has a session (nothing to pick), then the chosen thread.
    let thread = move || {
        let id = session.get();
        current
            .with(|c| c.messages.iter().filter(|m| id.is_none_or(|id| m.session_id == id)).cloned().collect::<Vec<_>>())
    };
    let no_messages = Memo::new(move |_| thread().is_empty());
    // The replies being generated in the thread on screen (their text grows in place).
    let live_here = move || {
        let id = session.get();
        live.with(|l| l.iter().filter(|r| id.is_none_or(|id| r.session_id == id)).cloned().collect::<Vec<_>>())
    };

    let inject_form = NodeRef::<leptos::html::Form>::new();
    let memory_form = NodeRef::<leptos::html::Form>::new();
    clear_after_success(move || matches!(inject.value().get(), Some(Ok(_))), inject_form);
    clear_after_success(move || matches!(set_mem.value().get(), Some(Ok(_))), memory_form);
    let state_error = move || failure(halt.value()).or_else(|| failure(resume.value()));
    let inject_error = move || failure(inject.value());
    let memory_error = move || failure(set_mem.value()).or_else(|| failure(del_mem.value()));

    let (uid_inject, uid_memory, uid_form) = (uid.clone(), uid.clone(), uid.clone());
    let (uid_note, uid_draft, uid_assign, uid_export) = (uid.clone(), uid.clone(), uid.clone(), uid.clone());
    let uid_sentiment = uid.clone();
    view! {
        <div class="page-head monitor-head">
            <h1>{format!("Conversation with {uid}")}</h1>
            {move || if halted.get() {
                view! { <span class="badge halted" data-testid="user-status">"halted"</span> }.into_any()
            } else {
                view! { <span class="badge active" data-testid="user-status">"active"</span> }.into_any()
            }}
        </div>
        <div class="monitor-grid">
            <section aria-label="Messages" class="transcript">
                {move || (sessions.with(Vec::len) > 1).then(|| view! {
                    <div class="session-tabs" role="tablist" aria-label="Chat sessions">
                        <For
                            each=move || sessions.get()
                            key=|s| (s.id, s.message_count, s.persona_name.clone())
                            let:s
                        >
                            <button
                                type="button"
                                role="tab"
                                class="session-tab"
                                aria-selected=move || (session.get() == Some(s.id)).to_string()
                                aria-controls="thread"
                                on:click=move |_| chosen.set(Some(s.id))
                            >
                                {s.persona_name.clone()}
                                <span class="muted">{format!(" · {} message{}", s.message_count, if s.message_count == 1 { "" } else { "s" })}</span>
                            </button>
                        </For>
                    </div>
                })}
                <div id="thread" role=move || (sessions.with(Vec::len) > 1).then_some("tabpanel")
                    aria-label=move || session_name.get().map(|n| format!("Chat with {n}"))>
                    {move || no_messages.get().then(|| view! { <p class="empty">"No messages yet."</p> })}
                    <ol class="messages">
                        <For each=thread key=|m| (m.id, m.alternate, m.alternates, m.incomplete, m.content.len()) let:m>
                            {
                                let persona_id = sessions.with_untracked(|s| {
                                    s.iter().find(|s| s.id == m.session_id).map(|s| s.persona_id)
                                });
                                view! { <MonitorMessage m persona_id/> }
                            }
                        </For>
                    </ol>
                        <For each=live_here key=|r| r.reply_to let:r>
                            {
                                let reply_to = r.reply_to;
                                let text = move || live.with(|l| {
                                    l.iter().find(|x| x.reply_to == reply_to).map(|x| x.text.clone()).unwrap_or_default()
                                });
                                view! {
                                    <div class="msg assistant streaming" data-testid="live-reply" aria-busy="true">
                                        <span class="who">{move || session_name.get().unwrap_or_default()}" "<span class="typing">"typing…"</span></span>
                                        <span class="text">{text}</span>
                                    </div>
                                }
                            }
                        </For>
                </div>
                <SentimentPanel user_id=uid_sentiment session tick/>
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
                {move || state_error().map(|e| view! { <ErrorBox error=e/> })}
                <ActionForm action=inject node_ref=inject_form attr:class="stack">
                    <input type="hidden" name="user_id" value=uid_inject/>
                    {move || session.get().map(|id| view! { <input type="hidden" name="session_id" value=id/> })}
                    <label>
                        {move || match session_name.get() {
                            Some(name) => format!("Message as operator (in the chat with {name})"),
                            None => "Message as operator".to_string(),
                        }}
                        <textarea name="message" rows="3" required maxlength="4000"></textarea>
                    </label>
                    {move || inject_error().map(|e| view! { <ErrorBox error=e/> })}
                    <button type="submit">"Send as operator"</button>
                </ActionForm>
                <DraftAssist user_id=uid_draft session changed/>
                <NoteForm user_id=uid_note session notes changed/>
                <AssignmentBox user_id=uid_assign assignment changed/>
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
                                                    <td><code>{m.value.to_string()}</code>" "
                                                        <span class="muted provenance" data-testid="memory-provenance">{crate::memory::provenance(&m)}</span></td>
                                                    <td class="row-actions">
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
                        <div data-testid="memory-error">{move || memory_error().map(|e| view! { <ErrorBox error=e/> })}</div>
                        <button type="submit" class="secondary">"Remember"</button>
                    </ActionForm>
                </section>
                <ExportAndClear user_id=uid_export messages=message_count changed/>
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

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(session_id: i64, text: &str) -> LiveEvent {
        LiveEvent::Delta { user_id: "u".into(), session_id, reply_to: 1, text: text.into() }
    }

    #[test]
    fn pieces_grow_a_live_reply_until_the_stored_reply_arrives() {
        let mut live = Vec::new();
        fold_live(&mut live, &delta(7, "Hel"));
        fold_live(&mut live, &delta(7, "lo"));
        fold_live(&mut live, &delta(8, "other"));
        assert_eq!(live[0].text, "Hello");
        assert_eq!(live.len(), 2);
        let mut reply: Message = serde_json::from_value(serde_json::json!({
            "id": 2, "session_id": 7, "persona_name": "Ava", "sender": "assistant", "content": "Hello", "created_at": 0
        }))
        .unwrap();
        fold_live(&mut live, &LiveEvent::Message { user_id: "u".into(), message: reply.clone() });
        assert_eq!(live.iter().map(|r| r.session_id).collect::<Vec<_>>(), vec![8]);
        reply.sender = Sender::User;
        reply.session_id = 8;
        fold_live(&mut live, &LiveEvent::Message { user_id: "u".into(), message: reply });
        assert_eq!(live.len(), 1, "a user message does not end the reply");
    }
}
