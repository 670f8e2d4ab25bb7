//! Guardrails, in the original's routes and shapes: `GET`/`POST /admin/guardrails`,
//! `GET /admin/guardrails/presets`, `GET /admin/guardrails/{name}`,
//! `GET /admin/guardrails/id/{id}`, `PUT`/`DELETE /admin/guardrails/{id}`; plus
//! `PUT /admin/guardrails/{id}/personas`, `POST /admin/guardrails/test` and
//! `POST /admin/guardrails/backtest`. Presets are read-only (409); another workspace's
//! set is 404 everywhere. Every change is audited with the operator as actor.

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, Operator};
use app::engine::guardrails::{backtest, rules, sets};
use app::engine::ids::PersonaId;
use app::engine::store::guardrails::GuardrailId;
use app::engine::AppState;
use app::error::AppError;
use app::types::{
    BacktestReport, BacktestRequest, Guardrail, GuardrailPatch, GuardrailRule, GuardrailSummary, NewGuardrail,
    RuleMatch,
};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The guardrail routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(presets))
        .routes(routes!(test_text))
        .routes(routes!(run_backtest))
        .routes(routes!(by_id))
        // One pattern for the name (GET) and the id (PUT, DELETE): axum refuses two
        // parameter names in one place.
        .routes(routes!(by_name, update, delete))
        .routes(routes!(set_personas))
}

/// A set id from the path; anything else is an unknown set (404).
fn id_of(key: &str) -> Result<GuardrailId, ApiError> {
    key.parse::<i64>().map(GuardrailId).map_err(|_| AppError::not_found("guardrail").into())
}

/// A persona that uses a set.
#[derive(Serialize, ToSchema)]
struct GuardrailPersona {
    id: i64,
    name: String,
}

/// A set with the personas of the workspace that use it.
#[derive(Serialize, ToSchema)]
struct GuardrailWithPersonas {
    #[serde(flatten)]
    guardrail: Guardrail,
    /// The workspace's personas that use the set.
    personas: Vec<GuardrailPersona>,
}

/// A set with the personas of the workspace that use it (`personas`: id and name).
async fn with_personas(
    state: &AppState,
    op: &app::types::OperatorInfo,
    g: Guardrail,
) -> Result<GuardrailWithPersonas, ApiError> {
    let personas = sets::persona_choices(&state.db, op.workspace())
        .await?
        .into_iter()
        .filter(|(_, _, gid)| *gid == Some(g.id))
        .map(|(id, name, _)| GuardrailPersona { id, name })
        .collect();
    Ok(GuardrailWithPersonas { guardrail: g, personas })
}

/// `{"count", "configs": […]}`.
#[derive(Serialize, ToSchema)]
struct GuardrailList {
    /// How many sets `configs` holds.
    count: usize,
    /// Presets first, then the workspace's sets by name.
    configs: Vec<GuardrailSummary>,
}

/// The rule sets: the presets and the workspace's.
///
/// `{"count", "configs": [{id, name, description, rule_count, is_system, is_active,
/// created_by, created_at, personas}]}`: presets first, then the workspace's sets by name.
#[utoipa::path(get, path = "/admin/guardrails", tag = "guardrails", responses((status = 200, body = GuardrailList)))]
async fn list(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<GuardrailList> {
    let configs = sets::list(&state.db, op.workspace()).await?;
    Ok(Json(GuardrailList { count: configs.len(), configs }))
}

/// `{"presets": [names], "configs": [sets]}`.
#[derive(Serialize, ToSchema)]
struct GuardrailPresets {
    /// The presets' names.
    presets: Vec<String>,
    /// The presets with their rules, in the same order.
    configs: Vec<Guardrail>,
}

/// The preset rule sets, with their rules.
///
/// Every workspace may use and copy a preset; none may change it.
#[utoipa::path(
    get,
    path = "/admin/guardrails/presets",
    tag = "guardrails",
    responses((status = 200, body = GuardrailPresets))
)]
async fn presets(State(state): State<AppState>, Operator(op): Operator) -> ApiResult<GuardrailPresets> {
    let configs = sets::presets(&state.db, op.workspace()).await?;
    let presets = configs.iter().map(|g| g.name.clone()).collect();
    Ok(Json(GuardrailPresets { presets, configs }))
}

