//! The persona editor: list, create, edit (every save a new version), history, rollback.

pub mod api;
mod diff;

pub use diff::PersonaDiff;

use crate::components::{format_time, ErrorBox, Loading};
use crate::error::AppError;
use crate::types::{PersonaDetail, TemplateVariable, VersionInfo};
use api::{get_persona, list_personas, CreatePersona, RollbackPersona, SavePersonaVersion};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PersonaList() -> impl IntoView {
    let personas = Resource::new(|| (), |_| list_personas());
    view! {
        <div class="page-head">
            <h1>"Personas"</h1>
            <A href="/dashboard/personas/new" attr:class="button">"New persona"</A>
        </div>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match personas.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No personas yet. Create the first one to start chatting."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="list">
                            <thead><tr><th>"Name"</th><th>"Version"</th><th>"Last saved"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| view! {
                                    <tr>
                                        <td><A href=format!("/dashboard/personas/{}", p.id)>{p.name}</A></td>
                                        <td>{format!("v{}", p.latest_version)}</td>
                                        <td>{format_time(p.updated_at)}</td>
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

/// Shows a template error next to the editor, with its line when known.
#[component]
fn TemplateError(error: AppError) -> impl IntoView {
    let text = match &error {
        AppError::Template { line: Some(l), message } => format!("Line {l}: {message}"),
        AppError::Template { line: None, message } => message.clone(),
        other => other.to_string(),
    };
    view! { <p class="error" role="alert" data-testid="template-error">{text}</p> }
}

#[component]
pub fn NewPersona() -> impl IntoView {
    let create = ServerAction::<CreatePersona>::new();
    let error = move || create.value().get().and_then(Result::err);
    view! {
        <h1>"New persona"</h1>
        <ActionForm action=create attr:class="editor">
            <label>"Name" <input type="text" name="name" required maxlength="80" autofocus/></label>
            <label>
                "Template (Jinja)"
                <textarea name="content" rows="16" spellcheck="false" required>
                    "You are a friendly companion talking with {{ user_id }}."
                </textarea>
            </label>
            <label>"Note" <input type="text" name="note" maxlength="500" placeholder="What is this version for?"/></label>
            {move || error().map(|e| view! { <TemplateError error=e/> })}
            <div class="actions">
                <button type="submit" disabled=move || create.pending().get()>"Create persona"</button>
                <A href="/dashboard">"Cancel"</A>
            </div>
        </ActionForm>
        <VariablesHelp/>
    }
}

/// The variables the saved template reads; unknown ones are flagged because they will
/// fail when a chat renders the persona.
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
                                {(!v.known).then(|| view! { " " <span class="badge halted">"unknown: not provided by the pipeline"</span> })}
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
                <dt><code>"user_id"</code></dt><dd>"the end user's id"</dd>
                <dt><code>"current_message"</code></dt><dd>"what the user just sent"</dd>
                <dt><code>"history"</code></dt><dd>"recent messages, oldest first: each has role, sender, content, at"</dd>
                <dt><code>"memory"</code></dt><dd>"what the persona remembers about the user (key → value)"</dd>
                <dt><code>"now"</code></dt><dd>"the current time, UTC"</dd>
            </dl>
        </aside>
    }
}

#[component]
pub fn PersonaEditor() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or_default();
    let save = ServerAction::<SavePersonaVersion>::new();
    let rollback = ServerAction::<RollbackPersona>::new();
    let persona =
        Resource::new(move || (id(), save.version().get(), rollback.version().get()), |(id, _, _)| get_persona(id));
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match persona.await {
                    Ok(p) => view! { <Editor persona=p save rollback/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Editor(
    persona: PersonaDetail,
    save: ServerAction<SavePersonaVersion>,
    rollback: ServerAction<RollbackPersona>,
) -> impl IntoView {
    let latest = persona.versions.first().cloned();
    let content = latest.as_ref().map(|v| v.content.clone()).unwrap_or_default();
    let content_prop = content.clone();
    let latest_n = latest.as_ref().map(|v| v.version).unwrap_or_default();
    let save_error = move || save.value().get().and_then(Result::err);
    let saved = move || save.value().get().and_then(Result::ok);
    let rolled = move || rollback.value().get().and_then(Result::ok);
    let rollback_error = move || rollback.value().get().and_then(Result::err);
    let confirming = RwSignal::new(None::<i64>);
    let id = persona.id;
    view! {
        <div class="page-head">
            <h1>{persona.name.clone()}</h1>
            <span class="badge" data-testid="latest-version">{format!("version {latest_n}")}</span>
        </div>
        <div class="editor-grid">
            <ActionForm action=save attr:class="editor">
                <input type="hidden" name="id" value=id/>
                <label>
                    "Template (Jinja)"
                    // The child text serves the first render; `prop:value` keeps the editor in step
                    // when the persona changes underneath (a dirty textarea ignores its text child).
                    <textarea name="content" rows="18" spellcheck="false" required prop:value=content_prop>{content}</textarea>
                </label>
                <label>"Note" <input type="text" name="note" maxlength="500" placeholder="What changed?"/></label>
                {move || save_error().map(|e| view! { <TemplateError error=e/> })}
                {move || saved().map(|r| {
                    let text = if r.unchanged {
                        format!("No changes: the content is identical to version {}.", r.version.version)
                    } else {
                        format!("Saved as version {}.", r.version.version)
                    };
                    view! { <p class="ok" role="status">{text}</p> }
                })}
                {move || rolled().map(|r| {
                    let text = if r.unchanged {
                        format!("Version {} already has that content; nothing to restore.", r.version.version)
                    } else {
                        format!("Restored as version {}.", r.version.version)
                    };
                    view! { <p class="ok" role="status">{text}</p> }
                })}
                <div class="actions">
                    <button type="submit" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save new version" }}
                    </button>
                </div>
            </ActionForm>
            <div>
                <UsedVariables vars=persona.variables.clone()/>
                <VariablesHelp/>
            </div>
        </div>
        <section aria-labelledby="history-title">
            <h2 id="history-title">"Version history"</h2>
            {move || rollback_error().map(|e| view! { <ErrorBox error=e/> })}
            <table class="list history">
                <thead><tr><th>"Version"</th><th>"Note"</th><th>"Author"</th><th>"Saved"</th><th>"Checksum"</th><th></th></tr></thead>
                <tbody>
                    {persona.versions.into_iter().map(|v| view! { <VersionRow v latest_n confirming rollback id/> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn VersionRow(
    v: VersionInfo,
    latest_n: i64,
    confirming: RwSignal<Option<i64>>,
    rollback: ServerAction<RollbackPersona>,
    id: i64,
) -> impl IntoView {
    let n = v.version;
    let short = v.checksum.chars().take(10).collect::<String>();
    view! {
        <tr data-version=n>
            <td>{format!("v{n}")}</td>
            <td>
                <details>
                    <summary>{if v.note.is_empty() { "(no note)".to_string() } else { v.note.clone() }}</summary>
                    <pre class="template">{v.content.clone()}</pre>
                </details>
            </td>
            <td>{v.author.clone()}</td>
            <td>{format_time(v.created_at)}</td>
            <td><code title=v.checksum.clone()>{short}</code></td>
            <td class="row-actions">
                {(n > 1).then(|| view! {
                    <A href=format!("/dashboard/personas/{id}/diff?from={}&to={n}", n - 1)>{format!("Compare with v{}", n - 1)}</A>
                    " "
                })}
                {(n != latest_n).then(|| view! {
                    <Show
                        when=move || confirming.get() == Some(n)
                        fallback=move || view! {
                            <button type="button" class="secondary" on:click=move |_| confirming.set(Some(n))>
                                {format!("Roll back to v{n}")}
                            </button>
                        }
                    >
                        <span class="confirm">
                            {format!("Restore v{n} as a new version?")}
                            <button type="button" on:click=move |_| {
                                rollback.dispatch(RollbackPersona { id, version: n });
                                confirming.set(None);
                            }>"Restore"</button>
                            <button type="button" class="link" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        </span>
                    </Show>
                })}
            </td>
        </tr>
    }
}
