//! Types shared by the browser and the server: what server functions and the REST API
//! send and receive, one file per feature. Everything is re-exported here, so a type is
//! always `crate::types::Name`. Times are milliseconds since the Unix epoch (UTC).

mod api_keys;
mod audit;
mod auth;
mod authoring;
mod chat;
mod chats;
mod end_users;
mod events;
mod guardrails;
mod inspector;
mod jobs;
mod library;
mod llm;
mod memory;
mod monitor;
mod personas;
mod requests;
mod sentiment;
mod settings;
mod stats;
mod variables;

use crate::error::AppError;
pub use api_keys::*;
pub use audit::*;
pub use auth::*;
pub use authoring::*;
pub use chat::*;
pub use chats::*;
pub use end_users::*;
pub use events::*;
pub use guardrails::*;
pub use inspector::*;
pub use jobs::*;
pub use library::*;
pub use llm::*;
pub use memory::*;
pub use monitor::*;
pub use personas::*;
pub use requests::*;
pub use sentiment::*;
pub use settings::*;
pub use stats::*;
pub use variables::*;
