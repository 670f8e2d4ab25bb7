//! The audit log as the audit page and `GET /admin/audit` show it.

use serde::{Deserialize, Serialize};

/// One audit entry: who did what to which target, when, and what changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// The operator's email (or `system`, `migration`).
    pub actor: String,
    /// A fixed verb: `halt`, `resume`, `inject_note`, `inject_message`, `draft_sent`,
    /// `assign`, `unassign`, `conversation_clear`, `persona_delete`, `memory_set`, …
    pub action: String,
    /// The end user's id or the persona's id the entry is about.
    pub target: String,
    /// Free text (a reason, a name); empty for most changes.
    pub detail: String,
    /// The state before the change (None: created, or not a change).
    pub before: Option<serde_json::Value>,
    /// The state after the change (None: deleted, or not a change).
    pub after: Option<serde_json::Value>,
    /// When (ms since the Unix epoch).
    pub created_at: i64,
}

/// Which audit entries to list. Empty strings and None mean "any".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct AuditFilter {
    /// The action, exactly (e.g. `persona_delete`; the page's `actions` lists those in use).
    #[serde(default)]
    pub action: Option<String>,
    /// The operator's email (or `system`, `migration`), exactly.
    #[serde(default)]
    pub actor: Option<String>,
    /// The target (an end user's id, a persona's id), exactly.
    #[serde(default)]
    pub target: Option<String>,
    /// From this time on (ms, inclusive).
    #[serde(default)]
    pub since: Option<i64>,
    /// Before this time (ms, exclusive).
    #[serde(default)]
    pub until: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Entries to skip (default 0).
    #[serde(default)]
    pub offset: Option<i64>,
}

/// A page of the audit log, newest first, and how many entries match in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// The actions that occur in this workspace's log (for the filter's choices).
    #[serde(default)]
    pub actions: Vec<String>,
}
