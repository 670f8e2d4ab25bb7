//! Server functions for the dashboard's Jobs page. Each checks the operator and acts in
//! their workspace only.

use crate::error::AppResult;
use crate::types::{JobInfo, JobPage};
use leptos::prelude::*;

/// Jobs per page on the dashboard.
pub const PAGE_SIZE: i64 = 50;

/// One page of the workspace's jobs in `state` (blank = any), newest first.
/// Errors: `Invalid` (unknown state).
#[server(endpoint = "jobs/list", input = server_fn::codec::GetUrl)]
pub async fn list_jobs(state: String, offset: i64) -> AppResult<JobPage> {
    use crate::ctx;
    use crate::types::JobFilter;
    ctx::guard(async move {
        let (app, op) = ctx::operator().await?;
        let filter = JobFilter { state: Some(state), kind: None, limit: Some(PAGE_SIZE), offset: Some(offset) };
        crate::engine::queue::list(&app.db, op.workspace(), &filter).await
    })
    .await
}

/// Queues a failed job again. Errors: `NotFound`, `Conflict` (not failed).
#[server(endpoint = "jobs/retry")]
pub async fn retry_job(id: i64) -> AppResult<JobInfo> {
    use crate::ctx;
    ctx::guard(async move {
        let (app, op) = ctx::operator().await?;
        crate::engine::queue::retry(&app.db, op.workspace(), id).await
    })
    .await
}
