//! The audit page (`/dashboard/audit`): every intervention and change in the workspace —
//! who, what, when, before → after — filtered by action, actor, target (an end user's or
//! a persona's id) and dates, in pages. Filters live in the URL (`?action=&actor=&
//! target=&since=&until=&offset=`), so the page works without JavaScript and can be linked.

pub mod api;

use crate::components::{format_time, ErrorBox, Loading};
use crate::types::AuditEntry;
use api::{list_audit, PAGE_SIZE};
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

/// `/dashboard/audit`.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let params = move || {
        let offset = get("offset").parse::<i64>().unwrap_or(0).max(0);
        (get("action"), get("actor"), get("target"), get("since"), get("until"), offset)
    };
    let page = Resource::new(params, |(action, actor, target, since, until, offset)| {
        list_audit(action, actor, target, since, until, offset)
    });
    view! {
        <div class="page-head"><h1>"Audit log"</h1></div>
        <p class="muted">"Every intervention and change in this workspace: who made it, when, and what it changed."</p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let (action, actor, target, since, until, _) = params();
                        let link = {
                            let (action, actor, target, since, until) = (action.clone(), actor.clone(), target.clone(), since.clone(), until.clone());
                            move |offset: i64| {
                                let q = [("action", &action), ("actor", &actor), ("target", &target), ("since", &since), ("until", &until)]
                                    .iter()
                                    .filter(|(_, v)| !v.is_empty())
                                    .map(|(k, v)| format!("{k}={}", crate::components::percent_encode(v)))
                                    .chain(std::iter::once(format!("offset={offset}")))
                                    .collect::<Vec<_>>()
                                    .join("&");
                                format!("/dashboard/audit?{q}")
                            }
                        };
                        let (from, shown, total) = (p.offset, p.entries.len() as i64, p.total);
                        let prev = (from > 0).then(|| link((from - PAGE_SIZE).max(0)));
                        let next = (from + shown < total).then(|| link(from + PAGE_SIZE));
                        view! {
                            <Form method="GET" action="/dashboard/audit" attr:class="filters audit-filters">
                                <label>"Action"
                                    <select name="action">
                                        <option value="">"Any"</option>
                                        {p.actions.iter().map(|a| view! {
                                            <option value=a.clone() selected=*a == action>{a.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>"Actor" <input type="text" name="actor" value=actor placeholder="operator email"/></label>
                                <label>"Target" <input type="text" name="target" value=target placeholder="user or persona id"/></label>
                                <label>"From" <input type="date" name="since" value=since/></label>
                                <label>"To" <input type="date" name="until" value=until/></label>
                                <button type="submit" class="secondary">"Filter"</button>
                            </Form>
                            {if p.entries.is_empty() {
                                view! { <p class="empty">"Nothing recorded matches."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="list audit">
                                        <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Change"</th></tr></thead>
                                        <tbody>
                                            {p.entries.into_iter().map(|e| view! { <AuditRow e/> }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">{if total == 0 { "0 entries".to_string() } else { format!("{}–{} of {total}", from + 1, from + shown) }}</span>
                                {prev.map(|h| view! { <A href=h>"Newer"</A> })}
                                {next.map(|h| view! { <A href=h>"Older"</A> })}
                            </nav>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// One entry: before → after as compact JSON (or the detail text).
#[component]
fn AuditRow(e: AuditEntry) -> impl IntoView {
    let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "—".into());
    let change = if e.before.is_none() && e.after.is_none() {
        view! { <span>{e.detail.clone()}</span> }.into_any()
    } else {
        view! {
            <span class="change">
                <code class="before">{show(&e.before)}</code>" → "<code class="after">{show(&e.after)}</code>
                {(!e.detail.is_empty()).then(|| view! { <span class="muted">{format!(" ({})", e.detail)}</span> })}
            </span>
        }
        .into_any()
    };
    view! {
        <tr data-action=e.action.clone()>
            <td class="when">{format_time(e.created_at)}</td>
            <td>{e.actor.clone()}</td>
            <td><span class="badge">{e.action.clone()}</span></td>
            <td>{e.target.clone()}</td>
            <td>{change}</td>
        </tr>
    }
}
