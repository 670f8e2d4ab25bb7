//! Typed row ids for engine signatures. Each is a transparent newtype over the `i64`
//! primary key (same JSON, same SQL), so passing a persona id where a workspace id goes
//! does not compile — the workspace id is the security boundary of every query.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw key, for wire types and logs.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A workspace (tenant): `workspaces.id`.
    WorkspaceId
);
id_type!(
    /// A persona: `templates.id`.
    PersonaId
);
id_type!(
    /// An end user of the chat: `end_users.id` (not the external id the chat names).
    EndUserId
);
id_type!(
    /// One chat of an end user with a persona: `chat_sessions.id`.
    SessionId
);
id_type!(
    /// A stored message: `messages.id`.
    MessageId
);

impl crate::types::OperatorInfo {
    /// The operator's workspace, typed.
    pub fn workspace(&self) -> WorkspaceId {
        WorkspaceId(self.workspace_id)
    }
}
