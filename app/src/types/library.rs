//! Personas beyond a workspace's own list: the shared library, the trash, export and import.

use super::{DeclaredVariable, ModelSettings, PersonaKind, PersonaSummary};
use serde::{Deserialize, Serialize};

/// A persona another workspace shares, as the library lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SharedPersona {
    pub id: i64,
    pub name: String,
    /// The sharing workspace's name.
    pub workspace: String,
    /// The version a clone copies: the one `production` points to.
    pub version: i64,
    pub kind: PersonaKind,
    pub content: String,
}

/// A soft-deleted persona, restorable until `restorable_until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeletedPersona {
    pub id: i64,
    pub name: String,
    pub deleted_at: i64,
    pub deleted_by: String,
    /// `deleted_at` + 30 days, ms.
    pub restorable_until: i64,
}

/// The exported form of a persona: every version with its settings, and the labels.
/// `format` is [`PersonaExport::FORMAT`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonaExport {
    pub format: String,
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    pub versions: Vec<ExportedVersion>,
    #[serde(default)]
    pub labels: Vec<ExportedLabel>,
}

impl PersonaExport {
    pub const FORMAT: &'static str = "promptdev.persona.v1";
}

fn yes() -> bool {
    true
}

/// One version in an export. In a folder export `content` lives in `file` instead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportedVersion {
    pub version: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// Folder exports only: the `.jinja` file holding the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default)]
    pub kind: PersonaKind,
    #[serde(default)]
    pub settings: ModelSettings,
    #[serde(default)]
    pub variables: Vec<DeclaredVariable>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub created_at: i64,
}

/// A label in an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExportedLabel {
    pub name: String,
    pub version: i64,
}

/// What to do when an imported persona's name exists in the workspace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportConflict {
    /// Refuse with `Conflict`, so the operator can choose.
    #[default]
    Ask,
    /// Save the export's production version as a new version of the existing persona.
    NewVersion,
    /// Import as a new persona under another name.
    Rename,
}

/// The result of an import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportResult {
    pub persona: PersonaSummary,
    /// Versions written (0 when a new-version import matched the latest content).
    pub versions_created: i64,
}
