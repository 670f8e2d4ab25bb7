//! Alerts: when a guardrail halts or flags a conversation, every open dashboard tab of
//! the workspace gets a live notice ([`crate::types::LiveEvent::Alert`]) and, when the
//! workspace set one, its webhook gets the alert as JSON (a [`JobKind::Webhook`] job,
//! retried by the queue; see [`webhook`]).

pub mod webhook;

pub use webhook::{parse_webhook_url, run_job};

use super::ids::WorkspaceId;
use super::queue::{self, JobKind};
use super::store::workspace_settings as settings;
use super::AppState;
use crate::error::AppResult;
use crate::types::{Alert, LiveEvent};

/// Publishes `alert` live and, when the workspace has a webhook, enqueues its delivery:
/// `{"type": "alert", "workspace": <slug>, <the Alert's fields>}`. Never fails the
/// caller's turn: errors (database) are for the caller to log.
pub async fn raise(state: &AppState, ws: WorkspaceId, alert: Alert) -> AppResult<()> {
    state.events.publish(ws, LiveEvent::Alert { alert: alert.clone() });
    let Some((slug, Some(_))) = settings::webhook(&state.db, ws).await? else { return Ok(()) };
    queue::enqueue(&state.db, ws, JobKind::Webhook, &webhook_body(&slug, &alert), None).await?;
    Ok(())
}

/// The JSON a webhook receives for `alert` in workspace `slug`.
pub fn webhook_body(slug: &str, alert: &Alert) -> serde_json::Value {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), "alert".into());
    body.insert("workspace".into(), slug.into());
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(alert) {
        body.extend(fields);
    }
    serde_json::Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_body_is_the_alert_with_its_type_and_workspace() {
        let alert = Alert {
            user_id: "u1".into(),
            session_id: 4,
            message_id: 9,
            action: "halt".into(),
            guardrail: "safety".into(),
            rule: "self-harm".into(),
            excerpt: "…".into(),
            at: 1_700_000_000_000,
        };
        let body = webhook_body("acme", &alert);
        assert_eq!(body["type"], "alert");
        assert_eq!(body["workspace"], "acme");
        assert_eq!(body["user_id"], "u1");
        assert_eq!(body["message_id"], 9);
        assert_eq!(body["action"], "halt");
        assert_eq!(body["at"], 1_700_000_000_000_i64);
    }
}
