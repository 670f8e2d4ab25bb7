//! The Overview's tables (`stats_hourly`, `stats_chats`, `stats_cohorts`,
//! `stats_watermark`, migration `20261205000001_stats`) and the raw reads behind them.
//!
//! One SELECT per raw table turns a time range into hourly [`Counters`] rows keyed by
//! (hour, persona, version, model, kind). [`aggregate_range`] writes them for closed
//! hours; [`raw_buckets`] runs the same SELECTs on the hours after the watermark, so an
//! answer is never staler than its query. Every SUM is cast to BIGINT / DOUBLE PRECISION:
//! PostgreSQL sums BIGINTs as NUMERIC, which the Any driver cannot decode.

use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::error::AppResult;
use crate::types::{DAY_MS, HOUR_MS, LATENCY_BOUNDS_MS};

/// The summed columns of `stats_hourly`, in table order.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow)]
pub struct Counters {
    pub requests: i64,
    pub chat_requests: i64,
    pub chat_errors: i64,
    pub latency_sum_ms: i64,
    pub latency_n: i64,
    pub ttft_sum_ms: i64,
    pub ttft_n: i64,
    pub lat_le_250: i64,
    pub lat_le_500: i64,
    pub lat_le_1000: i64,
    pub lat_le_2000: i64,
    pub lat_le_4000: i64,
    pub lat_le_8000: i64,
    pub lat_le_16000: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub user_messages: i64,
    pub replies: i64,
    pub operator_messages: i64,
    pub guardrail_hits: i64,
    pub sentiment_sum: f64,
    pub sentiment_n: i64,
}

/// Column names of [`Counters`], in order.
const COUNTERS: [&str; 22] = [
    "requests",
    "chat_requests",
    "chat_errors",
    "latency_sum_ms",
    "latency_n",
    "ttft_sum_ms",
    "ttft_n",
    "lat_le_250",
    "lat_le_500",
    "lat_le_1000",
    "lat_le_2000",
    "lat_le_4000",
    "lat_le_8000",
    "lat_le_16000",
    "prompt_tokens",
    "completion_tokens",
    "user_messages",
    "replies",
    "operator_messages",
    "guardrail_hits",
    "sentiment_sum",
    "sentiment_n",
];

impl Counters {
    /// Adds `o` into `self`.
    pub fn add(&mut self, o: &Counters) {
        self.requests += o.requests;
        self.chat_requests += o.chat_requests;
        self.chat_errors += o.chat_errors;
        self.latency_sum_ms += o.latency_sum_ms;
        self.latency_n += o.latency_n;
        self.ttft_sum_ms += o.ttft_sum_ms;
        self.ttft_n += o.ttft_n;
        self.lat_le_250 += o.lat_le_250;
        self.lat_le_500 += o.lat_le_500;
        self.lat_le_1000 += o.lat_le_1000;
        self.lat_le_2000 += o.lat_le_2000;
        self.lat_le_4000 += o.lat_le_4000;
        self.lat_le_8000 += o.lat_le_8000;
        self.lat_le_16000 += o.lat_le_16000;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.user_messages += o.user_messages;
        self.replies += o.replies;
        self.operator_messages += o.operator_messages;
        self.guardrail_hits += o.guardrail_hits;
        self.sentiment_sum += o.sentiment_sum;
        self.sentiment_n += o.sentiment_n;
    }

    /// Successful chat turns at or under each of [`LATENCY_BOUNDS_MS`] (cumulative).
    pub fn latency_cumulative(&self) -> [i64; 7] {
        [
            self.lat_le_250,
            self.lat_le_500,
            self.lat_le_1000,
            self.lat_le_2000,
            self.lat_le_4000,
            self.lat_le_8000,
            self.lat_le_16000,
        ]
    }

    /// Messages of every conversational sender.
    pub fn messages(&self) -> i64 {
        self.user_messages + self.replies + self.operator_messages
    }
}

/// One grouped row: the bucket's start (ms; 0 when not grouped by time), persona and
/// version (0: none), model ('' when not grouped by model).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Bucket {
    pub bucket: i64,
    pub template_id: i64,
    pub template_version: i64,
    pub model: String,
    #[sqlx(flatten)]
    pub c: Counters,
}

