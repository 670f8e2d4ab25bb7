//! The dashboard's Settings page: the workspace's switches (anonymous chat) and the
//! webhook alerts are POSTed to.

pub mod api;

use crate::components::{ErrorBox, FieldError, Loading};
use api::{get_workspace_settings, SetAnonymousChat, SetWebhookUrl};
use leptos::prelude::*;

/// `/dashboard/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let set = ServerAction::<SetAnonymousChat>::new();
    let set_webhook = ServerAction::<SetWebhookUrl>::new();
    let settings =
        Resource::new(move || (set.version().get(), set_webhook.version().get()), |_| get_workspace_settings());
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
        <WebhookForm settings set_webhook/>
        <crate::admins::PasswordForm/>
    }
}

/// The "Alerts webhook" section: where guardrail alerts are POSTed as JSON.
#[component]
fn WebhookForm(
    settings: Resource<crate::error::AppResult<crate::types::WorkspaceSettings>>,
    set_webhook: ServerAction<SetWebhookUrl>,
) -> impl IntoView {
    let error = Signal::derive(move || set_webhook.value().get().and_then(Result::err));
    view! {
        <section class="settings">
            <h2>"Alerts webhook"</h2>
            <p class="muted">
                "When a guardrail halts or flags a conversation, the alert is also POSTed as JSON to this URL "
                "(retried when it fails). Leave it blank for none."
            </p>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let current = settings.await.ok().and_then(|s| s.webhook_url).unwrap_or_default();
                    view! {
                        <ActionForm action=set_webhook attr:class="stack">
                            <label>"Webhook URL"
                                <input type="url" name="webhook_url" value=current placeholder="https://hooks.example.com/promptdev"
                                    aria-describedby="webhook_url-error"/>
                            </label>
                            <FieldError error field="webhook_url"/>
                            <button type="submit" disabled=move || set_webhook.pending().get()>"Save webhook"</button>
                        </ActionForm>
                    }
                })}
            </Transition>
            {move || set_webhook.value().get().and_then(Result::ok).map(|s| view! {
                <p class="ok" role="status">
                    {if s.webhook_url.is_some() { "Webhook saved." } else { "No webhook: alerts show on the dashboard only." }}
                </p>
            })}
        </section>
    }
}
