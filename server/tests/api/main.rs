//! Integration tests: the real server on a loopback port, a fresh database per test
//! (SQLite file and PostgreSQL), the fake OpenAI-compatible LLM on loopback.

mod fake_llm;
mod helpers;

mod auth;
mod chat;
mod embedded_model;
mod monitor;
mod personas;
