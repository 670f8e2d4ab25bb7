//! The event bus: every stored message and every halt/resume is published here and fanned
//! out to Server-Sent Event streams (operators' monitor, the user's chat).
//!
//! In one process it is a tokio broadcast channel. On PostgreSQL, [`EventBus::share`] also
//! connects the processes on one database: each published event is sent with
//! `pg_notify('promptdev_events', …)` (by a task, so [`EventBus::publish`] stays
//! synchronous) and a `LISTEN` connection re-publishes the other processes' events here.
//! Each event carries the id of the process that published it, so a process skips its own
//! echo. A NOTIFY payload is limited to 8000 bytes: a bigger event is stored in
//! `live_events` and only its id is notified. SQLite has one process: nothing to share.

use super::db::{Db, Dialect};
use super::ids::WorkspaceId;
use super::store::live_events;
use crate::types::LiveEvent;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use tokio::sync::{broadcast, mpsc};

/// The PostgreSQL channel events travel on between processes.
pub const CHANNEL: &str = "promptdev_events";
/// Largest payload notified inline; a bigger event is stored and its id notified
/// (PostgreSQL's limit is 8000 bytes).
pub const MAX_INLINE: usize = 7_900;

/// An event and the workspace it belongs to (subscribers filter on it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkspaceEvent {
    pub workspace_id: WorkspaceId,
    pub event: LiveEvent,
}

/// What goes over NOTIFY: the publishing process and the event, or the id of the stored event.
#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The publishing process ([`EventBus`]'s origin id).
    o: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<WorkspaceEvent>,
    /// A `live_events` row holding the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
}

/// Cheap to clone; all clones share one channel (and, once shared, one NOTIFY sender).
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<WorkspaceEvent>,
    /// This process's id on the shared channel.
    origin: Arc<str>,
    /// Feeds the NOTIFY task once [`EventBus::share`] ran.
    remote: Arc<OnceLock<mpsc::UnboundedSender<WorkspaceEvent>>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus that buffers up to 1024 events for slow subscribers (they then skip ahead).
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self { tx, origin: uuid::Uuid::new_v4().simple().to_string().into(), remote: Arc::default() }
    }

    /// Publishes to current subscribers (and, when shared, to the other processes); no
    /// subscriber is not an error.
    pub fn publish(&self, workspace_id: WorkspaceId, event: LiveEvent) {
        let ev = WorkspaceEvent { workspace_id, event };
        if let Some(remote) = self.remote.get() {
            let _ = remote.send(ev.clone());
        }
        let _ = self.tx.send(ev);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WorkspaceEvent> {
        self.tx.subscribe()
    }

    /// On PostgreSQL: shares events with the other processes on `db` (see the module
    /// docs); returns once this process listens, so no later event of another process is
    /// missed. A second call does nothing. On SQLite: nothing. Errors: the LISTEN
    /// connection cannot be opened.
    pub async fn share(&self, db: &Db) -> anyhow::Result<()> {
        if db.dialect != Dialect::Postgres || self.remote.get().is_some() {
            return Ok(());
        }
        let mut listener = sqlx::postgres::PgListener::connect(&db.url).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        if self.remote.set(tx).is_err() {
            return Ok(());
        }
        tokio::spawn(notify_task(db.clone(), self.origin.to_string(), rx));
        tokio::spawn(listen_task(db.clone(), self.clone(), listener));
        Ok(())
    }
}

/// Sends this process's events with NOTIFY, in order; prunes stored big events now and then.
async fn notify_task(db: Db, origin: String, mut rx: mpsc::UnboundedReceiver<WorkspaceEvent>) {
    let mut last_prune = 0;
    while let Some(ev) = rx.recv().await {
        let inline = Envelope { o: origin.clone(), e: Some(ev), id: None };
        let Ok(mut payload) = serde_json::to_string(&inline) else { continue };
        if payload.len() > MAX_INLINE {
            let Some(e) = &inline.e else { continue };
            let stored = match serde_json::to_string(e) {
                Ok(text) => live_events::insert(&db, &text, super::now_ms()).await,
                Err(e) => {
                    tracing::warn!(error = %e, "live event not serialisable");
                    continue;
                }
            };
            match stored {
                Ok(id) => {
                    let by_id = Envelope { o: origin.clone(), e: None, id: Some(id) };
                    payload = serde_json::to_string(&by_id).unwrap_or_default();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not store a big live event for other processes");
                    continue;
                }
            }
            let now = super::now_ms();
            if now - last_prune > 60_000 {
                last_prune = now;
                if let Err(e) = live_events::prune(&db, now - live_events::KEEP_MS).await {
                    tracing::warn!(error = %e, "could not prune live_events");
                }
            }
        }
        if let Err(e) = live_events::notify(&db, CHANNEL, &payload).await {
            tracing::warn!(error = %e, "could not send a live event to other processes");
        }
    }
}

/// Re-publishes here the events other processes sent (their NOTIFYs).
async fn listen_task(db: Db, bus: EventBus, mut listener: sqlx::postgres::PgListener) {
    loop {
        let note = match listener.recv().await {
            Ok(n) => n,
            Err(e) => {
                // PgListener reconnects on the next recv; events sent meanwhile are lost.
                tracing::warn!(error = %e, "live events from other processes: connection lost");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let env: Envelope = match serde_json::from_str(note.payload()) {
            Ok(env) => env,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable live event from another process");
                continue;
            }
        };
        if *env.o == *bus.origin {
            continue;
        }
        let ev = match (env.e, env.id) {
            (Some(ev), _) => ev,
            (None, Some(id)) => match live_events::get(&db, id).await {
                Ok(Some(text)) => match serde_json::from_str(&text) {
                    Ok(ev) => ev,
                    Err(e) => {
                        tracing::warn!(error = %e, id, "unreadable stored live event");
                        continue;
                    }
                },
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, id, "could not read a stored live event");
                    continue;
                }
            },
            (None, None) => continue,
        };
        let _ = bus.tx.send(ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_round_trips_and_stays_small_for_small_events() {
        let ev = WorkspaceEvent {
            workspace_id: WorkspaceId(3),
            event: LiveEvent::Persona { persona_id: 9, available: false },
        };
        let text = serde_json::to_string(&Envelope { o: "p1".into(), e: Some(ev), id: None }).unwrap();
        assert!(text.len() < MAX_INLINE);
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back.o, "p1");
        let e = back.e.unwrap();
        assert_eq!(e.workspace_id, WorkspaceId(3));
        assert_eq!(e.event, LiveEvent::Persona { persona_id: 9, available: false });
        let by_id: Envelope = serde_json::from_str(r#"{"o":"p2","id":5}"#).unwrap();
        assert_eq!((by_id.e.is_none(), by_id.id), (true, Some(5)));
    }
}
