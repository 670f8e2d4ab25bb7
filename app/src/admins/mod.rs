//! The Operators page (`/dashboard/operators`, super admins only): every operator
//! account — create one (a workspace of their own, or a member of an existing workspace
//! with a role), change a role, deactivate or reactivate, reset a password (the new one
//! is shown once). And the "Your password" form every operator has on Settings.

pub mod api;

use crate::components::{format_time, ErrorBox, FieldError, Loading};
use crate::types::{AdminAccount, AdminUpdate, Role};
use api::{list_admins, ChangePassword, CreateAdmin, ResetAdminPassword, UpdateAdmin};
use leptos::prelude::*;

/// `/dashboard/operators`.
#[component]
pub fn OperatorsPage() -> impl IntoView {
    let create = ServerAction::<CreateAdmin>::new();
    let update = ServerAction::<UpdateAdmin>::new();
    let reset = ServerAction::<ResetAdminPassword>::new();
    let accounts = Resource::new(move || (create.version().get(), update.version().get()), |_| list_admins());
    view! {
        <div class="page-head"><h1>"Operators"</h1></div>
        <p class="muted intro">
            "Every operator account of this server. A viewer reads only; an editor also changes personas, "
            "guardrails, memory and conversations; an owner also manages API keys, members and workspace settings. "
            "A deactivated operator is refused on their next request."
        </p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(list) => view! {
                        <CreateForm create workspaces=workspaces_of(&list)/>
                        <section aria-labelledby="operators-title">
                            <h2 id="operators-title">"Accounts"</h2>
                            <table class="list operators-table">
                                <thead><tr>
                                    <th>"Email"</th><th>"Workspace"</th><th>"Role"</th><th>"Status"</th><th>"Created"</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|a| view! { <AccountRow a update reset/> }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        {move || reset.value().get().map(|r| match r {
            Ok(password) => view! {
                <div class="shown-once" role="status" data-testid="reset-password">
                    <p><strong>"Password reset."</strong>" Give them this one; it is shown only this once:"</p>
                    <code data-testid="reset-password-value">{password}</code>
                </div>
            }.into_any(),
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        })}
    }
}

/// The workspaces the accounts belong to (id, name), once each, by name.
fn workspaces_of(list: &[AdminAccount]) -> Vec<(i64, String)> {
    let mut ws: Vec<(i64, String)> = list.iter().map(|a| (a.workspace_id, a.workspace_name.clone())).collect();
    ws.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    ws.dedup_by_key(|w| w.0);
    ws
}

#[component]
fn CreateForm(create: ServerAction<CreateAdmin>, workspaces: Vec<(i64, String)>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let workspace = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Editor);
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let workspace_id = workspace.get_untracked().parse::<i64>().ok();
        create.dispatch(CreateAdmin {
            email: email.get_untracked(),
            password: password.get_untracked(),
            workspace_id,
            role: workspace_id.map(|_| role.get_untracked()),
        });
    };
    view! {
        <section class="settings" aria-labelledby="new-operator-title">
            <h2 id="new-operator-title">"New operator"</h2>
            <form class="stack" on:submit=submit>
                <label>"Email"
                    <input type="email" required aria-describedby="email-error"
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                </label>
                <FieldError error field="email"/>
                <label>"Password (blank: generate one)"
                    <input type="text" autocomplete="new-password" aria-describedby="password-error"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <FieldError error field="password"/>
                <label>"Workspace"
                    <select aria-label="Workspace" prop:value=move || workspace.get()
                        on:change=move |ev| workspace.set(event_target_value(&ev))>
                        <option value="" selected=true>"A new workspace of their own (as its owner)"</option>
                        {workspaces.into_iter().map(|(id, name)| view! {
                            <option value=id.to_string()>{format!("Join {name}")}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class:hidden=move || workspace.get().is_empty()>"Role in that workspace"
                    <select aria-label="Role in that workspace"
                        on:change=move |ev| role.set(Role::parse(&event_target_value(&ev)).unwrap_or_default())>
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == Role::Editor>{r.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=move || create.pending().get()>"Create operator"</button>
            </form>
            {move || error.get().filter(|e| !matches!(e, crate::error::AppError::Invalid { .. }))
                .map(|e| view! { <ErrorBox error=e/> })}
            {move || create.value().get().and_then(Result::ok).map(|c| view! {
                <div class="shown-once" role="status" data-testid="new-operator">
                    <p><strong>{format!("{} created in {} as {}.", c.admin.email, c.admin.workspace_name, c.admin.role.as_str())}</strong></p>
                    {c.password.map(|p| view! {
                        <p>"Their password, shown only this once: "<code data-testid="new-operator-password">{p}</code></p>
                    })}
                </div>
            })}
        </section>
    }
}

#[component]
fn AccountRow(
    a: AdminAccount,
    update: ServerAction<UpdateAdmin>,
    reset: ServerAction<ResetAdminPassword>,
) -> impl IntoView {
    let id = a.id;
    let confirming = RwSignal::new(None::<&'static str>);
    let active = a.is_active;
    let set = move |u: AdminUpdate| {
        update.dispatch(UpdateAdmin { id, update: u });
    };
    view! {
        <tr class:revoked=!active data-testid="operator-row">
            <td>{a.email.clone()}{a.is_super.then(|| view! { " "<span class="badge">"super admin"</span> })}</td>
            <td>{a.workspace_name.clone()}</td>
            <td>
                <select aria-label=format!("Role of {}", a.email) on:change=move |ev| {
                    if let Some(r) = Role::parse(&event_target_value(&ev)) {
                        set(AdminUpdate { role: Some(r), ..Default::default() });
                    }
                }>
                    {Role::ALL.into_iter().map(|r| view! {
                        <option value=r.as_str() selected=r == a.role>{r.as_str()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td>{if active { "active" } else { "deactivated" }}</td>
            <td>{format_time(a.created_at)}</td>
            <td>
                <Show when=move || confirming.get().is_some() fallback=move || view! {
                    <button type="button" class="link" on:click=move |_| confirming.set(Some("reset"))>"Reset password"</button>
                    {if active {
                        view! { <button type="button" class="link danger-link" on:click=move |_| confirming.set(Some("deactivate"))>"Deactivate"</button> }.into_any()
                    } else {
                        view! { <button type="button" class="link" on:click=move |_| set(AdminUpdate { is_active: Some(true), ..Default::default() })>"Reactivate"</button> }.into_any()
                    }}
                }>
                    <div class="confirm" role="group" aria-label="Confirm">
                        {move || match confirming.get() {
                            Some("deactivate") => view! {
                                <span>"They are logged out at once. "</span>
                                <button type="button" class="danger" on:click=move |_| {
                                    confirming.set(None);
                                    set(AdminUpdate { is_active: Some(false), ..Default::default() });
                                }>"Deactivate"</button>
                            }.into_any(),
                            _ => view! {
                                <span>"Their current password stops working. "</span>
                                <button type="button" class="danger" on:click=move |_| {
                                    confirming.set(None);
                                    reset.dispatch(ResetAdminPassword { id });
                                }>"Reset"</button>
                            }.into_any(),
                        }}
                        <button type="button" class="link" on:click=move |_| confirming.set(None)>"Cancel"</button>
                    </div>
                </Show>
            </td>
        </tr>
    }
}

/// "Your password" (on Settings): any operator changes their own.
#[component]
pub fn PasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    view! {
        <section class="settings" aria-labelledby="password-title">
            <h2 id="password-title">"Your password"</h2>
            <ActionForm action=change attr:class="stack">
                <label>"Current password"
                    <input type="password" name="current_password" required autocomplete="current-password"
                        aria-describedby="current_password-error"/>
                </label>
                <FieldError error field="current_password"/>
                <label>"New password (at least 10 characters)"
                    <input type="password" name="new_password" required minlength="10" autocomplete="new-password"
                        aria-describedby="new_password-error"/>
                </label>
                <FieldError error field="new_password"/>
                <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </ActionForm>
            {move || change.value().get().and_then(Result::ok).map(|_| view! {
                <p class="ok" role="status">"Password changed."</p>
            })}
        </section>
    }
}
