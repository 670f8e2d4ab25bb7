//! The PromptDev server: configuration, start-up, the REST API and the live event streams.
//! `main.rs` only parses the command line and calls into here; tests start the same
//! [`startup::Application`] on a loopback port.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

pub mod api;
pub mod sse;
pub mod startup;
