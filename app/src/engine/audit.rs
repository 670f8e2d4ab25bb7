//! The audit log as operators read it: every intervention and change, who made it, when,
//! before → after. Written by each service through [`super::store::audit`].

use super::db::Db;
use super::ids::WorkspaceId;
use super::store::audit as store;
use crate::error::{AppError, AppResult};
use crate::types::{AuditFilter, AuditPage};

/// Most entries a page holds.
pub const AUDIT_PAGE_MAX: i64 = 200;

/// A page of the workspace's audit log matching `f`, newest first; `limit` 1–200
/// (default 50). Errors: `Invalid` (limit, offset, `since` after `until`).
pub async fn page(db: &Db, ws: WorkspaceId, f: &AuditFilter) -> AppResult<AuditPage> {
    let limit = f.limit.unwrap_or(50);
    let offset = f.offset.unwrap_or(0);
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        return Err(AppError::invalid("limit", format!("limit is 1 to {AUDIT_PAGE_MAX}")));
    }
    if offset < 0 {
        return Err(AppError::invalid("offset", "offset is at least 0"));
    }
    if let (Some(s), Some(u)) = (f.since, f.until) {
        if s > u {
            return Err(AppError::invalid("since", "since is before until"));
        }
    }
    let (entries, total) = store::list(db, ws, f, limit, offset).await?;
    Ok(AuditPage { entries, total, limit, offset, actions: store::actions(db, ws).await? })
}
