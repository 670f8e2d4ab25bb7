//! The error type that crosses the server/browser boundary.
//!
//! Every server function returns `Result<T, AppError>`; the REST API turns the same
//! value into `{"error": {"code", "message", ...}}` with [`AppError::status`]. Internal
//! details never travel: [`AppError::Internal`] carries only a request id that matches a
//! line in the server log.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// No operator is logged in (HTTP 401).
    #[error("please log in")]
    Unauthorized,
    /// Wrong email or password (HTTP 401).
    #[error("wrong email or password")]
    BadCredentials,
    /// The caller is known but may not do this: an API key without the scope, a role
    /// below the one needed, not a super admin (HTTP 403).
    #[error("{message}")]
    Forbidden { message: String },
    /// Too many attempts; try again after `retry_after_s` seconds (HTTP 429).
    #[error("{message}")]
    RateLimited { message: String, retry_after_s: u64 },
    /// The thing does not exist in the caller's workspace (HTTP 404).
    #[error("{what} not found")]
    NotFound { what: String },
    /// The input is not acceptable (HTTP 422). `field` names the offending input.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    /// A template does not compile (HTTP 422). `line` is 1-based.
    #[error("template error{}: {message}", line.map(|l| format!(" on line {l}")).unwrap_or_default())]
    Template { line: Option<u32>, message: String },
    /// The request body is larger than the endpoint accepts (HTTP 413).
    #[error("{message}")]
    TooLarge { message: String },
    /// A conflicting state, e.g. a name already taken (HTTP 409).
    #[error("{message}")]
    Conflict { message: String },
    /// The LLM could not produce a reply; what the user sent is kept (HTTP 502).
    #[error("the persona could not reply right now; please try again")]
    LlmFailed,
    /// Something failed on the server; the log has the details under `request_id` (HTTP 500).
    #[error("something went wrong (request {request_id})")]
    Internal { request_id: String },
    /// The request did not reach the server function or its answer could not be read.
    #[error("{message}")]
    Transport { message: String },
}

impl AppError {
    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden { message: message.into() }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: Some(field.to_string()), message: message.into() }
    }

    /// The HTTP status code for this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Unauthorized | AppError::BadCredentials => S::UNAUTHORIZED,
            AppError::Forbidden { .. } => S::FORBIDDEN,
            AppError::RateLimited { .. } => S::TOO_MANY_REQUESTS,
            AppError::NotFound { .. } => S::NOT_FOUND,
            AppError::Invalid { .. } | AppError::Template { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => S::CONFLICT,
            AppError::TooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            AppError::LlmFailed => S::BAD_GATEWAY,
            AppError::Internal { .. } => S::INTERNAL_SERVER_ERROR,
            AppError::Transport { .. } => S::BAD_REQUEST,
        }
    }

    /// The stable machine-readable code (`unauthorized`, `not_found`, …).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::BadCredentials => "bad_credentials",
            AppError::Forbidden { .. } => "forbidden",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::NotFound { .. } => "not_found",
            AppError::Invalid { .. } => "invalid",
            AppError::Template { .. } => "template",
            AppError::Conflict { .. } => "conflict",
            AppError::TooLarge { .. } => "too_large",
            AppError::LlmFailed => "llm_failed",
            AppError::Internal { .. } => "internal",
            AppError::Transport { .. } => "transport",
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport { message: value.to_string() }
    }
}

/// Server-function results.
pub type AppResult<T> = Result<T, AppError>;
