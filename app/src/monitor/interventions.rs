//! The conversation view's intervention controls: a hidden note for the persona, the
//! persona's draft (edit, then send as the persona), the assignment of a persona /
//! label / version, export and clearing (after a confirmation). Each bumps `changed`
//! when it succeeds, so the conversation reloads in place.

use super::interventions_api::{
    draft_reply, persona_choices, AddNote, Assign, ClearConversation, SendAsPersona, Unassign,
};
use crate::components::{format_time, percent_encode, ErrorBox};
use crate::error::AppResult;
use crate::types::{Assignment, OperatorNote};
use leptos::prelude::*;

/// A hidden note for the persona in the chat on screen, and the chat's notes so far.
#[component]
pub fn NoteForm(
    user_id: String,
    session: Memo<Option<i64>>,
    notes: Memo<Vec<OperatorNote>>,
    changed: RwSignal<u64>,
) -> impl IntoView {
    let add = ServerAction::<AddNote>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |prev: Option<()>| {
        if matches!(add.value().get(), Some(Ok(_))) && prev.is_some() {
            if let Some(f) = form.get_untracked() {
                f.reset();
            }
            changed.update(|c| *c += 1);
        }
    });
    let here = move || {
        let id = session.get();
        notes.with(|n| n.iter().filter(|n| id.is_none_or(|id| n.session_id == id)).cloned().collect::<Vec<_>>())
    };
    view! {
        <section aria-labelledby="notes-title" class="notes">
            <h2 id="notes-title">"Hidden notes"</h2>
            <p class="muted">"The persona reads these before its next replies. The user never sees them."</p>
            <ul class="notes-list" data-testid="notes">
                <For each=here key=|n| n.id let:n>
                    <li><span class="text">{n.content.clone()}</span>
                        <span class="muted">{format!(" — {} · {}", n.author, format_time(n.created_at))}</span></li>
                </For>
            </ul>
            <ActionForm action=add node_ref=form attr:class="stack">
                <input type="hidden" name="user_id" value=user_id/>
                {move || session.get().map(|id| view! { <input type="hidden" name="session_id" value=id/> })}
                <label>"Note to the persona" <textarea name="note" rows="2" required maxlength="4000"></textarea></label>
                {move || add.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
                <button type="submit" class="secondary">"Add hidden note"</button>
            </ActionForm>
        </section>
    }
}

/// Draft-assist: ask the persona for a reply, edit it, send it as the persona.
#[component]
pub fn DraftAssist(user_id: String, session: Memo<Option<i64>>, changed: RwSignal<u64>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let draft = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<crate::error::AppError>);
    let busy = RwSignal::new(false);
    let send = ServerAction::<SendAsPersona>::new();
    Effect::new(move |prev: Option<()>| {
        if matches!(send.value().get(), Some(Ok(_))) && prev.is_some() {
            text.set(String::new());
            draft.set(None);
            changed.update(|c| *c += 1);
        }
    });
    let uid = user_id.clone();
    let suggest = move |_| {
        let (uid, sid) = (uid.clone(), session.get_untracked());
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result: AppResult<_> = draft_reply(uid, sid).await;
            // `try_`: the view may be gone by now.
            let _ = busy.try_set(false);
            match result {
                Ok(d) => {
                    let _ = text.try_set(d.text.clone());
                    let _ = draft.try_set(Some(d.text));
                }
                Err(e) => {
                    let _ = error.try_set(Some(e));
                }
            }
        });
    };
    let send_it = move |_| {
        send.dispatch(SendAsPersona {
            user_id: user_id.clone(),
            message: text.get_untracked(),
            draft: draft.get_untracked(),
            session_id: session.get_untracked(),
        });
    };
    view! {
        <section aria-labelledby="draft-title" class="draft stack">
            <h2 id="draft-title">"Reply as the persona"</h2>
            <button type="button" class="secondary" on:click=suggest disabled=move || busy.get()>
                {move || if busy.get() { "Asking the persona…" } else { "Suggest a reply" }}
            </button>
            {move || error.get().map(|e| view! { <ErrorBox error=e/> })}
            <label>"Reply (sent as the persona)"
                <textarea name="reply" rows="4" maxlength="4000" prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            {move || send.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            <button type="button" on:click=send_it disabled=move || text.with(|t| t.trim().is_empty())>"Send as persona"</button>
        </section>
    }
}

