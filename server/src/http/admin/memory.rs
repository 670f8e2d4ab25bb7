//! What a persona remembers about an end user: `GET /admin/users/{user_id}/memory`,
//! `PUT`/`DELETE /admin/users/{user_id}/memory/{key}`.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::{chat, memory, AppState};
use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The memory routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users/{user_id}/memory", get(list_memory))
        .route("/admin/users/{user_id}/memory/{key}", put(set_memory).delete(delete_memory))
}

/// `GET /admin/users/{user_id}/memory` → `{"user_id", "memory": {key: value}, "entries": [{key, value}]}`.
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

/// `PUT /admin/users/{user_id}/memory/{key}` `{"value": <JSON>}` → `{"user_id", "key", "memory_id", "value"}`.
async fn set_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
    ApiJson(b): ApiJson<MemoryBody>,
) -> ApiResult<serde_json::Value> {
    let entry = memory::set_memory(&state.db, op.workspace(), &user_id, &key, &b.value).await?;
    let memory_id = memory::memory_id(&state.db, op.workspace(), &user_id, &entry.key).await?;
    Ok(Json(json!({"user_id": user_id, "key": entry.key, "memory_id": memory_id, "value": entry.value})))
}

async fn delete_memory(
    State(state): State<AppState>,
    Operator(op): Operator,
    Path((user_id, key)): Path<(String, String)>,
) -> Result<http::StatusCode, ApiError> {
    memory::delete_memory(&state.db, op.workspace(), &user_id, &key).await?;
    Ok(http::StatusCode::NO_CONTENT)
}
