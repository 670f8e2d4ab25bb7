//! The live wall's queries: every end user of a workspace with status, persona,
//! last message and unread count, riskiest first, filtered and paged (flags from
//! `guardrail_hits`, waiting for approval from `memory_candidates`, sentiment from
//! `message_sentiment`).
//!
//! Two steps keep a page fast at 100,000 users: one query orders and filters users on
//! indexed, per-user columns only (`chat_sessions_recent` for last activity; halts,
//! assignments by primary key; hits and operator actions pre-grouped, they are few) and
//! returns one page of ids; a second fills in the details of those ids only.

use super::sender;
use crate::engine::db::Db;
use crate::engine::ids::WorkspaceId;
use crate::error::AppResult;
use crate::types::{WallQuery, WallRow};

enum Bind {
    I64(i64),
    Text(String),
}

/// Adds a parameter after the workspace's `$1` and returns its placeholder.
fn next(b: Bind, binds: &mut Vec<Bind>) -> String {
    binds.push(b);
    format!("${}", binds.len() + 1)
}

/// The valence stored for "no score yet" in `end_users.wall_valence` (after every
/// valence, which is in [-1, 1]; see the `wall_rank` migration).
pub const NO_VALENCE: f64 = 9.0;

/// The ordering query's FROM … WHERE, per-user columns `halted`, `flagged`, `waiting`,
/// `sentiment`, `last_at`; `$1` is the workspace. `only` restricts it to a subquery of
/// user ids (the few halted or flagged ones).
fn ranked(q: &WallQuery, binds: &mut Vec<Bind>, only: Option<&str>) -> String {
    let flagged = "CASE WHEN g.hit_at IS NOT NULL AND g.hit_at > COALESCE(a.acted_at, 0) THEN 1 ELSE 0 END";
    let mut sql = format!(
        "SELECT u.id, COALESCE(st.halted, 0) AS halted, {flagged} AS flagged, {WAITING} AS waiting, \
         {SENTIMENT} AS sentiment, u.wall_active_at AS last_at \
         FROM end_users u LEFT JOIN user_state st ON st.end_user_id = u.id \
         LEFT JOIN assignments asg ON asg.end_user_id = u.id"
    );
    // Operator actions only: a guardrail's own halt does not clear its flag.
    sql.push_str(
        " LEFT JOIN (SELECT s.end_user_id, MAX(h.created_at) AS hit_at FROM guardrail_hits h \
         JOIN chat_sessions s ON s.id = h.session_id WHERE h.workspace_id = $1 GROUP BY s.end_user_id) g \
         ON g.end_user_id = u.id \
         LEFT JOIN (SELECT target, MAX(created_at) AS acted_at FROM audit_log WHERE workspace_id = $1 \
         AND actor IN (SELECT email FROM accounts) GROUP BY target) a ON a.target = u.external_id",
    );
    sql.push_str(&filters(q, binds));
    if let Some(ids) = only {
        sql.push_str(&format!(" AND u.id IN ({ids})"));
    }
    sql
}

/// Whether user `u` has memory waiting for approval (1/0).
const WAITING: &str = "CASE WHEN EXISTS (SELECT 1 FROM memory_candidates mc WHERE mc.workspace_id = $1 \
     AND mc.end_user_id = u.id AND mc.status = 'pending') THEN 1 ELSE 0 END";

/// User `u`'s latest sentiment, NULL when none is scored ([`NO_VALENCE`]).
const SENTIMENT: &str = "CASE WHEN u.wall_valence < 9 THEN CAST(u.wall_valence AS DOUBLE PRECISION) END";

/// The users who may rank first: halted, or with a guardrail hit (flagged unless an
/// operator acted since). Few, and found by index.
const PRIORITY: &str = "SELECT end_user_id FROM user_state WHERE workspace_id = $1 AND halted <> 0 \
     UNION SELECT s.end_user_id FROM guardrail_hits h JOIN chat_sessions s ON s.id = h.session_id \
     WHERE h.workspace_id = $1";

/// The wall's order after the halted and flagged users: lowest sentiment first (unscored
/// last), then most recently active — `end_users_wall`'s order, so no sort.
const REST_ORDER: &str = "u.wall_valence, u.wall_active_at DESC, u.id DESC";

