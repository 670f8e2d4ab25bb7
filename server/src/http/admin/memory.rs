//! What a persona remembers about an end user, with provenance, and the approval queue of
//! automatic memory: `GET /admin/users/{user_id}/memory`, `PUT`/`DELETE
//! /admin/users/{user_id}/memory/{key}`, `GET /admin/memory/pending`, `POST
//! /admin/memory/pending/{id}/approve|reject`, `GET`/`PUT /admin/templates/{id}/memory`
//! (a persona's automatic-memory and sentiment switches).

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Operator};
use app::engine::ids::PersonaId;
use app::engine::memory::{self, approval, SetBy};
use app::engine::{chat, sentiment, AppState};
use app::error::AppError;
use app::types::{ExtractionMode, MemoryCandidate, MemoryEntry, MemorySource, PersonaMemorySettings};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The memory routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_memory))
        .routes(routes!(set_memory, delete_memory))
        .routes(routes!(pending))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(get_settings, put_settings))
}

/// `{"user_id", "memory": {key: value}, "entries": […]}`.
#[derive(Serialize, ToSchema)]
struct UserMemory {
    user_id: String,
    /// Every entry's value by its key.
    memory: BTreeMap<String, serde_json::Value>,
    /// The same entries with their provenance.
    entries: Vec<MemoryEntry>,
}

/// What a persona remembers about a user, with where each entry came from.
#[utoipa::path(
    get,
    path = "/admin/users/{user_id}/memory",
    tag = "memory",
    params(("user_id" = String, Path, description = "The end user's id (as the chat or the API names them)")),
    responses(
        (status = 200, body = UserMemory),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn list_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<UserMemory> {
    let end_user_id = chat::find_end_user(&state.db, op.workspace(), &user_id).await?;
    let entries = memory::memory(&state.db, op.workspace(), end_user_id).await?;
    let memory = entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
    Ok(Json(UserMemory { user_id, memory, entries }))
}

#[derive(Deserialize, ToSchema)]
struct MemoryValueBody {
    /// Any JSON value (at most 16 KiB serialised).
    value: serde_json::Value,
}

/// An entry as the write routes answer it: the original's `user_id`, `key`, `memory_id`
/// and `value`, plus the provenance.
#[derive(Serialize, ToSchema)]
struct MemoryEntryWritten {
    user_id: String,
    key: String,
    /// The entry's row id (stable across updates).
    memory_id: i64,
    value: serde_json::Value,
    source: MemorySource,
    /// The operator's email (for `extraction`: who approved it; null without approval).
    set_by: Option<String>,
    /// The user message an extracted fact came from.
    source_message_id: Option<i64>,
    /// When it was last set (ms).
    updated_at: i64,
}

impl MemoryEntryWritten {
    fn new(user_id: String, memory_id: i64, e: MemoryEntry) -> Self {
        MemoryEntryWritten {
            user_id,
            key: e.key,
            memory_id,
            value: e.value,
            source: e.source,
            set_by: e.set_by,
            source_message_id: e.source_message_id,
            updated_at: e.updated_at,
        }
    }
}

/// Sets one memory entry of a user.
///
/// Source `api`, set by the logged-in operator; audited.
#[utoipa::path(
    put,
    path = "/admin/users/{user_id}/memory/{key}",
    tag = "memory",
    params(
        ("user_id" = String, Path, description = "The end user's id"),
        ("key" = String, Path, description = "The entry's key"),
    ),
    request_body = MemoryValueBody,
    responses(
        (status = 200, description = "The entry", body = MemoryEntryWritten),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn set_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath((user_id, key)): ApiPath<(String, String)>,
    ApiJson(b): ApiJson<MemoryValueBody>,
) -> ApiResult<MemoryEntryWritten> {
    let ws = op.workspace();
    let entry = memory::set_memory(&state.db, ws, &user_id, &key, &b.value, SetBy::api(&op.email)).await?;
    let memory_id = memory::memory_id(&state.db, ws, &user_id, &entry.key).await?;
    Ok(Json(MemoryEntryWritten::new(user_id, memory_id, entry)))
}

/// Deletes one memory entry of a user (audited).
#[utoipa::path(
    delete,
    path = "/admin/users/{user_id}/memory/{key}",
    tag = "memory",
    params(
        ("user_id" = String, Path, description = "The end user's id"),
        ("key" = String, Path, description = "The entry's key"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user in the workspace, or no such key", body = crate::http::openapi::ErrorBody),
    )
)]
async fn delete_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath((user_id, key)): ApiPath<(String, String)>,
) -> Result<http::StatusCode, ApiError> {
    memory::delete_memory(&state.db, op.workspace(), &user_id, &key, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PendingQuery {
    /// Only this end user's facts.
    #[serde(default)]
    user_id: Option<String>,
}

/// `{"count", "pending": […]}`.
#[derive(Serialize, ToSchema)]
struct PendingFacts {
    /// How many are listed.
    count: usize,
    /// Oldest first.
    pending: Vec<MemoryCandidate>,
}

/// The facts automatic memory extracted that wait for an operator's approval.
#[utoipa::path(
    get,
    path = "/admin/memory/pending",
    tag = "memory",
    params(PendingQuery),
    responses(
        (status = 200, body = PendingFacts),
        (status = 404, description = "No such user in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn pending(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiQuery(q): ApiQuery<PendingQuery>,
) -> ApiResult<PendingFacts> {
    let list = approval::pending(&state.db, op.workspace(), q.user_id.as_deref()).await?;
    Ok(Json(PendingFacts { count: list.len(), pending: list }))
}

/// What `approve` reads (optional: no body, `null` and `{}` approve the value as extracted).
#[derive(ToSchema)]
#[allow(dead_code)]
struct ApproveFactBody {
    /// The edited value to write instead of the extracted one (any JSON; null: as extracted).
    value: Option<serde_json::Value>,
}

/// Approves a pending fact and writes it to the user's memory.
///
/// With no body (or `null`, `{}`) the value as extracted, with `{"value": …}` the edited
/// value. The entry's source is `extraction`, set by the logged-in operator.
#[utoipa::path(
    post,
    path = "/admin/memory/pending/{id}/approve",
    tag = "memory",
    params(("id" = i64, Path, description = "The pending fact's id")),
    request_body = Option<ApproveFactBody>,
    responses(
        (status = 200, description = "The memory entry written", body = MemoryEntryWritten),
        (status = 404, description = "No such fact in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Approved or rejected already", body = crate::http::openapi::ErrorBody),
    )
)]
async fn approve(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> ApiResult<MemoryEntryWritten> {
    let edited = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let b: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| AppError::invalid("body", format!("not JSON: {e}")))?;
        match b {
            serde_json::Value::Object(mut m) => m.remove("value").filter(|v| !v.is_null()),
            serde_json::Value::Null => None,
            _ => return Err(AppError::invalid("body", "expected {\"value\": <JSON>} or no body").into()),
        }
    };
    let ws = op.workspace();
    let entry = approval::approve(&state, ws, id, edited.as_ref(), &op.email).await?;
    let user_id = approval::get(&state.db, ws, id).await?.user_id;
    let memory_id = memory::memory_id(&state.db, ws, &user_id, &entry.key).await?;
    Ok(Json(MemoryEntryWritten::new(user_id, memory_id, entry)))
}

