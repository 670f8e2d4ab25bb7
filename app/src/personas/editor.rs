//! The persona editor page: header actions, the version form (template, kind, model
//! settings, declared variables), the live preview beside it, labels and history, and
//! the danger zone.

use super::api::{DeletePersona, DraftPersona};
use super::labels::{LabelDialog, LabelHistory, LabelRequest, LabelsSection, PublishBox, VersionHistory};
use super::preview::PreviewPanel;
use super::state::{EditorState, VarRow};
use super::{clear_error_on_change, Actions, DraftBox, KindSelect, TemplateError, UsedVariables, VariablesHelp};
use crate::components::FieldError;
use crate::error::AppError;
use crate::types::{value_problem, EndUserSummary, PersonaDetail, Preview, ProviderInfo, VariableType, PRODUCTION};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// Form fields an `Invalid` error can name; their errors are shown next to the field.
const FIELDS: [&str; 9] =
    ["kind", "provider", "model", "temperature", "top_p", "max_tokens", "repeat_penalty", "stop", "variables"];

#[component]
pub fn Editor(
    persona: PersonaDetail,
    providers: Vec<ProviderInfo>,
    users: Vec<EndUserSummary>,
    /// The server's preview of the latest version with the default sample.
    preview: Result<Preview, AppError>,
    state: EditorState,
    actions: Actions,
) -> impl IntoView {
    let id = persona.id;
    let latest = persona.versions.first().cloned();
    if let Some(v) = &latest {
        state.load(id, v);
    }
    let latest_n = latest.as_ref().map(|v| v.version).unwrap_or_default();
    let production = persona.labels.iter().find(|l| l.name == PRODUCTION).map(|l| l.version);
    let dialog = RwSignal::new(None::<LabelRequest>);
    let save = actions.save;
    let save_error = Memo::new(move |_| save.value().get().and_then(Result::err));
    // A template error goes once the template changes; a successful save replaces it too.
    clear_error_on_change(
        save,
        move || state.content.get(),
        |e| {
            matches!(e, AppError::Template { .. })
                || matches!(e, AppError::Invalid { field: Some(f), .. } if f == "content")
        },
    );
    let general_error = move || {
        save_error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid { field: Some(f), .. } if FIELDS.contains(&f.as_str())))
    };
    let saved = move || save.value().get().and_then(Result::ok);
    let rolled = move || actions.rollback.value().get().and_then(Result::ok);
    let versions: Vec<i64> = persona.versions.iter().map(|v| v.version).collect();
    // An AI draft replaces the template as typed and declares the variables it suggests;
    // saving it makes a new version.
    let draft = ServerAction::<DraftPersona>::new();
    Effect::new(move |_| {
        if let Some(Ok(d)) = draft.value().get() {
            state.content.set(d.content);
            for v in &d.suggested_variables {
                state.add_declared(v);
            }
        }
    });
    view! {
        <EditorHeader persona=persona.clone() latest_n production actions/>
        {production.is_none().then(|| view! { <PublishBox id latest_n dialog/> })}
        <div class="editor-grid">
            <ActionForm action=save attr:class="editor" attr:aria-label="Edit persona">
                <input type="hidden" name="id" value=id/>
                <label>
                    "Template (Jinja)"
                    // The child text serves the first render (and pages without JavaScript);
                    // `prop:value` keeps the textarea in step with the state afterwards.
                    <textarea name="content" rows="18" spellcheck="false" required
                        prop:value=move || state.content.get()
                        on:input=move |ev| state.content.set(event_target_value(&ev))>
                        {state.content.get_untracked()}
                    </textarea>
                </label>
                <KindSelect kind=state.kind/>
                <FieldError error=save_error field="kind"/>
                <SettingsFieldset state providers save_error/>
                <VariablesTable state save_error/>
                <label>
                    "Note"
                    <input type="text" name="note" maxlength="500" placeholder="What changed?"
                        value=state.note.get_untracked()
                        prop:value=move || state.note.get()
                        on:input=move |ev| state.note.set(event_target_value(&ev))/>
                </label>
                {move || general_error().map(|e| view! { <TemplateError error=e/> })}
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
                <p class="hint">
                    {if production.is_some() {
                        "Saving creates a new version; chat keeps using the production version until you promote it."
                    } else {
                        "Saving creates a new version; the persona stays a draft until you publish one."
                    }}
                </p>
                <div class="actions">
                    <button type="submit" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save new version" }}
                    </button>
                </div>
            </ActionForm>
            <div class="side">
                <PreviewPanel persona_id=id state users initial=preview saved=latest.clone()/>
                <UsedVariables vars=persona.variables.clone()/>
                <DraftBox draft after="you save a new version"/>
                <VariablesHelp/>
            </div>
        </div>
        <LabelsSection
            id
            labels=persona.labels.clone()
            versions=versions.clone()
            dialog
            move_label=actions.move_label
            remove_label=actions.remove_label
        />
        <VersionHistory
            id
            versions=persona.versions.clone()
            labels=persona.labels.clone()
            latest_n
            dialog
            rollback=actions.rollback
        />
        <LabelHistory moves=persona.label_moves.clone()/>
        <DangerZone id name=persona.name.clone() delete=actions.delete/>
        <LabelDialog id name=persona.name.clone() versions=persona.versions.clone() labels=persona.labels.clone()
            dialog move_label=actions.move_label/>
    }
}

