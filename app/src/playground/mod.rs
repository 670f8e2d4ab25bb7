//! The playground: a test message through the real pipeline with one version of a persona,
//! or two side by side, written to no conversation.

pub mod api;
mod fork;

use crate::components::{use_interactive, ErrorBox, Loading};
use crate::error::AppError;
use crate::monitor::api::list_users;
use crate::personas::api::get_persona;
use crate::types::{EndUserSummary, ForkContext, PersonaDetail, PlaygroundResult, PRODUCTION};
use api::{load_fork, PlaygroundRun};
use leptos::html;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/dashboard/personas/:id/playground?version=N&compare=M&fork=ID`: all query parameters
/// are optional (default: the production version, no comparison). `fork` (a message of a
/// real conversation with this persona) runs with that turn's context and message, and
/// compares the version that answered it with the newest other version by default.
#[component]
pub fn PlaygroundPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let pick = move |k: &str| query.read_untracked().get(k).and_then(|s| s.parse::<i64>().ok());
    let (version, compare, fork_id) = (pick("version"), pick("compare"), pick("fork"));
    // One server call per resource: during SSR the router may build this page twice and
    // drop one copy; a fetcher that made a second call after an `.await` would then fail
    // (its context is gone) and the browser could hydrate with that error.
    let persona = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_persona(id).await,
            None => Err(AppError::not_found("persona")),
        }
    });
    let users = Resource::new(|| (), |_| list_users());
    let fork = Resource::new(
        move || fork_id,
        |f| async move {
            match f {
                Some(id) => load_fork(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (persona.await, users.await, fork.await) {
                    (Ok(persona), Ok(users), Ok(fork)) => {
                        view! { <Playground persona users version compare fork/> }.into_any()
                    }
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `v3 (production, staging)`: a version with the labels that point to it.
fn version_label(p: &PersonaDetail, version: i64) -> String {
    let labels: Vec<&str> = p.labels.iter().filter(|l| l.version == version).map(|l| l.name.as_str()).collect();
    if labels.is_empty() {
        format!("v{version}")
    } else {
        format!("v{version} ({})", labels.join(", "))
    }
}

#[component]
fn Playground(
    persona: PersonaDetail,
    users: Vec<EndUserSummary>,
    version: Option<i64>,
    compare: Option<i64>,
    fork: Option<ForkContext>,
) -> impl IntoView {
    let id = persona.id;
    let exists = |n: &i64| persona.versions.iter().any(|v| v.version == *n);
    let production = persona.labels.iter().find(|l| l.name == PRODUCTION).map(|l| l.version);
    // A fork compares the version that answered the turn with the newest other one.
    let forked_version = fork.as_ref().and_then(|f| f.turn.template_version).filter(exists);
    let first = version
        .filter(exists)
        .or(forked_version)
        .or(production)
        .or_else(|| persona.versions.first().map(|v| v.version))
        .unwrap_or(1);
    let newest_other = persona.versions.iter().map(|v| v.version).find(|v| *v != first);
    let compare = compare.filter(exists).or(if fork.is_some() { newest_other } else { None });
    let fork_id = fork.as_ref().map(|f| f.turn.message_id);
    let forked_message = fork.as_ref().map(|f| f.turn.user_message.clone()).unwrap_or_default();
    let versions: Vec<(i64, String)> =
        persona.versions.iter().map(|v| (v.version, version_label(&persona, v.version))).collect();
    let versions_b = versions.clone();

    // The form is read when it is submitted: what was typed or chosen before the page
    // became interactive counts too.
    let version_a = NodeRef::<html::Select>::new();
    let version_b = NodeRef::<html::Select>::new();
    let user = NodeRef::<html::Select>::new();
    let message = NodeRef::<html::Textarea>::new();
    let ready = use_interactive();
    let run = ServerAction::<PlaygroundRun>::new();
    let submit = move || {
        let (Some(a), Some(b), Some(u), Some(m)) = (version_a.get(), version_b.get(), user.get(), message.get()) else {
            return;
        };
        let text = m.value();
        if text.trim().is_empty() || run.pending().get_untracked() {
            return;
        }
        let Ok(version_a) = a.value().parse() else {
            return;
        };
        run.dispatch(PlaygroundRun {
            id,
            version_a,
            version_b: b.value().parse().ok(),
            message: text,
            user_id: Some(u.value()).filter(|u| !u.is_empty() && fork_id.is_none()),
            fork: fork_id,
        });
    };
    let submit_on_key = submit;
    let error = move || run.value().get().and_then(Result::err);

    view! {
        <p><A href=format!("/dashboard/personas/{id}")>{format!("← {}", persona.name)}</A></p>
        <div class="page-head">
            <h1>{format!("Playground: {}", persona.name)}</h1>
        </div>
        <p class="muted" data-testid="playground-note">
            "Runs a test message through the real pipeline. Nothing is written to any conversation: "
            "a chosen user's memory and history are only read. Each run is kept in the request log."
        </p>
        {fork.map(|f| view! { <fork::ForkBox f/> })}
        <form class="playground-form stack" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="pg-picks">
                // `for` labels: a wrapping label would add the chosen option's text to the
                // select's accessible name.
                <div>
                    <label for="pg-version">"Version"</label>
                    <select id="pg-version" node_ref=version_a>
                        {versions.into_iter().map(|(n, text)| view! {
                            <option value=n selected=n == first>{text}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="pg-compare">"Compare with"</label>
                    <select id="pg-compare" node_ref=version_b>
                        <option value="" selected=compare.is_none()>"none"</option>
                        {versions_b.into_iter().map(|(n, text)| view! {
                            <option value=n selected=compare == Some(n)>{text}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div hidden=fork_id.is_some()>
                    <label for="pg-user">"End user"</label>
                    <select id="pg-user" node_ref=user>
                        <option value="" selected=true>"no user: empty memory and history"</option>
                        {users.into_iter().map(|u| {
                            let text = format!("{} ({} messages)", u.user_id, u.message_count);
                            view! { <option value=u.user_id>{text}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <label>
                "Test message"
                <textarea
                    rows="3"
                    required
                    maxlength="4000"
                    placeholder="What the user says… (Ctrl+Enter to run)"
                    node_ref=message
                    prop:value=forked_message.clone()
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            submit_on_key();
                        }
                    }
                >{forked_message.clone()}</textarea>
            </label>
            {move || error().map(|e| view! { <ErrorBox error=e/> })}
            <div class="actions">
                <button type="submit" disabled=move || !ready.get() || run.pending().get()>"Run"</button>
            </div>
        </form>
        <section aria-label="Results">
            {move || {
                if run.pending().get() {
                    return view! { <p class="muted" role="status" aria-busy="true">"Running…"</p> }.into_any();
                }
                match run.value().get() {
                    Some(Ok(results)) => view! {
                        <div class="pg-results">
                            {results.into_iter().map(|r| view! { <ResultColumn r/> }).collect_view()}
                        </div>
                    }.into_any(),
                    _ => view! { <p class="empty">"Results appear here, one column per version."</p> }.into_any(),
                }
            }}
        </section>
    }
}

#[component]
fn ResultColumn(r: PlaygroundResult) -> impl IntoView {
    let title = format!("Version {}", r.version);
    let tokens = |t: Option<u32>| t.map(|t| t.to_string()).unwrap_or_else(|| "not reported".into());
    let model = match (r.provider.is_empty(), r.model.is_empty()) {
        (false, false) => format!("{} / {}", r.provider, r.model),
        (false, true) => r.provider.clone(),
        (true, _) => r.model.clone(),
    };
    let body = match (r.reply, r.error) {
        (Some(reply), _) => view! { <p class="pg-reply" data-testid="playground-reply">{reply}</p> }.into_any(),
        (None, Some(error)) => view! { <p class="error" role="alert">{error}</p> }.into_any(),
        (None, None) => view! { <p class="empty">"No reply."</p> }.into_any(),
    };
    view! {
        <section class="pg-result" aria-label=title data-testid="playground-result">
            <h2>{title.clone()}</h2>
            {body}
            <dl class="pg-meta">
                <dt>"Latency"</dt><dd>{format!("{} ms", r.latency_ms)}</dd>
                <dt>"Prompt tokens"</dt><dd>{tokens(r.prompt_tokens)}</dd>
                <dt>"Completion tokens"</dt><dd>{tokens(r.completion_tokens)}</dd>
                <dt>"Model"</dt><dd>{model}</dd>
            </dl>
            <details>
                <summary>"Messages sent"</summary>
                <ol class="pg-messages">
                    {r.messages.into_iter().map(|m| view! {
                        <li><span class="who">{m.role}</span><pre class="template">{m.content}</pre></li>
                    }).collect_view()}
                </ol>
            </details>
        </section>
    }
}
