//! The dashboard's Guardrails pages: the list of rule sets (presets and the workspace's)
//! with a form to create one or copy a preset (`/dashboard/guardrails`), the editor
//! ([`editor`], `/dashboard/guardrails/:id`), the alert notices every dashboard tab shows
//! ([`alerts`]), and the hit badges the monitor puts on a message ([`HitBadges`]).

pub mod alerts;
pub mod api;
pub mod editor;

use crate::components::{ErrorBox, FieldError, Loading};
use crate::types::{GuardrailHit, GuardrailSummary};
use api::{list_guardrails, CreateGuardrail};
use leptos::prelude::*;
use leptos_router::components::A;

pub use editor::GuardrailEditor;

/// `/dashboard/guardrails`.
#[component]
pub fn GuardrailList() -> impl IntoView {
    let create = ServerAction::<CreateGuardrail>::new();
    let list = Resource::new(move || create.version().get(), |_| list_guardrails());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move || {
        if let Some(Ok(g)) = create.value().get() {
            navigate(&format!("/dashboard/guardrails/{}", g.id), Default::default());
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <div class="page-head"><h1>"Guardrails"</h1></div>
        <p class="muted">
            "Rule sets that check what users send and what personas answer: block, flag for review, or halt the "
            "conversation for an operator. Presets are read-only; copy one to edit it. A persona uses the set "
            "chosen for it; a chat request may name another one (guardrail_config)."
        </p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(sets) => view! {
                        <CreateForm create error sets=sets.clone()/>
                        <GuardrailTable sets/>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The "New guardrail" form: a name and, optionally, a set to copy.
#[component]
fn CreateForm(
    create: ServerAction<CreateGuardrail>,
    error: Signal<Option<crate::error::AppError>>,
    sets: Vec<GuardrailSummary>,
) -> impl IntoView {
    let open = sets.iter().all(|s| s.is_system);
    view! {
        <details class="create-guardrail" open=open>
            <summary>"New guardrail"</summary>
            <ActionForm action=create attr:class="stack">
                <label>"Name" <input type="text" name="name" required aria-describedby="name-error" placeholder="e.g. my_safety"/></label>
                <FieldError error field="name"/>
                <label>"Start from"
                    <select name="copy_from">
                        <option value="">"An empty set"</option>
                        {sets.iter().map(|s| {
                            let label = if s.is_system { format!("Preset: {}", s.name) } else { format!("Copy of {}", s.name) };
                            view! { <option value=s.name.clone()>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=move || create.pending().get()>"Create guardrail"</button>
                <FieldError error=Signal::derive(move || match error.get() {
                    Some(crate::error::AppError::Invalid { field: Some(_), .. }) => None,
                    e => e,
                })/>
            </ActionForm>
        </details>
    }
}

/// The sets, presets first.
#[component]
fn GuardrailTable(sets: Vec<GuardrailSummary>) -> impl IntoView {
    view! {
        <table class="list guardrails stack-narrow">
            <thead>
                <tr><th>"Name"</th><th>"Description"</th><th>"Rules"</th><th>"Status"</th><th>"Used by"</th></tr>
            </thead>
            <tbody>
                {sets.into_iter().map(|s| {
                    let used = if s.personas.is_empty() { "—".to_string() } else { s.personas.join(", ") };
                    let (testid, href) = (format!("guardrail-{}", s.name), format!("/dashboard/guardrails/{}", s.id));
                    view! {
                        <tr data-testid=testid>
                            <td>
                                <A href=href>{s.name.clone()}</A>
                                {s.is_system.then(|| view! { " " <span class="badge muted-badge">"preset"</span> })}
                            </td>
                            <td>{s.description.clone().unwrap_or_default()}</td>
                            <td>{s.rule_count}</td>
                            <td>{if s.is_active { "Active" } else { "Off" }}</td>
                            <td>{used}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The guardrail hits of the conversation on screen, provided by the monitor's panel
/// (it reloads them with the conversation).
#[derive(Clone, Copy)]
pub struct ConversationHits(pub Memo<Vec<GuardrailHit>>);

/// The guardrail hits of message `message_id` (rule and action), from the
/// [`ConversationHits`] in context (none without it); updates in place.
#[component]
pub fn HitBadges(message_id: i64) -> impl IntoView {
    let hits = use_context::<ConversationHits>();
    let mine = move || {
        hits.map(|h| h.0.with(|h| h.iter().filter(|h| h.message_id == message_id).cloned().collect::<Vec<_>>()))
            .unwrap_or_default()
    };
    view! {
        <For each=mine key=|h| h.id let:h>
            <span
                class=format!("badge guardrail-hit {}", h.action)
                data-testid="guardrail-hit"
                title=format!("{} · {} — {}", h.guardrail, h.kind, h.excerpt)
            >
                {format!("{}: {}", h.action, h.rule)}
            </span>
        </For>
    }
}