/// Creates a rule set.
///
/// `copy_from` names a preset or a set of the workspace to copy (its rules too, unless
/// `rules` is given). A bad name or rule is 422 (the message names the rule).
#[utoipa::path(
    post,
    path = "/admin/guardrails",
    tag = "guardrails",
    request_body = NewGuardrail,
    responses(
        (status = 201, description = "Created", body = GuardrailWithPersonas),
        (status = 404, description = "No such set to copy (`copy_from`)", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The name is taken (also by a preset)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(new): ApiJson<NewGuardrail>,
) -> Result<(http::StatusCode, Json<GuardrailWithPersonas>), ApiError> {
    let g = sets::create(&state.db, op.workspace(), &op.email, new).await?;
    Ok((http::StatusCode::CREATED, Json(with_personas(&state, &op, g).await?)))
}

/// A rule set by name.
///
/// The workspace's own set of that name, else the preset.
#[utoipa::path(
    get,
    path = "/admin/guardrails/{key}",
    tag = "guardrails",
    params(("key" = String, Path, description = "The set's name")),
    responses(
        (status = 200, body = GuardrailWithPersonas),
        (status = 404, description = "Neither the workspace nor the presets have a set of that name", body = crate::http::openapi::ErrorBody),
    )
)]
async fn by_name(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<GuardrailWithPersonas> {
    let g = sets::by_name(&state.db, op.workspace(), &name).await?;
    Ok(Json(with_personas(&state, &op, g).await?))
}

/// A rule set by id.
#[utoipa::path(
    get,
    path = "/admin/guardrails/id/{id}",
    tag = "guardrails",
    params(("id" = i64, Path, description = "The set's id")),
    responses(
        (status = 200, body = GuardrailWithPersonas),
        (status = 404, description = "No such set (a preset or the workspace's)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn by_id(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<GuardrailWithPersonas> {
    let g = sets::get(&state.db, op.workspace(), id_of(&id)?).await?;
    Ok(Json(with_personas(&state, &op, g).await?))
}

/// A set after a change, with the original's `message`.
#[derive(Serialize, ToSchema)]
struct GuardrailUpdated {
    #[serde(flatten)]
    set: GuardrailWithPersonas,
    /// Always `Config updated successfully`.
    message: &'static str,
}

/// Changes a rule set of the workspace.
///
/// Fields left out keep their value. A bad rule is 422 (the message names it).
#[utoipa::path(
    put,
    path = "/admin/guardrails/{key}",
    tag = "guardrails",
    params(("key" = i64, Path, description = "The set's id")),
    request_body = GuardrailPatch,
    responses(
        (status = 200, description = "The set after the change", body = GuardrailUpdated),
        (status = 404, description = "No such set in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "A preset (read-only), or the name is taken", body = crate::http::openapi::ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(key): ApiPath<String>,
    ApiJson(patch): ApiJson<GuardrailPatch>,
) -> ApiResult<GuardrailUpdated> {
    let g = sets::update(&state.db, op.workspace(), &op.email, id_of(&key)?, patch).await?;
    let set = with_personas(&state, &op, g).await?;
    Ok(Json(GuardrailUpdated { set, message: "Config updated successfully" }))
}

/// `{"id", "message"}`.
#[derive(Serialize, ToSchema)]
struct GuardrailDeleted {
    /// The deleted set's id.
    id: i64,
    /// Always `Config deleted successfully`.
    message: &'static str,
}

/// Deletes a rule set of the workspace.
#[utoipa::path(
    delete,
    path = "/admin/guardrails/{key}",
    tag = "guardrails",
    params(("key" = i64, Path, description = "The set's id")),
    responses(
        (status = 200, description = "Deleted", body = GuardrailDeleted),
        (status = 404, description = "No such set in the workspace", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "A preset (read-only), or personas still use it (the message names them)", body = crate::http::openapi::ErrorBody),
    )
)]
async fn delete(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<GuardrailDeleted> {
    let id = id_of(&key)?;
    sets::delete(&state.db, op.workspace(), &op.email, id).await?;
    Ok(Json(GuardrailDeleted { id: id.get(), message: "Config deleted successfully" }))
}

#[derive(Deserialize, ToSchema)]
struct GuardrailPersonasBody {
    /// The personas (ids, of the workspace) that are to use the set; every other persona
    /// that used it uses none from now on.
    #[schema(value_type = Vec<i64>)]
    persona_ids: Vec<PersonaId>,
}

/// `{"id", "personas": [{id, name}]}`.
#[derive(Serialize, ToSchema)]
struct GuardrailPersonas {
    /// The set's id.
    id: i64,
    /// The personas that use the set now.
    personas: Vec<GuardrailPersona>,
}

/// Sets which personas use a rule set.
///
/// Exactly these personas use the set (a preset or the workspace's) from now on; others
/// that used it use none.
#[utoipa::path(
    put,
    path = "/admin/guardrails/{key}/personas",
    tag = "guardrails",
    params(("key" = i64, Path, description = "The set's id")),
    request_body = GuardrailPersonasBody,
    responses(
        (status = 200, body = GuardrailPersonas),
        (status = 404, description = "No such set, or a persona not in the workspace", body = crate::http::openapi::ErrorBody),
    )
)]
async fn set_personas(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(b): ApiJson<GuardrailPersonasBody>,
) -> ApiResult<GuardrailPersonas> {
    let id = id_of(&id)?;
    let now = sets::set_personas(&state.db, op.workspace(), &op.email, id, &b.persona_ids).await?;
    let personas = now.into_iter().map(|(id, name)| GuardrailPersona { id, name }).collect();
    Ok(Json(GuardrailPersonas { id: id.get(), personas }))
}

