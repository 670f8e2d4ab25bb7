//! The Overview's statistics: cards for today, series and the latency histogram over a
//! range, and figures per persona version — plus the original's `/admin/stats/*` shapes.
//!
//! Closed hours are pre-aggregated ([`aggregate`], run every minute by [`spawn_aggregator`]
//! and by `POST /admin/stats/aggregate`); the hours after the watermark are read from the
//! raw tables on each call and merged in, so figures are always current and a call reads a
//! bounded number of rows whatever the table sizes.

use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::engine::now_ms;
use crate::engine::store::stats::{self as store, Bucket, Counters, GroupBy};
use crate::error::{AppError, AppResult};
use crate::types::{
    AggregateReport, LatencyBucket, ModelPrice, OriginalOverview, SeriesPoint, StatsCards, StatsOverview, StatsRange,
    TopTemplate, UserStats, VersionStats, DAY_MS, HOUR_MS, LATENCY_BOUNDS_MS,
};
use std::collections::{BTreeMap, HashMap};

/// Hours aggregate once they have been closed this long (ms): a turn that started before
/// the hour ended may still be writing its rows.
pub const SETTLE_MS: i64 = 5 * 60_000;

/// The most hours one aggregation transaction covers (a day), so a long backlog (a seeded
/// database, a server that was down) commits in steps and never holds the writer long.
const CHUNK_MS: i64 = DAY_MS;

/// Aggregates every closed hour not yet aggregated, in steps of a day. Another process
/// doing the same is harmless (each step moves the watermark by compare-and-set).
/// `progress` gets (hours done, hours to do) after each step.
/// Errors: `Internal` when the database fails.
pub async fn aggregate(db: &Db, mut progress: impl FnMut(i64, i64)) -> AppResult<AggregateReport> {
    // One at a time in a process: `POST /admin/stats/aggregate` during the minutely run
    // waits for it instead of failing on SQLite's write lock (seen on a 5,000,000-message
    // backlog); the compare-and-set covers other processes.
    static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = RUNNING.lock().await;
    let target = floor(now_ms() - SETTLE_MS, HOUR_MS);
    let mut from = store::watermark(db).await?;
    if from == 0 {
        // First run: start at the first hour with data, or at the target on an empty database.
        match store::earliest(db).await? {
            Some(first) => {
                let start = floor(first, HOUR_MS).min(target);
                if !store::aggregate_range(db, 0, start).await? {
                    return Ok(AggregateReport { hours: 0, until: store::watermark(db).await? });
                }
                from = start;
            }
            None => {
                store::aggregate_range(db, 0, target).await?;
                return Ok(AggregateReport { hours: 0, until: store::watermark(db).await? });
            }
        }
    }
    let total = ((target - from) / HOUR_MS).max(0);
    let mut hours = 0;
    while from < target {
        let to = (from + CHUNK_MS).min(target);
        if !store::aggregate_range(db, from, to).await? {
            break; // another process moved the watermark
        }
        hours += (to - from) / HOUR_MS;
        from = to;
        progress(hours, total);
    }
    Ok(AggregateReport { hours, until: store::watermark(db).await? })
}

/// Runs [`aggregate`] (and the request log's retention,
/// [`crate::engine::requests::apply_retention`]) now and then every `every`, for as long
/// as the runtime lives.
/// Failures are logged and retried at the next tick.
pub fn spawn_aggregator(db: Db, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match aggregate(&db, |_, _| {}).await {
                Ok(r) if r.hours > 0 => tracing::info!(hours = r.hours, until = r.until, "statistics aggregated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "statistics aggregation failed; retrying at the next tick"),
            }
            match crate::engine::requests::apply_retention(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(requests = n, "request texts past their retention dropped"),
                Err(e) => tracing::warn!(error = %e, "request log retention failed; retrying at the next tick"),
            }
        }
    });
}

fn floor(t: i64, step: i64) -> i64 {
    t - t.rem_euclid(step)
}

