//! One LLM call (`/dashboard/requests/:id`): its figures, the exact messages sent, the
//! reply or error, the persona version's parameters and the turn's context, with links to
//! the conversation it belongs to.

use super::api::load_request;
use super::usd;
use crate::components::{format_time, percent_encode, ErrorBox, Loading};
use crate::overview::{count, millis};
use crate::types::RequestDetail;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/dashboard/requests/:id`.
#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let data = Resource::new(id, load_request);
    view! {
        <p><a href="/dashboard/requests">"← Request log"</a></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Detail d/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Detail(d: RequestDetail) -> impl IntoView {
    let s = d.summary.clone();
    let n = |v: Option<i64>| v.map(count).unwrap_or_else(|| "—".into());
    let persona = match (&s.persona, s.version) {
        (Some(p), Some(v)) => format!("{p} v{v}"),
        (Some(p), None) => p.clone(),
        (None, _) => "none".into(),
    };
    let conversation = s.user_id.clone().map(|u| format!("/dashboard/monitor/{}", percent_encode(&u)));
    let params = d.parameters.clone().map(|p| {
        let stop = if p.stop.is_empty() { "none".to_string() } else { p.stop.join(", ") };
        view! {
            <dl class="facts" data-testid="request-parameters">
                <dt>"Model"</dt><dd>{if p.model.trim().is_empty() { "the provider's default".to_string() } else { p.model.clone() }}</dd>
                <dt>"Temperature"</dt><dd>{p.temperature.to_string()}</dd>
                <dt>"Top p"</dt><dd>{p.top_p.to_string()}</dd>
                <dt>"Max tokens"</dt><dd>{p.max_tokens.to_string()}</dd>
                <dt>"Repeat penalty"</dt><dd>{p.repeat_penalty.to_string()}</dd>
                <dt>"Stop"</dt><dd>{stop}</dd>
            </dl>
        }
    });
    let messages = d.messages.clone();
    let context = d.context.as_ref().map(|c| serde_json::to_string_pretty(c).unwrap_or_default());
    view! {
        <div class="page-head">
            <h1>{format!("Request #{}", s.id)}</h1>
            <span class=format!("badge status-{}", s.status) data-testid="request-status">{s.status.clone()}</span>
        </div>
        <dl class="facts request-facts">
            <dt>"When"</dt><dd>{format_time(s.created_at)}</dd>
            <dt>"Source"</dt><dd>{s.source.clone()}</dd>
            <dt>"User"</dt><dd><span>{s.user_id.clone().unwrap_or_else(|| "—".into())}</span>
                {conversation.map(|href| view! { <a class="after" href=href data-testid="request-conversation">"Open the conversation"</a> })}</dd>
            <dt>"Persona"</dt><dd>{persona}</dd>
            <dt>"Provider / model"</dt><dd>{format!("{} / {}", s.provider, s.model)}</dd>
            <dt>"Latency"</dt><dd>{millis(Some(s.latency_ms as f64))}</dd>
            <dt>"Time to first token"</dt><dd>{millis(s.ttft_ms.map(|t| t as f64))}</dd>
            <dt>"Tokens"</dt><dd>{format!("{} prompt ({} cached), {} completion", n(s.prompt_tokens), n(d.cached_tokens), n(s.completion_tokens))}</dd>
            <dt>"Cost"</dt><dd>{usd(s.cost_usd)}</dd>
        </dl>
        {d.bodies_dropped.then(|| view! {
            <p class="notice">"The texts of this call were dropped by the workspace's retention setting; its figures are kept."</p>
        })}
        <section aria-labelledby="sent-title">
            <h2 id="sent-title">"Messages sent"</h2>
            {if messages.is_empty() {
                view! { <p class="empty">"None kept."</p> }.into_any()
            } else {
                view! {
                    <ol class="sent" data-testid="request-messages">
                        {messages.into_iter().map(|m| view! {
                            <li data-role=m.role.clone()>
                                <span class="badge">{m.role.clone()}</span>
                                <pre class="template">{m.content.clone()}</pre>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="reply-title">
            <h2 id="reply-title">"Reply"</h2>
            {match d.response.clone() {
                Some(r) => view! { <pre class="template" data-testid="request-reply">{r}</pre> }.into_any(),
                None => view! { <p class="empty">"No reply."</p> }.into_any(),
            }}
            {d.error.clone().map(|e| view! { <p class="error" data-testid="request-error">{e}</p> })}
        </section>
        <section aria-labelledby="params-title">
            <h2 id="params-title">"Parameters"</h2>
            {params.map(|p| p.into_any()).unwrap_or_else(|| view! { <p class="empty">"Not a persona's call."</p> }.into_any())}
        </section>
        {context.map(|c| view! {
            <details class="context">
                <summary>"Turn context (history, memory, summary, notes)"</summary>
                <pre class="template">{c}</pre>
            </details>
        })}
    }
}