/// One numeric model setting: its input (posted as `settings[name]`), a hint, and its
/// field error.
#[component]
fn NumberSetting(
    label: &'static str,
    name: &'static str,
    step: &'static str,
    inputmode: &'static str,
    hint_id: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    save_error: Memo<Option<AppError>>,
) -> impl IntoView {
    let invalid = move || {
        matches!(save_error.get(), Some(AppError::Invalid { field: Some(x), .. }) if x == name).then_some("true")
    };
    view! {
        <div class="field">
            <label>
                {label}
                <input type="number" name=format!("settings[{name}]") step=step inputmode=inputmode aria-invalid=invalid
                    aria-describedby=format!("{hint_id} {name}-error")
                    value=value.get_untracked()
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
            <p class="hint" id=hint_id>{hint}</p>
            <FieldError error=save_error field=name/>
        </div>
    }
}

#[component]
fn EditorHeader(persona: PersonaDetail, latest_n: i64, production: Option<i64>, actions: Actions) -> impl IntoView {
    let id = persona.id;
    let (active, shared) = (persona.active, persona.shared);
    view! {
        <div class="page-head">
            <h1>{persona.name.clone()}</h1>
            <div class="badges">
                <span class="badge" data-testid="latest-version">{format!("version {latest_n}")}</span>
                {match production {
                    Some(p) => view! {
                        <span class="badge production" data-testid="production-version">{format!("v{p} in production")}</span>
                    }.into_any(),
                    None => view! { <span class="badge draft" data-testid="draft">"Draft"</span> }.into_any(),
                }}
                {if active {
                    view! { <span class="badge active">"Active"</span> }.into_any()
                } else {
                    view! { <span class="badge muted-badge" data-testid="inactive">"Inactive"</span> }.into_any()
                }}
                {shared.then(|| view! { <span class="badge">"Shared"</span> })}
            </div>
        </div>
        {persona.source.map(|s| view! {
            <p class="muted" data-testid="cloned-from">{format!("Cloned from {}/{} v{}", s.workspace, s.name, s.version)}</p>
        })}
        <div class="head-actions">
            <A href=format!("/dashboard/personas/{id}/playground") attr:class="button secondary-button">"Playground"</A>
            // A plain link: the router must not intercept a file download.
            <a href=format!("/admin/templates/{id}/export") download="" rel="external" class="button secondary-button">
                "Export"
            </a>
            <ActionForm action=actions.set_active attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="active" value=(!active).to_string()/>
                <button type="submit" class="secondary" disabled=move || actions.set_active.pending().get()
                    title=if active { "Chat stops offering it; its conversations become read-only." } else { "Chat offers it again." }>
                    {if active { "Deactivate" } else { "Activate" }}
                </button>
            </ActionForm>
            <ActionForm action=actions.set_shared attr:class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="shared" value=(!shared).to_string()/>
                <button type="submit" class="secondary" disabled=move || actions.set_shared.pending().get()
                    aria-describedby="share-hint">
                    {if shared { "Stop sharing" } else { "Share" }}
                </button>
            </ActionForm>
        </div>
        <p class="hint" id="share-hint">
            {if shared {
                "Shared: other workspaces can see and clone it (the production version)."
            } else {
                "Share it so that other workspaces can see and clone it."
            }}
            {(shared && production.is_none()).then_some(" The library lists it once a version is published.")}
            {(!active).then_some(" Inactive: chat does not offer it, and its conversations are read-only.")}
        </p>
        {move || {
            actions.set_active.value().get().and_then(Result::err)
                .or_else(|| actions.set_shared.value().get().and_then(Result::err))
                .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
        }}
    }
}