/// `ws`'s counters from `from` (ms, an hour boundary) to now, grouped: aggregated hours
/// from `stats_hourly`, the rest from the raw tables.
async fn counters(db: &Db, ws: WorkspaceId, from: i64, until: i64, group: GroupBy) -> AppResult<Vec<Bucket>> {
    let mut merged: HashMap<(i64, i64, i64, String), Bucket> = HashMap::new();
    let mut put = |b: Bucket| {
        let key = group.key(&b);
        let slot = merged.entry(key.clone()).or_insert_with(|| Bucket {
            bucket: key.0,
            template_id: key.1,
            template_version: key.2,
            model: key.3,
            c: Counters::default(),
        });
        slot.c.add(&b.c);
    };
    if from < until {
        for b in store::aggregated(db, ws, from, until, group).await? {
            put(b);
        }
    }
    for b in store::raw_buckets(db, ws, from.max(until), i64::MAX).await? {
        put(b);
    }
    Ok(merged.into_values().collect())
}

/// The `q`-quantile (0–1) of a histogram with cumulative counts `cumulative` at
/// [`LATENCY_BOUNDS_MS`] and `total` observations, interpolating linearly inside the
/// bucket (the estimate of Prometheus' `histogram_quantile`); the last bound when it falls
/// beyond it; None without observations.
pub fn quantile(q: f64, cumulative: [i64; 7], total: i64) -> Option<f64> {
    if total <= 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut prev_bound = 0.0;
    let mut prev_count = 0.0;
    for (bound, count) in LATENCY_BOUNDS_MS.iter().zip(cumulative) {
        let (bound, count) = (*bound as f64, count as f64);
        if count >= rank {
            let inside = count - prev_count;
            let share = if inside > 0.0 { (rank - prev_count) / inside } else { 0.0 };
            return Some(prev_bound + share * (bound - prev_bound));
        }
        prev_bound = bound;
        prev_count = count;
    }
    Some(prev_bound)
}

fn mean(sum: f64, n: i64) -> Option<f64> {
    (n > 0).then(|| sum / n as f64)
}

fn percent(part: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| 100.0 * part as f64 / of as f64)
}

/// Everything the Overview shows for `ws` over `range`, as of now.
/// Errors: `Internal` when the database fails.
pub async fn overview(db: &Db, ws: WorkspaceId, range: StatsRange) -> AppResult<StatsOverview> {
    let now = now_ms();
    let until = store::watermark(db).await?;
    let today = floor(now, DAY_MS);
    let step = range.step_ms();
    let start = floor(now - range.span_ms() + step, step);

    let by_model = counters(db, ws, today, until, GroupBy::Model).await?;
    let mut day = Counters::default();
    for b in &by_model {
        day.add(&b.c);
    }
    let prices: HashMap<String, (f64, f64)> =
        store::prices(db, ws).await?.into_iter().map(|(m, p, c)| (m, (p, c))).collect();
    let mut cost = None::<f64>;
    let mut unpriced = Vec::new();
    for b in by_model.iter().filter(|b| b.c.requests > 0) {
        match prices.get(&b.model) {
            Some((p, c)) => {
                *cost.get_or_insert(0.0) +=
                    (b.c.prompt_tokens as f64 * p + b.c.completion_tokens as f64 * c) / 1_000_000.0;
            }
            None => unpriced.push(b.model.clone()),
        }
    }
    unpriced.sort();
    let cards = StatsCards {
        active_users_hour: store::active_users(db, ws, now - HOUR_MS).await?,
        active_users_today: store::active_users(db, ws, today).await?,
        messages_today: day.messages(),
        halted_now: store::halted_now(db, ws).await?,
        chat_requests_today: day.chat_requests,
        chat_errors_today: day.chat_errors,
        error_rate_percent: percent(day.chat_errors, day.chat_requests).unwrap_or(0.0),
        avg_response_ms: mean(day.latency_sum_ms as f64, day.latency_n),
        p95_response_ms: quantile(0.95, day.latency_cumulative(), day.latency_n),
        avg_ttft_ms: mean(day.ttft_sum_ms as f64, day.ttft_n),
        prompt_tokens_today: day.prompt_tokens,
        completion_tokens_today: day.completion_tokens,
        cost_today_usd: cost,
        unpriced_models: unpriced,
        guardrail_hits_today: day.guardrail_hits,
    };

    let mut points: BTreeMap<i64, Counters> = BTreeMap::new();
    let mut t = start;
    while t <= now {
        points.insert(t, Counters::default());
        t += step;
    }
    let mut range_total = Counters::default();
    for b in counters(db, ws, start, until, GroupBy::Time { step_ms: step }).await? {
        range_total.add(&b.c);
        if let Some(p) = points.get_mut(&b.bucket) {
            p.add(&b.c);
        }
    }
    let series = points
        .into_iter()
        .map(|(start, c)| SeriesPoint {
            start,
            messages: c.messages(),
            chat_requests: c.chat_requests,
            chat_errors: c.chat_errors,
            avg_response_ms: mean(c.latency_sum_ms as f64, c.latency_n),
        })
        .collect();
    let cum = range_total.latency_cumulative();
    let mut latency = Vec::with_capacity(LATENCY_BOUNDS_MS.len() + 1);
    let mut below = 0;
    for (bound, c) in LATENCY_BOUNDS_MS.iter().zip(cum) {
        latency.push(LatencyBucket { le_ms: Some(*bound), count: c - below });
        below = c;
    }
    latency.push(LatencyBucket { le_ms: None, count: range_total.latency_n - below });

    let versions = versions(db, ws, start, until, now).await?;
    Ok(StatsOverview { range, now, aggregated_until: until, cards, series, latency, versions })
}

