//! Server functions for operator login and logout.

use crate::error::AppResult;
use crate::types::OperatorInfo;
use leptos::prelude::*;

/// The logged-in operator. Errors: `Unauthorized`.
#[server(endpoint = "auth/current_operator", input = server_fn::codec::GetUrl)]
pub async fn current_operator() -> AppResult<OperatorInfo> {
    use crate::ctx;
    ctx::guard(async move { Ok(ctx::operator().await?.1) }).await
}

/// Logs in and goes to the dashboard. Errors: `BadCredentials`; `RateLimited` after too
/// many failures ([`crate::engine::throttle`]).
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> AppResult<OperatorInfo> {
    use crate::ctx;
    use crate::engine::auth;
    ctx::guard(async move {
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let ip = ctx::client_ip().await;
        let account = crate::engine::throttle::operator_account(&email);
        let op = state.logins.attempt(&account, ip, auth::login(&state.db, &session, &email, &password)).await?;
        leptos_axum::redirect("/dashboard");
        Ok(op)
    })
    .await
}

/// Logs out and goes to the login page.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> AppResult<()> {
    use crate::ctx;
    use crate::engine::auth;
    ctx::guard(async move {
        auth::logout(&ctx::session().await?).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}
