//! The frame around the pages: the start page, "not found", and the dashboard layout
//! (navigation, the operator, logout) that sends anonymous visitors to the login page.

use crate::auth::api::{current_operator, Logout};
use crate::components::{ErrorBox, Loading};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// `/`: links to the dashboard and the chat.
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

/// Any path no route matches (HTTP 404).
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

/// The dashboard frame: navigation, the operator's email, logout. Anonymous visitors are
/// sent to the login page.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    // Blocking, so that a logged-out request gets a real 302 before any HTML is sent.
    let me = Resource::new_blocking(|| (), |_| current_operator());
    let logout = ServerAction::<Logout>::new();
    // On narrow screens the navigation folds behind a Menu button (CSS shows it open
    // on wide ones); following a link folds it again.
    let menu_open = RwSignal::new(false);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(op) => view! {
                        <div class="dashboard">
                            <header class="topbar">
                                <span class="brand">"PromptDev"</span>
                                <button
                                    type="button"
                                    class="menu-toggle"
                                    aria-controls="dashboard-nav"
                                    aria-expanded=move || menu_open.get().to_string()
                                    on:click=move |_| menu_open.update(|o| *o = !*o)
                                >
                                    "Menu"
                                </button>
                                <nav
                                    id="dashboard-nav"
                                    aria-label="Dashboard"
                                    class:open=move || menu_open.get()
                                    on:click=move |_| menu_open.set(false)
                                >
                                    <A href="/dashboard" exact=true>"Overview"</A>
                                    <A href="/dashboard/personas" exact=true>"Personas"</A>
                                    <A href="/dashboard/library">"Library"</A>
                                    <A href="/dashboard/trash">"Trash"</A>
                                    <A href="/dashboard/monitor">"Monitor"</A>
                                    <A href="/dashboard/memory">"Memory"</A>
                                    <A href="/dashboard/end-users">"End users"</A>
                                    <A href="/dashboard/audit">"Audit log"</A>
                                    <A href="/dashboard/requests">"Requests"</A>
                                    <A href="/dashboard/jobs">"Jobs"</A>
                                    <A href="/dashboard/guardrails">"Guardrails"</A>
                                    <A href="/dashboard/api-keys">"API keys"</A>
                                    <A href="/dashboard/settings">"Settings"</A>
                                    {op.is_super.then(|| view! { <A href="/dashboard/operators">"Operators"</A> })}
                                    <a href="/chat" target="_blank" rel="noopener">"Open chat"</a>
                                </nav>
                                <span class="who" title=format!("{} in {}", op.role.as_str(), op.workspace_name)>
                                    {format!("{} ({})", op.email, op.role.as_str())}
                                </span>
                                <ActionForm action=logout attr:class="inline">
                                    <button type="submit" class="link">"Log out"</button>
                                </ActionForm>
                            </header>
                            <main class="content">
                                {(op.role == crate::types::Role::Viewer).then(|| view! {
                                    <p class="notice" role="note" data-testid="read-only">
                                        "You have read-only access to this workspace (viewer): changes are refused."
                                    </p>
                                })}
                                <Outlet/>
                            </main>
                            <crate::guardrails::alerts::AlertToasts/>
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
