//! The live preview beside the editor: the exact messages the LLM would receive for what
//! is typed right now, rendered with a real end user's data or a hand-written sample.
//! Nothing is saved.

use super::api::preview_persona;
use super::state::{EditorState, VarRow};
use crate::components::Loading;
use crate::error::AppError;
use crate::types::{
    parse_json_object, DeclaredVariable, EndUserSummary, PersonaKind, Preview, PreviewRequest, VersionInfo,
    SAMPLE_MESSAGE,
};
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::time::Duration;

/// Everything a preview depends on, as the editor holds it.
#[derive(Clone, Debug, PartialEq)]
struct PreviewArgs {
    content: String,
    kind: String,
    variables: Vec<DeclaredVariable>,
    user_id: Option<String>,
    /// The hand-written memory as typed (JSON), read when the request is made.
    memory: String,
    message: String,
    values: Map<String, Value>,
}

impl PreviewArgs {
    /// Reads the editor (tracked).
    fn read(s: &EditorState) -> Self {
        let user = s.sample_user.get();
        Self {
            content: s.content.get(),
            kind: s.kind.get(),
            variables: s.declared(),
            memory: if user.is_empty() { s.sample_memory.get() } else { String::new() },
            user_id: (!user.is_empty()).then_some(user),
            message: s.sample_message.get(),
            values: s.values(),
        }
    }

    /// What the server rendered the page's first preview with: the saved version and the
    /// default sample (no user, no memory, the default message, no values).
    fn of_saved(v: &VersionInfo) -> Self {
        Self {
            content: v.content.clone(),
            kind: v.kind.as_str().to_string(),
            // As the editor's rows hold them, so that an untouched editor compares equal.
            variables: v.variables.iter().map(|d| VarRow::of(0, d).declared()).collect(),
            user_id: None,
            memory: String::new(),
            message: SAMPLE_MESSAGE.to_string(),
            values: Map::new(),
        }
    }

    /// The request for `persona_id`. Errors: `Invalid` when the memory is not a JSON object.
    fn request(self, persona_id: i64) -> Result<PreviewRequest, AppError> {
        Ok(PreviewRequest {
            persona_id: Some(persona_id),
            content: self.content,
            kind: PersonaKind::parse(&self.kind)?,
            variables: self.variables,
            user_id: self.user_id,
            memory: parse_json_object("memory", &self.memory)?,
            message: self.message,
            values: self.values,
        })
    }
}

/// Waits this long after the last keystroke before rendering.
const DEBOUNCE: Duration = Duration::from_millis(300);

