//! The dashboard's Jobs page: the workspace's background jobs (turn recovery, memory
//! extraction, sentiment, summaries, webhooks) by state — failed ones first, with their
//! error and a Retry button. `?state=` picks the state (`all` for every job).

pub mod api;

use crate::components::{format_time, ErrorBox, Loading};
use crate::types::{JobInfo, JOB_STATES};
use api::{list_jobs, RetryJob, PAGE_SIZE};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// `/dashboard/jobs`.
#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_else(|| "failed".into());
    let offset = move || query.read().get("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).max(0);
    let retry = ServerAction::<RetryJob>::new();
    let page = Resource::new(
        move || (state(), offset(), retry.version().get()),
        |(s, o, _)| list_jobs(if s == "all" { String::new() } else { s }, o),
    );
    view! {
        <div class="page-head"><h1>"Jobs"</h1></div>
        <p class="muted">
            "Background work the server does after a turn or at start-up. A failed job shows its last error; "
            "Retry queues it again."
        </p>
        <nav class="tabs" aria-label="Job state">
            {JOB_STATES.iter().rev().chain(["all"].iter()).map(|&s| {
                let href = format!("/dashboard/jobs?state={s}");
                // Plain links (the router still handles them): `<A>` marks every tab
                // current, since they share the path and differ in the query only.
                let current = move || (state() == s).then_some("page");
                view! { <a href=href aria-current=current>{tab_label(s)}</a> }
            }).collect_view()}
        </nav>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.jobs.is_empty() => view! { <p class="empty">"No jobs here."</p> }.into_any(),
                    Ok(p) => {
                        let (from, total, shown) = (p.offset, p.total, p.jobs.len() as i64);
                        let s = state();
                        let prev = (from > 0).then(|| format!("/dashboard/jobs?state={s}&offset={}", (from - PAGE_SIZE).max(0)));
                        let next = (from + shown < total).then(|| format!("/dashboard/jobs?state={s}&offset={}", from + PAGE_SIZE));
                        view! {
                            <table class="list jobs stack-narrow">
                                <thead>
                                    <tr>
                                        <th>"Job"</th><th>"Kind"</th><th>"State"</th><th>"Attempts"</th>
                                        <th>"Error"</th><th>"Updated"</th><th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    <For each=move || p.jobs.clone() key=|j| (j.id, j.updated_at) let:job>
                                        <JobRow job retry/>
                                    </For>
                                </tbody>
                            </table>
                            <nav class="pager" aria-label="Pages">
                                <span class="muted">{format!("{}–{} of {total}", from + 1, from + shown)}</span>
                                {prev.map(|h| view! { <A href=h>"Newer"</A> })}
                                {next.map(|h| view! { <A href=h>"Older"</A> })}
                            </nav>
                        }
                        .into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        {move || retry.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        {move || retry.value().get().and_then(Result::ok).map(|j| view! {
            <p class="ok" role="status">{format!("Job {} is queued again.", j.id)}</p>
        })}
    }
}

/// A state tab's text: "Failed", "Done", "Running", "Queued", "All".
fn tab_label(state: &str) -> String {
    let mut c = state.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// One job: what it is, how far it got, and Retry when it failed.
#[component]
fn JobRow(job: JobInfo, retry: ServerAction<RetryJob>) -> impl IntoView {
    let failed = job.state == "failed";
    view! {
        <tr data-testid=format!("job-{}", job.id)>
            <td>{job.id}</td>
            <td>{job.kind.clone()}</td>
            <td>{job.state.clone()}</td>
            <td>{format!("{} of {}", job.attempts, job.max_attempts)}</td>
            <td class="error-text">{job.error.clone().unwrap_or_default()}</td>
            <td>{format_time(job.updated_at)}</td>
            <td class="actions">
                {failed.then(|| view! {
                    <ActionForm action=retry attr:class="inline">
                        <input type="hidden" name="id" value=job.id/>
                        <button type="submit" class="link" aria-label=format!("Retry job {}", job.id)>"Retry"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
