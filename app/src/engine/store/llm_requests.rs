//! `llm_requests`: every LLM call — the exact messages sent, the reply or error, tokens,
//! latency (ms) and where it came from.

use super::{json, to_json, Corrupt};
use crate::engine::db::Db;
use crate::engine::ids::{EndUserId, MessageId, PersonaId, SessionId, WorkspaceId};
use crate::engine::llm::LlmProvider;
use crate::engine::now_ms;
use crate::error::AppResult;
use crate::types::{ChatMessage, ModelSettings};

/// One row to write: what was sent, what came back, and where it came from.
pub struct RequestLog<'a> {
    pub workspace_id: WorkspaceId,
    pub end_user_id: Option<EndUserId>,
    pub session_id: Option<SessionId>,
    pub template_id: Option<PersonaId>,
    pub template_version: Option<i64>,
    /// `chat`, `playground`, `draft`, `summary` (the running summary job), or another
    /// background job's name.
    pub source: &'a str,
    pub provider: String,
    pub model: String,
    pub messages: &'a [ChatMessage],
    pub response: Option<&'a str>,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub latency_ms: i64,
    /// Time to first token of a streamed call (ms); None when nothing was streamed.
    pub ttft_ms: Option<i64>,
    /// Prompt tokens the provider reused from an earlier request.
    pub cached_tokens: Option<u32>,
    /// `ok`, `error`, `stopped` or `render_error`.
    pub status: &'a str,
    pub error: Option<String>,
    /// A chat turn's context (`engine::turn` writes its `TurnContext` with the template
    /// version): what the inspector shows and a fork to the playground reuses.
    pub context: Option<serde_json::Value>,
    /// A chat turn's user message (the one the reply answers).
    pub message_id: Option<MessageId>,
}

impl<'a> RequestLog<'a> {
    /// A row for a call with `settings` from `source`, status `ok`, nothing sent yet.
    pub fn new(llm: &LlmProvider, ws: WorkspaceId, source: &'a str, settings: &ModelSettings) -> Self {
        Self {
            workspace_id: ws,
            end_user_id: None,
            session_id: None,
            template_id: None,
            template_version: None,
            source,
            provider: llm.kind().to_string(),
            model: llm.model_for(Some(settings.model.trim()).filter(|m| !m.is_empty())),
            messages: &[],
            response: None,
            prompt_tokens: None,
            completion_tokens: None,
            latency_ms: 0,
            ttft_ms: None,
            cached_tokens: None,
            status: "ok",
            error: None,
            context: None,
            message_id: None,
        }
    }
}

