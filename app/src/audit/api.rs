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
    use crate::error::AppError;
    use crate::types::AuditFilter;
    let day = |field: &str, v: &str, add_days: i64| -> AppResult<Option<i64>> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| AppError::invalid(field, "a date is YYYY-MM-DD"))?;
        let start = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default();
        Ok(Some(start + add_days * 86_400_000))
    };
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
