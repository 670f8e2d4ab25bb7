//! Everything HTTP that is not Leptos: the REST API for scripts, the live event
//! streams and `/health`. Paths and shapes follow the original PromptDev so existing
//! scripts keep working. Errors are JSON: `{"error": {"code", "message", …}}` with the
//! status of [`AppError::status`](app::error::AppError::status).
//!
//! - [`error`], [`extract`], [`limits`]: the error response, the extractors, body limits
//!   — the only modules the areas share.
//! - [`admin`]: one module and router per operator area (`/admin/…`).
//! - [`user`] (`/user/login`, `/user/me`, `/user/logout`: end-user login); [`caller`]
//!   (who a chat request acts for).
//! - [`chat`] (`POST /chat`), [`chat_sessions`] (`/chat/sessions…`, `/chat/history…`),
//!   [`sse`] (`/admin/events`, `/chat/events`), [`health`] (`/health`, `/ready`).
//! - [`request_id`]: the per-request id layer start-up wraps the whole app in;
//!   [`roles`]: the layer enforcing viewer / editor / owner on every route.
//! - [`openai`]: `/v1/models`, `/v1/chat/completions` (OpenAI-compatible).
//! - [`metrics`]: `GET /metrics` (Prometheus) and the layer counting requests.
//! - [`openapi`]: the OpenAPI document of all of the above (`/openapi.json`, `/docs`).

pub mod admin;
pub mod caller;
pub mod chat;
pub mod chat_sessions;
pub mod error;
pub mod extract;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod openai;
pub mod openapi;
pub mod request_id;
pub mod roles;
pub mod sse;
pub mod user;

use app::engine::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;

/// Name of the operator session cookie (HttpOnly, SameSite=Lax; Secure per `secure_cookies`).
pub const SESSION_COOKIE: &str = "pd_session";

/// Every non-Leptos route, with its OpenAPI description (see [`openapi`]). The REST
/// routes read JSON bodies up to [`limits::JSON_BODY_BYTES`] (the import route up to
/// [`limits::IMPORT_BODY_BYTES`]).
pub fn router() -> OpenApiRouter<AppState> {
    let rest = OpenApiRouter::new()
        .merge(admin::auth::router())
        .merge(admin::api_keys::router())
        .merge(admin::super_admins::router())
        .merge(admin::templates::router())
        .merge(admin::versions::router())
        .merge(admin::lifecycle::router())
        .merge(admin::library::router())
        .merge(admin::authoring::router())
        .merge(admin::monitor::router())
        .merge(admin::conversations::router())
        .merge(admin::audit::router())
        .merge(admin::memory::router())
        .merge(admin::sentiment::router())
        .merge(admin::requests::router())
        .merge(admin::stats::router())
        .merge(admin::inspector::router())
        .merge(admin::end_users::router())
        .merge(admin::guardrails::router())
        .merge(admin::workspace_settings::router())
        .merge(admin::jobs::router())
        .merge(user::router())
        .merge(chat::router())
        .merge(chat_sessions::router())
        .merge(openai::router())
        // Every JSON route reads up to this; the import route's own layer raises it.
        .layer(DefaultBodyLimit::max(limits::JSON_BODY_BYTES));
    OpenApiRouter::new().merge(health::router()).merge(metrics::router()).merge(rest).merge(sse::router())
}
