//! The dashboard's Settings page: the workspace's switches (anonymous chat).

pub mod api;

use crate::components::{ErrorBox, Loading};
use api::{get_workspace_settings, SetAnonymousChat};
use leptos::prelude::*;

/// `/dashboard/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let set = ServerAction::<SetAnonymousChat>::new();
    let settings = Resource::new(move || set.version().get(), |_| get_workspace_settings());
    view! {
        <div class="page-head"><h1>"Settings"</h1></div>
        <section class="settings">
            <h2>"Who may chat"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => {
                            let on = s.anonymous_chat;
                            view! {
                                <p data-testid="anonymous-chat-state">
                                    {if on {
                                        "Anonymous chat is on: anyone who opens the chat page can chat without an account."
                                    } else {
                                        "Anonymous chat is off: only end users who sign in (and operators) can chat."
                                    }}
                                </p>
                                <ActionForm action=set>
                                    <input type="hidden" name="on" value=(!on).to_string()/>
                                    <button type="submit" disabled=move || set.pending().get()>
                                        {if on { "Turn anonymous chat off" } else { "Turn anonymous chat on" }}
                                    </button>
                                </ActionForm>
                            }
                            .into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            {move || set.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
