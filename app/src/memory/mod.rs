//! The Memory page (`/dashboard/memory`): each persona's automatic-memory mode and
//! sentiment switch, and the approval queue of extracted facts (approve, edit then
//! approve, reject), kept live. Also the pieces the monitor shows: an entry's provenance
//! and the sentiment panel ([`sentiment_chart`]).

pub mod api;
pub mod sentiment_chart;

use crate::components::{format_time, percent_encode, ErrorBox, Loading};
use crate::live::{refresh_on, use_live_events};
use crate::types::{ExtractionMode, LiveEvent, MemoryCandidate, MemoryEntry, MemorySource, PersonaMemorySettings};
use api::{load_memory_page, ApproveMemory, RejectMemory, SetExtraction, SetPersonaSentiment};
use leptos::prelude::*;
use leptos_router::components::A;

/// Who or what set an entry, for the monitor's memory table: "set by ops@x (dashboard)",
/// "extracted from message 12, approved by ops@x", "extracted from message 12".
pub fn provenance(e: &MemoryEntry) -> String {
    let when = if e.updated_at > 0 { format!(", {}", format_time(e.updated_at)) } else { String::new() };
    let by = e.set_by.as_deref().unwrap_or("an operator");
    match e.source {
        MemorySource::Operator => format!("set by {by} (dashboard){when}"),
        MemorySource::Api => format!("set by {by} (API){when}"),
        MemorySource::Extraction => {
            let from = e.source_message_id.map(|m| format!(" from message {m}")).unwrap_or_default();
            match &e.set_by {
                Some(approver) => format!("extracted{from}, approved by {approver}{when}"),
                None => format!("extracted{from}{when}"),
            }
        }
    }
}