#[derive(Deserialize, ToSchema)]
struct GuardrailTestBody {
    /// The (unsaved) rules to try.
    rules: Vec<GuardrailRule>,
    /// The text to check, as a user message or a reply.
    text: String,
}

/// `{"matches": […]}`.
#[derive(Serialize, ToSchema)]
struct GuardrailTestResult {
    /// The rules that match the text, in the rules' order.
    matches: Vec<RuleMatch>,
}

/// Tries rules on a text.
///
/// Which of the (unsaved) rules match the text, on either side (input or output rules;
/// `system_instruction` rules never match). A bad rule is 422, naming it.
#[utoipa::path(
    post,
    path = "/admin/guardrails/test",
    tag = "guardrails",
    request_body = GuardrailTestBody,
    responses((status = 200, body = GuardrailTestResult))
)]
async fn test_text(Operator(_op): Operator, ApiJson(b): ApiJson<GuardrailTestBody>) -> ApiResult<GuardrailTestResult> {
    let compiled = rules::compile(&b.rules)?;
    Ok(Json(GuardrailTestResult { matches: rules::check_any(&compiled, &b.text) }))
}

/// Runs rules over past messages.
///
/// What the (unsaved) rules would have done to the workspace's messages of the last
/// `days` days (1–90, default 7): counts per action and the newest matching messages (at
/// most `limit`, 1–200, default 50).
#[utoipa::path(
    post,
    path = "/admin/guardrails/backtest",
    tag = "guardrails",
    request_body = BacktestRequest,
    responses((status = 200, body = BacktestReport))
)]
async fn run_backtest(
    State(state): State<AppState>,
    Operator(op): Operator,
    ApiJson(req): ApiJson<BacktestRequest>,
) -> ApiResult<BacktestReport> {
    Ok(Json(backtest::run(&state.db, op.workspace(), &req).await?))
}
