//! The background job queue as the dashboard's Jobs page and `GET /admin/jobs` show it.

use serde::{Deserialize, Serialize};

/// One job of the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobInfo {
    pub id: i64,
    /// `turn`, `extract_memory`, `score_sentiment`, `summarize` or `webhook`.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// Attempts started so far (the running one included).
    pub attempts: i64,
    /// After this many failed attempts the job is `failed`.
    pub max_attempts: i64,
    /// Not run before this time (ms): the backoff after a failed attempt.
    pub run_after: i64,
    /// The last attempt's error, if it failed.
    pub error: Option<String>,
    /// What the job works on (kind-specific JSON).
    pub payload: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
    /// When it became `done` or `failed`.
    pub finished_at: Option<i64>,
}

/// One page of jobs, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobPage {
    pub jobs: Vec<JobInfo>,
    /// Jobs matching the filter.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Which jobs to list: empty strings mean any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct JobFilter {
    /// `queued`, `running`, `done` or `failed`; empty or absent: any.
    #[serde(default)]
    pub state: Option<String>,
    /// `turn`, `extract_memory`, `score_sentiment`, `summarize` or `webhook`; empty or absent: any.
    #[serde(default)]
    pub kind: Option<String>,
    /// Page size, 1–200 (default 50; clamped).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Jobs to skip (default 0).
    #[serde(default)]
    pub offset: Option<i64>,
}

/// The job states, in their order.
pub const JOB_STATES: [&str; 4] = ["queued", "running", "done", "failed"];