/// One row per persona version with anything in the range.
async fn versions(db: &Db, ws: WorkspaceId, start: i64, until: i64, now: i64) -> AppResult<Vec<VersionStats>> {
    let (names, labels) = store::persona_names(db, ws).await?;
    let names: HashMap<i64, String> = names.into_iter().collect();
    let mut rows: BTreeMap<(i64, i64), VersionStats> = BTreeMap::new();
    let new_row = |pid: i64, v: i64| -> VersionStats {
        VersionStats {
            persona_id: pid,
            persona: names.get(&pid).cloned().unwrap_or_else(|| "(deleted)".into()),
            version: v,
            labels: labels.iter().filter(|(t, ver, _)| *t == pid && *ver == v).map(|(_, _, l)| l.clone()).collect(),
            ..VersionStats::default()
        }
    };
    for b in counters(db, ws, start, until, GroupBy::Version).await? {
        if b.template_id == 0 {
            continue; // requests outside any persona (drafts, previews without one)
        }
        let r = rows
            .entry((b.template_id, b.template_version))
            .or_insert_with(|| new_row(b.template_id, b.template_version));
        r.replies += b.c.replies;
        r.user_messages += b.c.user_messages;
        r.chat_errors += b.c.chat_errors;
        r.guardrail_hits += b.c.guardrail_hits;
        r.avg_response_ms = mean(b.c.latency_sum_ms as f64, b.c.latency_n);
        r.avg_sentiment = mean(b.c.sentiment_sum, b.c.sentiment_n);
    }
    for c in store::chat_figures(db, ws, start, now + 1).await? {
        let r = rows
            .entry((c.template_id, c.template_version))
            .or_insert_with(|| new_row(c.template_id, c.template_version));
        r.chats = c.chats;
        r.messages_per_chat = mean(c.messages as f64, c.chats);
        r.chat_minutes = mean(c.duration_ms as f64 / 60_000.0, c.chats);
        r.takeover_percent = percent(c.taken_over, c.chats);
    }
    for c in store::cohort_figures(db, ws, start, now + 1, until).await? {
        let r = rows
            .entry((c.template_id, c.template_version))
            .or_insert_with(|| new_row(c.template_id, c.template_version));
        r.new_users = c.users;
        r.returning_day1_percent = percent(c.day1, c.day1_eligible);
        r.returning_day7_percent = percent(c.day7, c.day7_eligible);
    }
    let mut out: Vec<VersionStats> = rows.into_values().collect();
    out.sort_by(|a, b| a.persona.cmp(&b.persona).then(b.version.cmp(&a.version)));
    Ok(out)
}