/// The four SELECTs over `$1` = workspace, `$2` ≤ created_at < `$3`, each giving
/// `bucket, template_id, template_version, model, kind` and then [`COUNTERS`].
fn raw_selects() -> [String; 4] {
    let z = |names: &[&str]| -> String {
        COUNTERS
            .iter()
            .map(|c| match names.iter().position(|n| n == c) {
                Some(_) => String::new(),
                None if *c == "sentiment_sum" => format!("CAST(0 AS DOUBLE PRECISION) AS {c}"),
                None => format!("CAST(0 AS BIGINT) AS {c}"),
            })
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sum = |expr: &str, name: &str| format!("CAST(SUM({expr}) AS BIGINT) AS {name}");
    let chat_ok = "r.source = 'chat' AND r.status = 'ok'";
    let mut lat: Vec<String> = LATENCY_BOUNDS_MS
        .iter()
        .map(|b| sum(&format!("CASE WHEN {chat_ok} AND r.latency_ms <= {b} THEN 1 ELSE 0 END"), &format!("lat_le_{b}")))
        .collect();
    let mut req_cols = vec![
        "CAST(COUNT(*) AS BIGINT) AS requests".to_string(),
        sum("CASE WHEN r.source = 'chat' THEN 1 ELSE 0 END", "chat_requests"),
        sum("CASE WHEN r.source = 'chat' AND r.status = 'error' THEN 1 ELSE 0 END", "chat_errors"),
        sum(&format!("CASE WHEN {chat_ok} THEN r.latency_ms ELSE 0 END"), "latency_sum_ms"),
        sum(&format!("CASE WHEN {chat_ok} THEN 1 ELSE 0 END"), "latency_n"),
        sum("CASE WHEN r.source = 'chat' AND r.ttft_ms IS NOT NULL THEN r.ttft_ms ELSE 0 END", "ttft_sum_ms"),
        sum("CASE WHEN r.source = 'chat' AND r.ttft_ms IS NOT NULL THEN 1 ELSE 0 END", "ttft_n"),
    ];
    req_cols.append(&mut lat);
    req_cols.push(sum("COALESCE(r.prompt_tokens, 0)", "prompt_tokens"));
    req_cols.push(sum("COALESCE(r.completion_tokens, 0)", "completion_tokens"));
    let req_names: Vec<&str> = COUNTERS[..16].to_vec();
    let request = format!(
        "SELECT r.created_at - r.created_at % {HOUR_MS} AS bucket, COALESCE(r.template_id, 0) AS template_id, \
         COALESCE(r.template_version, 0) AS template_version, r.model AS model, 'request' AS kind, {}, {} \
         FROM llm_requests r WHERE r.workspace_id = $1 AND r.created_at >= $2 AND r.created_at < $3 \
         GROUP BY r.created_at - r.created_at % {HOUR_MS}, COALESCE(r.template_id, 0), COALESCE(r.template_version, 0), r.model",
        req_cols.join(", "),
        z(&req_names)
    );
    let message = format!(
        "SELECT m.created_at - m.created_at % {HOUR_MS} AS bucket, s.template_id AS template_id, \
         COALESCE(m.template_version, 0) AS template_version, '' AS model, 'message' AS kind, {z}, \
         {u}, {a}, {o}, CAST(0 AS BIGINT) AS guardrail_hits, CAST(0 AS DOUBLE PRECISION) AS sentiment_sum, \
         CAST(0 AS BIGINT) AS sentiment_n \
         FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
         WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3 \
         AND m.sender IN ('user', 'assistant', 'operator') \
         GROUP BY m.created_at - m.created_at % {HOUR_MS}, s.template_id, COALESCE(m.template_version, 0)",
        z = z(&COUNTERS[16..]),
        u = sum("CASE WHEN m.sender = 'user' THEN 1 ELSE 0 END", "user_messages"),
        a = sum("CASE WHEN m.sender = 'assistant' THEN 1 ELSE 0 END", "replies"),
        o = sum("CASE WHEN m.sender = 'operator' THEN 1 ELSE 0 END", "operator_messages"),
    );
    let upto_hits = z(&COUNTERS[19..]);
    let hit = format!(
        "SELECT h.created_at - h.created_at % {HOUR_MS} AS bucket, COALESCE(s.template_id, 0) AS template_id, \
         COALESCE(m.template_version, 0) AS template_version, '' AS model, 'hit' AS kind, {upto_hits}, \
         CAST(COUNT(*) AS BIGINT) AS guardrail_hits, CAST(0 AS DOUBLE PRECISION) AS sentiment_sum, \
         CAST(0 AS BIGINT) AS sentiment_n \
         FROM guardrail_hits h LEFT JOIN chat_sessions s ON s.id = h.session_id LEFT JOIN messages m ON m.id = h.message_id \
         WHERE h.workspace_id = $1 AND h.created_at >= $2 AND h.created_at < $3 \
         GROUP BY h.created_at - h.created_at % {HOUR_MS}, COALESCE(s.template_id, 0), COALESCE(m.template_version, 0)"
    );
    // The version of a scored user message is the version of the reply that answered it.
    let answered = "COALESCE((SELECT MAX(rp.template_version) FROM messages rp WHERE rp.session_id = ms.session_id \
                    AND rp.reply_to = ms.message_id AND rp.sender = 'assistant'), 0)";
    let upto_sent = z(&COUNTERS[20..]);
    let sentiment = format!(
        "SELECT bucket, template_id, template_version, '' AS model, 'sentiment' AS kind, {upto_sent}, \
         CAST(SUM(valence) AS DOUBLE PRECISION) AS sentiment_sum, CAST(COUNT(*) AS BIGINT) AS sentiment_n \
         FROM (SELECT ms.created_at - ms.created_at % {HOUR_MS} AS bucket, s.template_id AS template_id, \
         {answered} AS template_version, ms.valence AS valence \
         FROM message_sentiment ms JOIN chat_sessions s ON s.id = ms.session_id \
         WHERE ms.workspace_id = $1 AND ms.created_at >= $2 AND ms.created_at < $3) scored \
         GROUP BY bucket, template_id, template_version"
    );
    [request, message, hit, sentiment]
}

/// Counters of `$1`'s rows with `$2` ≤ created_at < `$3`, straight from the raw tables,
/// one [`Bucket`] per (hour, persona, version, model) and raw table.
pub async fn raw_buckets(db: &Db, ws: WorkspaceId, from: i64, to: i64) -> AppResult<Vec<Bucket>> {
    let mut out = Vec::new();
    for select in raw_selects() {
        let sql =
            format!("SELECT bucket, template_id, template_version, model, {} FROM ({select}) raw", COUNTERS.join(", "));
        let rows: Vec<Bucket> = sqlx::query_as(&sql).bind(ws).bind(from).bind(to).fetch_all(&db.pool).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// How [`aggregated`] groups `stats_hourly`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// One row per model.
    Model,
    /// One row per step of `step_ms` (an hour or a day).
    Time { step_ms: i64 },
    /// One row per persona version.
    Version,
}

impl GroupBy {
    /// (bucket, template_id, template_version, model) as this grouping keeps them.
    pub fn key(self, b: &Bucket) -> (i64, i64, i64, String) {
        match self {
            GroupBy::Model => (0, 0, 0, b.model.clone()),
            GroupBy::Time { step_ms } => (b.bucket - b.bucket.rem_euclid(step_ms), 0, 0, String::new()),
            GroupBy::Version => (0, b.template_id, b.template_version, String::new()),
        }
    }
}

/// The aggregated counters of `ws` for hours in [`from`, `to`), grouped.
pub async fn aggregated(db: &Db, ws: WorkspaceId, from: i64, to: i64, group: GroupBy) -> AppResult<Vec<Bucket>> {
    let (keys, by) = match group {
        GroupBy::Model => (
            "CAST(0 AS BIGINT) AS bucket, CAST(0 AS BIGINT) AS template_id, CAST(0 AS BIGINT) AS template_version, model"
                .to_string(),
            "model".to_string(),
        ),
        GroupBy::Time { step_ms } => (
            format!(
                "hour - hour % {step_ms} AS bucket, CAST(0 AS BIGINT) AS template_id, \
                 CAST(0 AS BIGINT) AS template_version, '' AS model"
            ),
            format!("hour - hour % {step_ms}"),
        ),
        GroupBy::Version => (
            "CAST(0 AS BIGINT) AS bucket, template_id, template_version, '' AS model".to_string(),
            "template_id, template_version".to_string(),
        ),
    };
    let sums = COUNTERS
        .iter()
        .map(|c| {
            let ty = if *c == "sentiment_sum" { "DOUBLE PRECISION" } else { "BIGINT" };
            format!("CAST(SUM({c}) AS {ty}) AS {c}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {keys}, {sums} FROM stats_hourly WHERE workspace_id = $1 AND hour >= $2 AND hour < $3 GROUP BY {by}"
    );
    Ok(sqlx::query_as(&sql).bind(ws).bind(from).bind(to).fetch_all(&db.pool).await?)
}

/// The watermark (ms): hours before it are aggregated.
pub async fn watermark(db: &Db) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT until FROM stats_watermark WHERE id = 1").fetch_one(&db.pool).await?)
}

/// The earliest message or request time (ms) of any workspace; None on an empty database.
pub async fn earliest(db: &Db) -> AppResult<Option<i64>> {
    let m: Option<i64> = sqlx::query_scalar("SELECT MIN(created_at) FROM messages").fetch_one(&db.pool).await?;
    let r: Option<i64> = sqlx::query_scalar("SELECT MIN(created_at) FROM llm_requests").fetch_one(&db.pool).await?;
    Ok(match (m, r) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// Aggregates every workspace's rows in [`from`, `to`) (hour boundaries, `from` the
/// current watermark) and moves the watermark to `to`, in one transaction. Returns false,
/// changing nothing, when the watermark is no longer `from` (another process got there
/// first), so no hour is ever counted twice.
pub async fn aggregate_range(db: &Db, from: i64, to: i64) -> AppResult<bool> {
    let mut tx = db.pool.begin().await?;
    let moved = sqlx::query("UPDATE stats_watermark SET until = $1 WHERE id = 1 AND until = $2")
        .bind(to)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if moved != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let workspaces: Vec<i64> = sqlx::query_scalar("SELECT id FROM workspaces").fetch_all(&mut *tx).await?;
    let cols = COUNTERS.join(", ");
    for ws in workspaces {
        for select in raw_selects() {
            let sql = format!(
                "INSERT INTO stats_hourly (workspace_id, hour, template_id, template_version, model, kind, {cols}) \
                 SELECT $1, bucket, template_id, template_version, model, kind, {cols} FROM ({select}) raw WHERE true"
            );
            sqlx::query(&sql).bind(ws).bind(from).bind(to).execute(&mut *tx).await?;
        }
        sqlx::query(CHATS_UPSERT).bind(ws).bind(from).bind(to).execute(&mut *tx).await?;
        sqlx::query(COHORTS_INSERT).bind(ws).bind(from).bind(to).execute(&mut *tx).await?;
        for (column, days) in [("day1", 1), ("day7", 7)] {
            let sql = format!(
                "UPDATE stats_cohorts SET {column} = 1 WHERE workspace_id = $1 AND {column} = 0 \
                 AND first_day >= $2 - {lo} AND first_day < $3 - {start} \
                 AND EXISTS (SELECT 1 FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = stats_cohorts.end_user_id \
                 AND m.sender = 'user' AND m.created_at >= $2 AND m.created_at < $3 \
                 AND m.created_at >= stats_cohorts.first_day + {start} AND m.created_at < stats_cohorts.first_day + {end})",
                start = days * DAY_MS,
                end = (days + 1) * DAY_MS,
                lo = (days + 1) * DAY_MS,
            );
            sqlx::query(&sql).bind(ws).bind(from).bind(to).execute(&mut *tx).await?;
        }
        rebuild_days(&mut tx, ws, from, to).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Rebuilds the per-day sums (`stats_chat_days`, `stats_cohort_days`) of the days the
/// range [`from`, `to`) changed: the start days of the chats it wrote to, and the
/// first days of the cohorts it added or marked as returning (up to 8 days before it).
async fn rebuild_days(tx: &mut sqlx::AnyConnection, ws: i64, from: i64, to: i64) -> AppResult<()> {
    let chat_days: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT started_at - started_at % {DAY_MS} FROM stats_chats WHERE workspace_id = $1 AND last_at >= $2"
    ))
    .bind(ws)
    .bind(from)
    .fetch_all(&mut *tx)
    .await?;
    for day in chat_days {
        sqlx::query("DELETE FROM stats_chat_days WHERE workspace_id = $1 AND day = $2")
            .bind(ws)
            .bind(day)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO stats_chat_days (workspace_id, day, template_id, first_version, chats, messages, duration_ms, \
             taken_over) SELECT $1, $2, template_id, first_version, CAST(COUNT(*) AS BIGINT), CAST(SUM(messages) AS BIGINT), \
             CAST(SUM(last_at - started_at) AS BIGINT), \
             CAST(SUM(CASE WHEN operator_messages > 0 THEN 1 ELSE 0 END) AS BIGINT) \
             FROM stats_chats WHERE workspace_id = $1 AND started_at >= $2 AND started_at < $3 \
             GROUP BY template_id, first_version",
        )
        .bind(ws)
        .bind(day)
        .bind(day + DAY_MS)
        .execute(&mut *tx)
        .await?;
    }
    // The first aggregation covers [0, first data): nothing there, and no need to walk
    // every day since 1970.
    let lo = if from == 0 { to } else { from } - 8 * DAY_MS;
    let mut day = lo - lo.rem_euclid(DAY_MS);
    while day < to {
        sqlx::query("DELETE FROM stats_cohort_days WHERE workspace_id = $1 AND day = $2")
            .bind(ws)
            .bind(day)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO stats_cohort_days (workspace_id, day, template_id, template_version, users, day1, day7) \
             SELECT $1, $2, template_id, template_version, CAST(COUNT(*) AS BIGINT), CAST(SUM(day1) AS BIGINT), \
             CAST(SUM(day7) AS BIGINT) FROM stats_cohorts WHERE workspace_id = $1 AND first_day = $2 \
             GROUP BY template_id, template_version",
        )
        .bind(ws)
        .bind(day)
        .execute(&mut *tx)
        .await?;
        day += DAY_MS;
    }
    Ok(())
}

/// Adds the range's messages to each chat's row (first reply's version, first and last
/// message time, counts). Additive: safe only under [`aggregate_range`]'s watermark.
const CHATS_UPSERT: &str = "INSERT INTO stats_chats (session_id, workspace_id, template_id, first_version, started_at, \
     last_at, messages, operator_messages) \
     SELECT m.session_id, $1, s.template_id, \
     COALESCE(MIN(CASE WHEN m.sender = 'assistant' THEN m.template_version END), 0), MIN(m.created_at), MAX(m.created_at), \
     CAST(COUNT(*) AS BIGINT), CAST(SUM(CASE WHEN m.sender = 'operator' THEN 1 ELSE 0 END) AS BIGINT) \
     FROM messages m JOIN chat_sessions s ON s.id = m.session_id \
     WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND m.sender IN ('user', 'assistant', 'operator') \
     GROUP BY m.session_id, s.template_id \
     ON CONFLICT (session_id) DO UPDATE SET \
     first_version = CASE WHEN stats_chats.first_version = 0 THEN excluded.first_version ELSE stats_chats.first_version END, \
     last_at = CASE WHEN excluded.last_at > stats_chats.last_at THEN excluded.last_at ELSE stats_chats.last_at END, \
     messages = stats_chats.messages + excluded.messages, \
     operator_messages = stats_chats.operator_messages + excluded.operator_messages";

/// A cohort row for each end user whose first reply falls in the range (the earliest
/// range wins: ranges are aggregated in order).
const COHORTS_INSERT: &str = "INSERT INTO stats_cohorts (end_user_id, workspace_id, first_day, template_id, template_version) \
     SELECT f.end_user_id, $1, f0.created_at - f0.created_at % 86400000, s.template_id, COALESCE(f0.template_version, 0) \
     FROM (SELECT end_user_id, MIN(id) AS first_id FROM messages WHERE workspace_id = $1 AND created_at >= $2 \
     AND created_at < $3 AND sender = 'assistant' GROUP BY end_user_id) f \
     JOIN messages f0 ON f0.id = f.first_id JOIN chat_sessions s ON s.id = f0.session_id WHERE true \
     ON CONFLICT (end_user_id) DO NOTHING";

/// Per persona version: chats started in [`from`, `to`), their mean messages and length
/// (ms), and how many had an operator message.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ChatFigures {
    pub template_id: i64,
    pub template_version: i64,
    pub chats: i64,
    pub messages: i64,
    pub duration_ms: i64,
    pub taken_over: i64,
}

/// [`ChatFigures`] of `ws`, for chats started on the UTC days that overlap [`from`, `to`).
pub async fn chat_figures(db: &Db, ws: WorkspaceId, from: i64, to: i64) -> AppResult<Vec<ChatFigures>> {
    Ok(sqlx::query_as(
        "SELECT template_id, first_version AS template_version, CAST(SUM(chats) AS BIGINT) AS chats, \
         CAST(SUM(messages) AS BIGINT) AS messages, CAST(SUM(duration_ms) AS BIGINT) AS duration_ms, \
         CAST(SUM(taken_over) AS BIGINT) AS taken_over \
         FROM stats_chat_days WHERE workspace_id = $1 AND day >= $2 AND day < $3 \
         GROUP BY template_id, first_version",
    )
    .bind(ws)
    .bind(from - from.rem_euclid(DAY_MS))
    .bind(to)
    .fetch_all(&db.pool)
    .await?)
}

/// Per persona version: users first answered in [`from`, `to`), and of those whose day
/// 1 / day 7 is before `until` (the watermark), how many there are and came back.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CohortFigures {
    pub template_id: i64,
    pub template_version: i64,
    pub users: i64,
    pub day1_eligible: i64,
    pub day1: i64,
    pub day7_eligible: i64,
    pub day7: i64,
}

/// [`CohortFigures`] of `ws`, for first days that overlap [`from`, `to`).
pub async fn cohort_figures(db: &Db, ws: WorkspaceId, from: i64, to: i64, until: i64) -> AppResult<Vec<CohortFigures>> {
    Ok(sqlx::query_as(&format!(
        "SELECT template_id, template_version, CAST(SUM(users) AS BIGINT) AS users, \
         CAST(SUM(CASE WHEN day + {d2} <= $4 THEN users ELSE 0 END) AS BIGINT) AS day1_eligible, \
         CAST(SUM(CASE WHEN day + {d2} <= $4 THEN day1 ELSE 0 END) AS BIGINT) AS day1, \
         CAST(SUM(CASE WHEN day + {d8} <= $4 THEN users ELSE 0 END) AS BIGINT) AS day7_eligible, \
         CAST(SUM(CASE WHEN day + {d8} <= $4 THEN day7 ELSE 0 END) AS BIGINT) AS day7 \
         FROM stats_cohort_days WHERE workspace_id = $1 AND day >= $2 AND day < $3 \
         GROUP BY template_id, template_version",
        d2 = 2 * DAY_MS,
        d8 = 8 * DAY_MS,
    ))
    .bind(ws)
    .bind(from - from.rem_euclid(DAY_MS))
    .bind(to)
    .bind(until)
    .fetch_all(&db.pool)
    .await?)
}

/// End users of `ws` who sent a message at or after `since` (ms).
pub async fn active_users(db: &Db, ws: WorkspaceId, since: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(DISTINCT end_user_id) AS BIGINT) FROM messages \
         WHERE workspace_id = $1 AND created_at >= $2 AND sender = 'user'",
    )
    .bind(ws)
    .bind(since)
    .fetch_one(&db.pool)
    .await?)
}

