//! The request log (`/dashboard/requests`): every LLM call — when, who, which persona
//! version, where from, model, status, latency, TTFT, tokens, cost — filtered by persona,
//! version, status, source, user, dates and text, paged by cursor. Filters live in the URL
//! (`?persona=&version=&status=&source=&user=&since=&until=&q=&cursor=`), so the page
//! works without JavaScript and can be linked. One call in full: [`detail`].

pub mod api;
pub mod detail;
mod retention;

use crate::components::{format_time, percent_encode, ErrorBox, Loading};
use crate::monitor::interventions_api::persona_choices;
use crate::overview::{count, millis};
use crate::types::RequestSummary;
use api::list_requests;
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// The filter fields, in URL order.
const FIELDS: [&str; 8] = ["persona", "version", "status", "source", "user", "since", "until", "q"];
const STATUSES: [&str; 4] = ["ok", "error", "stopped", "render_error"];
const SOURCES: [&str; 8] =
    ["chat", "playground", "draft", "summary", "extraction", "sentiment", "evaluation", "preview"];

/// A cost in USD: "$0.0042"; "—" for none.
pub fn usd(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(v) if v < 0.01 => format!("${v:.4}"),
        Some(v) => format!("${v:.2}"),
    }
}

/// `/dashboard/requests`.
#[component]
pub fn RequestsPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let params = move || {
        let f: Vec<String> = FIELDS.iter().map(|k| get(k)).collect();
        (f, get("cursor").parse::<i64>().unwrap_or(0).max(0))
    };
    let page = Resource::new(params, |(f, cursor)| {
        list_requests(
            f[0].clone(),
            f[1].clone(),
            f[2].clone(),
            f[3].clone(),
            f[4].clone(),
            f[5].clone(),
            f[6].clone(),
            f[7].clone(),
            cursor,
        )
    });
    let personas = Resource::new(|| (), |_| persona_choices());
    view! {
        <div class="page-head"><h1>"Request log"</h1></div>
        <p class="muted">"Every call to the LLM: chat turns, the playground, drafts and background jobs, with the exact messages sent."</p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let choices = personas.await.unwrap_or_default();
                match page.await {
                    Ok(p) => {
                        let (f, cursor) = params();
                        let link = {
                            let f = f.clone();
                            move |cursor: Option<i64>| -> String {
                                let q = FIELDS
                                    .iter()
                                    .zip(&f)
                                    .filter(|(_, v)| !v.is_empty())
                                    .map(|(k, v)| format!("{k}={}", percent_encode(v)))
                                    .chain(cursor.map(|c| format!("cursor={c}")))
                                    .collect::<Vec<_>>()
                                    .join("&");
                                format!("/dashboard/requests?{q}")
                            }
                        };
                        let older = p.next_cursor.map(|c| link(Some(c)));
                        let newest = (cursor > 0).then(|| link(None));
                        let sel = move |i: usize| f[i].clone();
                        view! {
                            <Form method="GET" action="/dashboard/requests" attr:class="filters request-filters">
                                <label>"Persona"
                                    <select name="persona">
                                        <option value="">"Any"</option>
                                        {choices.into_iter().map(|c| {
                                            let id = c.id.to_string();
                                            view! { <option value=id.clone() selected=id == sel(0)>{c.name}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>"Version" <input type="text" name="version" value=sel(1) inputmode="numeric" placeholder="3" size="4"/></label>
                                <label>"Status"
                                    <select name="status">
                                        <option value="">"Any"</option>
                                        {STATUSES.iter().map(|s| view! { <option value=*s selected=*s == sel(2)>{*s}</option> }).collect_view()}
                                    </select>
                                </label>
                                <label>"Source"
                                    <select name="source">
                                        <option value="">"Any"</option>
                                        {SOURCES.iter().map(|s| view! { <option value=*s selected=*s == sel(3)>{*s}</option> }).collect_view()}
                                    </select>
                                </label>
                                <label>"User" <input type="text" name="user" value=sel(4) placeholder="end user id"/></label>
                                <label>"From" <input type="date" name="since" value=sel(5)/></label>
                                <label>"To" <input type="date" name="until" value=sel(6)/></label>
                                <label>"Text" <input type="search" name="q" value=sel(7) placeholder="in messages, reply, error"/></label>
                                <button type="submit" class="secondary">"Filter"</button>
                            </Form>
                            {if p.requests.is_empty() {
                                view! { <p class="empty">{if cursor > 0 { "No older calls match." } else { "No LLM call matches." }}</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-scroll">
                                        <table class="list requests">
                                            <thead><tr>
                                                <th>"When"</th><th>"User"</th><th>"Persona"</th><th>"Source"</th><th>"Model"</th>
                                                <th>"Status"</th><th class="num">"Latency"</th><th class="num">"TTFT"</th>
                                                <th class="num">"Tokens in / out"</th><th class="num">"Cost"</th>
                                            </tr></thead>
                                            <tbody>{p.requests.into_iter().map(|r| view! { <Row r/> }).collect_view()}</tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                            <nav class="pager" aria-label="Pages">
                                {newest.map(|h| view! { <A href=h>"Newest"</A> })}
                                {older.map(|h| view! { <A href=h>"Older"</A> })}
                            </nav>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        <crate::components::ClientOnly><retention::RetentionSection/></crate::components::ClientOnly>
    }
}

/// One call: the time links to its detail, the user to their conversation.
#[component]
fn Row(r: RequestSummary) -> impl IntoView {
    let tokens = |v: Option<i64>| v.map(count).unwrap_or_else(|| "—".into());
    let persona = match (&r.persona, r.version) {
        (Some(p), Some(v)) => format!("{p} v{v}"),
        (Some(p), None) => p.clone(),
        (None, _) => "—".into(),
    };
    view! {
        <tr data-testid="request-row" data-status=r.status.clone()>
            <td class="when"><a href=format!("/dashboard/requests/{}", r.id)>{format_time(r.created_at)}</a></td>
            <td>{match r.user_id.clone() {
                Some(u) => view! { <a href=format!("/dashboard/monitor/{}", percent_encode(&u))>{u.clone()}</a> }.into_any(),
                None => view! { <span class="muted">"—"</span> }.into_any(),
            }}</td>
            <td>{persona}</td>
            <td>{r.source.clone()}</td>
            <td><code>{r.model.clone()}</code></td>
            <td><span class=format!("badge status-{}", r.status)>{r.status.clone()}</span></td>
            <td class="num">{millis(Some(r.latency_ms as f64))}</td>
            <td class="num">{millis(r.ttft_ms.map(|t| t as f64))}</td>
            <td class="num">{format!("{} / {}", tokens(r.prompt_tokens), tokens(r.completion_tokens))}</td>
            <td class="num">{usd(r.cost_usd)}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_keep_small_amounts_visible() {
        assert_eq!(usd(None), "—");
        assert_eq!(usd(Some(0.0042)), "$0.0042");
        assert_eq!(usd(Some(12.5)), "$12.50");
    }
}
