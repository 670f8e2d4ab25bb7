//! PromptDev's Leptos application: the operator dashboard (`/dashboard`), the end-user
//! chat (`/chat`), the server functions they call, and — behind the `ssr` feature — the
//! engine that runs on the server.

// Leptos view types nest deeply; release builds of the hydrate bundle need more room.
#![recursion_limit = "256"]

pub mod admins;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod chat;
pub mod components;
#[cfg(feature = "ssr")]
pub mod ctx;
pub mod end_users;
pub mod error;
pub mod guardrails;
pub mod jobs;
pub mod layout;
pub mod library;
pub mod live;
pub mod memory;
pub mod monitor;
pub mod overview;
pub mod personas;
pub mod playground;
pub mod requests;
pub mod types;
pub mod workspace_settings;

#[cfg(feature = "ssr")]
pub mod engine;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The whole app: every route of the dashboard, the login page and the chat.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page as interactive; end-to-end tests wait for it before clicking.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/promptdev.css"/>
        <Title text="PromptDev"/>
        <Router>
            <Routes fallback=layout::NotFound>
                <Route path=path!("/") view=layout::Home/>
                <Route path=path!("/login") view=auth::LoginPage/>
                // Async: the whole page is rendered before it is sent, so it works without
                // JavaScript and a logged-out visitor gets a real redirect.
                <ParentRoute path=path!("/dashboard") view=layout::DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=overview::OverviewPage ssr=SsrMode::Async/>
                    <Route path=path!("personas") view=personas::PersonaList ssr=SsrMode::Async/>
                    <Route path=path!("personas/new") view=personas::NewPersona ssr=SsrMode::Async/>
                    // Routes match in order: static segments before `:id`, which would capture them.
                    <Route path=path!("personas/import") view=library::ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("personas/:id") view=personas::PersonaEditor ssr=SsrMode::Async/>
                    <Route path=path!("personas/:id/diff") view=personas::PersonaDiff ssr=SsrMode::Async/>
                    <Route path=path!("personas/:id/playground") view=playground::PlaygroundPage ssr=SsrMode::Async/>
                    <Route path=path!("library") view=library::LibraryPage ssr=SsrMode::Async/>
                    <Route path=path!("trash") view=library::TrashPage ssr=SsrMode::Async/>
                    <Route path=path!("monitor") view=monitor::UserList ssr=SsrMode::Async/>
                    <Route path=path!("monitor/:user_id") view=monitor::ConversationView ssr=SsrMode::Async/>
                    <Route path=path!("memory") view=memory::MemoryPage ssr=SsrMode::Async/>
                    <Route path=path!("end-users") view=end_users::EndUsersPage ssr=SsrMode::Async/>
                    <Route path=path!("audit") view=audit::AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=workspace_settings::SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("api-keys") view=api_keys::ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("operators") view=admins::OperatorsPage ssr=SsrMode::Async/>
                    <Route path=path!("guardrails") view=guardrails::GuardrailList ssr=SsrMode::Async/>
                    <Route path=path!("guardrails/:id") view=guardrails::GuardrailEditor ssr=SsrMode::Async/>
                    <Route path=path!("jobs") view=jobs::JobsPage ssr=SsrMode::Async/>
                    <Route path=path!("requests") view=requests::RequestsPage ssr=SsrMode::Async/>
                    <Route path=path!("requests/:id") view=requests::detail::RequestPage ssr=SsrMode::Async/>
                </ParentRoute>
                <Route path=path!("/chat") view=chat::ChatPage ssr=SsrMode::Async/>
                <Route path=path!("/chat/login") view=chat::login::ChatLoginPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