/// A fact's new status.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum RejectedStatus {
    Rejected,
}

/// `{"id", "status": "rejected"}`.
#[derive(Serialize, ToSchema)]
struct FactRejected {
    id: i64,
    status: RejectedStatus,
}

/// Rejects a pending fact: it never reaches the memory (audited).
#[utoipa::path(
    post,
    path = "/admin/memory/pending/{id}/reject",
    tag = "memory",
    params(("id" = i64, Path, description = "The pending fact's id")),
    responses(
        (status = 200, description = "Rejected", body = FactRejected),
        (status = 404, description = "No such fact in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Approved or rejected already", body = crate::http::openapi::ErrorBody),
    )
)]
async fn reject(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<FactRejected> {
    approval::reject(&state, op.workspace(), id, &op.email).await?;
    Ok(Json(FactRejected { id, status: RejectedStatus::Rejected }))
}

/// A persona's automatic-memory and sentiment switches.
#[utoipa::path(
    get,
    path = "/admin/templates/{id}/memory",
    tag = "memory",
    params(("id" = i64, Path, description = "The persona's (template's) id")),
    responses(
        (status = 200, body = PersonaMemorySettings),
        (status = 404, description = "No such persona in the workspace, or deleted", body = crate::http::openapi::ErrorBody),
    )
)]
async fn get_settings(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<PersonaMemorySettings> {
    Ok(Json(memory::persona_setting(&state.db, op.workspace(), PersonaId(id)).await?))
}

#[derive(Deserialize, ToSchema)]
struct MemorySwitchesBody {
    /// `off`, `on` (facts written at once) or `approval` (facts wait for an operator);
    /// absent: unchanged.
    #[serde(default)]
    memory_extraction: Option<ExtractionMode>,
    /// Score the sentiment of each user message in the persona's chats (a chat's own
    /// switch wins); absent: unchanged.
    #[serde(default)]
    sentiment_enabled: Option<bool>,
}

/// Changes a persona's automatic-memory and sentiment switches (audited).
///
/// Only the fields given change.
#[utoipa::path(
    put,
    path = "/admin/templates/{id}/memory",
    tag = "memory",
    params(("id" = i64, Path, description = "The persona's (template's) id")),
    request_body = MemorySwitchesBody,
    responses(
        (status = 200, description = "The switches now", body = PersonaMemorySettings),
        (status = 404, description = "No such persona in the workspace, or deleted", body = crate::http::openapi::ErrorBody),
    )
)]
async fn put_settings(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MemorySwitchesBody>,
) -> ApiResult<PersonaMemorySettings> {
    let (ws, persona) = (op.workspace(), PersonaId(id));
    if let Some(mode) = b.memory_extraction {
        memory::set_extraction_mode(&state.db, ws, persona, mode, &op.email).await?;
    }
    if let Some(on) = b.sentiment_enabled {
        sentiment::set_persona(&state.db, ws, persona, on, &op.email).await?;
    }
    Ok(Json(memory::persona_setting(&state.db, ws, persona).await?))
}