/// The user's assignment: shown, replaced, removed.
#[component]
pub fn AssignmentBox(user_id: String, assignment: Memo<Option<Assignment>>, changed: RwSignal<u64>) -> impl IntoView {
    let assign = ServerAction::<Assign>::new();
    let unassign = ServerAction::<Unassign>::new();
    // Loaded in the browser by an effect, not a resource: a (local) resource read here,
    // inside the conversation's server-rendered Transition, made it render again midway
    // and read this panel's disposed actions (a panic in SSR, the page stuck on Loading).
    let personas = RwSignal::new(None::<AppResult<Vec<crate::types::PersonaSummary>>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let loaded = persona_choices().await;
            personas.try_set(Some(loaded));
        });
    });
    Effect::new(move |prev: Option<()>| {
        let ok = matches!(assign.value().get(), Some(Ok(_))) || matches!(unassign.value().get(), Some(Ok(_)));
        if ok && prev.is_some() {
            changed.update(|c| *c += 1);
        }
    });
    let uid = user_id.clone();
    view! {
        <section aria-labelledby="assign-title" class="assignment">
            <h2 id="assign-title">"Assignment"</h2>
            <p data-testid="assignment">{move || match assignment.get() {
                None => "Production (nothing assigned).".to_string(),
                Some(a) => {
                    let mut parts = Vec::new();
                    if let Some(p) = a.persona_name.or(a.persona_id.map(|id| format!("persona {id}"))) { parts.push(p) }
                    if let Some(l) = a.label { parts.push(format!("label {l}")) }
                    if let Some(v) = a.version { parts.push(format!("version {v}")) }
                    format!("{} (by {})", parts.join(", "), a.assigned_by)
                }
            }}</p>
            <ActionForm action=assign attr:class="stack">
                <input type="hidden" name="user_id" value=user_id.clone()/>
                <label>"Persona"
                    <select name="persona_id">
                        <option value="">"The chat's own"</option>
                        {move || personas.get().and_then(Result::ok).map(|list| list.into_iter().map(|p| view! {
                            <option value=p.id.to_string()>{p.name}</option>
                        }).collect_view())}
                    </select>
                </label>
                <label>"Label" <input type="text" name="label" placeholder="staging" maxlength="32"/></label>
                <label>"Pinned version" <input type="number" name="version" min="1"/></label>
                {move || assign.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
                <button type="submit" class="secondary">"Assign"</button>
            </ActionForm>
            {move || assignment.get().is_some().then(|| {
                let uid = uid.clone();
                view! {
                    <button type="button" class="link" on:click=move |_| { unassign.dispatch(Unassign { user_id: uid.clone() }); }>
                        "Remove assignment"
                    </button>
                }
            })}
        </section>
    }
}

/// Export links, and clearing the conversation after a confirmation.
#[component]
pub fn ExportAndClear(user_id: String, messages: Memo<usize>, changed: RwSignal<u64>) -> impl IntoView {
    let clear = ServerAction::<ClearConversation>::new();
    let confirming = RwSignal::new(false);
    Effect::new(move |prev: Option<()>| {
        if matches!(clear.value().get(), Some(Ok(_))) && prev.is_some() {
            confirming.set(false);
            changed.update(|c| *c += 1);
        }
    });
    let enc = percent_encode(&user_id);
    view! {
        <section aria-labelledby="export-title" class="export">
            <h2 id="export-title">"Export and clear"</h2>
            <p>
                <a href=format!("/admin/conversations/{enc}/export") download>"Export JSON"</a>" · "
                <a href=format!("/admin/conversations/{enc}/export.md") download>"Export Markdown"</a>
            </p>
            {move || if confirming.get() {
                let uid = user_id.clone();
                view! {
                    <div class="confirm" role="alertdialog" aria-label="Clear the conversation">
                        <p>{move || format!("Delete all {} messages and notes of this user for good?", messages.get())}</p>
                        <button type="button" class="danger" on:click=move |_| { clear.dispatch(ClearConversation { user_id: uid.clone() }); }>
                            "Yes, clear the conversation"
                        </button>
                        <button type="button" class="link" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="danger secondary" on:click=move |_| confirming.set(true)>"Clear conversation…"</button>
                }.into_any()
            }}
            {move || clear.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
