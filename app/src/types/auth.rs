//! Operator accounts as the dashboard sees them.

use serde::{Deserialize, Serialize};

/// What an operator may do in their workspace, lowest first (so `role >= Role::Editor`
/// reads as "may change things").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing.
    #[default]
    Viewer,
    /// Also changes personas, guardrails, memory and conversations (halt, inject, …).
    Editor,
    /// Also manages API keys, members and workspace settings.
    Owner,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Owner];

    /// The name on the wire and in `accounts.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// The role with this name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// The operator who is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OperatorInfo {
    pub id: i64,
    pub email: String,
    pub workspace_id: i64,
    pub workspace_name: String,
    /// Their role in the workspace.
    #[serde(default)]
    pub role: Role,
    /// A super admin also manages every operator (`/super/admins`).
    #[serde(default)]
    pub is_super: bool,
}

/// An operator account as a super admin sees it (`GET /super/admins`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminAccount {
    pub id: i64,
    pub email: String,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub role: Role,
    pub is_super: bool,
    pub is_active: bool,
    /// ms.
    pub created_at: i64,
}

/// What a super admin changes on an account (`PUT /super/admins/{id}`); None leaves it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminUpdate {
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub is_super: Option<bool>,
    /// A new password (at least 10 characters).
    #[serde(default)]
    pub password: Option<String>,
}
