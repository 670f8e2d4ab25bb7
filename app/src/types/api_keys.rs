//! API keys as the dashboard and the REST API see them (never the key itself, except
//! once in [`CreatedApiKey`]).

use serde::{Deserialize, Serialize};

/// What a key may do. A key acts in its workspace only, as the operator who created it
/// (refused once that operator is deactivated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApiScope {
    /// Chat on behalf of an end user: `POST /chat`, `/chat/…`, `/v1/chat/completions`,
    /// `GET /v1/models`.
    Chat,
    /// Read the operator API (`GET /admin/…`): personas, conversations, statistics.
    Read,
    /// Change through the operator API (`POST`/`PUT`/`PATCH`/`DELETE /admin/…`): personas,
    /// guardrails, memory, halt and resume. Key management itself needs a login.
    Manage,
}

impl ApiScope {
    /// Every scope, in the order the dashboard lists them.
    pub const ALL: [ApiScope; 3] = [ApiScope::Chat, ApiScope::Read, ApiScope::Manage];

    /// The scope's name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Chat => "chat",
            ApiScope::Read => "read",
            ApiScope::Manage => "manage",
        }
    }

    /// The scope with this name.
    pub fn parse(s: &str) -> Option<ApiScope> {
        ApiScope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// One line for the dashboard.
    pub fn describe(self) -> &'static str {
        match self {
            ApiScope::Chat => "chat as an end user (POST /chat, /v1/chat/completions)",
            ApiScope::Read => "read personas, conversations and statistics (GET /admin/…)",
            ApiScope::Manage => "change personas, guardrails and memory; halt and resume",
        }
    }
}

/// One API key of the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyInfo {
    pub id: i64,
    pub name: String,
    /// The key's first characters (`pd_` + 6), to tell keys apart.
    pub prefix: String,
    pub scopes: Vec<ApiScope>,
    /// Email of the operator who created it (the key acts as them).
    pub created_by: String,
    /// ms.
    pub created_at: i64,
    /// ms; None if never used.
    pub last_used_at: Option<i64>,
    /// ms; None while the key works.
    pub revoked_at: Option<i64>,
}

/// A key just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    pub key: ApiKeyInfo,
    /// The whole key, `pd_` + 32 characters. Not stored: only its hash is.
    pub secret: String,
}
