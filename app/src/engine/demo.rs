//! `promptdev seed-demo`: a workspace full of plausible history (three personas with two
//! versions each, ~50 messages per end user over 30 days, a request-log row per five
//! messages, guardrail hits, sentiment, a few halts), then aggregated — to try the
//! Overview and to measure it at scale. Row shapes: [`store::demo`].

use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::engine::store::demo::{self as store, Plan};
use crate::engine::{now_ms, personas, stats};
use crate::error::{AppError, AppResult};
use crate::types::{ModelSettings, PersonaKind, VersionDraft, DAY_MS, PRODUCTION};

/// Rows per insert statement: big enough to be fast, small enough to report progress and
/// not hold SQLite's writer for long.
const CHUNK: i64 = 250_000;

/// What a run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub personas: Vec<String>,
    pub users: i64,
    pub messages: i64,
    pub requests: i64,
}

/// Seeds `messages` messages (at least 100) into `ws` as `author`; `progress` gets a line
/// per step. Errors: `Invalid` for fewer than 100 messages, `Conflict` when the workspace
/// already has the demo personas, `Internal` when the database fails.
pub async fn seed(
    db: &Db,
    ws: WorkspaceId,
    messages: i64,
    author: &str,
    mut progress: impl FnMut(&str),
) -> AppResult<Seeded> {
    if messages < 100 {
        return Err(AppError::invalid("messages", "Seed at least 100 messages."));
    }
    let names = ["Demo Ava", "Demo Max", "Demo Sage"];
    let mut ids = [0i64; 3];
    for (i, name) in names.iter().enumerate() {
        let v1 = VersionDraft {
            content: format!("You are {name}, a warm companion. Keep replies short."),
            kind: PersonaKind::Chat,
            settings: ModelSettings::default(),
            variables: Vec::new(),
            note: "First take".into(),
        };
        let p = personas::create(db, ws, name, &v1, author, personas::Publish::Now).await.map_err(|e| match e {
            AppError::Conflict { .. } => AppError::Conflict {
                message: format!(
                    "This workspace already has a persona named {name}: seed a fresh database (or another workspace)."
                ),
            },
            e => e,
        })?;
        let v2 = VersionDraft {
            content: format!("You are {name}, a warm companion who remembers what matters to {{{{ user_id }}}}."),
            note: "Remembers the user".into(),
            ..v1.clone()
        };
        personas::save_version(db, ws, PersonaId(p.id), &v2, author).await?;
        personas::move_label(db, ws, PersonaId(p.id), PRODUCTION, 2, author).await?;
        ids[i] = p.id;
    }
    let now = now_ms();
    let users = (messages + 49) / 50;
    let plan = Plan { ws, personas: ids, users, messages, now, span_ms: 30 * DAY_MS, promoted_at: now - 10 * DAY_MS };
    progress(&format!("{users} end users and their chats…"));
    let (ubase, sbase) = store::users(db, &plan).await?;
    let mut k = 0;
    while k < messages {
        let hi = (k + CHUNK).min(messages);
        store::messages(db, &plan, ubase, sbase, k, hi).await?;
        k = hi;
        progress(&format!("messages: {k} / {messages}"));
    }
    let requests = messages / 5;
    let mut j = 0;
    while j < requests {
        let hi = (j + CHUNK).min(requests);
        store::requests(db, &plan, ubase, sbase, j, hi).await?;
        j = hi;
        progress(&format!("request log: {j} / {requests}"));
    }
    progress("guardrail hits, sentiment, halts…");
    store::extras(db, &plan, ubase, sbase).await?;
    progress("analyzing…");
    store::analyze(db).await?;
    store::reset_stats(db).await?;
    let report = stats::aggregate(db, |done, total| {
        if done % 120 == 0 || done == total {
            progress(&format!("statistics: {done} / {total} hours"));
        }
    })
    .await?;
    progress(&format!("aggregated up to {}", report.until));
    Ok(Seeded { personas: names.iter().map(|s| s.to_string()).collect(), users, messages, requests })
}