/// Writes one row, and counts the call in the Prometheus metrics
/// ([`crate::engine::telemetry::llm_call`]: every LLM call is logged here, so this is the
/// one place that sees them all).
pub async fn insert(db: &Db, log: &RequestLog<'_>) -> AppResult<()> {
    crate::engine::telemetry::llm_call(&crate::engine::telemetry::LlmCall {
        source: log.source,
        status: log.status,
        latency_ms: log.latency_ms,
        ttft_ms: log.ttft_ms,
        error: log.error.as_deref(),
        prompt_tokens: log.prompt_tokens,
        completion_tokens: log.completion_tokens,
    });
    sqlx::query(
        "INSERT INTO llm_requests (workspace_id, end_user_id, session_id, template_id, template_version, provider, model, messages, \
         response, prompt_tokens, completion_tokens, latency_ms, status, error, created_at, source, \
         ttft_ms, cached_tokens, context, message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(log.workspace_id)
    .bind(log.end_user_id)
    .bind(log.session_id)
    .bind(log.template_id)
    .bind(log.template_version)
    .bind(&log.provider)
    .bind(&log.model)
    .bind(to_json(&log.messages)?)
    .bind(log.response)
    .bind(log.prompt_tokens.map(i64::from))
    .bind(log.completion_tokens.map(i64::from))
    .bind(log.latency_ms)
    .bind(log.status)
    .bind(log.error.as_deref())
    .bind(now_ms())
    .bind(log.source)
    .bind(log.ttft_ms)
    .bind(log.cached_tokens.map(i64::from))
    .bind(log.context.as_ref().map(to_json).transpose()?)
    .bind(log.message_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One row of the request log as the REST API returns it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LlmRequestRow {
    pub id: i64,
    pub user_id: Option<String>,
    pub template_id: Option<i64>,
    pub template_version: Option<i64>,
    pub provider: String,
    pub model: String,
    /// The exact messages sent to the LLM.
    pub messages: Vec<ChatMessage>,
    pub response: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub latency_ms: i64,
    /// Time to first token (ms) of a streamed call; None when nothing was streamed.
    pub ttft_ms: Option<i64>,
    /// Prompt tokens reused from the provider's cache.
    pub cached_tokens: Option<i64>,
    /// `ok`, `error`, `stopped` (generation stopped by the user) or `render_error`.
    pub status: String,
    pub error: Option<String>,
    /// `chat` (an end user's turn), `playground` or `draft`.
    pub source: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    external_id: Option<String>,
    template_id: Option<i64>,
    template_version: Option<i64>,
    provider: String,
    model: String,
    messages: String,
    response: Option<String>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    latency_ms: i64,
    ttft_ms: Option<i64>,
    cached_tokens: Option<i64>,
    status: String,
    error: Option<String>,
    created_at: i64,
    source: String,
}

impl TryFrom<Row> for LlmRequestRow {
    type Error = Corrupt;
    fn try_from(r: Row) -> Result<Self, Corrupt> {
        Ok(LlmRequestRow {
            id: r.id,
            user_id: r.external_id,
            template_id: r.template_id,
            template_version: r.template_version,
            provider: r.provider,
            model: r.model,
            messages: json("llm_requests.messages", &r.messages)?,
            response: r.response,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            latency_ms: r.latency_ms,
            ttft_ms: r.ttft_ms,
            cached_tokens: r.cached_tokens,
            status: r.status,
            error: r.error,
            source: r.source,
            created_at: r.created_at,
        })
    }
}

/// The newest `limit` (clamped to 1–500) rows of the workspace.
pub async fn newest(db: &Db, ws: WorkspaceId, limit: i64) -> AppResult<Vec<LlmRequestRow>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, u.external_id, r.template_id, r.template_version, r.provider, r.model, r.messages, r.response, \
         r.prompt_tokens, r.completion_tokens, r.latency_ms, r.ttft_ms, r.cached_tokens, r.status, r.error, r.created_at, r.source \
         FROM llm_requests r LEFT JOIN end_users u ON u.id = r.end_user_id WHERE r.workspace_id = $1 ORDER BY r.id DESC LIMIT $2",
    )
    .bind(ws)
    .bind(limit.clamp(1, 500))
    .fetch_all(&db.pool)
    .await?;
    Ok(super::convert(rows)?)
}

/// One chat turn's request-log row as the inspector reads it: the figures of
/// [`LlmRequestRow`] plus the turn's context, still as stored JSON (None when the row
/// predates it).
#[derive(Clone, Debug)]
pub struct TurnRequest {
    pub row: LlmRequestRow,
    pub context: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct TurnRow {
    #[sqlx(flatten)]
    row: Row,
    context: Option<String>,
}

/// The `chat` rows of the workspace written for the turn of user message `message`,
/// newest first (a regenerated reply has several).
pub async fn of_turn(db: &Db, ws: WorkspaceId, message: MessageId) -> AppResult<Vec<TurnRequest>> {
    let rows: Vec<TurnRow> = sqlx::query_as(
        "SELECT r.id, u.external_id, r.template_id, r.template_version, r.provider, r.model, r.messages, r.response, \
         r.prompt_tokens, r.completion_tokens, r.latency_ms, r.ttft_ms, r.cached_tokens, r.status, r.error, r.created_at, r.source, \
         r.context FROM llm_requests r LEFT JOIN end_users u ON u.id = r.end_user_id \
         WHERE r.workspace_id = $1 AND r.message_id = $2 AND r.source = 'chat' ORDER BY r.id DESC",
    )
    .bind(ws)
    .bind(message)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let context = r.context.as_deref().map(|c| json("llm_requests.context", c)).transpose()?;
        out.push(TurnRequest { row: LlmRequestRow::try_from(r.row)?, context });
    }
    Ok(out)
}

/// The user message of the turn message `id` belongs to: itself for a user message, the
/// message it answers for a reply or pause notice; None when `id` is not a message of the
/// workspace (or answers nothing).
pub async fn turn_of(db: &Db, ws: WorkspaceId, id: MessageId) -> AppResult<Option<MessageId>> {
    let row: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT CASE WHEN sender = 'user' THEN id ELSE reply_to END FROM messages WHERE id = $1 AND workspace_id = $2",
    )
    .bind(id)
    .bind(ws)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.flatten().map(MessageId))
}

