//! The per-turn inspector in the monitor: on an assistant reply, what went into it
//! (version, memory, summary, sentiment, guardrail instructions, hidden notes, the exact
//! messages sent) and a link that forks the turn to the playground.

use crate::components::{ErrorBox, Loading};
use crate::error::AppResult;
use crate::types::{Sender, TurnInspection};
use leptos::prelude::*;
use leptos_router::components::A;

/// What went into the turn of message `id` (an assistant reply or its user message).
/// Errors: `NotFound` (not a message of the workspace, or of no turn).
#[server(endpoint = "monitor/inspect_message", input = server_fn::codec::GetUrl)]
pub async fn inspect_message(id: i64) -> AppResult<TurnInspection> {
    use crate::ctx;
    use crate::engine::ids::MessageId;
    use crate::engine::inspector;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        inspector::inspect(&state, op.workspace(), MessageId(id)).await
    })
    .await
}

/// The tools under an assistant reply: "Inspect" (opens [`InspectorPanel`] in place) and
/// "Fork to playground" (the persona's playground with this turn's context).
#[component]
pub fn TurnTools(message_id: i64, persona_id: Option<i64>) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="turn-tools">
            <button
                type="button"
                class="link"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || if open.get() { "Hide inspector" } else { "Inspect" }}
            </button>
            {persona_id.map(|p| view! {
                <A href=format!("/dashboard/personas/{p}/playground?fork={message_id}")>"Fork to playground"</A>
            })}
        </div>
        {move || open.get().then(|| view! { <InspectorPanel message_id/> })}
    }
}

/// The inspector of one turn, loaded in the browser when opened.
#[component]
pub fn InspectorPanel(message_id: i64) -> impl IntoView {
    // Opened by a click, deep in a live page: a browser-only resource (see STYLE, SSR).
    let inspection = LocalResource::new(move || inspect_message(message_id));
    view! {
        <section class="inspector" aria-label="Turn inspector" data-testid="inspector">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match inspection.await {
                        Ok(t) => view! { <Inspection t/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `None` as "none", else the text.
fn or_none(v: Option<String>) -> String {
    v.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "none".into())
}

#[component]
fn Inspection(t: TurnInspection) -> impl IntoView {
    let version = t.template_version.map(|v| format!("v{v}")).unwrap_or_else(|| "unknown".into());
    let figures = t.call.clone().map(|c| {
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
        format!(
            "{} / {} · {} prompt tokens ({} cached) · {} completion tokens · first token {} ms · {} ms · {}",
            c.provider,
            c.model,
            n(c.prompt_tokens),
            n(c.cached_tokens),
            n(c.completion_tokens),
            n(c.ttft_ms),
            c.latency_ms,
            c.status
        )
    });
    let list = |items: Vec<String>, testid: &'static str| {
        if items.is_empty() {
            view! { <p class="empty" data-testid=testid>"none"</p> }.into_any()
        } else {
            view! {
                <ul data-testid=testid>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul>
            }
            .into_any()
        }
    };
    let request_link = t.call.as_ref().map(|c| format!("/dashboard/requests/{}", c.request_id));
    let history_len = t.history.len();
    view! {
        <h3>{format!("Turn of {} with {} {version}", t.user_id, t.persona_name)}</h3>
        {(!t.recorded).then(|| view! {
            <p class="muted">"This turn was logged before its context was kept: only the messages sent are known."</p>
        })}
        <dl class="inspector-facts">
            <dt>"Template version"</dt><dd data-testid="inspect-version">{version.clone()}</dd>
            <dt>"User message"</dt><dd>{t.user_message.clone()}</dd>
            <dt>"Call"</dt><dd><span>{figures.unwrap_or_else(|| "no LLM call logged".into())}</span>
                {request_link.map(|href| view! { <a class="after" href=href data-testid="inspect-request-link">"In the request log"</a> })}</dd>
            <dt>"Summary"</dt><dd data-testid="inspect-summary">{or_none(t.summary.clone())}</dd>
            <dt>"Sentiment"</dt><dd><code>{or_none(t.sentiment.as_ref().map(|s| s.to_string()))}</code></dd>
            <dt>"History sent"</dt><dd>{format!("{history_len} earlier message{}", if history_len == 1 { "" } else { "s" })}</dd>
        </dl>
        <h4>"Memory"</h4>
        {if t.memory.is_empty() {
            view! { <p class="empty" data-testid="inspect-memory">"none"</p> }.into_any()
        } else {
            view! {
                <table class="list memory" data-testid="inspect-memory"><tbody>
                    {t.memory.iter().map(|(k, v)| view! {
                        <tr><th scope="row">{k.clone()}</th><td><code>{v.to_string()}</code></td></tr>
                    }).collect_view()}
                </tbody></table>
            }.into_any()
        }}
        <h4>"Guardrail instructions"</h4>
        {list(t.instructions.clone(), "inspect-instructions")}
        <h4>"Hidden notes"</h4>
        {list(t.notes.clone(), "inspect-notes")}
        <details>
            <summary>{format!("Messages sent ({})", t.messages.len())}</summary>
            <ol class="pg-messages" data-testid="inspect-messages">
                {t.messages.into_iter().map(|m| view! {
                    <li><span class="who">{m.role}</span><pre class="template">{m.content}</pre></li>
                }).collect_view()}
            </ol>
        </details>
    }
}

/// Whether a message gets the turn tools (assistant replies).
pub fn has_tools(sender: Sender) -> bool {
    sender == Sender::Assistant
}
