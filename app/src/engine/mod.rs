//! The engine: everything that runs only on the server. The UI never imports it; server
//! functions (`app::ctx` glue) and the REST API (`server::http`) call into it.
//!
//! Layers, each depending only on those below it (no cycles):
//! - services: [`turn`] (the chat pipeline as stages) → [`chat`], [`chat_sessions`], [`monitor`],
//!   [`memory`], [`personas`] (versions, labels, lifecycle, library, diff),
//!   [`playground`] (preview, playground, drafting), [`transfer`], [`auth`],
//!   [`end_users`] (end-user accounts, who may chat), [`workspace_settings`];
//! - pure helpers: [`prompt`] (what the LLM gets), [`render`] (minijinja), [`llm`]
//!   (providers and `complete`);
//! - [`store`]: the only SQL, one file per table family, typed ids ([`ids`]);
//! - plumbing: [`db`], [`events`], [`state`], [`config`], [`identity`], [`locks`],
//!   [`sessions`], [`request_id`].

pub mod admins;
pub mod alerts;
pub mod api_keys;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod chat;
pub mod chat_sessions;
pub mod completions;
pub mod config;
pub mod conversations;
pub mod db;
pub mod demo;
pub mod end_users;
pub mod events;
pub mod guardrails;
pub mod identity;
pub mod ids;
pub mod inspector;
pub mod interventions;
pub mod jobs;
pub mod llm;
pub mod locks;
pub mod markdown;
pub mod memory;
pub mod monitor;
pub mod personas;
pub mod playground;
pub mod prompt;
pub mod queue;
pub mod render;
pub mod request_id;
pub mod requests;
pub mod sentiment;
pub mod sessions;
pub mod state;
pub mod stats;
pub mod store;
pub mod summary;
pub mod telemetry;
pub mod throttle;
pub mod transfer;
pub mod turn;
pub mod workspace_settings;

pub use state::AppState;

use crate::error::AppError;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Logs an internal failure under the id of the request being served (the response's
/// `x-request-id`; a fresh id outside a request, see [`request_id`]) and returns the
/// error the client may see: [`AppError::Internal`] with that id and nothing else.
pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
    let request_id = request_id::current_or_fresh();
    tracing::error!(%request_id, context, error = %err, "internal error");
    AppError::Internal { request_id }
}

impl From<sqlx::Error> for AppError {
    /// Logs the whole cause chain (`error: cause: cause …`; a cause the message already
    /// quotes is not repeated).
    fn from(err: sqlx::Error) -> Self {
        // PostgreSQL refuses NUL in text (22021 character_not_in_repertoire); that is the
        // input's fault, not the server's (SQLite stores it).
        if err.as_database_error().and_then(|e| e.code()).is_some_and(|c| c == "22021") {
            return AppError::Invalid { field: None, message: "text may not contain NUL characters (\\u0000)".into() };
        }
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !chain.contains(&text) {
                chain.push_str(": ");
                chain.push_str(&text);
            }
            source = cause.source();
        }
        internal("database", chain)
    }
}

/// True when the error is a violated unique constraint (either dialect).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}