/// The full order of ranked rows `w`.
const RANK_ORDER: &str = "w.halted DESC, w.flagged DESC, CASE WHEN w.sentiment IS NULL THEN 1 ELSE 0 END, \
     w.sentiment, w.last_at DESC, w.id DESC";

/// The WHERE clause of [`ranked`]: the workspace, persona, label and text filters (they
/// read `u`, `asg` and their own subqueries only, so [`page`] can count without ranking).
fn filters(q: &WallQuery, binds: &mut Vec<Bind>) -> String {
    let mut sql = String::from(" WHERE u.workspace_id = $1");
    if let Some(p) = q.persona_id {
        let n = next(Bind::I64(p), binds);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM chat_sessions ps WHERE ps.workspace_id = $1 AND ps.template_id = {n} \
             AND ps.end_user_id = u.id)"
        ));
    }
    match q.label.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some("production") => sql.push_str(" AND asg.label IS NULL"),
        Some(l) => {
            let n = next(Bind::Text(l.to_string()), binds);
            sql.push_str(&format!(" AND asg.label = {n}"));
        }
        None => {}
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let n = next(Bind::Text(format!("%{escaped}%")), binds);
        sql.push_str(&format!(
            " AND (LOWER(u.external_id) LIKE {n} ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages mq \
             WHERE mq.workspace_id = $1 AND mq.end_user_id = u.id AND LOWER(mq.content) LIKE {n} ESCAPE '\\'))"
        ));
    }
    sql
}

/// The status filter on the ranked rows.
fn status_filter(q: &WallQuery) -> &'static str {
    match q.status.as_deref().map(str::trim) {
        Some("halted") => " WHERE w.halted <> 0",
        Some("flagged") => " WHERE w.flagged <> 0",
        Some("waiting") => " WHERE w.waiting <> 0",
        _ => "",
    }
}

#[derive(sqlx::FromRow, Clone)]
struct RankedRow {
    id: i64,
    halted: i64,
    flagged: i64,
    waiting: i64,
    sentiment: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct DetailRow {
    id: i64,
    external_id: String,
    message_count: i64,
    unread: i64,
    last_content: Option<String>,
    last_sender: Option<String>,
    last_at: Option<i64>,
    persona_name: Option<String>,
    persona_version: Option<i64>,
    label: Option<String>,
}

/// Binds `binds` (after the workspace) to a query.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for b in $binds {
            query = match b {
                Bind::I64(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }};
}

