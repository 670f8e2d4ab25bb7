//! Layout and small pieces shared by the dashboard and the chat.

use crate::auth::api::{current_operator, Logout};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// Formats milliseconds since the epoch as `2026-11-21 20:35 UTC`.
pub fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// Percent-encodes text for a URL path segment or query value (RFC 3986 unreserved
/// characters stay as they are; every other byte of the UTF-8 becomes `%XX`).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <main class="home">
            <h1>"PromptDev"</h1>
            <p>"A workbench for AI companion personas."</p>
            <nav class="home-links">
                <A href="/dashboard">"Operator dashboard"</A>
                <A href="/chat">"Chat with a persona"</A>
            </nav>
        </main>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(ro) = use_context::<leptos_axum::ResponseOptions>() {
        ro.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="narrow">
            <h1>"Page not found"</h1>
            <A href="/">"Back to the start"</A>
        </main>
    }
}

/// An error as users should see it: the message, never internals.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// False on the server and until this part of the page is hydrated. Controls that only
/// work with JavaScript stay disabled until they do (a click would otherwise be lost).
pub fn use_interactive() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move || set_ready.set(true));
    ready
}

/// Length of `text` as a limit counts it: characters, surrounding spaces left out (the
/// server trims before it checks).
pub fn limit_len(text: &str) -> usize {
    text.trim().chars().count()
}

/// The counter beside an input with a length limit. Inputs carry no `maxlength`, which
/// would cut typed or pasted text without a word: this shows `n / max` once the text
/// nears the limit and, past it, says by how much (`what`: "The name"). Give the input
/// `aria-describedby=id` and refuse to submit while [`limit_len`] is over `max`.
#[component]
pub fn LimitCounter(
    #[prop(into)] text: Signal<String>,
    max: usize,
    #[prop(into)] id: String,
    what: &'static str,
) -> impl IntoView {
    let len = move || text.with(|t| limit_len(t));
    move || {
        let n = len();
        let id = id.clone();
        if n > max {
            view! {
                <p class="error field-error limit-over" role="alert" id=id.clone() data-testid=id>
                    {format!("{what} is {n} characters long: at most {max} fit. Remove {} to continue.", n - max)}
                </p>
            }
            .into_any()
        } else if n * 4 >= max * 3 {
            view! { <p class="hint limit-count" id=id.clone() data-testid=id aria-live="polite">{format!("{n} / {max} characters")}</p> }
                .into_any()
        } else {
            view! { <span id=id hidden></span> }.into_any()
        }
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted" aria-busy="true">"Loading…"</p> }
}

/// The dashboard frame: navigation, the operator's email, logout. Anonymous visitors are
/// sent to the login page.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    // Blocking, so that a logged-out request gets a real 302 before any HTML is sent.
    let me = Resource::new_blocking(|| (), |_| current_operator());
    let logout = ServerAction::<Logout>::new();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(op) => view! {
                        <div class="dashboard">
                            <header class="topbar">
                                <span class="brand">"PromptDev"</span>
                                <nav aria-label="Dashboard">
                                    <A href="/dashboard" exact=true>"Personas"</A>
                                    <A href="/dashboard/library">"Library"</A>
                                    <A href="/dashboard/trash">"Trash"</A>
                                    <A href="/dashboard/monitor">"Monitor"</A>
                                    <a href="/chat" target="_blank" rel="noopener">"Open chat"</a>
                                </nav>
                                <span class="who" title=op.workspace_name.clone()>{op.email.clone()}</span>
                                <ActionForm action=logout attr:class="inline">
                                    <button type="submit" class="link">"Log out"</button>
                                </ActionForm>
                            </header>
                            <main class="content">
                                <Outlet/>
                            </main>
                        </div>
                    }
                    .into_any(),
                    Err(AppError::Unauthorized) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <main class="narrow"><ErrorBox error=e/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn path_segments_and_query_values_are_encoded() {
        assert_eq!(super::percent_encode("a b/ü"), "a%20b%2F%C3%BC");
        assert_eq!(super::percent_encode("user-1_x.y"), "user-1_x.y");
        assert_eq!(super::percent_encode("Luna & co/ü"), "Luna%20%26%20co%2F%C3%BC");
    }
}
