//! Server functions of the request log pages. Each checks the operator and reads their
//! workspace only.

// `list_requests` takes the page's eight URL filters plus the cursor as they come from
// the form; `#[server]` also generates a client function of the same arity, which an
// attribute on the item does not reach.
#![allow(clippy::too_many_arguments)]

use crate::error::AppResult;
use crate::types::{RequestDetail, RequestPage};
use leptos::prelude::*;

/// Rows per page of the request log.
pub const PAGE_SIZE: i64 = 50;

/// A page of the log, newest first, filtered (blank = any; `since` / `until` as
/// `YYYY-MM-DD`, UTC, `until` inclusive; `cursor` 0 = the first page).
/// Errors: `Invalid` (dates, numbers).
#[server(endpoint = "requests/list", input = server_fn::codec::GetUrl)]
pub async fn list_requests(
    persona: String,
    version: String,
    status: String,
    source: String,
    user: String,
    since: String,
    until: String,
    q: String,
    cursor: i64,
) -> AppResult<RequestPage> {
    use crate::components::day_ms;
    use crate::ctx;
    use crate::error::AppError;
    use crate::types::RequestFilter;
    let text = |v: String| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let number = |field: &str, v: &str| -> AppResult<Option<i64>> {
        match v.trim() {
            "" => Ok(None),
            v => v.trim_start_matches('v').parse().map(Some).map_err(|_| AppError::invalid(field, "a number")),
        }
    };
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let f = RequestFilter {
            persona_id: number("persona", &persona)?,
            version: number("version", &version)?,
            status: text(status),
            source: text(source),
            user_id: text(user),
            since: day_ms("since", &since, 0)?,
            until: day_ms("until", &until, 1)?,
            q: text(q),
            cursor: (cursor > 0).then_some(cursor),
            limit: Some(PAGE_SIZE),
        };
        crate::engine::requests::search(&state.db, op.workspace(), &f).await
    })
    .await
}

/// One call in full. Errors: `NotFound`.
#[server(endpoint = "requests/load", input = server_fn::codec::GetUrl)]
pub async fn load_request(id: i64) -> AppResult<RequestDetail> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::requests::detail(&state.db, op.workspace(), id).await
    })
    .await
}

/// The workspace's retention (days; None: keep the texts).
#[server(endpoint = "requests/retention", input = server_fn::codec::GetUrl)]
pub async fn load_retention() -> AppResult<Option<i64>> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::requests::retention(&state.db, op.workspace()).await
    })
    .await
}

/// Sets the retention (`days` blank: keep the texts) and applies it now.
/// Errors: `Invalid`.
#[server(endpoint = "requests/set_retention")]
pub async fn set_retention(days: String) -> AppResult<Option<i64>> {
    use crate::ctx;
    use crate::error::AppError;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let days = match days.trim() {
            "" => None,
            d => Some(d.parse::<i64>().map_err(|_| AppError::invalid("days", "a whole number of days"))?),
        };
        crate::engine::requests::set_retention(&state.db, op.workspace(), days).await
    })
    .await
}