/// Provider, model and sampling settings chat uses with this version.
#[component]
fn SettingsFieldset(
    state: EditorState,
    providers: Vec<ProviderInfo>,
    save_error: Memo<Option<AppError>>,
) -> impl IntoView {
    let default_model = providers.iter().find(|p| p.default).map(|p| p.model.clone()).unwrap_or_default();
    let models: Vec<(String, String)> = providers.iter().map(|p| (p.kind.clone(), p.model.clone())).collect();
    let placeholder = move || {
        let chosen = state.provider.get();
        models.iter().find(|(k, _)| *k == chosen).map(|(_, m)| m.clone()).unwrap_or_else(|| default_model.clone())
    };
    let saved_provider = state.provider.get_untracked();
    let unknown_provider =
        (!saved_provider.is_empty() && !providers.iter().any(|p| p.kind == saved_provider)).then_some(saved_provider);
    let err = move |f: &'static str| {
        move || matches!(save_error.get(), Some(AppError::Invalid { field: Some(x), .. }) if x == f).then_some("true")
    };
    view! {
        <fieldset class="settings">
            <legend>"Model settings"</legend>
            <div class="settings-grid">
                <div class="field">
                    <label>
                        "Provider"
                        <select name="settings[provider]" prop:value=move || state.provider.get()
                            on:change=move |ev| state.provider.set(event_target_value(&ev))>
                            <option value="" selected=move || state.provider.get().is_empty()>"Server default"</option>
                            {providers.into_iter().map(|p| {
                                let kind = p.kind.clone();
                                let text = format!(
                                    "{} ({}){}",
                                    if p.kind == "local" { "Embedded model" } else { "OpenAI-compatible" },
                                    p.model,
                                    if p.default { ", the default" } else { "" },
                                );
                                view! { <option value=p.kind selected=move || state.provider.get() == kind>{text}</option> }
                            }).collect_view()}
                            {unknown_provider.map(|k| {
                                let text = format!("{k} (not configured on this server)");
                                view! { <option value=k selected=true>{text}</option> }
                            })}
                        </select>
                    </label>
                    <FieldError error=save_error field="provider"/>
                </div>
                <div class="field">
                    <label>
                        "Model"
                        <input type="text" name="settings[model]" maxlength="200" placeholder=placeholder aria-invalid=err("model")
                            value=state.model.get_untracked()
                            prop:value=move || state.model.get()
                            on:input=move |ev| state.model.set(event_target_value(&ev))/>
                    </label>
                    <FieldError error=save_error field="model"/>
                </div>
                <NumberSetting label="Temperature" name="temperature" step="0.01" inputmode="decimal"
                    hint_id="temperature-hint" hint="0 (always the likeliest word) to 2 (very varied)."
                    value=state.temperature save_error/>
                <NumberSetting label="Top p" name="top_p" step="0.01" inputmode="decimal"
                    hint_id="top-p-hint" hint="Nucleus sampling: above 0, at most 1."
                    value=state.top_p save_error/>
                <NumberSetting label="Max tokens" name="max_tokens" step="1" inputmode="numeric"
                    hint_id="max-tokens-hint" hint="Longest reply, 1 to 4096 tokens."
                    value=state.max_tokens save_error/>
                <NumberSetting label="Repetition penalty" name="repeat_penalty" step="0.05" inputmode="decimal"
                    hint_id="repeat-penalty-hint"
                    hint="1 = off; up to 2. Above 1, the embedded model avoids repeating words already in the chat."
                    value=state.repeat_penalty save_error/>
            </div>
            <label>
                "Stop sequences (one per line)"
                <textarea name="settings[stop]" rows="2" spellcheck="false" aria-invalid=err("stop")
                    prop:value=move || state.stop.get()
                    on:input=move |ev| state.stop.set(event_target_value(&ev))>
                    {state.stop.get_untracked()}
                </textarea>
            </label>
            <FieldError error=save_error field="stop"/>
        </fieldset>
    }
}

