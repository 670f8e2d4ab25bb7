//! Personas beyond the workspace's own list: the shared library of other workspaces
//! (clone one), the trash (restore one) and import from an export file.

pub mod api;

use crate::components::{format_time, limit_len, use_interactive, ErrorBox, FieldError, LimitCounter, Loading};
use crate::error::{AppError, AppResult};
use crate::personas::NAME_MAX;
use crate::types::{DeletedPersona, ImportConflict, ImportResult, PersonaExport, SharedPersona};
use api::{deleted_personas, import_persona, shared_library, ClonePersona, RestorePersona};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn LibraryPage() -> impl IntoView {
    let library = Resource::new(|| (), |_| shared_library());
    view! {
        <div class="page-head">
            <h1>"Library"</h1>
            <A href="/dashboard/personas/import" attr:class="button">"Import from a file"</A>
        </div>
        <p class="muted">
            "Personas that other workspaces share. A clone copies the version they run in production "
            "into your workspace as a new draft persona: edit it freely, and publish it when chat should offer it."
        </p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match library.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">
                            "No shared personas yet. When another workspace shares a persona, it appears here for you to clone."
                        </p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="list library stack-narrow">
                            <thead>
                                <tr><th>"Name"</th><th>"Workspace"</th><th>"Version"</th><th>"Kind"</th><th>"Template"</th><th></th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|s| view! { <SharedRow s/> }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SharedRow(s: SharedPersona) -> impl IntoView {
    let open = RwSignal::new(false);
    let clone = ServerAction::<ClonePersona>::new();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(p)) = clone.value().get() {
            navigate(&format!("/dashboard/personas/{}", p.id), Default::default());
        }
    });
    let error = move || clone.value().get().and_then(Result::err);
    let name_input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move || {
        if let Some(el) = name_input.get() {
            let _ = el.focus();
        }
    });
    let ready = use_interactive();
    let source_id = s.id;
    let name = RwSignal::new(s.name.clone());
    let too_long = move || name.with(|n| limit_len(n) > NAME_MAX);
    let limit_id = StoredValue::new(format!("clone-name-limit-{source_id}"));
    view! {
        <tr data-testid="shared-persona">
            <td>{s.name.clone()}</td>
            <td data-label="Workspace">{s.workspace.clone()}</td>
            <td data-label="Version">{format!("v{}", s.version)}</td>
            <td data-label="Kind">{s.kind.as_str()}</td>
            <td data-label="Template">
                <details>
                    <summary>"Show template"</summary>
                    <pre class="template">{s.content.clone()}</pre>
                </details>
            </td>
            <td class="row-actions">
                <Show
                    when=move || open.get()
                    fallback=move || view! { <button type="button" class="secondary" disabled=move || !ready.get() on:click=move |_| open.set(true)>"Clone"</button> }
                >
                    <ActionForm action=clone attr:class="clone-form">
                        <input type="hidden" name="source_id" value=source_id/>
                        <label>
                            "Name in your workspace"
                            <input type="text" name="name" required node_ref=name_input aria-describedby=limit_id.get_value()
                                value=name.get_untracked()
                                prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev))/>
                        </label>
                        <LimitCounter text=name max=NAME_MAX id=limit_id.get_value() what="The name"/>
                        <FieldError error=Signal::derive(error)/>
                        <div class="actions">
                            <button type="submit" disabled=move || clone.pending().get() || too_long()>
                                {move || if clone.pending().get() { "Cloning…" } else { "Clone into my workspace" }}
                            </button>
                            <button type="button" class="link" on:click=move |_| open.set(false)>"Cancel"</button>
                        </div>
                    </ActionForm>
                </Show>
            </td>
        </tr>
    }
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let restore = ServerAction::<RestorePersona>::new();
    let deleted = Resource::new(move || restore.version().get(), |_| deleted_personas());
    // The row whose restore was tried last, so its error shows next to it.
    let last = RwSignal::new(None::<i64>);
    let restored = move || restore.value().get().and_then(Result::ok);
    view! {
        <div class="page-head"><h1>"Trash"</h1></div>
        <p class="muted">"Recently deleted personas stay here for 30 days. Restoring one brings it back with all its versions and labels."</p>
        {move || restored().map(|p| view! {
            <p class="ok" role="status">
                {format!("Restored “{}”. ", p.name)}
                <A href=format!("/dashboard/personas/{}", p.id)>{format!("Open {}", p.name)}</A>
            </p>
        })}
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match deleted.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"The trash is empty. Deleted personas appear here and can be restored for 30 days."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="list trash stack-narrow">
                            <thead>
                                <tr><th>"Name"</th><th>"Deleted by"</th><th>"Deleted"</th><th>"Restorable until"</th><th></th></tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|d| view! { <DeletedRow d restore last/> }).collect_view()}
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
fn DeletedRow(d: DeletedPersona, restore: ServerAction<RestorePersona>, last: RwSignal<Option<i64>>) -> impl IntoView {
    let id = d.id;
    let error = move || (last.get() == Some(id)).then(|| restore.value().get().and_then(Result::err)).flatten();
    view! {
        <tr data-testid="deleted-persona">
            <td>{d.name.clone()}</td>
            <td data-label="Deleted by">{d.deleted_by.clone()}</td>
            <td data-label="Deleted">{format_time(d.deleted_at)}</td>
            <td data-label="Restorable until">{format_time(d.restorable_until)}</td>
            <td class="row-actions">
                // A form, so that restoring works before (or without) JavaScript too.
                <ActionForm action=restore attr:class="inline" on:submit=move |_| last.set(Some(id))>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" disabled=move || restore.pending().get()>"Restore"</button>
                </ActionForm>
                {move || error().map(|e| {
                    let hint = matches!(e, AppError::Conflict { .. })
                        .then_some(" Rename or delete the persona that has this name now, then restore again.");
                    view! { <p class="error" role="alert">{e.to_string()}{hint}</p> }
                })}
            </td>
        </tr>
    }
}

