//! Server function for the audit page.

use crate::error::AppResult;
use crate::types::AuditPage;
use leptos::prelude::*;

/// Entries per page of the audit page.
pub const PAGE_SIZE: i64 = 50;

/// A page of the workspace's audit log, newest first, filtered (empty: any; `since` /
/// `until` as `YYYY-MM-DD`, UTC, `until` inclusive). Errors: `Invalid` (dates, offset).
#[server(endpoint = "audit/list_audit", input = server_fn::codec::GetUrl)]
pub async fn list_audit(
    action: String,
    actor: String,
    target: String,
    since: String,
    until: String,
    offset: i64,
) -> AppResult<AuditPage> {
    use crate::ctx;
    use crate::engine::audit;
    use crate::types::AuditFilter;
    let day = crate::components::day_ms;
    let text = |v: String| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let f = AuditFilter {
            action: text(action),
            actor: text(actor),
            target: text(target),
            since: day("since", &since, 0)?,
            until: day("until", &until, 1)?,
            limit: Some(PAGE_SIZE),
            offset: Some(offset),
        };
        audit::page(&state.db, op.workspace(), &f).await
    })
    .await
}
