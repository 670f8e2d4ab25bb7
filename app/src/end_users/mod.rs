//! The dashboard's End users page: the people who chat in the workspace. Create one with
//! a login for the chat page, edit, deactivate / activate, delete (after a confirmation).
//! Paged by `?offset=`; `?inactive=1` includes deactivated users.

pub mod api;

use crate::components::{format_time, ErrorBox, FieldError, Loading};
use crate::error::AppError;
use crate::types::EndUserAccount;
use api::{list_end_users, CreateEndUser, DeleteEndUser, SetEndUserActive, UpdateEndUser, PAGE_SIZE};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// Bumped after any change on the page, so the list loads again.
#[derive(Clone, Copy)]
struct Reload(RwSignal<u32>);

impl Reload {
    fn bump(self) {
        self.0.update(|n| *n += 1);
    }
}

/// `/dashboard/end-users`.
#[component]
pub fn EndUsersPage() -> impl IntoView {
    let query = use_query_map();
    let offset = move || query.read().get("offset").and_then(|o| o.parse::<i64>().ok()).unwrap_or(0).max(0);
    let inactive = move || query.read().get("inactive").is_some_and(|v| v == "1");
    let reload = Reload(RwSignal::new(0));
    provide_context(reload);
    let page = Resource::new(move || (offset(), inactive(), reload.0.get()), |(o, i, _)| list_end_users(o, i));
    view! {
        <div class="page-head">
            <h1>"End users"</h1>
            {move || if inactive() {
                view! { <A href="/dashboard/end-users">"Hide deactivated"</A> }.into_any()
            } else {
                view! { <A href="/dashboard/end-users?inactive=1">"Show deactivated"</A> }.into_any()
            }}
        </div>
        <p class="muted">
            "The people who chat with your personas. Give someone an email and a password and they can sign in "
            "on the chat page; users who came through the chat cookie or the API have no login."
        </p>
        <CreateForm/>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.users.is_empty() => view! { <p class="empty">"No end users yet."</p> }.into_any(),
                    Ok(p) => {
                        let (from, total, shown) = (p.offset, p.total, p.users.len() as i64);
                        let base = if inactive() { "?inactive=1&" } else { "?" };
                        let prev = (from > 0).then(|| format!("/dashboard/end-users{base}offset={}", (from - PAGE_SIZE).max(0)));
                        let next = (from + shown < total).then(|| format!("/dashboard/end-users{base}offset={}", from + PAGE_SIZE));
                        view! {
                            <table class="list end-users stack-narrow">
                                <thead>
                                    <tr>
                                        <th>"User"</th><th>"Email"</th><th>"Name"</th><th>"Status"</th>
                                        <th>"Last sign-in"</th><th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    <For each=move || p.users.clone() key=|u| (u.id, u.updated_at) let:user>
                                        <UserRow user/>
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
    }
}

/// The "New end user" form.
#[component]
fn CreateForm() -> impl IntoView {
    let create = ServerAction::<CreateEndUser>::new();
    let reload = expect_context::<Reload>();
    Effect::new(move || {
        if let Some(Ok(_)) = create.value().get() {
            reload.bump();
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let other_error = Signal::derive(move || match error.get() {
        Some(AppError::Invalid { field: Some(_), .. }) => None,
        e => e,
    });
    view! {
        <details class="create-end-user">
            <summary>"New end user"</summary>
            <ActionForm action=create attr:class="stack">
                <label>"Email" <input type="email" name="email" autocomplete="off" aria-describedby="email-error"/></label>
                <FieldError error field="email"/>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" aria-describedby="password-error"/></label>
                <FieldError error field="password"/>
                <label>"Display name" <input type="text" name="display_name" aria-describedby="display_name-error"/></label>
                <FieldError error field="display_name"/>
                <label>"External id (default: the email)"
                    <input type="text" name="external_id" aria-describedby="external_id-error"/>
                </label>
                <FieldError error field="external_id"/>
                <button type="submit" disabled=move || create.pending().get()>"Create end user"</button>
                <FieldError error=other_error/>
            </ActionForm>
            {move || create.value().get().and_then(Result::ok).map(|u| view! {
                <p class="ok" role="status">{format!("Created {}.", u.external_id)}</p>
            })}
        </details>
    }
}

/// One user: their data, Edit, Deactivate / Activate, Delete.
#[component]
fn UserRow(user: EndUserAccount) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let set_active = ServerAction::<SetEndUserActive>::new();
    let delete = ServerAction::<DeleteEndUser>::new();
    Effect::new(move || {
        if set_active.value().get().is_some_and(|r| r.is_ok()) || delete.value().get().is_some_and(|r| r.is_ok()) {
            reload.bump();
        }
    });
    let error =
        move || set_active.value().get().and_then(Result::err).or_else(|| delete.value().get().and_then(Result::err));
    let id = user.id;
    let label = user.external_id.clone();
    let status = if user.is_active { "Active" } else { "Deactivated" };
    let last_seen = user.last_seen.map(format_time).unwrap_or_else(|| "never".into());
    let edit_user = user.clone();
    view! {
        <tr data-testid=format!("end-user-{}", user.external_id)>
            <td>{user.external_id.clone()}</td>
            <td>{user.email.clone().unwrap_or_default()}</td>
            <td>{user.display_name.clone().unwrap_or_default()}</td>
            <td>{status}{(!user.has_password).then(|| view! { <span class="muted">" (no login)"</span> })}</td>
            <td>{last_seen}</td>
            <td class="actions">
                <button type="button" class="link" on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                <ActionForm action=set_active attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="active" value=(!user.is_active).to_string()/>
                    <button type="submit" class="link">{if user.is_active { "Deactivate" } else { "Activate" }}</button>
                </ActionForm>
                <button type="button" class="link danger-link" on:click=move |_| confirming.set(true)>"Delete"</button>
            </td>
        </tr>
        {move || confirming.get().then(|| {
            let label = label.clone();
            view! {
                <tr class="confirm-row">
                    <td colspan="6">
                        <div class="confirm" role="group" aria-label="Confirm delete">
                            <span>{format!("Delete {label} with all their chats and memory? This cannot be undone.")}</span>
                            <ActionForm action=delete attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <button type="submit" class="danger">"Delete for good"</button>
                            </ActionForm>
                            <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    </td>
                </tr>
            }
        })}
        {move || editing.get().then(|| view! { <tr class="edit-row"><td colspan="6"><EditForm user=edit_user.clone() editing/></td></tr> })}
        {move || error().map(|e| view! { <tr><td colspan="6"><ErrorBox error=e/></td></tr> })}
    }
}

/// Editing one user: email, display name, a new password.
#[component]
fn EditForm(user: EndUserAccount, editing: RwSignal<bool>) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let update = ServerAction::<UpdateEndUser>::new();
    Effect::new(move || {
        if let Some(Ok(_)) = update.value().get() {
            editing.set(false);
            reload.bump();
        }
    });
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let other_error = Signal::derive(move || match error.get() {
        Some(AppError::Invalid { field: Some(_), .. }) => None,
        e => e,
    });
    view! {
        <ActionForm action=update attr:class="stack" attr:aria-label=format!("Edit {}", user.external_id)>
            <input type="hidden" name="id" value=user.id/>
            <label>"Email" <input type="email" name="email" value=user.email.clone().unwrap_or_default()/></label>
            <FieldError error field="email"/>
            <label>"Display name" <input type="text" name="display_name" value=user.display_name.clone().unwrap_or_default()/></label>
            <FieldError error field="display_name"/>
            <label>"New password (leave empty to keep)" <input type="password" name="password" autocomplete="new-password"/></label>
            <FieldError error field="password"/>
            <div class="row">
                <button type="submit" disabled=move || update.pending().get()>"Save"</button>
                <button type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
            <FieldError error=other_error/>
        </ActionForm>
    }
}
