//! The engine: everything that runs only on the server (database, templates, LLM
//! providers, the chat pipeline, auth, live events). The UI never imports it; server
//! functions and the REST API call into it.

pub mod auth;
pub mod chat;
pub mod config;
pub mod db;
pub mod events;
pub mod llm;
pub mod monitor;
pub mod personas;
pub mod playground;
pub mod render;
pub mod sessions;
pub mod state;
pub mod transfer;
pub mod turn;
pub mod web;

pub use state::AppState;

use crate::error::AppError;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Logs an internal failure with a fresh request id and returns the error the client may
/// see: [`AppError::Internal`] with that id and nothing else.
pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(%request_id, context, error = %err, "internal error");
    AppError::Internal { request_id }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        internal("database", err)
    }
}

/// True when the error is a violated unique constraint (either dialect).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}