/// Exports larger than this are not persona exports a person wrote; refuse before reading.
#[cfg(feature = "hydrate")]
const MAX_FILE_BYTES: f64 = 5.0 * 1024.0 * 1024.0;

/// Reads the file chosen in a file input into `text` (errors into `error`).
#[cfg(feature = "hydrate")]
fn read_chosen_file(ev: &leptos::ev::Event, text: RwSignal<String>, error: RwSignal<Option<String>>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        return;
    };
    if file.size() > MAX_FILE_BYTES {
        error.set(Some("That file is too large to be a persona export (at most 5 MB).".into()));
        return;
    }
    let Ok(reader) = web_sys::FileReader::new() else {
        error.set(Some("This browser cannot read files; paste the JSON instead.".into()));
        return;
    };
    let r = reader.clone();
    let on_load = Closure::once_into_js(move |_: web_sys::Event| match r.result().ok().and_then(|v| v.as_string()) {
        Some(s) => {
            error.set(None);
            text.set(s);
        }
        None => error.set(Some("The file could not be read as text.".into())),
    });
    let on_error = Closure::once_into_js(move |_: web_sys::Event| {
        error.set(Some("The file could not be read.".into()));
    });
    reader.set_onload(Some(on_load.unchecked_ref()));
    reader.set_onerror(Some(on_error.unchecked_ref()));
    if reader.read_as_text(&file).is_err() {
        error.set(Some("The file could not be read.".into()));
    }
}

#[cfg(not(feature = "hydrate"))]
fn read_chosen_file(_: &leptos::ev::Event, _: RwSignal<String>, _: RwSignal<Option<String>>) {}

/// A one-line summary of pasted JSON when it is an export: `“Mira”: 3 versions`.
fn summarize(json: &str) -> Option<String> {
    let export: PersonaExport = serde_json::from_str(json).ok()?;
    let n = export.versions.len();
    Some(format!("“{}”: {n} version{}", export.name, if n == 1 { "" } else { "s" }))
}

/// An import attempt: (mode, JSON, new name) → (mode, result).
type ImportAction = Action<(ImportConflict, String, Option<String>), (ImportConflict, AppResult<ImportResult>)>;

