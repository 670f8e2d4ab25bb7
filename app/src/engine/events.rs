//! In-process event bus: every stored message and every halt/resume is published here
//! and fanned out to Server-Sent Event streams (operators' monitor, the user's chat).

use super::ids::WorkspaceId;
use crate::types::LiveEvent;
use tokio::sync::broadcast;

/// An event and the workspace it belongs to (subscribers filter on it).
#[derive(Clone, Debug)]
pub struct WorkspaceEvent {
    pub workspace_id: WorkspaceId,
    pub event: LiveEvent,
}

/// Cheap to clone; all clones share one channel.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<WorkspaceEvent>,
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
        Self { tx }
    }

    /// Publishes to current subscribers; no subscriber is not an error.
    pub fn publish(&self, workspace_id: WorkspaceId, event: LiveEvent) {
        let _ = self.tx.send(WorkspaceEvent { workspace_id, event });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WorkspaceEvent> {
        self.tx.subscribe()
    }
}
