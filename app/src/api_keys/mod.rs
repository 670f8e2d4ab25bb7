//! The dashboard's API keys page (`/dashboard/api-keys`): create a key (shown once),
//! see when each was last used, revoke. Keys let programs chat (`/v1/chat/completions`,
//! `POST /chat`), read and manage through the REST API without a browser.

pub mod api;

use crate::components::{format_time, ErrorBox, FieldError, Loading};
use crate::types::{ApiKeyInfo, ApiScope, CreatedApiKey};
use api::{list_api_keys, CreateApiKey, RevokeApiKey};
use leptos::prelude::*;

/// `/dashboard/api-keys`.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    view! {
        <div class="page-head"><h1>"API keys"</h1></div>
        <p class="muted intro">
            "A key lets a program use PromptDev without a browser. Send it as "
            <code>"Authorization: Bearer pd_…"</code>" or "<code>"X-API-Key: pd_…"</code>
            ". With the chat scope, any OpenAI client library works against "<code>"/v1/chat/completions"</code>
            " (model: a persona's name; user: the end user's id). A key acts as the operator who created it. "
            "Every route is described in the "<a href="/docs/" target="_blank" rel="noopener">"API reference"</a>
            " ("<a href="/openapi.json" target="_blank" rel="noopener">"OpenAPI document"</a>")."
        </p>
        <CreateForm create/>
        <section class="keys" aria-labelledby="keys-title">
            <h2 id="keys-title">"Keys"</h2>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No API keys yet. Create one above for each program that calls PromptDev."</p>
                        }.into_any(),
                        Ok(list) => view! { <KeyTable list revoke/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            {move || revoke.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

/// The "New key" form and, once created, the secret (shown this once).
#[component]
fn CreateForm(create: ServerAction<CreateApiKey>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![ApiScope::Chat]);
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scopes = chosen.get_untracked().iter().map(|s| s.as_str().to_string()).collect();
        create.dispatch(CreateApiKey { name: name.get_untracked(), scopes });
    };
    view! {
        <section class="settings" aria-labelledby="new-key-title">
            <h2 id="new-key-title">"New key"</h2>
            <form class="stack" on:submit=submit>
                <label>"Name"
                    <input type="text" name="name" required maxlength="80" placeholder="support bot"
                        aria-describedby="name-error"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <FieldError error field="name"/>
                <fieldset class="scopes">
                    <legend>"Scopes"</legend>
                    {ApiScope::ALL.into_iter().map(|scope| view! {
                        <label class="check">
                            <input type="checkbox" name="scopes" value=scope.as_str()
                                prop:checked=move || chosen.with(|c| c.contains(&scope))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|s| *s != scope);
                                        if on { c.push(scope); }
                                    });
                                }/>
                            <strong>{scope.as_str()}</strong>" — "{scope.describe()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <FieldError error field="scopes"/>
                <button type="submit" disabled=move || create.pending().get()>"Create key"</button>
            </form>
            {move || error.get().filter(|e| !matches!(e, crate::error::AppError::Invalid { .. }))
                .map(|e| view! { <ErrorBox error=e/> })}
            {move || create.value().get().and_then(Result::ok).map(|created| view! { <ShownOnce created/> })}
        </section>
    }
}

/// The new key's secret, with a copy button. It is not stored: leaving the page loses it.
#[component]
fn ShownOnce(created: CreatedApiKey) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = created.secret.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = web_sys::window().map(|w| w.navigator().clipboard().write_text(&secret));
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &secret;
    };
    view! {
        <div class="shown-once" role="status" data-testid="new-key">
            <p><strong>{format!("Key “{}” created.", created.key.name)}</strong>
                " Copy it now: it is shown only this once (PromptDev keeps only a hash of it)."</p>
            <div class="secret-row">
                <input type="text" readonly aria-label="The new API key" data-testid="new-key-secret"
                    value=created.secret.clone() on:focus=|ev| {
                        #[cfg(feature = "hydrate")]
                        {
                            use wasm_bindgen::JsCast;
                            if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                i.select();
                            }
                        }
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }/>
                <button type="button" class="secondary" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

/// The keys, newest first, each with its revoke control (confirmed first).
#[component]
fn KeyTable(list: Vec<ApiKeyInfo>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <table class="list keys-table">
            <thead><tr>
                <th>"Name"</th><th>"Key"</th><th>"Scopes"</th><th>"Created"</th><th>"Last used"</th><th></th>
            </tr></thead>
            <tbody>
                {list.into_iter().map(|k| view! { <KeyRow k revoke/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn KeyRow(k: ApiKeyInfo, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let id = k.id;
    let revoked = k.revoked_at;
    let scopes = k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    view! {
        <tr class:revoked=revoked.is_some() data-testid="key-row">
            <td>{k.name.clone()}</td>
            <td><code>{format!("{}…", k.prefix)}</code></td>
            <td>{scopes}</td>
            <td>{format_time(k.created_at)}<br/><span class="muted">{k.created_by.clone()}</span></td>
            <td>{k.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
            <td>
                {match revoked {
                    Some(at) => view! { <span class="badge">{format!("revoked {}", format_time(at))}</span> }.into_any(),
                    None => view! {
                        <Show when=move || confirming.get() fallback=move || view! {
                            <button type="button" class="link danger-link" on:click=move |_| confirming.set(true)>"Revoke"</button>
                        }>
                            <div class="confirm" role="group" aria-label="Confirm revoke">
                                <span>"Programs using it stop working. "</span>
                                <button type="button" class="danger" on:click=move |_| {
                                    confirming.set(false);
                                    revoke.dispatch(RevokeApiKey { id });
                                }>"Revoke key"</button>
                                <button type="button" class="link" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            </div>
                        </Show>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}