#[component]
pub fn PreviewPanel(
    persona_id: i64,
    state: EditorState,
    users: Vec<EndUserSummary>,
    /// The server's preview of `saved` with the default sample: shown while the editor
    /// holds exactly that (and without JavaScript).
    initial: Result<Preview, AppError>,
    saved: Option<VersionInfo>,
) -> impl IntoView {
    let args = Memo::new(move |_| PreviewArgs::read(&state));
    let settled = RwSignal::new(args.get_untracked());
    // Not the editor's current fields: after a save the page is rebuilt with a fresh
    // `initial`, while the sample the operator typed (memory, message, values) stays in
    // the state; the server's preview only fits when the editor matches what it rendered.
    let initial_args = saved.as_ref().map(PreviewArgs::of_saved);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let next = args.get();
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        if settled.with_untracked(|s| *s == next) {
            return;
        }
        let handle = set_timeout_with_handle(move || _ = settled.try_set(next), DEBOUNCE).ok();
        timer.set_value(handle);
    });
    on_cleanup(move || {
        if let Some(Some(h)) = timer.try_get_value() {
            h.clear();
        }
    });
    // Browser-only: the server renders `initial`; a server-side resource created this deep
    // in the page could be serialised from a render the server threw away, and the
    // hydrated page would then disagree with its HTML.
    let preview = LocalResource::new(move || {
        let a = settled.get();
        async move { preview_persona(a.request(persona_id)?).await }
    });
    let show_initial = move || settled.with(|s| initial_args.as_ref() == Some(s));
    let typing = move || args.with(|a| settled.with(|s| a != s));
    let hand_written = move || state.sample_user.with(String::is_empty);
    let declared = move || {
        state.vars.with(|v| v.iter().map(|r| r.name.trim().to_string()).filter(|n| !n.is_empty()).collect::<Vec<_>>())
    };
    view! {
        <section class="help preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Live preview"</h2>
            <p class="muted">"Exactly what the LLM would receive for the template as typed. Nothing is saved."</p>
            <label>
                "Sample source"
                <select prop:value=move || state.sample_user.get()
                    on:change=move |ev| state.sample_user.set(event_target_value(&ev))>
                    <option value="" selected=move || state.sample_user.get().is_empty()>"Hand-written sample"</option>
                    {users.into_iter().map(|u| {
                        let text = format!("{} ({} messages)", u.user_id, u.message_count);
                        let uid = u.user_id.clone();
                        view! { <option value=u.user_id selected=move || state.sample_user.get() == uid>{text}</option> }
                    }).collect_view()}
                </select>
            </label>
            <Show when=hand_written fallback=|| view! {
                <p class="hint">"Uses this user's memory and their recent history with this persona."</p>
            }>
                <label>
                    "Memory (JSON object)"
                    <textarea rows="3" spellcheck="false" placeholder="{\"name\": \"Sam\", \"likes\": [\"tea\"]}"
                        prop:value=move || state.sample_memory.get()
                        on:input=move |ev| state.sample_memory.set(event_target_value(&ev))>
                        {state.sample_memory.get_untracked()}
                    </textarea>
                </label>
            </Show>
            <label>
                "Sample message"
                <input type="text" value=state.sample_message.get_untracked()
                    prop:value=move || state.sample_message.get()
                    on:input=move |ev| state.sample_message.set(event_target_value(&ev))/>
            </label>
            {move || {
                let names = declared();
                (!names.is_empty()).then(|| view! {
                    <fieldset class="sample-values">
                        <legend>"Values for declared variables (blank = default)"</legend>
                        {names.into_iter().map(|n| view! { <SampleValue name=n state/> }).collect_view()}
                    </fieldset>
                })
            }}
            <div class="preview-out" aria-live="polite" aria-busy=move || typing().then_some("true")>
                <Show when=show_initial fallback=move || view! {
                    <Transition fallback=Loading>
                        {move || Suspend::new(async move { preview_result(preview.await) })}
                    </Transition>
                }>
                    {preview_result(initial.clone())}
                </Show>
            </div>
        </section>
    }
}

fn preview_result(r: Result<Preview, AppError>) -> AnyView {
    match r {
        Ok(p) => view! { <PreviewMessages preview=p/> }.into_any(),
        Err(e) => view! { <PreviewError error=e/> }.into_any(),
    }
}

#[component]
fn SampleValue(name: String, state: EditorState) -> impl IntoView {
    let key = name.clone();
    let key_in = name.clone();
    let default = state.vars.with_untracked(|v| v.iter().find(|r| r.name.trim() == name).map(|r| r.default.clone()));
    view! {
        <label>
            <code>{name.clone()}</code>
            <input type="text" placeholder=default.unwrap_or_default()
                prop:value=move || state.sample_values.with(|m| m.get(&key).cloned().unwrap_or_default())
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    state.sample_values.update(|m| { m.insert(key_in.clone(), v); })
                }/>
        </label>
    }
}

#[component]
fn PreviewMessages(preview: Preview) -> impl IntoView {
    let unknown: Vec<String> = preview.variables.iter().filter(|v| !v.known).map(|v| v.name.clone()).collect();
    view! {
        <ol class="preview-messages" data-testid="preview-messages">
            {preview.messages.into_iter().map(|m| view! {
                <li data-role=m.role.clone()>
                    <span class="badge">{m.role.clone()}</span>
                    <pre class="template">{m.content}</pre>
                </li>
            }).collect_view()}
        </ol>
        {(!unknown.is_empty()).then(|| view! {
            <p class="hint">{format!("Not provided or declared: {}", unknown.join(", "))}</p>
        })}
        {(!preview.warnings.is_empty()).then(|| view! {
            <ul class="hint" data-testid="preview-warnings">
                {preview.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
            </ul>
        })}
    }
}

/// A render or syntax error, with its line; or why the sample was refused.
#[component]
fn PreviewError(error: AppError) -> impl IntoView {
    let text = match &error {
        AppError::Template { line: Some(l), message } => format!("Line {l}: {message}"),
        AppError::Template { line: None, message } => message.clone(),
        AppError::Invalid { message, .. } => message.clone(),
        other => format!("The preview failed: {other}"),
    };
    view! { <p class="error" data-testid="preview-error">{text}</p> }
}
