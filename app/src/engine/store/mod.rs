//! The only place with SQL. One file per table family; each reads rows into private
//! `#[derive(sqlx::FromRow)]` structs and turns them into wire types with `TryFrom`.
//! A stored value the types cannot hold (an unknown sender, unreadable settings JSON) is
//! [`Corrupt`]: an `Internal` error, logged with what was unreadable — never a silent
//! default.
//!
//! Functions take typed ids ([`super::ids`]) and return `sqlx::Error` where the caller
//! must tell a unique violation apart, `AppResult` otherwise. Nothing here publishes
//! events or checks permissions: that is the services' job.

pub mod accounts;
pub mod advisory;
pub mod api_keys;
pub mod assignments;
pub mod audit;
pub mod demo;
pub mod end_users;
pub mod guardrails;
pub mod jobs;
pub mod live_events;
pub mod llm_requests;
pub mod memory;
pub mod messages;
pub mod notes;
pub mod personas;
pub mod sentiment;
pub mod sessions;
pub mod stats;
pub mod summaries;
pub mod user_state;
pub mod versions;
pub mod wall;
pub mod workspace_settings;

use crate::error::AppError;

/// A stored value that does not decode into its type.
#[derive(Debug, thiserror::Error)]
#[error("corrupt {what}: {detail}")]
pub struct Corrupt {
    /// The column or value, e.g. `messages.sender`.
    pub what: &'static str,
    pub detail: String,
}

impl From<Corrupt> for AppError {
    fn from(c: Corrupt) -> Self {
        super::internal("corrupt stored data", c)
    }
}

/// A [`Corrupt`] for `what`.
pub(crate) fn corrupt(what: &'static str, detail: impl std::fmt::Display) -> Corrupt {
    Corrupt { what, detail: detail.to_string() }
}

/// JSON stored by this crate from a typed value, read back. Errors: [`Corrupt`].
pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &'static str, raw: &str) -> Result<T, Corrupt> {
    serde_json::from_str(raw).map_err(|e| corrupt(what, e))
}

/// JSON for a column, from a typed value (cannot fail for the types stored here; if it
/// did, the write fails instead of storing a placeholder).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Rows → wire types. Errors: the first [`Corrupt`] row.
pub(crate) fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, Corrupt>
where
    T: TryFrom<R, Error = Corrupt>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// A stored sender. Errors: [`Corrupt`] for one the schema does not know.
pub(crate) fn sender(raw: &str) -> Result<crate::types::Sender, Corrupt> {
    crate::types::Sender::parse(raw).ok_or_else(|| corrupt("messages.sender", format!("unknown sender {raw:?}")))
}