/// The declared variables, edited as a table whose inputs post as
/// `variables[list][i][name]` … (so the form works without JavaScript too).
#[component]
fn VariablesTable(state: EditorState, save_error: Memo<Option<AppError>>) -> impl IntoView {
    let has_rows = move || state.vars.with(|v| !v.is_empty());
    view! {
        <fieldset class="declared">
            <legend>"Declared variables"</legend>
            <p class="hint">
                "Variables the template reads besides the ones the pipeline provides. Chat uses the default; "
                "the preview and the playground can try other values."
            </p>
            // Posted even when empty: no rows declares none (a missing table would keep the
            // latest version's variables).
            <input type="hidden" name="variables[count]" value=move || state.vars.with(Vec::len)/>
            <Show when=has_rows fallback=|| view! { <p class="empty">"No declared variables."</p> }>
                <table class="list vars-table stack-narrow">
                    <thead><tr><th>"Name"</th><th>"Type"</th><th>"Default"</th><th>"Description"</th><th></th></tr></thead>
                    <tbody>
                        <For each=move || state.vars.get() key=|r| r.key let:row>
                            <VarRowEditor row state/>
                        </For>
                    </tbody>
                </table>
            </Show>
            <FieldError error=save_error field="variables"/>
            <button type="button" class="secondary" on:click=move |_| state.add_var()>"Add variable"</button>
        </fieldset>
    }
}

#[component]
fn VarRowEditor(row: VarRow, state: EditorState) -> impl IntoView {
    let key = row.key;
    let number = move || state.vars.with(|v| v.iter().position(|r| r.key == key).map(|i| i + 1).unwrap_or_default());
    let var_type = move || state.vars.with(|v| v.iter().find(|r| r.key == key).map(|r| r.var_type)).unwrap_or_default();
    let problem = move || {
        state.vars.with(|v| v.iter().find(|r| r.key == key).and_then(|r| value_problem(r.var_type, &r.default)))
    };
    let types = [VariableType::String, VariableType::Number, VariableType::Boolean, VariableType::Json];
    let posted = move |part: &'static str| move || format!("variables[list][{}][{part}]", number().saturating_sub(1));
    view! {
        <tr>
            <td data-label="Name">
                <input type="text" maxlength="40" spellcheck="false" required name=posted("name")
                    aria-label=move || format!("Name of variable {}", number())
                    value=row.name.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); state.edit_var(key, |r| r.name = v) }/>
            </td>
            <td data-label="Type">
                <select name=posted("type") aria-label=move || format!("Type of variable {}", number())
                    on:change=move |ev| {
                        let t = VariableType::parse(&event_target_value(&ev)).unwrap_or_default();
                        state.edit_var(key, |r| r.var_type = t)
                    }>
                    {types.into_iter().map(|t| view! {
                        <option value=t.as_str() selected=t == row.var_type>{t.as_str()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td data-label="Default">
                <input type="text" name=posted("default")
                    aria-label=move || format!("Default of variable {}", number())
                    placeholder=move || match var_type() {
                        VariableType::String => "text",
                        VariableType::Number => "0",
                        VariableType::Boolean => "true or false",
                        VariableType::Json => "{\"key\": \"value\"}",
                    }
                    aria-invalid=move || problem().map(|_| "true")
                    value=row.default.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); state.edit_var(key, |r| r.default = v) }/>
                {move || problem().map(|p| view! { <span class="hint error-text">{p}</span> })}
            </td>
            <td data-label="Description">
                <input type="text" maxlength="200" name=posted("description")
                    aria-label=move || format!("Description of variable {}", number())
                    value=row.description.clone()
                    on:input=move |ev| { let v = event_target_value(&ev); state.edit_var(key, |r| r.description = v) }/>
            </td>
            <td>
                <button type="button" class="link" on:click=move |_| state.remove_var(key)
                    aria-label=move || format!("Remove variable {}", number())>"Remove"</button>
            </td>
        </tr>
    }
}

/// Delete, after typing the persona's name; restorable from the trash for 30 days.
#[component]
fn DangerZone(id: i64, name: String, delete: ServerAction<DeletePersona>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let expected = name.clone();
    let matches = move || typed.with(|t| t.trim() == expected);
    let navigate = use_navigate();
    let gone_name = name.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate(
                &format!("/dashboard/personas?deleted={}", crate::components::percent_encode(&gone_name)),
                Default::default(),
            );
        }
    });
    let error = move || delete.value().get().and_then(Result::err);
    view! {
        <section class="danger-zone" aria-labelledby="danger-title">
            <h2 id="danger-title">"Danger zone"</h2>
            <p>
                "Deleting removes the persona from the dashboard and from chat. "
                "You can restore it from the Trash for 30 days."
            </p>
            <ActionForm action=delete attr:class="danger-form">
                <input type="hidden" name="id" value=id/>
                <label>
                    {format!("Type the persona's name ({name}) to confirm")}
                    <input type="text" name="confirm_name" autocomplete="off" spellcheck="false"
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="danger" disabled=move || !matches() || delete.pending().get()>
                    {move || if delete.pending().get() { "Deleting…" } else { "Delete persona" }}
                </button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
        </section>
    }
}
