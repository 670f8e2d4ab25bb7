//! Operator authentication: the login page.

pub mod api;

use crate::components::ErrorBox;
use api::Login;
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || login.value().get().and_then(Result::err);
    view! {
        <main class="narrow login">
            <h1>"Log in to PromptDev"</h1>
            <ActionForm action=login>
                <label>"Email" <input type="email" name="email" autocomplete="username" required autofocus/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <button type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
            {move || error().map(|e| view! { <ErrorBox error=e/> })}
            <p class="muted">"The first operator's login is printed when the server starts for the first time."</p>
        </main>
    }
}