/// A value as the queue's edit box shows it: text as is, anything else as JSON.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `/dashboard/memory`.
#[component]
pub fn MemoryPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| load_memory_page());
    view! {
        <div class="page-head"><h1>"Memory"</h1><span class="live" title="Updates live">"● live"</span></div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <MemoryPanels p/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The switches and the queue; loaded once, then reloaded in place after each action
/// and each live message or memory change (a fact the job extracted arrives as
/// [`LiveEvent::Memory`]).
#[component]
fn MemoryPanels(p: crate::types::MemoryPage) -> impl IntoView {
    let set_mode = ServerAction::<SetExtraction>::new();
    let set_sent = ServerAction::<SetPersonaSentiment>::new();
    let approve = ServerAction::<ApproveMemory>::new();
    let reject = ServerAction::<RejectMemory>::new();
    let tick = RwSignal::new(0u64);
    use_live_events("/admin/events".into(), move |ev| {
        if matches!(ev, LiveEvent::Message { .. } | LiveEvent::Memory { .. }) {
            tick.update(|t| *t += 1);
        }
    });
    let current = RwSignal::new(p);
    refresh_on(
        current,
        move || {
            tick.track();
            set_mode.version().track();
            set_sent.version().track();
            approve.version().track();
            reject.version().track();
        },
        load_memory_page,
        |c, loaded| *c = loaded,
    );
    let personas = Memo::new(move |_| current.with(|c| c.personas.clone()));
    let pending = Memo::new(move |_| current.with(|c| c.pending.clone()));
    let errors = move || {
        [
            set_mode.value().get().and_then(Result::err),
            set_sent.value().get().and_then(Result::err),
            approve.value().get().and_then(Result::err),
            reject.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        <section aria-labelledby="personas-title" class="memory-settings">
            <h2 id="personas-title">"Per persona"</h2>
            <p class="muted">"Automatic memory asks the model, after each reply, for durable facts about the user \
                (name, likes, important dates, relationships). Sentiment scores each user message; a chat's own \
                switch in the monitor wins."</p>
            <table class="list">
                <thead><tr><th>"Persona"</th><th>"Automatic memory"</th><th>"Sentiment"</th></tr></thead>
                <tbody>
                    <For each=move || personas.get() key=|p| (p.persona_id, p.memory_extraction, p.sentiment_enabled) let:p>
                        <PersonaRow p set_mode set_sent/>
                    </For>
                </tbody>
            </table>
        </section>
        {move || errors().map(|e| view! { <ErrorBox error=e/> })}
        <section aria-labelledby="pending-title" class="memory-queue">
            <h2 id="pending-title">"Waiting for approval"</h2>
            {move || pending.with(Vec::is_empty).then(|| view! {
                <p class="empty" data-testid="queue-empty">"Nothing waiting. Facts extracted for personas set to \
                    \u{201c}with approval\u{201d} appear here."</p>
            })}
            <ul class="queue" aria-label="Facts waiting for approval">
                <For each=move || pending.get() key=|c| c.id let:c>
                    <PendingFact c approve reject/>
                </For>
            </ul>
        </section>
    }
}

/// One persona's switches; each change is sent at once.
#[component]
fn PersonaRow(
    p: PersonaMemorySettings,
    set_mode: ServerAction<SetExtraction>,
    set_sent: ServerAction<SetPersonaSentiment>,
) -> impl IntoView {
    let id = p.persona_id;
    let mode = p.memory_extraction;
    let options = ExtractionMode::ALL
        .into_iter()
        .map(|m| view! { <option value=m.as_str() selected={m == mode}>{m.label()}</option> })
        .collect_view();
    view! {
        <tr data-testid="persona-memory">
            <th scope="row">{p.name.clone()}</th>
            <td>
                <select aria-label=format!("Automatic memory for {}", p.name) on:change=move |ev| {
                    if let Some(mode) = ExtractionMode::parse(&event_target_value(&ev)) {
                        set_mode.dispatch(SetExtraction { persona_id: id, mode });
                    }
                }>{options}</select>
            </td>
            <td>
                <label>
                    <input type="checkbox" checked=p.sentiment_enabled on:change=move |ev| {
                        set_sent.dispatch(SetPersonaSentiment { persona_id: id, on: event_target_checked(&ev) });
                    }/>
                    {format!(" Score sentiment in chats with {}", p.name)}
                </label>
            </td>
        </tr>
    }
}

/// One pending fact: who it is about, the message it came from, its value (editable) and
/// the decision buttons.
#[component]
fn PendingFact(
    c: MemoryCandidate,
    approve: ServerAction<ApproveMemory>,
    reject: ServerAction<RejectMemory>,
) -> impl IntoView {
    let id = c.id;
    let original = shown(&c.value);
    let input = NodeRef::<leptos::html::Input>::new();
    let on_approve = {
        let original = original.clone();
        move |_| {
            let text = input.get_untracked().map(|i| i.value()).unwrap_or_else(|| original.clone());
            let value = (text != original).then_some(text);
            approve.dispatch(ApproveMemory { id, value });
        }
    };
    let label = format!("Value of {} for {}", c.key, c.user_id);
    view! {
        <li class="fact" data-testid="pending-fact" data-key=c.key.clone()>
            <p>
                <strong class="fact-key">{c.key.clone()}</strong>
                " about "
                <A href=format!("/dashboard/monitor/{}", percent_encode(&c.user_id))>{c.user_id.clone()}</A>
                <span class="muted">{format!(" · {}", format_time(c.created_at))}</span>
            </p>
            {c.source_message.clone().map(|m| view! {
                <blockquote class="source-message">
                    <span class="muted">{format!("From message {}: ", c.source_message_id)}</span>{m}
                </blockquote>
            })}
            <label>"Value "<input type="text" node_ref=input value=original.clone() aria-label=label/></label>
            <div class="row-actions">
                <button type="button" on:click=on_approve>"Approve"</button>
                <button type="button" class="secondary" on:click=move |_| {
                    reject.dispatch(RejectMemory { id });
                }>"Reject"</button>
            </div>
        </li>
    }
}
