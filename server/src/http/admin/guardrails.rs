//! Guardrails, in the original's routes and shapes: `GET`/`POST /admin/guardrails`,
//! `GET /admin/guardrails/presets`, `GET /admin/guardrails/{name}`,
//! `GET /admin/guardrails/id/{id}`, `PUT`/`DELETE /admin/guardrails/{id}`; plus
//! `PUT /admin/guardrails/{id}/personas`, `POST /admin/guardrails/test` and
//! `POST /admin/guardrails/backtest`. Presets are read-only (409); another workspace's
//! set is 404 everywhere. Every change is audited with the operator as actor.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, Operator};
use app::engine::guardrails::{backtest, rules, sets};
use app::engine::ids::PersonaId;
use app::engine::store::guardrails::GuardrailId;
use app::engine::AppState;
use app::error::AppError;
use app::types::{BacktestReport, BacktestRequest, Guardrail, GuardrailPatch, GuardrailRule, NewGuardrail};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The guardrail routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/guardrails", get(list).post(create))
        .route("/admin/guardrails/presets", get(presets))
        .route("/admin/guardrails/test", post(test_text))
        .route("/admin/guardrails/backtest", post(run_backtest))
        .route("/admin/guardrails/id/{id}", get(by_id))
        // One pattern for the name (GET) and the id (PUT, DELETE): axum refuses two
        // parameter names in one place.
        .route("/admin/guardrails/{key}", get(by_name).put(update).delete(delete))
        .route("/admin/guardrails/{key}/personas", put(set_personas))
}

/// A set id from the path; anything else is an unknown set (404).
fn id_of(key: &str) -> Result<GuardrailId, ApiError> {
    key.parse::<i64>().map(GuardrailId).map_err(|_| AppError::not_found("guardrail").into())
}

/// A set with the personas of the workspace that use it (`personas`: names).
async fn with_personas(state: &AppState, op: &app::types::OperatorInfo, g: &Guardrail) -> Result<Value, ApiError> {
    let mut body = serde_json::to_value(g).map_err(|e| app::engine::internal("guardrail json", e))?;
    let used: Vec<Value> = sets::persona_choices(&state.db, op.workspace())
        .await?
        .into_iter()
        .filter(|(_, _, gid)| *gid == Some(g.id))
        .map(|(id, name, _)| json!({"id": id, "name": name}))
        .collect();
    body["personas"] = Value::Array(used);
    Ok(body)
}

