//! The chat page's end-user login: an email and password form, or "Signed in as …" with
//! Sign out. Self-contained: mount `<ChatLogin workspace=…/>` anywhere on the chat page.
//! After signing in or out the page reloads, so every part of it loads as the new user.
//! Its server functions (`user_login`, `user_logout`, `user_me`) are the same session
//! login as `POST /user/login`.

use crate::error::AppResult;
use crate::types::EndUserInfo;
use leptos::prelude::*;

/// The login box. `workspace`: the chat page's workspace slug (`/chat?w=…`), if any
/// (a `String` or an `Option<String>`).
/// Loads who is signed in in the browser (a nested part of the page, see STYLE 16), so
/// it shows once the page is hydrated.
#[component]
pub fn ChatLogin(#[prop(optional, into)] workspace: MaybeProp<String>) -> impl IntoView {
    let workspace = workspace.get_untracked();
    let me = LocalResource::new(user_me);
    let login = ServerAction::<UserLogin>::new();
    let logout = ServerAction::<UserLogout>::new();
    // A finished sign-in or sign-out: reload, so the chats and history are the new user's.
    Effect::new(move || {
        let done = login.value().get().is_some_and(|r| r.is_ok()) || logout.value().get().is_some_and(|r| r.is_ok());
        if done {
            let _ = window().location().reload();
        }
    });
    let error = move || login.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section class="chat-login" aria-label="Account">
            <Transition fallback=|| ()>
                {move || Suspend::new({
                    let workspace = workspace.clone();
                    async move {
                        match me.await {
                            Ok(Some(user)) => signed_in(user, logout).into_any(),
                            Ok(None) | Err(_) => view! {
                                <ActionForm action=login attr:class="chat-login-form">
                                    {workspace.map(|w| view! { <input type="hidden" name="workspace" value=w/> })}
                                    <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                                    <label>"Password"
                                        <input type="password" name="password" autocomplete="current-password" required/>
                                    </label>
                                    <button type="submit" disabled=move || login.pending().get()>"Sign in"</button>
                                </ActionForm>
                                {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                            }
                            .into_any(),
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/chat/login`: the login box on a page of its own (`?w=` names the workspace), with a
/// way back to the chat.
#[component]
pub fn ChatLoginPage() -> impl IntoView {
    let workspace = leptos_router::hooks::use_query_map().read_untracked().get("w");
    let back = match &workspace {
        Some(w) => format!("/chat?w={}", crate::components::percent_encode(w)),
        None => "/chat".to_string(),
    };
    view! {
        <main class="narrow chat-login-page">
            <h1>"Your chat account"</h1>
            <ChatLogin workspace=workspace/>
            <p><a href=back>"Back to the chat"</a></p>
        </main>
    }
}

fn signed_in(user: EndUserInfo, logout: ServerAction<UserLogout>) -> impl IntoView {
    view! {
        <p class="chat-login-who">
            "Signed in as " <strong>{user.label().to_string()}</strong> " "
            <ActionForm action=logout attr:class="inline">
                <button type="submit" class="link">"Sign out"</button>
            </ActionForm>
        </p>
    }
}

// ---- server functions ----

/// Logs an end user in to the chat page's workspace (`workspace` slug, default the one
/// `/chat` serves). Errors: `BadCredentials`; `RateLimited` after too many failures.
#[server(endpoint = "chat/user_login")]
pub async fn user_login(email: String, password: String, workspace: Option<String>) -> AppResult<EndUserInfo> {
    use crate::ctx;
    use crate::engine::{chat, end_users};
    ctx::guard(async move {
        let state = ctx::state()?;
        let ws = chat::chat_workspace(&state, workspace.as_deref().filter(|w| !w.is_empty())).await?;
        let account = crate::engine::throttle::end_user_account(ws, &email);
        let session = ctx::session().await?;
        let attempt = end_users::login(&state.db, &session, ws, &email, &password);
        state.logins.attempt(&account, ctx::client_ip().await, attempt).await
    })
    .await
}

/// Logs the end user out (an operator login in the same browser stays).
#[server(endpoint = "chat/user_logout")]
pub async fn user_logout() -> AppResult<()> {
    use crate::ctx;
    ctx::guard(async move { crate::engine::end_users::logout(&ctx::session().await?).await }).await
}

/// The end user logged in on this browser, if any (none also right after they were
/// deactivated: the login is dropped).
#[server(endpoint = "chat/user_me", input = server_fn::codec::GetUrl)]
pub async fn user_me() -> AppResult<Option<EndUserInfo>> {
    use crate::ctx;
    use crate::error::AppError;
    ctx::guard(async move {
        let state = ctx::state()?;
        match crate::engine::end_users::current(&state.db, &ctx::session().await?).await {
            Err(AppError::Unauthorized) => Ok(None),
            other => other,
        }
    })
    .await
}