/// Conversations of `ws` halted now.
pub async fn halted_now(db: &Db, ws: WorkspaceId) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM user_state WHERE workspace_id = $1 AND halted = 1")
        .bind(ws)
        .fetch_one(&db.pool)
        .await?)
}

/// One end user's figures, in the original's terms.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserFigures {
    pub messages: i64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub chat_requests: i64,
    pub chat_errors: i64,
    pub latency_sum_ms: i64,
    pub latency_n: i64,
}

/// [`UserFigures`] of the end user `external_id` of `ws`; None when unknown.
pub async fn user_figures(db: &Db, ws: WorkspaceId, external_id: &str) -> AppResult<Option<UserFigures>> {
    Ok(sqlx::query_as(
        "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id \
         AND m.sender = 'user') AS messages, \
         (SELECT MIN(m.created_at) FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id) AS first_seen, \
         (SELECT MAX(m.created_at) FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id) AS last_seen, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM llm_requests r WHERE r.workspace_id = $1 AND r.end_user_id = u.id \
         AND r.source = 'chat') AS chat_requests, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM llm_requests r WHERE r.workspace_id = $1 AND r.end_user_id = u.id \
         AND r.source = 'chat' AND r.status = 'error') AS chat_errors, \
         (SELECT CAST(COALESCE(SUM(r.latency_ms), 0) AS BIGINT) FROM llm_requests r WHERE r.workspace_id = $1 \
         AND r.end_user_id = u.id AND r.source = 'chat' AND r.status = 'ok') AS latency_sum_ms, \
         (SELECT CAST(COUNT(*) AS BIGINT) FROM llm_requests r WHERE r.workspace_id = $1 AND r.end_user_id = u.id \
         AND r.source = 'chat' AND r.status = 'ok') AS latency_n \
         FROM end_users u WHERE u.workspace_id = $1 AND u.external_id = $2",
    )
    .bind(ws)
    .bind(external_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Names of `ws`'s personas (deleted ones included) and the labels on each version:
/// (persona id, name, version, label).
pub async fn persona_names(db: &Db, ws: WorkspaceId) -> AppResult<(Vec<(i64, String)>, Vec<(i64, i64, String)>)> {
    let names: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM templates WHERE workspace_id = $1").bind(ws).fetch_all(&db.pool).await?;
    let labels: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT template_id, version, name FROM template_labels WHERE workspace_id = $1 ORDER BY name")
            .bind(ws)
            .fetch_all(&db.pool)
            .await?;
    Ok((names, labels))
}

/// `ws`'s model prices: (model, prompt USD per million tokens, completion USD per million).
pub async fn prices(db: &Db, ws: WorkspaceId) -> AppResult<Vec<(String, f64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT model, CAST(prompt_usd_per_mtok AS DOUBLE PRECISION), CAST(completion_usd_per_mtok AS DOUBLE PRECISION) \
         FROM model_prices WHERE workspace_id = $1 ORDER BY model",
    )
    .bind(ws)
    .fetch_all(&db.pool)
    .await?)
}

/// Sets (or replaces) the price of `model` for `ws`.
pub async fn set_price(db: &Db, ws: WorkspaceId, model: &str, prompt: f64, completion: f64, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO model_prices (workspace_id, model, prompt_usd_per_mtok, completion_usd_per_mtok, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, model) DO UPDATE SET \
         prompt_usd_per_mtok = excluded.prompt_usd_per_mtok, completion_usd_per_mtok = excluded.completion_usd_per_mtok, \
         updated_at = excluded.updated_at",
    )
    .bind(ws)
    .bind(model)
    .bind(prompt)
    .bind(completion)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes `ws`'s price of `model`; false when it had none.
pub async fn delete_price(db: &Db, ws: WorkspaceId, model: &str) -> AppResult<bool> {
    let n = sqlx::query("DELETE FROM model_prices WHERE workspace_id = $1 AND model = $2")
        .bind(ws)
        .bind(model)
        .execute(&db.pool)
        .await?
        .rows_affected();
    Ok(n > 0)
}
