//! End-user accounts (the people who chat) as the dashboard and the chat page see them,
//! and the workspace's chat settings. Password hashes never appear here.

use serde::{Deserialize, Serialize};

/// An end user of the operator's workspace, as `GET /admin/end-users` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndUserAccount {
    /// The row id (`/admin/end-users/{id}`).
    pub id: i64,
    /// The id the chat and the API name the user by (`user_id` in `POST /chat`).
    pub external_id: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// False once deactivated: cannot log in, a live login ends at its next request.
    pub is_active: bool,
    /// Whether the user can log in with a password (users from the chat cookie or an API
    /// have none).
    pub has_password: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Last login, if any.
    pub last_seen: Option<i64>,
}

/// One page of end users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndUserPage {
    pub users: Vec<EndUserAccount>,
    /// All users matching the filter (not only this page).
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// What creating an end user takes. `external_id` defaults to the email.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewEndUser {
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A change to an end user: only the fields given change. An empty `email` or
/// `display_name` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndUserPatch {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// The end user logged in on the chat page (`GET /user/me`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EndUserInfo {
    pub id: i64,
    /// The workspace (the original's tenant).
    pub tenant_id: i64,
    pub external_id: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

impl EndUserInfo {
    /// What the chat page shows for the user: the display name, else the email, else the id.
    pub fn label(&self) -> &str {
        self.display_name.as_deref().or(self.email.as_deref()).unwrap_or(&self.external_id)
    }
}

/// A workspace's settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WorkspaceSettings {
    /// Whether a browser known only by its chat cookie may chat (default true).
    pub anonymous_chat: bool,
    /// Where alerts are POSTed as JSON (http or https); None = no webhook (left out of
    /// the JSON, so the settings of a workspace without one keep their earlier shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}