#[component]
pub fn ImportPage() -> impl IntoView {
    let json = RwSignal::new(String::new());
    let file_error = RwSignal::new(None::<String>);
    // The server's message when an import met an existing name: the operator chooses.
    let conflict = RwSignal::new(None::<String>);
    let new_name = RwSignal::new(String::new());
    let import = Action::new(move |(mode, json, name): &(ImportConflict, String, Option<String>)| {
        let (mode, json, name) = (*mode, json.clone(), name.clone());
        let suggested = serde_json::from_str::<PersonaExport>(&json).ok().map(|e| format!("{} (imported)", e.name));
        async move {
            let result = import_persona(json, Some(mode), name).await;
            match (&result, mode) {
                (Err(AppError::Conflict { message }), ImportConflict::Ask) => {
                    if let Some(s) = suggested.filter(|_| new_name.get_untracked().is_empty()) {
                        new_name.set(s);
                    }
                    conflict.set(Some(message.clone()));
                }
                (Ok(_), _) => conflict.set(None),
                _ => {}
            }
            (mode, result)
        }
    });
    let start = move |mode: ImportConflict| {
        let text = json.get_untracked();
        if text.trim().is_empty() || import.pending().get_untracked() {
            return;
        }
        let name = (mode == ImportConflict::Rename).then(|| new_name.get_untracked());
        import.dispatch((mode, text, name));
    };
    let error_for = move |m: ImportConflict| match import.value().get() {
        Some((mode, Err(e))) if mode == m && !(m == ImportConflict::Ask && matches!(e, AppError::Conflict { .. })) => {
            Some(e)
        }
        _ => None,
    };
    // A new input starts over: no stale choice or result.
    let set_json = move |text: String| {
        json.set(text);
        conflict.set(None);
        import.clear();
    };

    view! {
        <p><A href="/dashboard/personas">"← Personas"</A></p>
        <h1>"Import a persona"</h1>
        <p class="muted">"Choose a file exported from PromptDev (every version, its settings and labels), or paste its JSON."</p>
        <form class="editor import-form" on:submit=move |ev| { ev.prevent_default(); start(ImportConflict::Ask); }>
            <label>
                "Export file (.json)"
                <input type="file" accept=".json,application/json" on:change=move |ev| {
                    conflict.set(None);
                    import.clear();
                    read_chosen_file(&ev, json, file_error);
                }/>
            </label>
            {move || file_error.get().map(|e| view! { <p class="error field-error" role="alert">{e}</p> })}
            <label>
                "Export JSON"
                <textarea
                    rows="14"
                    spellcheck="false"
                    required
                    placeholder="{\"format\": \"promptdev.persona.v1\", …}"
                    prop:value=move || json.get()
                    on:input=move |ev| set_json(event_target_value(&ev))
                ></textarea>
            </label>
            {move || summarize(&json.get()).map(|s| view! { <p class="muted" data-testid="import-summary">{s}</p> })}
            <FieldError error=Signal::derive(move || error_for(ImportConflict::Ask))/>
            <div class="actions">
                <button type="submit" disabled=move || import.pending().get() || json.get().trim().is_empty()>
                    {move || if import.pending().get() { "Importing…" } else { "Import" }}
                </button>
            </div>
        </form>
        {move || conflict.get().map(|message| view! { <ConflictChoice message new_name start error_for import/> })}
        {move || import.value().get().and_then(|(mode, r)| r.ok().map(|r| view! { <Imported r mode/> }))}
    }
}

#[component]
fn ConflictChoice(
    message: String,
    new_name: RwSignal<String>,
    start: impl Fn(ImportConflict) + Copy + Send + Sync + 'static,
    error_for: impl Fn(ImportConflict) -> Option<AppError> + Copy + Send + Sync + 'static,
    import: ImportAction,
) -> impl IntoView {
    view! {
        <section class="stack choice" aria-labelledby="conflict-title" data-testid="import-conflict">
            <h2 id="conflict-title">"This name is taken"</h2>
            <p>{message}</p>
            <div class="choice-option">
                <button type="button" disabled=move || import.pending().get() on:click=move |_| start(ImportConflict::NewVersion)>
                    "Add as a new version of the existing persona"
                </button>
                <p class="muted">"The export's production version becomes the next version; the existing labels stay where they are."</p>
                <FieldError error=Signal::derive(move || error_for(ImportConflict::NewVersion))/>
            </div>
            <form class="choice-option" on:submit=move |ev| { ev.prevent_default(); start(ImportConflict::Rename); }>
                <label>
                    "New name"
                    <input
                        type="text"
                        required
                        aria-describedby="new-name-limit"
                        prop:value=move || new_name.get()
                        on:input=move |ev| new_name.set(event_target_value(&ev))
                    />
                </label>
                <LimitCounter text=new_name max=NAME_MAX id="new-name-limit" what="The name"/>
                <FieldError error=Signal::derive(move || error_for(ImportConflict::Rename))/>
                <button type="submit" disabled=move || import.pending().get() || new_name.with(|n| limit_len(n) > NAME_MAX)>
                    "Import under another name"
                </button>
                <p class="muted">"Imports every version as a new persona."</p>
            </form>
        </section>
    }
}

#[component]
fn Imported(r: ImportResult, mode: ImportConflict) -> impl IntoView {
    let p = r.persona;
    let text = match (mode, r.versions_created) {
        (_, 0) => format!("“{}” already has this content as its latest version; nothing was added. ", p.name),
        (ImportConflict::NewVersion, _) => format!("Added as version {} of “{}”. ", p.latest_version, p.name),
        (_, 1) => format!("Imported “{}”: 1 version created. ", p.name),
        (_, n) => format!("Imported “{}”: {n} versions created. ", p.name),
    };
    view! {
        <p class="ok" role="status" data-testid="import-result">
            {text}
            <A href=format!("/dashboard/personas/{}", p.id)>{format!("Open {}", p.name)}</A>
        </p>
    }
}
