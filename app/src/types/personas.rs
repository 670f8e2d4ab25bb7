//! Personas (templates), their immutable versions, labels and diffs.

use super::{AppError, DeclaredVariable, EndUserSummary, ModelSettings, Preview, ProviderInfo};
use serde::{Deserialize, Serialize};

/// The label chat answers with: every persona has it, and it cannot be removed.
pub const PRODUCTION: &str = "production";

/// A persona (template) in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonaSummary {
    pub id: i64,
    pub name: String,
    /// The highest version number (versions are numbered 1, 2, 3 …).
    pub latest_version: i64,
    /// The version the `production` label points to (what chat uses).
    pub production_version: Option<i64>,
    /// Inactive personas cannot be chosen in chat.
    pub active: bool,
    /// Shared personas appear in other workspaces' library.
    pub shared: bool,
    pub updated_at: i64,
}

/// One immutable version of a persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    pub version: i64,
    pub content: String,
    /// sha256 of `content`, lowercase hex.
    pub checksum: String,
    pub note: String,
    /// Email of the operator who saved it (or the name given through the REST API).
    pub author: String,
    pub created_at: i64,
    pub kind: PersonaKind,
    /// The model settings chat uses when this version answers.
    pub settings: ModelSettings,
    /// Variables the operator declared for this version, with their defaults.
    pub variables: Vec<DeclaredVariable>,
}

/// A variable a template reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateVariable {
    pub name: String,
    /// True when the chat pipeline provides it or the operator declared it; an unknown
    /// one fails at render time.
    pub known: bool,
}

/// A persona with its whole version history, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonaDetail {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub shared: bool,
    pub versions: Vec<VersionInfo>,
    /// Variables the latest version reads.
    pub variables: Vec<TemplateVariable>,
    /// Labels by name (`production` first).
    pub labels: Vec<Label>,
    /// Every label move, newest first.
    pub label_moves: Vec<LabelMove>,
    /// Set when this persona was cloned from another workspace's shared persona.
    pub source: Option<CloneSource>,
}

/// How the rendered template becomes the prompt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PersonaKind {
    /// The template renders the system prompt; history is sent as separate messages.
    #[default]
    Chat,
    /// The template renders the whole prompt (history included), sent as one user message
    /// (ChatML-style templates of the original PromptDev).
    Text,
}

impl PersonaKind {
    /// `chat` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonaKind::Chat => "chat",
            PersonaKind::Text => "text",
        }
    }

    /// `chat` or `text`. Errors: `Invalid` (field `kind`).
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s.trim() {
            "" | "chat" => Ok(PersonaKind::Chat),
            "text" => Ok(PersonaKind::Text),
            other => Err(AppError::invalid("kind", format!("kind is chat or text, not “{other}”"))),
        }
    }
}

/// A named pointer to a version (`production`, `staging`, or any operator-made label).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Label {
    pub name: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One recorded label move: who pointed `label` from `from_version` to `to_version`
/// (`from_version` None when the label was created, `to_version` None when removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LabelMove {
    pub label: String,
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub actor: String,
    pub created_at: i64,
}

/// Where a cloned persona came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CloneSource {
    pub persona_id: i64,
    pub version: i64,
    pub workspace: String,
    pub name: String,
}

/// What the editor sends to save a version (the REST API and server functions alike).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionDraft {
    pub content: String,
    #[serde(default)]
    pub kind: PersonaKind,
    #[serde(default)]
    pub settings: ModelSettings,
    #[serde(default)]
    pub variables: Vec<DeclaredVariable>,
    #[serde(default)]
    pub note: String,
}

/// The result of saving a persona's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SaveResult {
    /// The version written, or — when `unchanged` — the latest version, whose content
    /// (by sha256) equals what was saved.
    pub version: VersionInfo,
    /// True when no version was created because the content was identical to the latest.
    pub unchanged: bool,
}

/// Everything the persona editor page shows, in one call: the persona, the providers
/// its settings offer and the end users its preview can sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditorPageData {
    pub persona: PersonaDetail,
    pub providers: Vec<ProviderInfo>,
    pub users: Vec<EndUserSummary>,
    /// The live preview of the latest version with the default hand-written sample (no
    /// memory, the default message), so the page shows it before any typing, even
    /// without JavaScript.
    pub preview: Result<Preview, AppError>,
}

/// How a line differs between two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Equal,
    Added,
    Removed,
}

/// One line of a version diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DiffLine {
    pub kind: DiffKind,
    /// 1-based line number in the older version (absent for added lines).
    pub old_line: Option<u32>,
    /// 1-based line number in the newer version (absent for removed lines).
    pub new_line: Option<u32>,
    /// The line's text in pieces; `true` marks the words that changed within the line.
    pub segments: Vec<(bool, String)>,
}

/// A line diff between two versions of a persona, with word-level highlights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionDiff {
    pub persona_id: i64,
    pub from: i64,
    pub to: i64,
    /// Lines only in `to`.
    pub added: u32,
    /// Lines only in `from`.
    pub removed: u32,
    pub lines: Vec<DiffLine>,
}