/// Binds of a dynamic query, in placeholder order after `$1` (the workspace).
enum Bind {
    I64(i64),
    Text(String),
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    created_at: i64,
    external_id: Option<String>,
    session_id: Option<i64>,
    message_id: Option<i64>,
    template_id: Option<i64>,
    persona: Option<String>,
    template_version: Option<i64>,
    source: String,
    provider: String,
    model: String,
    status: String,
    latency_ms: i64,
    ttft_ms: Option<i64>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
}

impl From<SummaryRow> for crate::types::RequestSummary {
    fn from(r: SummaryRow) -> Self {
        crate::types::RequestSummary {
            id: r.id,
            created_at: r.created_at,
            user_id: r.external_id,
            session_id: r.session_id,
            message_id: r.message_id,
            persona_id: r.template_id,
            persona: r.persona,
            version: r.template_version,
            source: r.source,
            provider: r.provider,
            model: r.model,
            status: r.status,
            latency_ms: r.latency_ms,
            ttft_ms: r.ttft_ms,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            cost_usd: None,
        }
    }
}

const SUMMARY_SELECT: &str = "SELECT r.id, r.created_at, u.external_id, r.session_id, r.message_id, r.template_id, \
     t.name AS persona, r.template_version, r.source, r.provider, r.model, r.status, r.latency_ms, r.ttft_ms, \
     r.prompt_tokens, r.completion_tokens FROM llm_requests r LEFT JOIN end_users u ON u.id = r.end_user_id \
     LEFT JOIN templates t ON t.id = r.template_id";

