//! The request log: every LLM call of a workspace, filtered and paged by cursor, one call
//! in full, and the retention that drops old calls' texts while keeping their figures.

use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::store::{llm_requests as store, stats as prices};
use crate::engine::{now_ms, personas};
use crate::error::{AppError, AppResult};
use crate::types::{RequestDetail, RequestFilter, RequestPage, RequestSummary, DAY_MS};
use std::collections::HashMap;

/// The longest retention an operator may set (days).
pub const MAX_RETENTION_DAYS: i64 = 3650;

async fn price_map(db: &Db, ws: WorkspaceId) -> AppResult<HashMap<String, (f64, f64)>> {
    Ok(prices::prices(db, ws).await?.into_iter().map(|(m, p, c)| (m, (p, c))).collect())
}

fn with_cost(mut r: RequestSummary, prices: &HashMap<String, (f64, f64)>) -> RequestSummary {
    r.cost_usd = match (prices.get(&r.model), r.prompt_tokens, r.completion_tokens) {
        (Some((p, c)), pt, ct) if pt.is_some() || ct.is_some() => {
            Some((pt.unwrap_or(0) as f64 * p + ct.unwrap_or(0) as f64 * c) / 1_000_000.0)
        }
        _ => None,
    };
    r
}

/// One page of `ws`'s log matching `filter`, newest first. Errors: `Invalid` for a time
/// range that ends before it starts.
pub async fn search(db: &Db, ws: WorkspaceId, filter: &RequestFilter) -> AppResult<RequestPage> {
    if let (Some(a), Some(b)) = (filter.since, filter.until) {
        if b <= a {
            return Err(AppError::invalid("until", "The end of the time range is before its start."));
        }
    }
    let (rows, more) = store::search(db, ws, filter).await?;
    let prices = price_map(db, ws).await?;
    let next_cursor = if more { rows.last().map(|r| r.id) } else { None };
    Ok(RequestPage { requests: rows.into_iter().map(|r| with_cost(r, &prices)).collect(), next_cursor })
}

/// Call `id` of `ws` in full, with its persona version's model settings.
/// Errors: `NotFound` when it is not `ws`'s.
pub async fn detail(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<RequestDetail> {
    let full = store::detail(db, ws, id).await?.ok_or_else(|| AppError::not_found(format!("request {id}")))?;
    let parameters = match (full.summary.persona_id, full.summary.version) {
        (Some(p), Some(v)) => match personas::version(db, ws, PersonaId(p), v).await {
            Ok(info) => Some(info.settings),
            Err(AppError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        },
        _ => None,
    };
    let prices = price_map(db, ws).await?;
    Ok(RequestDetail {
        summary: with_cost(full.summary, &prices),
        messages: full.messages,
        response: full.response,
        error: full.error,
        cached_tokens: full.cached_tokens,
        parameters,
        context: full.context,
        bodies_dropped: full.bodies_dropped,
    })
}

/// `ws`'s retention (days a call keeps its texts; None: for ever).
pub async fn retention(db: &Db, ws: WorkspaceId) -> AppResult<Option<i64>> {
    crate::engine::store::workspace_settings::request_body_days(db, ws).await
}

/// Sets `ws`'s retention and applies it at once. Errors: `Invalid` outside
/// 1–[`MAX_RETENTION_DAYS`].
pub async fn set_retention(db: &Db, ws: WorkspaceId, days: Option<i64>) -> AppResult<Option<i64>> {
    if let Some(d) = days {
        if !(1..=MAX_RETENTION_DAYS).contains(&d) {
            return Err(AppError::invalid(
                "request_body_days",
                format!("Keep texts for 1 to {MAX_RETENTION_DAYS} days, or leave it empty to keep them."),
            ));
        }
    }
    crate::engine::store::workspace_settings::set_request_body_days(db, ws, days).await?;
    if let Some(d) = days {
        store::drop_bodies(db, ws, now_ms() - d * DAY_MS).await?;
    }
    Ok(days)
}

/// Applies every workspace's retention (the statistics aggregator runs it each minute);
/// returns how many calls lost their texts.
pub async fn apply_retention(db: &Db) -> AppResult<u64> {
    let mut n = 0;
    for (ws, days) in store::retention_settings(db).await? {
        n += store::drop_bodies(db, ws, now_ms() - days * DAY_MS).await?;
    }
    Ok(n)
}
