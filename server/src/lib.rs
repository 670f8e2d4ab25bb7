//! The PromptDev server: start-up, the REST API and the live event streams.
//! `main.rs` only parses the command line and calls into here; tests start the same
//! [`startup::Application`] on a loopback port.
//!
//! - [`startup`]: state, sessions, the router (Leptos pages and server functions plus
//!   [`http::router`]), the request-id and trace layers, serving and graceful shutdown.
//! - [`http`]: everything HTTP that is not Leptos — `error`, `extract`, `limits` shared by
//!   the areas; `admin/<area>.rs`, one router per REST area; `chat.rs` (`POST /chat`),
//!   `sse.rs` (live events), `health.rs`, `request_id.rs`.
//! - The work itself (database, pipeline, LLM) is in `app::engine`; handlers only parse,
//!   call it and shape the answer.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

pub mod http;
pub mod startup;