/// One page (`limit`, `offset`) of the wall for `operator` (whose unread counts they
/// are), and how many users match in all.
///
/// Without a status or text filter — the wall as it opens — the page is read in two
/// parts: the halted and flagged users (few) ranked in full, then everyone else straight
/// off the `end_users_wall` index, skipping those. With a status or text filter every
/// matching user is ranked and sorted (the filter keeps them few, or the text search
/// dominates anyway).
pub async fn page(
    db: &Db,
    ws: WorkspaceId,
    operator: &str,
    q: &WallQuery,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<WallRow>, i64)> {
    let text = q.q.as_deref().is_some_and(|t| !t.trim().is_empty());
    let filter = status_filter(q);
    let (ranked, total) = if filter.is_empty() && !text {
        two_phase(db, ws, q, limit, offset).await?
    } else {
        let mut binds = Vec::new();
        let inner = ranked(q, &mut binds, None);
        let n = binds.len() + 1;
        let sql = format!(
            "SELECT w.id, w.halted, w.flagged, w.waiting, w.sentiment FROM ({inner}) w{filter} \
             ORDER BY {RANK_ORDER} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let query = bind_all!(sqlx::query_as::<_, RankedRow>(&sql).bind(ws), &binds);
        let rows: Vec<RankedRow> = query.bind(limit).bind(offset).fetch_all(&db.pool).await?;
        let count_sql = format!("SELECT COUNT(*) FROM ({inner}) w{filter}");
        let total = bind_all!(sqlx::query_scalar::<_, i64>(&count_sql).bind(ws), &binds).fetch_one(&db.pool).await?;
        (rows, total)
    };
    if ranked.is_empty() {
        return Ok((Vec::new(), total));
    }
    // Typed integers only: safe to inline.
    let ids = ranked.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(", ");
    let details: Vec<DetailRow> = sqlx::query_as(&format!(
        "SELECT u.id, u.external_id, \
         (SELECT COUNT(*) FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id) AS message_count, \
         (SELECT COUNT(*) FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id AND m.id > \
            COALESCE((SELECT os.seen_message_id FROM operator_seen os WHERE os.end_user_id = u.id AND os.operator = $2), 0)) \
            AS unread, \
         (SELECT m.content FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id ORDER BY m.id DESC LIMIT 1) \
            AS last_content, \
         (SELECT m.sender FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id ORDER BY m.id DESC LIMIT 1) \
            AS last_sender, \
         (SELECT m.created_at FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id ORDER BY m.id DESC LIMIT 1) \
            AS last_at, \
         (SELECT t.name FROM chat_sessions s JOIN templates t ON t.id = s.template_id WHERE s.workspace_id = $1 \
            AND s.end_user_id = u.id ORDER BY s.updated_at DESC, s.id DESC LIMIT 1) AS persona_name, \
         (SELECT m.template_version FROM messages m WHERE m.workspace_id = $1 AND m.end_user_id = u.id \
            AND m.template_version IS NOT NULL AND m.session_id = (SELECT s.id FROM chat_sessions s \
            WHERE s.workspace_id = $1 AND s.end_user_id = u.id ORDER BY s.updated_at DESC, s.id DESC LIMIT 1) \
            ORDER BY m.id DESC LIMIT 1) AS persona_version, \
         (SELECT a.label FROM assignments a WHERE a.end_user_id = u.id) AS label \
         FROM end_users u WHERE u.workspace_id = $1 AND u.id IN ({ids})"
    ))
    .bind(ws)
    .bind(operator)
    .fetch_all(&db.pool)
    .await?;
    let mut rows = Vec::with_capacity(ranked.len());
    for r in ranked {
        let Some(d) = details.iter().find(|d| d.id == r.id) else { continue };
        rows.push(WallRow {
            user_id: d.external_id.clone(),
            halted: r.halted != 0,
            flagged: r.flagged != 0,
            waiting: r.waiting != 0,
            persona_name: d.persona_name.clone(),
            persona_version: d.persona_version,
            label: d.label.clone(),
            message_count: d.message_count,
            unread: d.unread,
            last_message: d.last_content.clone(),
            last_sender: d.last_sender.as_deref().map(sender).transpose()?,
            last_message_at: d.last_at,
            sentiment: r.sentiment,
        });
    }
    Ok((rows, total))
}

/// The wall without status or text filter (see [`page`]): the priority users ranked in
/// full, then the rest in index order; and the count of every matching user.
async fn two_phase(
    db: &Db,
    ws: WorkspaceId,
    q: &WallQuery,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<RankedRow>, i64)> {
    let mut binds = Vec::new();
    let inner = ranked(q, &mut binds, Some(PRIORITY));
    let sql = format!(
        "SELECT w.id, w.halted, w.flagged, w.waiting, w.sentiment FROM ({inner}) w \
         WHERE w.halted <> 0 OR w.flagged <> 0 ORDER BY {RANK_ORDER}"
    );
    let first: Vec<RankedRow> =
        bind_all!(sqlx::query_as::<_, RankedRow>(&sql).bind(ws), &binds).fetch_all(&db.pool).await?;
    let mut rows: Vec<RankedRow> = first.iter().skip(offset as usize).take(limit as usize).cloned().collect();
    let want = limit - rows.len() as i64;
    if want > 0 {
        let skip = (offset - first.len() as i64).max(0);
        let mut binds = Vec::new();
        let wh = filters(q, &mut binds);
        // Typed integers only: safe to inline.
        let exclude = first.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(", ");
        let exclude = if exclude.is_empty() { String::new() } else { format!(" AND u.id NOT IN ({exclude})") };
        let n = binds.len() + 1;
        let sql = format!(
            "SELECT u.id, 0 AS halted, 0 AS flagged, {WAITING} AS waiting, {SENTIMENT} AS sentiment \
             FROM end_users u LEFT JOIN assignments asg ON asg.end_user_id = u.id{wh}{exclude} \
             ORDER BY {REST_ORDER} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rest: Vec<RankedRow> = bind_all!(sqlx::query_as::<_, RankedRow>(&sql).bind(ws), &binds)
            .bind(want)
            .bind(skip)
            .fetch_all(&db.pool)
            .await?;
        rows.extend(rest);
    }
    // The count needs no ranking: the same filters on the users (and their assignment).
    let mut binds = Vec::new();
    let wh = filters(q, &mut binds);
    let join = if q.label.as_deref().is_some_and(|l| !l.trim().is_empty()) {
        " LEFT JOIN assignments asg ON asg.end_user_id = u.id"
    } else {
        ""
    };
    let count_sql = format!("SELECT COUNT(*) FROM end_users u{join}{wh}");
    let total = bind_all!(sqlx::query_scalar::<_, i64>(&count_sql).bind(ws), &binds).fetch_one(&db.pool).await?;
    Ok((rows, total))
}

/// Keeps `end_users.wall_active_at` up to date: chat `session` was active at `at` (ms).
pub async fn touch_user(db: &Db, ws: WorkspaceId, session: crate::engine::ids::SessionId, at: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE end_users SET wall_active_at = $1 WHERE workspace_id = $2 AND wall_active_at < $1 \
         AND id = (SELECT end_user_id FROM chat_sessions WHERE id = $3)",
    )
    .bind(at)
    .bind(ws)
    .bind(session)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Keeps `end_users.wall_valence` up to date: `message` of `end_user` was scored
/// `valence` (a score of an older message than the one recorded does not win).
pub async fn scored(db: &Db, end_user: crate::engine::ids::EndUserId, message: i64, valence: f64) -> AppResult<()> {
    sqlx::query(
        "UPDATE end_users SET wall_valence = $1, wall_valence_message = $2 WHERE id = $3 AND wall_valence_message < $2",
    )
    .bind(valence)
    .bind(message)
    .bind(end_user)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Recomputes the wall columns of the workspace's users whose ids `users` (a subquery
/// with `$1` = the workspace) selects, from their chats and scores — after chats are
/// deleted, or data is loaded in bulk.
pub async fn refresh<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Any> + Copy,
    ws: WorkspaceId,
    users: &str,
) -> AppResult<()> {
    for sql in [
        format!(
            "UPDATE end_users SET wall_active_at = COALESCE((SELECT MAX(s.updated_at) FROM chat_sessions s \
             WHERE s.workspace_id = end_users.workspace_id AND s.end_user_id = end_users.id), 0), wall_valence_message = COALESCE((SELECT MAX(ms.message_id) \
             FROM message_sentiment ms JOIN messages m ON m.id = ms.message_id WHERE ms.workspace_id = end_users.workspace_id AND ms.end_user_id = end_users.id), 0) \
             WHERE workspace_id = $1 AND id IN ({users})"
        ),
        format!(
            "UPDATE end_users SET wall_valence = COALESCE((SELECT CAST(ms.valence AS DOUBLE PRECISION) \
             FROM message_sentiment ms WHERE ms.message_id = end_users.wall_valence_message), {NO_VALENCE}) \
             WHERE workspace_id = $1 AND id IN ({users})"
        ),
    ] {
        sqlx::query(&sql).bind(ws).execute(conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HaltedRow {
    external_id: String,
    halted_at: Option<i64>,
    halted_by: Option<String>,
    reason: Option<String>,
}

/// The workspace's halted users, most recently halted first.
pub async fn halted(db: &Db, ws: WorkspaceId) -> AppResult<Vec<crate::types::HaltedUser>> {
    let rows: Vec<HaltedRow> = sqlx::query_as(
        "SELECT u.external_id, s.halted_at, s.halted_by, s.reason FROM user_state s \
         JOIN end_users u ON u.id = s.end_user_id AND u.workspace_id = s.workspace_id \
         WHERE s.workspace_id = $1 AND s.halted <> 0 ORDER BY s.halted_at DESC, u.id DESC",
    )
    .bind(ws)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::types::HaltedUser {
            user_id: r.external_id,
            halted_at: r.halted_at,
            operator: r.halted_by,
            reason: r.reason,
        })
        .collect())
}