/// The original's `GET /admin/stats/overview` for `ws`: `{active_users_today,
/// active_users_hour, total_messages_today, messages_per_hour, avg_response_time_ms,
/// error_rate_percent, top_templates: [{name, count}]}` — `messages_per_hour` is this
/// clock hour's messages, `top_templates` the five personas with the most chat turns
/// today. Errors: `Internal`.
pub async fn original_overview(db: &Db, ws: WorkspaceId) -> AppResult<OriginalOverview> {
    let o = overview(db, ws, StatsRange::Day).await?;
    let now = o.now;
    let hour = floor(now, HOUR_MS);
    let this_hour = o.series.iter().find(|p| p.start == hour).map(|p| p.messages).unwrap_or(0);
    let today = floor(now, DAY_MS);
    let until = o.aggregated_until;
    let mut per_persona: HashMap<i64, i64> = HashMap::new();
    for b in counters(db, ws, today, until, GroupBy::Version).await? {
        if b.template_id != 0 && b.c.chat_requests > 0 {
            *per_persona.entry(b.template_id).or_default() += b.c.chat_requests;
        }
    }
    let (names, _) = store::persona_names(db, ws).await?;
    let names: HashMap<i64, String> = names.into_iter().collect();
    let mut top: Vec<(String, i64)> = per_persona
        .into_iter()
        .map(|(id, n)| (names.get(&id).cloned().unwrap_or_else(|| "(deleted)".into()), n))
        .collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(5);
    Ok(OriginalOverview {
        active_users_today: o.cards.active_users_today,
        active_users_hour: o.cards.active_users_hour,
        total_messages_today: o.cards.messages_today,
        messages_per_hour: this_hour as f64,
        avg_response_time_ms: o.cards.avg_response_ms.unwrap_or(0.0),
        error_rate_percent: o.cards.error_rate_percent,
        top_templates: top.into_iter().map(|(name, count)| TopTemplate { name, count }).collect(),
    })
}

/// The original's `GET /admin/stats/users/{user_id}`: `{user_id, total_messages,
/// first_seen, last_seen (RFC 3339), avg_response_time_ms, error_count,
/// error_rate_percent}` over all time. Errors: `NotFound` for an unknown user or one
/// without messages.
pub async fn user_stats(db: &Db, ws: WorkspaceId, user_id: &str) -> AppResult<UserStats> {
    let f =
        store::user_figures(db, ws, user_id).await?.ok_or_else(|| AppError::not_found(format!("user {user_id}")))?;
    let (Some(first), Some(last)) = (f.first_seen, f.last_seen) else {
        return Err(AppError::not_found(format!("user {user_id}")));
    };
    let iso = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default();
    Ok(UserStats {
        user_id: user_id.to_string(),
        total_messages: f.messages,
        first_seen: iso(first),
        last_seen: iso(last),
        avg_response_time_ms: mean(f.latency_sum_ms as f64, f.latency_n).unwrap_or(0.0).round() as i64,
        error_count: f.chat_errors,
        error_rate_percent: percent(f.chat_errors, f.chat_requests).unwrap_or(0.0),
    })
}

/// `ws`'s model prices, by model name.
pub async fn prices(db: &Db, ws: WorkspaceId) -> AppResult<Vec<ModelPrice>> {
    Ok(store::prices(db, ws)
        .await?
        .into_iter()
        .map(|(model, p, c)| ModelPrice { model, prompt_usd_per_mtok: p, completion_usd_per_mtok: c })
        .collect())
}

/// Sets a model's price. Errors: `Invalid` (see [`ModelPrice::validate`]).
pub async fn set_price(db: &Db, ws: WorkspaceId, price: &ModelPrice) -> AppResult<()> {
    price.validate()?;
    store::set_price(db, ws, price.model.trim(), price.prompt_usd_per_mtok, price.completion_usd_per_mtok, now_ms())
        .await
}

/// Removes a model's price. Errors: `NotFound` when it had none.
pub async fn delete_price(db: &Db, ws: WorkspaceId, model: &str) -> AppResult<()> {
    if store::delete_price(db, ws, model).await? {
        Ok(())
    } else {
        Err(AppError::not_found(format!("price of {model}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates_inside_its_bucket() {
        // 100 turns: 50 under 250 ms, 40 more under 500, 10 more under 1000.
        let cum = [50, 90, 100, 100, 100, 100, 100];
        assert_eq!(quantile(0.5, cum, 100), Some(250.0));
        // Rank 95 is halfway through the 500–1000 bucket.
        assert_eq!(quantile(0.95, cum, 100), Some(750.0));
        assert_eq!(quantile(0.95, [0; 7], 0), None);
        // Beyond the last bound: the last bound.
        assert_eq!(quantile(0.95, [0, 0, 0, 0, 0, 0, 1], 10), Some(16000.0));
    }

    #[test]
    fn floor_is_utc_aligned() {
        assert_eq!(floor(HOUR_MS * 5 + 17, HOUR_MS), HOUR_MS * 5);
        assert_eq!(floor(DAY_MS * 3 - 1, DAY_MS), DAY_MS * 2);
    }
}
