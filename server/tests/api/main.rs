//! Integration tests: the real server on a loopback port, a fresh database per test
//! (SQLite file and PostgreSQL), the fake OpenAI-compatible LLM on loopback.

// Leptos view types of the app nest deeply; laying them out needs more room.
#![recursion_limit = "512"]

mod fake_llm;
mod helpers;
mod webhook_receiver;

mod api_keys;
mod audit;
mod auth;
mod chat;
mod chat_sessions;
mod conversations;
mod corrupt;
mod embedded_model;
mod end_users;
mod guardrails;
mod inspector;
mod interventions;
mod jobs;
mod logs;
mod memory;
mod metrics;
mod monitor;
mod openai_compat;
mod openapi;
mod pages;
mod persona_depth;
mod personas;
mod processes;
mod rate_limit;
mod ready;
mod request_id;
mod requests;
mod schema;
mod sentiment;
mod stats;
mod streaming;
mod summary;
mod super_admins;
mod turns;
mod wall;