/// `GET /admin/guardrails` → `{"count", "configs": [{id, name, description, rule_count,
/// is_system, is_active, created_by, created_at, personas}]}`: presets first, then the
/// workspace's sets by name.
async fn list(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Value> {
    let configs = sets::list(&state.db, op.workspace()).await?;
    Ok(Json(json!({"count": configs.len(), "configs": configs})))
}

/// `GET /admin/guardrails/presets` → `{"presets": [names], "configs": [the presets with
/// their rules]}`.
async fn presets(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<Value> {
    let presets = sets::presets(&state.db, op.workspace()).await?;
    let names: Vec<&str> = presets.iter().map(|g| g.name.as_str()).collect();
    Ok(Json(json!({"presets": names, "configs": presets})))
}

/// `POST /admin/guardrails` `{"name", "description"?, "rules"?, "copy_from"?}` → 201 with
/// the set (`id`, `name`, `rules`, …). `copy_from` names a preset or a set of the
/// workspace to copy. 409 when the name is taken (also by a preset), 422 for a bad name
/// or rule (the message names the rule), 404 for an unknown `copy_from`.
async fn create(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(new): ApiJson<NewGuardrail>,
) -> Result<(http::StatusCode, Json<Value>), ApiError> {
    let g = sets::create(&state.db, op.workspace(), &op.email, new).await?;
    Ok((http::StatusCode::CREATED, Json(with_personas(&state, &op, &g).await?)))
}

/// `GET /admin/guardrails/{name}` → the set (`id`, `name`, `description`, `rules`,
/// `is_system`, `is_active`, `created_at`, `updated_at`, `created_by`, `personas`): the
/// workspace's own, else a preset. 404 when neither exists.
async fn by_name(
    State(state): State<AppState>,
    Operator(op): Operator,
    key: Result<Path<String>, PathRejection>,
) -> ApiResult<Value> {
    let Path(name) = key?;
    let g = sets::by_name(&state.db, op.workspace(), &name).await?;
    Ok(Json(with_personas(&state, &op, &g).await?))
}

/// `GET /admin/guardrails/id/{id}` → the set, as by name. 404 for another workspace's.
async fn by_id(
    State(state): State<AppState>,
    Operator(op): Operator,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Value> {
    let Path(id) = id?;
    let g = sets::get(&state.db, op.workspace(), id_of(&id)?).await?;
    Ok(Json(with_personas(&state, &op, &g).await?))
}

/// `PUT /admin/guardrails/{id}` `{"name"?, "description"?, "rules"?, "is_active"?}` → the
/// set after the change, with the original's `message`. 404 (not the workspace's), 409 (a
/// preset; name taken), 422 (a bad rule, naming it).
async fn update(
    State(state): State<AppState>,
    Operator(op): Operator,
    key: Result<Path<String>, PathRejection>,
    ApiJson(patch): ApiJson<GuardrailPatch>,
) -> ApiResult<Value> {
    let Path(key) = key?;
    let g = sets::update(&state.db, op.workspace(), &op.email, id_of(&key)?, patch).await?;
    let mut body = with_personas(&state, &op, &g).await?;
    body["message"] = json!("Config updated successfully");
    Ok(Json(body))
}

/// `DELETE /admin/guardrails/{id}` → `{"id", "message"}`. 404 (not the workspace's), 409
/// (a preset; personas still use it — the message names them).
async fn delete(
    State(state): State<AppState>,
    Operator(op): Operator,
    key: Result<Path<String>, PathRejection>,
) -> ApiResult<Value> {
    let Path(key) = key?;
    let id = id_of(&key)?;
    sets::delete(&state.db, op.workspace(), &op.email, id).await?;
    Ok(Json(json!({"id": id.get(), "message": "Config deleted successfully"})))
}

#[derive(Deserialize)]
struct PersonasBody {
    persona_ids: Vec<PersonaId>,
}

/// `PUT /admin/guardrails/{id}/personas` `{"persona_ids": [..]}` → `{"id", "personas":
/// [{id, name}]}`: exactly these personas use the set (a preset or the workspace's) from
/// now on; others that used it use none. 404 for an unknown set or persona.
async fn set_personas(
    State(state): State<AppState>,
    Operator(op): Operator,
    id: Result<Path<String>, PathRejection>,
    ApiJson(b): ApiJson<PersonasBody>,
) -> ApiResult<Value> {
    let Path(id) = id?;
    let id = id_of(&id)?;
    let now = sets::set_personas(&state.db, op.workspace(), &op.email, id, &b.persona_ids).await?;
    let personas: Vec<Value> = now.into_iter().map(|(id, name)| json!({"id": id, "name": name})).collect();
    Ok(Json(json!({"id": id.get(), "personas": personas})))
}

#[derive(Deserialize)]
struct TestBody {
    rules: Vec<GuardrailRule>,
    text: String,
}

/// `POST /admin/guardrails/test` `{"rules": [..], "text"}` → `{"matches": [{index, rule,
/// kind, action, excerpt}]}`: which of the (unsaved) rules match the text, on either side.
/// 422 for a bad rule, naming it.
async fn test_text(Operator(_op): Operator, ApiJson(b): ApiJson<TestBody>) -> ApiResult<Value> {
    let compiled = rules::compile(&b.rules)?;
    Ok(Json(json!({"matches": rules::check_any(&compiled, &b.text)})))
}

/// `POST /admin/guardrails/backtest` `{"rules": [..], "days"?: 7, "limit"?: 50}` → what the
/// (unsaved) rules would have done to the workspace's messages of the last `days` days:
/// `{days, scanned, blocked, flagged, halted, hits: [{message_id, user_id, session_id,
/// sender, created_at, action, matches, preview}], truncated}`.
async fn run_backtest(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(req): ApiJson<BacktestRequest>,
) -> ApiResult<BacktestReport> {
    Ok(Json(backtest::run(&state.db, op.workspace(), &req).await?))
}
