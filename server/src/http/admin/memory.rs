//! What a persona remembers about an end user, with provenance, and the approval queue of
//! automatic memory: `GET /admin/users/{user_id}/memory`, `PUT`/`DELETE
//! /admin/users/{user_id}/memory/{key}`, `GET /admin/memory/pending`, `POST
//! /admin/memory/pending/{id}/approve|reject`, `GET`/`PUT /admin/templates/{id}/memory`
//! (a persona's automatic-memory and sentiment switches).

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::ids::PersonaId;
use app::engine::memory::{self, approval, SetBy};
use app::engine::{chat, sentiment, AppState};
use app::error::AppError;
use app::types::{ExtractionMode, MemoryEntry, PersonaMemorySettings};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The memory routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{user_id}/memory", get(list_memory))
        .route("/admin/users/{user_id}/memory/{key}", put(set_memory).delete(delete_memory))
        .route("/admin/memory/pending", get(pending))
        .route("/admin/memory/pending/{id}/approve", post(approve))
        .route("/admin/memory/pending/{id}/reject", post(reject))
        .route("/admin/templates/{id}/memory", get(get_settings).put(put_settings))
}

/// `GET /admin/users/{user_id}/memory` → `{"user_id", "memory": {key: value}, "entries":
/// [{key, value, source, set_by, source_message_id, updated_at}]}`.
async fn list_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(user_id): Path<String>,
) -> ApiResult<serde_json::Value> {
    let end_user_id = chat::find_end_user(&state.db, op.workspace(), &user_id).await?;
    let entries = memory::memory(&state.db, op.workspace(), end_user_id).await?;
    let map: serde_json::Map<String, serde_json::Value> =
        entries.iter().map(|e| (e.key.clone(), e.value.clone())).collect();
    Ok(Json(json!({"user_id": user_id, "memory": map, "entries": entries})))
}

#[derive(Deserialize)]
struct MemoryBody {
    /// Any JSON value.
    value: serde_json::Value,
}

/// An entry as the write routes answer it: the original's `user_id`, `key`, `memory_id`
/// and `value`, plus the provenance.
fn entry_json(user_id: &str, memory_id: i64, e: &MemoryEntry) -> serde_json::Value {
    json!({
        "user_id": user_id, "key": e.key, "memory_id": memory_id, "value": e.value, "source": e.source,
        "set_by": e.set_by, "source_message_id": e.source_message_id, "updated_at": e.updated_at,
    })
}

/// `PUT /admin/users/{user_id}/memory/{key}` `{"value": <JSON>}` → the entry (source
/// `api`, set by the logged-in operator).
async fn set_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
    ApiJson(b): ApiJson<MemoryBody>,
) -> ApiResult<serde_json::Value> {
    let ws = op.workspace();
    let entry = memory::set_memory(&state.db, ws, &user_id, &key, &b.value, SetBy::api(&op.email)).await?;
    let memory_id = memory::memory_id(&state.db, ws, &user_id, &entry.key).await?;
    Ok(Json(entry_json(&user_id, memory_id, &entry)))
}

/// `DELETE /admin/users/{user_id}/memory/{key}` → 204.
async fn delete_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
) -> Result<http::StatusCode, ApiError> {
    memory::delete_memory(&state.db, op.workspace(), &user_id, &key, &op.email).await?;
    Ok(http::StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct PendingQuery {
    /// Only this end user's facts.
    #[serde(default)]
    user_id: Option<String>,
}

/// `GET /admin/memory/pending[?user_id=]` → `{"count", "pending": [{id, user_id,
/// session_id, source_message_id, source_message, key, value, status, created_at}]}`, oldest first.
async fn pending(
    State(state): State<AppState>,
    Operator(op): Operator,
    Query(q): Query<PendingQuery>,
) -> ApiResult<serde_json::Value> {
    let list = approval::pending(&state.db, op.workspace(), q.user_id.as_deref()).await?;
    Ok(Json(json!({"count": list.len(), "pending": list})))
}

/// `POST /admin/memory/pending/{id}/approve` with no body (or `null`, `{}`), or
/// `{"value": <JSON>}` (the edited value) → the memory entry written. 409 when decided already.
async fn approve(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<serde_json::Value> {
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
    Ok(Json(entry_json(&user_id, memory_id, &entry)))
}

/// `POST /admin/memory/pending/{id}/reject` → `{"id", "status": "rejected"}`. 409 when decided already.
async fn reject(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    approval::reject(&state, op.workspace(), id, &op.email).await?;
    Ok(Json(json!({"id": id, "status": "rejected"})))
}

/// `GET /admin/templates/{id}/memory` → `{persona_id, name, memory_extraction, sentiment_enabled}`.
async fn get_settings(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
) -> ApiResult<PersonaMemorySettings> {
    Ok(Json(memory::persona_setting(&state.db, op.workspace(), PersonaId(id)).await?))
}

#[derive(Deserialize)]
struct SettingsBody {
    /// `off`, `on` or `approval`.
    #[serde(default)]
    memory_extraction: Option<ExtractionMode>,
    #[serde(default)]
    sentiment_enabled: Option<bool>,
}

/// `PUT /admin/templates/{id}/memory` `{"memory_extraction"?, "sentiment_enabled"?}` → the switches.
async fn put_settings(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SettingsBody>,
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