/// One page of `ws`'s log matching `f`, newest first: up to `limit` rows and whether
/// there are more. `limit` is clamped to 1–200.
pub async fn search(
    db: &Db,
    ws: WorkspaceId,
    f: &crate::types::RequestFilter,
) -> AppResult<(Vec<crate::types::RequestSummary>, bool)> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut binds = Vec::new();
    let mut next = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len() + 1)
    };
    let mut sql = format!("{SUMMARY_SELECT} WHERE r.workspace_id = $1");
    let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(p) = f.persona_id {
        sql.push_str(&format!(" AND r.template_id = {}", next(Bind::I64(p))));
    }
    if let Some(v) = f.version {
        sql.push_str(&format!(" AND r.template_version = {}", next(Bind::I64(v))));
    }
    if let Some(s) = text(&f.status) {
        sql.push_str(&format!(" AND r.status = {}", next(Bind::Text(s))));
    }
    if let Some(s) = text(&f.source) {
        sql.push_str(&format!(" AND r.source = {}", next(Bind::Text(s))));
    }
    if let Some(u) = text(&f.user_id) {
        sql.push_str(&format!(" AND u.external_id = {}", next(Bind::Text(u))));
    }
    if let Some(t) = f.since {
        sql.push_str(&format!(" AND r.created_at >= {}", next(Bind::I64(t))));
    }
    if let Some(t) = f.until {
        sql.push_str(&format!(" AND r.created_at < {}", next(Bind::I64(t))));
    }
    if let Some(c) = f.cursor {
        sql.push_str(&format!(" AND r.id < {}", next(Bind::I64(c))));
    }
    if let Some(q) = text(&f.q) {
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let n = next(Bind::Text(format!("%{escaped}%")));
        sql.push_str(&format!(
            " AND (LOWER(r.messages) LIKE {n} ESCAPE '\\' OR LOWER(COALESCE(r.response, '')) LIKE {n} ESCAPE '\\' \
             OR LOWER(COALESCE(r.error, '')) LIKE {n} ESCAPE '\\')"
        ));
    }
    sql.push_str(&format!(" ORDER BY r.id DESC LIMIT {}", limit + 1));
    let mut query = sqlx::query_as::<_, SummaryRow>(&sql).bind(ws);
    for b in binds {
        query = match b {
            Bind::I64(v) => query.bind(v),
            Bind::Text(v) => query.bind(v),
        };
    }
    let mut rows: Vec<crate::types::RequestSummary> =
        query.fetch_all(&db.pool).await?.into_iter().map(Into::into).collect();
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// One row of `ws` in full: the summary, the texts, the turn context (as stored JSON),
/// cached tokens and whether the texts were dropped. None when not `ws`'s.
pub async fn detail(db: &Db, ws: WorkspaceId, id: i64) -> AppResult<Option<RequestFull>> {
    #[derive(sqlx::FromRow)]
    struct Full {
        #[sqlx(flatten)]
        s: SummaryRow,
        messages: String,
        response: Option<String>,
        error: Option<String>,
        cached_tokens: Option<i64>,
        context: Option<String>,
        bodies_dropped: i64,
    }
    let sql = SUMMARY_SELECT.replacen(
        "r.completion_tokens FROM",
        "r.completion_tokens, r.messages, r.response, r.error, r.cached_tokens, r.context, r.bodies_dropped FROM",
        1,
    );
    let row: Option<Full> = sqlx::query_as(&format!("{sql} WHERE r.workspace_id = $1 AND r.id = $2"))
        .bind(ws)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(RequestFull {
        messages: json("llm_requests.messages", &r.messages)?,
        context: r.context.as_deref().map(|c| json("llm_requests.context", c)).transpose()?,
        summary: r.s.into(),
        response: r.response,
        error: r.error,
        cached_tokens: r.cached_tokens,
        bodies_dropped: r.bodies_dropped != 0,
    }))
}

/// What [`detail`] reads.
pub struct RequestFull {
    pub summary: crate::types::RequestSummary,
    pub messages: Vec<ChatMessage>,
    pub response: Option<String>,
    pub error: Option<String>,
    pub cached_tokens: Option<i64>,
    pub context: Option<serde_json::Value>,
    pub bodies_dropped: bool,
}

/// Drops the texts (messages sent, reply, context) of `ws`'s rows older than `before`
/// (ms), keeping their figures; returns how many rows changed.
pub async fn drop_bodies(db: &Db, ws: WorkspaceId, before: i64) -> AppResult<u64> {
    Ok(sqlx::query(
        "UPDATE llm_requests SET messages = '[]', response = NULL, context = NULL, bodies_dropped = 1 \
         WHERE workspace_id = $1 AND created_at < $2 AND bodies_dropped = 0",
    )
    .bind(ws)
    .bind(before)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// Every workspace with a retention set: (workspace, days).
pub async fn retention_settings(db: &Db) -> AppResult<Vec<(WorkspaceId, i64)>> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, request_body_days FROM workspaces WHERE request_body_days IS NOT NULL")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|(id, d)| (WorkspaceId(id), d)).collect())
}
