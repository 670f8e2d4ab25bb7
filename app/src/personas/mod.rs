//! The persona pages: the list, a new persona (optionally drafted by the LLM), and the
//! editor (versions with model settings and declared variables, live preview, labels,
//! history, sharing and deletion).

pub mod api;
mod diff;
mod editor;
mod labels;
mod preview;
mod state;
mod unsaved;

pub use diff::PersonaDiff;

use crate::components::{format_time, limit_len, ErrorBox, LimitCounter, Loading};
use crate::error::AppError;
use crate::types::{DeclaredVariable, PersonaKind, TemplateVariable, VariableInput};
use api::{
    editor_data, list_personas, CreatePersona, DeletePersona, DraftPersona, MoveLabel, RemoveLabel, RollbackPersona,
    SavePersonaVersion, SetPersonaActive, SetPersonaShared,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use state::EditorState;

/// Longest persona name, in characters (the engine's `personas::MAX_NAME_CHARS`, which a
/// test keeps equal).
pub const NAME_MAX: usize = 80;

#[component]
pub fn PersonaList() -> impl IntoView {
    let personas = Resource::new(|| (), |_| list_personas());
    // Set by the editor after a deletion.
    let query = use_query_map();
    let deleted = move || query.read().get("deleted");
    view! {
        <div class="page-head">
            <h1>"Personas"</h1>
            <div class="head-actions">
                <A href="/dashboard/personas/import">"Import"</A>
                <A href="/dashboard/personas/new" attr:class="button">"New persona"</A>
            </div>
        </div>
        {move || deleted().map(|name| view! {
            <p class="notice" data-testid="deleted-notice">
                {format!("Deleted “{name}”. You can restore it from ")}
                <A href="/dashboard/trash">"the Trash"</A>
                " for 30 days."
            </p>
        })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match personas.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No personas yet. Create the first one to start chatting."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="list stack-narrow">
                            <thead>
                                <tr><th>"Name"</th><th>"In production"</th><th>"Latest"</th><th>"Last saved"</th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|p| view! {
                                    <tr data-persona=p.id>
                                        <td>
                                            <A href=format!("/dashboard/personas/{}", p.id)>{p.name}</A>
                                            {(!p.active).then(|| view! { " " <span class="badge muted-badge">"Inactive"</span> })}
                                            {p.shared.then(|| view! { " " <span class="badge">"Shared"</span> })}
                                        </td>
                                        <td>{match p.production_version {
                                            Some(n) => format!("v{n} in production").into_any(),
                                            None => view! {
                                                <span class="badge draft" data-testid="draft">"Draft"</span>
                                                " " <span class="muted">"not in chat until published"</span>
                                            }.into_any(),
                                        }}</td>
                                        <td data-label="Latest">{format!("v{}", p.latest_version)}</td>
                                        <td data-label="Last saved">{format_time(p.updated_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Shows a save error next to the editor: a template error with its line, or the message.
#[component]
fn TemplateError(error: AppError) -> impl IntoView {
    let text = match &error {
        AppError::Template { line: Some(l), message } => format!("Line {l}: {message}"),
        AppError::Template { line: None, message } => message.clone(),
        AppError::Invalid { field: Some(f), message } if f == "name" => format!("Name: {message}"),
        other => other.to_string(),
    };
    view! { <p class="error" role="alert" data-testid="template-error">{text}</p> }
}

/// What each kind does, for the hint under the select.
fn kind_hint(kind: &str) -> &'static str {
    if kind == "text" {
        "Text: the template renders the whole prompt (history included), sent as one user message."
    } else {
        "Chat: the template renders the system prompt; the history and the new message follow as chat messages."
    }
}

/// The persona kind select with a one-line explanation of the choice.
#[component]
fn KindSelect(kind: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            "Kind"
            <select name="kind" aria-describedby="kind-hint" prop:value=move || kind.get()
                on:change=move |ev| kind.set(event_target_value(&ev))>
                <option value="chat" selected=move || kind.get() != "text">"Chat"</option>
                <option value="text" selected=move || kind.get() == "text">"Text"</option>
            </select>
        </label>
        <p class="hint" id="kind-hint">{move || kind_hint(&kind.get())}</p>
    }
}

#[component]
pub fn NewPersona() -> impl IntoView {
    let create = ServerAction::<CreatePersona>::new();
    let draft = ServerAction::<DraftPersona>::new();
    let error = move || create.value().get().and_then(Result::err);
    const START: &str = "You are a friendly companion talking with {{ user_id }}.";
    let name = RwSignal::new(String::new());
    let name_too_long = move || name.with(|n| limit_len(n) > NAME_MAX);
    let content = RwSignal::new(START.to_string());
    // A fixed template (or name) takes the failed attempt's error off the screen.
    clear_error_on_change(create, move || (content.get(), name.get()), |_| true);
    unsaved::warn_before_leaving(Signal::derive(move || {
        !create.value().with(|v| matches!(v, Some(Ok(_))))
            && (!name.with(String::is_empty) || content.with(|c| c != START))
    }));
    let kind = RwSignal::new(PersonaKind::Chat.as_str().to_string());
    let suggested = RwSignal::new(Vec::<DeclaredVariable>::new());
    // A finished draft replaces the template and proposes its variables.
    Effect::new(move |_| {
        if let Some(Ok(d)) = draft.value().get() {
            content.set(d.content);
            suggested.set(d.suggested_variables);
        }
    });
    // The suggested variables, posted as the declared-variables table.
    let posted_variables = move || {
        let vars = suggested.get();
        let rows = vars.into_iter().enumerate().map(|(i, v)| {
            let row = VariableInput::of(&v);
            let field = move |part: &str| format!("variables[list][{i}][{part}]");
            view! {
                <input type="hidden" name=field("name") value=row.name/>
                <input type="hidden" name=field("type") value=row.var_type.as_str()/>
                <input type="hidden" name=field("default") value=row.default/>
                <input type="hidden" name=field("description") value=row.description/>
            }
        });
        rows.collect_view()
    };
    view! {
        <h1>"New persona"</h1>
        <div class="editor-grid">
            <ActionForm action=create attr:class="editor">
                <label>
                    "Name"
                    <input type="text" name="name" required autofocus aria-describedby="name-limit"
                        aria-invalid=move || name_too_long().then_some("true")
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <LimitCounter text=name max=NAME_MAX id="name-limit" what="The name"/>
                <KindSelect kind/>
                <label>
                    "Template (Jinja)"
                    <textarea name="content" rows="16" spellcheck="false" required
                        prop:value=move || content.get()
                        on:input=move |ev| content.set(event_target_value(&ev))>
                        {content.get_untracked()}
                    </textarea>
                </label>
                <input type="hidden" name="variables[count]" value=move || suggested.with(Vec::len)/>
                {posted_variables}
                {move || {
                    let vars = suggested.get();
                    (!vars.is_empty()).then(|| view! {
                        <div class="suggested" data-testid="suggested-variables">
                            <p>"The draft reads these variables; they will be declared with the persona (edit them after creating it):"</p>
                            <ul class="vars">
                                {vars.into_iter().map(|v| view! {
                                    <li><code>{v.name}</code>" "<span class="muted">{v.var_type.as_str()}</span></li>
                                }).collect_view()}
                            </ul>
                            <button type="button" class="link" on:click=move |_| suggested.set(Vec::new())>
                                "Don't declare them"
                            </button>
                        </div>
                    })
                }}
                <label>"Note" <input type="text" name="note" maxlength="500" placeholder="What is this version for?"/></label>
                {move || error().map(|e| view! { <TemplateError error=e/> })}
                <p class="hint">"A new persona is a draft: chat offers it once you publish a version."</p>
                <div class="actions">
                    <button type="submit" disabled=move || create.pending().get() || name_too_long()>"Create persona"</button>
                    <A href="/dashboard/personas">"Cancel"</A>
                </div>
            </ActionForm>
            <div class="side">
                <DraftBox draft after="you create the persona"/>
                <VariablesHelp/>
            </div>
        </div>
    }
}

/// Takes a failed save's error off the screen once the operator changes what it was
/// about (`key` changes while the error is one that `about` accepts): a stale message would
/// contradict the live preview.
fn clear_error_on_change<S, K>(
    action: ServerAction<S>,
    key: impl Fn() -> K + Send + Sync + 'static,
    about: fn(&AppError) -> bool,
) where
    S: server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    K: PartialEq + Send + Sync + 'static,
{
    Effect::new(move |prev: Option<K>| {
        let now = key();
        if prev.is_some_and(|p| p != now) && action.value().with_untracked(|r| matches!(r, Some(Err(e)) if about(e))) {
            action.clear();
        }
        now
    });
}

/// "Describe the persona" → a template drafted by the configured LLM.
#[component]
pub(crate) fn DraftBox(
    draft: ServerAction<DraftPersona>,
    /// What saves the draft, e.g. "you create the persona".
    after: &'static str,
) -> impl IntoView {
    let description = RwSignal::new(String::new());
    let pending = draft.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let d = description.get_untracked();
        if !d.trim().is_empty() && !pending.get_untracked() {
            draft.dispatch(DraftPersona { description: d });
        }
    };
    view! {
        <form class="help draft-box" on:submit=submit aria-labelledby="draft-title">
            <h2 id="draft-title">"AI draft"</h2>
            <label>
                "Describe the persona"
                <textarea rows="4" maxlength="2000" required
                    placeholder="A patient chess coach who explains one idea at a time"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </label>
            <div class="actions">
                <button type="submit" class="secondary" disabled=move || pending.get()>"Draft with AI"</button>
                {move || pending.get().then(|| view! { <span class="muted" aria-live="polite">"Drafting…"</span> })}
            </div>
            {move || match draft.value().get() {
                Some(Ok(d)) => match d.error {
                    Some(err) => view! {
                        <p class="error" data-testid="draft-error">
                            {format!("The draft does not compile yet ({err}); fix it in the template before {after}.")}
                        </p>
                    }.into_any(),
                    None => view! { <p class="ok">{format!("Draft ready: the template was replaced; review it before {after}.")}</p> }
                        .into_any(),
                },
                Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                None => view! { <p class="muted">{format!("The draft replaces the template on the left. Nothing is saved until {after}.")}</p> }.into_any(),
            }}
        </form>
    }
}

/// The variables the saved template reads; unknown ones are flagged because they will
/// fail when a chat renders the persona. Declared variables count as known.
#[component]
fn UsedVariables(vars: Vec<TemplateVariable>) -> impl IntoView {
    view! {
        <aside class="help" aria-labelledby="used-vars-title">
            <h2 id="used-vars-title">"Used by this version"</h2>
            {if vars.is_empty() {
                view! { <p class="empty">"No variables."</p> }.into_any()
            } else {
                view! {
                    <ul class="vars" data-testid="used-variables">
                        {vars.into_iter().map(|v| view! {
                            <li class=if v.known { "known" } else { "unknown" }>
                                <code>{v.name.clone()}</code>
                                {(!v.known).then(|| view! { " " <span class="badge halted">"unknown: not provided or declared"</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </aside>
    }
}

#[component]
fn VariablesHelp() -> impl IntoView {
    view! {
        <aside class="help">
            <h2>"Variables"</h2>
            <dl>
                {crate::types::PIPELINE_VARIABLES
                    .iter()
                    .map(|(name, what)| view! { <dt><code>{*name}</code></dt><dd>{*what}</dd> })
                    .collect_view()}
            </dl>
            <p class="muted">"Anything else must be declared in the editor's variables table, with a default."</p>
        </aside>
    }
}

/// Every action of the editor page; each completed one reloads the persona.
#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SavePersonaVersion>,
    rollback: ServerAction<RollbackPersona>,
    move_label: ServerAction<MoveLabel>,
    remove_label: ServerAction<RemoveLabel>,
    set_active: ServerAction<SetPersonaActive>,
    set_shared: ServerAction<SetPersonaShared>,
    delete: ServerAction<DeletePersona>,
}

#[component]
pub fn PersonaEditor() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or_default();
    let actions = Actions {
        save: ServerAction::new(),
        rollback: ServerAction::new(),
        move_label: ServerAction::new(),
        remove_label: ServerAction::new(),
        set_active: ServerAction::new(),
        set_shared: ServerAction::new(),
        delete: ServerAction::new(),
    };
    // A failed save keeps what the operator typed: only successful saves reload.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.save.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    let state = EditorState::new();
    unsaved::warn_before_leaving(Signal::derive(move || state.unsaved()));
    let data = Resource::new(
        move || {
            (
                id(),
                saved.get(),
                actions.rollback.version().get(),
                actions.move_label.version().get(),
                actions.remove_label.version().get(),
                actions.set_active.version().get(),
                actions.set_shared.version().get(),
            )
        },
        |(id, ..)| editor_data(id),
    );
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! {
                        <editor::Editor persona=d.persona providers=d.providers users=d.users preview=d.preview state actions/>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn the_name_limit_is_the_engines() {
        assert_eq!(super::NAME_MAX, crate::engine::personas::MAX_NAME_CHARS);
    }
}
