//! The operator REST API under `/admin`, one module per area, each with its own
//! `router()` (merged in [`super::router`]). Every route needs an operator session
//! (401 without) except `POST /admin/login`. Areas use [`super::error`],
//! [`super::extract`] and the helpers below, never each other.

pub mod auth;
pub mod authoring;
pub mod library;
pub mod lifecycle;
pub mod memory;
pub mod monitor;
pub mod requests;
pub mod templates;
pub mod versions;

use app::types::{DeclaredVariable, ModelSettings, PersonaKind, SaveResult, VersionDraft, VersionInfo};

/// 201 when a version was written, 200 when the content was unchanged.
fn save_status(r: &SaveResult) -> http::StatusCode {
    if r.unchanged {
        http::StatusCode::OK
    } else {
        http::StatusCode::CREATED
    }
}

/// A draft from a request body: fields not given keep `base` (the latest version) or the defaults.
fn draft_from(
    content: String,
    note: String,
    kind: Option<PersonaKind>,
    settings: Option<ModelSettings>,
    variables: Option<Vec<DeclaredVariable>>,
    base: Option<&VersionInfo>,
) -> VersionDraft {
    VersionDraft {
        content,
        kind: kind.or(base.map(|b| b.kind)).unwrap_or_default(),
        settings: settings.or_else(|| base.map(|b| b.settings.clone())).unwrap_or_default(),
        variables: variables.or_else(|| base.map(|b| b.variables.clone())).unwrap_or_default(),
        note,
    }
}
