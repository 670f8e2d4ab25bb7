//! Guardrails as the REST API, the dashboard and the pipeline see them: rule sets
//! (presets and a workspace's own), their rules, hits, test and backtest results.

use serde::{Deserialize, Serialize};

/// What a rule checks. JSON: the original's `type` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// `content` is added to the system prompt (after the rendered template), by
    /// `priority`, highest first. The original's only kind.
    SystemInstruction,
    /// The user's message matches `keywords` / `regex`: the turn ends before the LLM.
    BlockInput,
    /// The finished reply matches: the stored reply is the rule's `reply`.
    BlockOutput,
    /// The user's message is longer than `max_chars` characters.
    MaxInputChars,
    /// The user's message or the reply matches: let through, marked for review.
    Flag,
}

impl RuleKind {
    /// Every kind, in the editor's order.
    pub const ALL: [RuleKind; 5] = [
        RuleKind::SystemInstruction,
        RuleKind::BlockInput,
        RuleKind::BlockOutput,
        RuleKind::MaxInputChars,
        RuleKind::Flag,
    ];

    /// The JSON name (`block_input`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::SystemInstruction => "system_instruction",
            RuleKind::BlockInput => "block_input",
            RuleKind::BlockOutput => "block_output",
            RuleKind::MaxInputChars => "max_input_chars",
            RuleKind::Flag => "flag",
        }
    }

    /// Parses a JSON name; None for an unknown one.
    pub fn parse(s: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The action a rule of this kind takes when it names none.
    pub fn default_action(self) -> RuleAction {
        match self {
            RuleKind::Flag => RuleAction::Flag,
            _ => RuleAction::Block,
        }
    }
}

/// What a matching rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    /// The user sees the rule's `reply` instead (no LLM call for input rules).
    Block,
    /// Let through; the hit is stored and operators are alerted.
    Flag,
    /// The conversation is paused for an operator (the user sees the pause notice) and
    /// operators are alerted.
    Halt,
}

impl RuleAction {
    /// Every action, in the editor's order.
    pub const ALL: [RuleAction; 3] = [RuleAction::Block, RuleAction::Flag, RuleAction::Halt];

    /// `block`, `flag` or `halt`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Block => "block",
            RuleAction::Flag => "flag",
            RuleAction::Halt => "halt",
        }
    }

    /// Parses `block` / `flag` / `halt`.
    pub fn parse(s: &str) -> Option<RuleAction> {
        RuleAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One rule of a set, in the original's JSON shape (`type`, `content`, `priority`) plus
/// the fields of the newer kinds. Fields a kind does not use are left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardrailRule {
    #[serde(rename = "type")]
    pub kind: Option<RuleKind>,
    /// Shown in hits and alerts; default `#<position> <type>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `system_instruction`: the text added to the system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Higher first (instructions); default 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i64,
    /// Words or phrases, matched case-insensitively at word boundaries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// A regular expression (Rust `regex` syntax: linear time, no look-around; `(?i)`
    /// for case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// `max_input_chars`: the longest message allowed, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// Default: `flag` for `flag` rules, `block` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<RuleAction>,
    /// What the user sees instead when the rule blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl GuardrailRule {
    /// The rule's name as hits show it: its `name`, else `#<position> <type>` (1-based).
    pub fn label(&self, index: usize) -> String {
        match self.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => format!("#{} {}", index + 1, self.kind.map(RuleKind::as_str).unwrap_or("rule")),
        }
    }

    /// The action it takes (its own or its kind's default).
    pub fn effective_action(&self) -> RuleAction {
        self.action.unwrap_or_else(|| self.kind.map(RuleKind::default_action).unwrap_or(RuleAction::Block))
    }
}

/// A rule set with its rules (`GET /admin/guardrails/{name}`, `…/id/{id}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Guardrail {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub rules: Vec<GuardrailRule>,
    /// A preset: every workspace may use and copy it, none may change it.
    pub is_system: bool,
    pub is_active: bool,
    pub created_by: Option<String>,
    /// ms since the Unix epoch (0 for presets).
    pub created_at: i64,
    pub updated_at: i64,
}

/// A rule set as the list shows it (`GET /admin/guardrails`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardrailSummary {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub rule_count: usize,
    pub is_system: bool,
    pub is_active: bool,
    pub created_by: Option<String>,
    pub created_at: i64,
    /// Personas of the caller's workspace that use it.
    #[serde(default)]
    pub personas: Vec<String>,
}

/// A new rule set: its own rules, or a copy of `copy_from` (a preset or one of the
/// workspace's sets) with its rules unless `rules` is given too.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewGuardrail {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rules: Option<Vec<GuardrailRule>>,
    #[serde(default)]
    pub copy_from: Option<String>,
}

/// Changes to a rule set (fields left out keep their value).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardrailPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rules: Option<Vec<GuardrailRule>>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// A stored guardrail hit, as the monitor shows it on its message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardrailHit {
    pub id: i64,
    /// The message the rule matched (the user's, or the reply it checked).
    pub message_id: i64,
    pub session_id: i64,
    /// The rule set's name.
    pub guardrail: String,
    /// The rule's label ([`GuardrailRule::label`]).
    pub rule: String,
    /// The rule's kind (`block_input`, …).
    pub kind: String,
    /// `block`, `flag` or `halt`.
    pub action: String,
    /// The matched text with a little context (at most 120 characters).
    pub excerpt: String,
    /// ms since the Unix epoch.
    pub at: i64,
}

/// Which side of a turn a text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextSide {
    /// What the user sent (input rules).
    Input,
    /// A reply (output rules).
    Output,
}

/// One rule that matched a text (the editor's "test this text", a backtest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleMatch {
    /// The rule's position in the set (0-based).
    pub index: usize,
    pub rule: String,
    pub kind: RuleKind,
    pub action: RuleAction,
    pub excerpt: String,
}

/// A backtest request: the draft rules, run over the workspace's stored messages of the
/// last `days` days (1–90; default 7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BacktestRequest {
    pub rules: Vec<GuardrailRule>,
    #[serde(default)]
    pub days: Option<i64>,
    /// Most matching messages listed (1–200; default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One stored message a backtest's rules would have acted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BacktestHit {
    pub message_id: i64,
    pub user_id: String,
    pub session_id: i64,
    /// `user` or `assistant`.
    pub sender: String,
    pub created_at: i64,
    /// The first rule that acted (the one the pipeline would have applied).
    pub action: RuleAction,
    pub matches: Vec<RuleMatch>,
    /// The message's start (at most 200 characters).
    pub preview: String,
}

/// What a backtest found: how many messages were checked, counts per action, and the
/// newest matching messages (at most the request's `limit`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BacktestReport {
    pub days: i64,
    pub scanned: i64,
    pub blocked: i64,
    pub flagged: i64,
    pub halted: i64,
    pub hits: Vec<BacktestHit>,
    /// True when more messages matched than are listed.
    pub truncated: bool,
}

/// A persona as the guardrail editor's "used by personas" picker lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonaPick {
    pub id: i64,
    pub name: String,
    /// The set it uses now (this one or another), if any.
    pub guardrail_id: Option<i64>,
}

/// The guardrail editor's data: the set and every persona of the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardrailEditorData {
    pub guardrail: Guardrail,
    pub personas: Vec<PersonaPick>,
    /// Names of every set (presets and the workspace's), for the "use set" labels.
    pub names: Vec<(i64, String)>,
}
