//! Server functions for operator login and logout.

use crate::error::AppResult;
use crate::types::OperatorInfo;
use leptos::prelude::*;

/// The logged-in operator. Errors: `Unauthorized`.
#[server(endpoint = "auth/current_operator", input = server_fn::codec::GetUrl)]
pub async fn current_operator() -> AppResult<OperatorInfo> {
    use crate::engine::web;
    web::guard(async move { Ok(web::operator().await?.1) }).await
}

/// Logs in and goes to the dashboard. Errors: `BadCredentials`.
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> AppResult<OperatorInfo> {
    use crate::engine::{auth, web};
    web::guard(async move {
        let state = web::state()?;
        let session = web::session().await?;
        let op = auth::login(&state.db, &session, &email, &password).await?;
        leptos_axum::redirect("/dashboard");
        Ok(op)
    })
    .await
}

/// Logs out and goes to the login page.
#[server(endpoint = "auth/logout")]
pub async fn logout() -> AppResult<()> {
    use crate::engine::{auth, web};
    web::guard(async move {
        auth::logout(&web::session().await?).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}
