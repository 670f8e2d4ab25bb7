//! Types shared by the browser and the server: what server functions and the REST API
//! send and receive, one file per feature. Everything is re-exported here, so a type is
//! always `crate::types::Name`. Times are milliseconds since the Unix epoch (UTC).

mod auth;
mod authoring;
mod chat;
mod chats;
mod end_users;
mod events;
mod library;
mod llm;
mod monitor;
mod personas;
mod settings;
mod variables;

use crate::error::AppError;
pub use auth::*;
pub use authoring::*;
pub use chat::*;
pub use chats::*;
pub use end_users::*;
pub use events::*;
pub use library::*;
pub use llm::*;
pub use monitor::*;
pub use personas::*;
pub use settings::*;
pub use variables::*;
