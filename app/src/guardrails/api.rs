//! Server functions of the Guardrails pages: list, create (or copy), the editor's data,
//! save, delete, which personas use a set, "test this text" and the backtest. Each checks
//! the operator and acts in their workspace only (another workspace's set is `NotFound`).

#[cfg(feature = "ssr")]
use crate::engine::store::guardrails::GuardrailId;
use crate::error::AppResult;
use crate::types::{
    BacktestReport, BacktestRequest, Guardrail, GuardrailEditorData, GuardrailPatch, GuardrailRule, GuardrailSummary,
    RuleMatch,
};
use leptos::prelude::*;

/// The presets and the workspace's sets, with the personas that use each.
#[server(endpoint = "guardrails/list", input = server_fn::codec::GetUrl)]
pub async fn list_guardrails() -> AppResult<Vec<GuardrailSummary>> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::guardrails::sets::list(&state.db, op.workspace()).await
    })
    .await
}

/// Creates a set named `name`, empty or a copy of the set named `copy_from` (blank:
/// none). Errors: `Invalid` (name), `Conflict` (name taken), `NotFound` (`copy_from`).
#[server(endpoint = "guardrails/create")]
pub async fn create_guardrail(name: String, copy_from: String) -> AppResult<Guardrail> {
    use crate::ctx;
    use crate::types::NewGuardrail;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let new = NewGuardrail {
            name,
            copy_from: Some(copy_from).filter(|c| !c.trim().is_empty()),
            ..NewGuardrail::default()
        };
        crate::engine::guardrails::sets::create(&state.db, op.workspace(), &op.email, new).await
    })
    .await
}

/// The editor's data: set `id` and every persona of the workspace. Errors: `NotFound`.
#[server(endpoint = "guardrails/page", input = server_fn::codec::GetUrl)]
pub async fn guardrail_page(id: i64) -> AppResult<GuardrailEditorData> {
    use crate::ctx;
    use crate::engine::guardrails::sets;
    use crate::types::PersonaPick;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let ws = op.workspace();
        let guardrail = sets::get(&state.db, ws, GuardrailId(id)).await?;
        let personas = sets::persona_choices(&state.db, ws)
            .await?
            .into_iter()
            .map(|(id, name, guardrail_id)| PersonaPick { id, name, guardrail_id })
            .collect();
        let names = sets::list(&state.db, ws).await?.into_iter().map(|g| (g.id, g.name)).collect();
        Ok(GuardrailEditorData { guardrail, personas, names })
    })
    .await
}

/// Saves the editor's changes to the workspace's set `id`. Errors: `NotFound`, `Conflict`
/// (a preset; name taken), `Invalid` (the message names the rule).
#[server(endpoint = "guardrails/save", input = server_fn::codec::Json)]
pub async fn save_guardrail(id: i64, patch: GuardrailPatch) -> AppResult<Guardrail> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::guardrails::sets::update(&state.db, op.workspace(), &op.email, GuardrailId(id), patch).await
    })
    .await
}

/// Deletes the workspace's set `id`. Errors: `NotFound`, `Conflict` (a preset; in use).
#[server(endpoint = "guardrails/delete")]
pub async fn delete_guardrail(id: i64) -> AppResult<()> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::guardrails::sets::delete(&state.db, op.workspace(), &op.email, GuardrailId(id)).await
    })
    .await
}

/// Makes exactly `persona_ids` use set `id`; returns the ids using it now. Errors:
/// `NotFound` (set or persona).
#[server(endpoint = "guardrails/personas", input = server_fn::codec::Json)]
pub async fn set_guardrail_personas(id: i64, persona_ids: Vec<i64>) -> AppResult<Vec<i64>> {
    use crate::ctx;
    use crate::engine::ids::PersonaId;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        let ids: Vec<PersonaId> = persona_ids.into_iter().map(PersonaId).collect();
        let now =
            crate::engine::guardrails::sets::set_personas(&state.db, op.workspace(), &op.email, GuardrailId(id), &ids)
                .await?;
        Ok(now.into_iter().map(|(id, _)| id).collect())
    })
    .await
}

/// Which of the draft `rules` match `text` (either side). Errors: `Invalid` naming the rule.
#[server(endpoint = "guardrails/test", input = server_fn::codec::Json)]
pub async fn test_guardrail_text(rules: Vec<GuardrailRule>, text: String) -> AppResult<Vec<RuleMatch>> {
    use crate::ctx;
    use crate::engine::guardrails::rules as r;
    ctx::guard(async move {
        let _ = ctx::operator().await?;
        Ok(r::check_any(&r::compile(&rules)?, &text))
    })
    .await
}

/// Runs the draft rules over the workspace's messages of the last `req.days` days.
/// Errors: `Invalid` (days, limit, a rule).
#[server(endpoint = "guardrails/backtest", input = server_fn::codec::Json)]
pub async fn backtest_guardrail(req: BacktestRequest) -> AppResult<BacktestReport> {
    use crate::ctx;
    ctx::guard(async move {
        let (state, op) = ctx::operator().await?;
        crate::engine::guardrails::backtest::run(&state.db, op.workspace(), &req).await
    })
    .await
}
