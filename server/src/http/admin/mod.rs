//! The operator REST API under `/admin`, one module per area, each with its own
//! `router()` (merged in [`super::router`]). Every route needs an operator session
//! (401 without) except `POST /admin/login`. Areas use [`super::error`],
//! [`super::extract`] and the helpers below, never each other.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod authoring;
pub mod conversations;
pub mod end_users;
pub mod guardrails;
pub mod inspector;
pub mod jobs;
pub mod library;
pub mod lifecycle;
pub mod memory;
pub mod monitor;
pub mod requests;
pub mod sentiment;
pub mod stats;
pub mod super_admins;
pub mod templates;
pub mod versions;
pub mod workspace_settings;

use app::types::SaveResult;

/// 201 when a version was written, 200 when the content was unchanged.
fn save_status(r: &SaveResult) -> http::StatusCode {
    if r.unchanged {
        http::StatusCode::OK
    } else {
        http::StatusCode::CREATED
    }
}
