//! Runtime configuration: one typed [`Config`], read through [figment] from a
//! `promptdev.toml` file and the environment, the environment winning (see the README's
//! table). Secrets are `SecretString` so they never end up in a log or a response.
//!
//! The file is `PROMPTDEV_CONFIG` (which must exist), else `promptdev.toml` in the working
//! directory when there is one. Its keys are the ones in [`VARIABLES`] (`addr`,
//! `llm_threads`, `openai_api_key`, …; an unknown key is an error, so a typo is not
//! silently ignored), and a value there may be a string (parsed like the variable) or a
//! native TOML value.
//!
//! The environment is read by a small provider of our own rather than `figment::providers::Env`:
//! `Env` keeps blank values and parses every value as a figment `Value` (`007` becomes the
//! number 7, `[…]` an array), while a blank variable here counts as unset and a value is
//! parsed exactly as the variable's type parses it.

use figment::providers::Format;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use secrecy::SecretString;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use std::fmt::Display;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Which LLM provider answers chat turns.
#[derive(Clone, Debug)]
pub enum LlmConfig {
    /// The embedded SmolLM2 model, run in-process.
    /// `seed`: fixed sampling seed (same request, same reply), None = a fresh one per request.
    Local { model_path: PathBuf, threads: u32, context_size: u32, seed: Option<u32> },
    /// Any OpenAI-compatible endpoint.
    OpenAi {
        /// e.g. `https://api.openai.com/v1` (the client appends `/chat/completions`).
        base_url: String,
        model: String,
        api_key: Option<SecretString>,
        connect_timeout: Duration,
        /// Whole-request timeout.
        request_timeout: Duration,
        /// Retries after the first attempt, on connect errors, 429 and 5xx.
        max_retries: u32,
    },
}

/// Everything the server needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://data/promptdev.db` (default) or `postgres://…`.
    pub database_url: String,
    pub addr: SocketAddr,
    /// Directory holding `pkg/` (the wasm bundle) and static files.
    pub site_root: String,
    pub llm: LlmConfig,
    /// Most messages of history given to the template and the LLM (default 20): an upper
    /// bound next to [`Config::history_tokens`].
    pub history_window: u32,
    /// Estimated tokens of history given to the template and the LLM (default 1024, about
    /// half of the embedded model's 2048-token slot: the rest is for the system prompt,
    /// memory, summary and the reply). See [`crate::engine::prompt::history_start`].
    pub history_tokens: u32,
    /// Send the session cookie with `Secure`. Defaults to true unless bound to loopback.
    pub secure_cookies: bool,
    /// Workspace (slug) whose personas `/chat` offers when none is named; default: the first.
    pub chat_workspace: Option<String>,
    /// Let webhooks reach loopback, private, link-local and unique-local addresses
    /// (`PROMPTDEV_WEBHOOK_ALLOW_PRIVATE=1`; default false: a webhook URL cannot point
    /// inside the server's network).
    pub webhook_allow_private: bool,
}

/// Each environment variable and its key in the [`Config::figment`] (and in a future
/// `promptdev.toml`).
pub const VARIABLES: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("PROMPTDEV_ADDR", "addr"),
    ("LEPTOS_SITE_ROOT", "site_root"),
    ("PROMPTDEV_LLM", "llm"),
    ("PROMPTDEV_MODEL_PATH", "model_path"),
    ("PROMPTDEV_LLM_THREADS", "llm_threads"),
    ("PROMPTDEV_LLM_CONTEXT", "llm_context"),
    ("PROMPTDEV_LLM_SEED", "llm_seed"),
    ("OPENAI_BASE_URL", "openai_base_url"),
    ("OPENAI_MODEL", "openai_model"),
    ("OPENAI_API_KEY", "openai_api_key"),
    ("PROMPTDEV_LLM_CONNECT_TIMEOUT_S", "llm_connect_timeout_s"),
    ("PROMPTDEV_LLM_TIMEOUT_S", "llm_timeout_s"),
    ("PROMPTDEV_LLM_RETRIES", "llm_retries"),
    ("PROMPTDEV_HISTORY_WINDOW", "history_window"),
    ("PROMPTDEV_HISTORY_TOKENS", "history_tokens"),
    ("PROMPTDEV_SECURE_COOKIES", "secure_cookies"),
    ("PROMPTDEV_CHAT_WORKSPACE", "chat_workspace"),
    ("PROMPTDEV_WEBHOOK_ALLOW_PRIVATE", "webhook_allow_private"),
];

impl Config {
    /// Reads the config file ([`Config::file`]) and `PROMPTDEV_*`, `OPENAI_*`,
    /// `LEPTOS_SITE_ROOT` and `DATABASE_URL` over it; unset or blank ones take the
    /// defaults documented in the README. Only the settings of the chosen provider are
    /// read. Errors name the variable (or file key) that could not be parsed, an unknown
    /// key in the file, a `PROMPTDEV_CONFIG` that does not exist.
    pub fn from_env() -> anyhow::Result<Self> {
        let (path, named) = Self::file();
        if named && !path.is_file() {
            anyhow::bail!("PROMPTDEV_CONFIG names {}, which is not a file", path.display());
        }
        let figment = Self::figment();
        check_keys(&path)?;
        Self::from_figment(&figment)
    }

    /// The config file: `PROMPTDEV_CONFIG` (true: named explicitly), else
    /// `promptdev.toml` in the working directory (read only if it exists).
    pub fn file() -> (PathBuf, bool) {
        match std::env::var("PROMPTDEV_CONFIG").ok().filter(|v| !v.trim().is_empty()) {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from("promptdev.toml"), false),
        }
    }

    /// The sources [`Config::from_env`] reads: the file, then the environment over it.
    pub fn figment() -> Figment {
        Figment::from(figment::providers::Toml::file(Self::file().0)).merge(Environment)
    }

    /// Refuses to serve on a non-loopback address unless the provider (`PROMPTDEV_LLM` /
    /// `llm`) and the cookie setting (`PROMPTDEV_SECURE_COOKIES` / `secure_cookies`) are
    /// set explicitly in `figment`: a server others can reach must not run on guesses.
    /// Errors: names what to set.
    pub fn check_exposed(&self, figment: &Figment) -> anyhow::Result<()> {
        if self.addr.ip().is_loopback() {
            return Ok(());
        }
        let missing: Vec<&str> = [("llm", "PROMPTDEV_LLM"), ("secure_cookies", "PROMPTDEV_SECURE_COOKIES")]
            .into_iter()
            .filter(|(key, _)| figment.find_value(key).is_err())
            .map(|(_, var)| var)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        anyhow::bail!(
            "refusing to listen on {} (not loopback) without {} set explicitly (in the environment or promptdev.toml): \
             choose the LLM provider (local or openai) and whether cookies need HTTPS (1 behind TLS)",
            self.addr,
            missing.join(" and ")
        )
    }

    /// Builds the config from `figment` (keys as in [`VARIABLES`]). Errors: the first value
    /// that does not parse, named by its variable (or by its key and file).
    pub fn from_figment(figment: &Figment) -> anyhow::Result<Self> {
        let s: Settings = figment.extract().map_err(explain)?;
        let llm = match s.llm {
            LlmKind::Local => {
                let l: LocalSettings = figment.extract().map_err(explain)?;
                LlmConfig::Local {
                    model_path: l.model_path,
                    threads: l.llm_threads,
                    context_size: l.llm_context,
                    seed: l.llm_seed,
                }
            }
            LlmKind::OpenAi => {
                let o: OpenAiSettings = figment.extract().map_err(explain)?;
                LlmConfig::OpenAi {
                    base_url: o.openai_base_url,
                    model: o.openai_model,
                    api_key: o.openai_api_key,
                    connect_timeout: Duration::from_secs(o.llm_connect_timeout_s.into()),
                    request_timeout: Duration::from_secs(o.llm_timeout_s.into()),
                    max_retries: o.llm_retries,
                }
            }
        };
        Ok(Config {
            database_url: s.database_url,
            addr: s.addr,
            site_root: s.site_root,
            llm,
            history_window: s.history_window,
            history_tokens: s.history_tokens,
            secure_cookies: s.secure_cookies.unwrap_or(!s.addr.ip().is_loopback()),
            chat_workspace: s.chat_workspace,
            webhook_allow_private: s.webhook_allow_private.unwrap_or(false),
        })
    }
}

/// Errors: a key in the config file that is not one of [`VARIABLES`].
fn check_keys(path: &std::path::Path) -> anyhow::Result<()> {
    let file = figment::providers::Toml::file(path);
    let data = file.data().map_err(explain)?;
    let unknown: Vec<String> = data
        .values()
        .flat_map(|dict| dict.keys())
        .filter(|k| !VARIABLES.iter().any(|(_, key)| key == k))
        .cloned()
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "unknown key(s) {} in {}: the keys are {}",
        unknown.join(", "),
        path.display(),
        VARIABLES.iter().map(|(_, k)| *k).collect::<Vec<_>>().join(", ")
    )
}

/// The process environment as a figment source: the variables of [`VARIABLES`] under their
/// keys, as verbatim strings; blank or non-UTF-8 values are left out (unset).
struct Environment;

/// The name of [`Environment`] in figment's metadata.
const ENVIRONMENT: &str = "environment variable";

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENVIRONMENT).interpolater(|_profile: &Profile, path: &[&str]| {
            VARIABLES
                .iter()
                .find(|(_, key)| path == [*key])
                .map(|(var, _)| var.to_string())
                .unwrap_or_else(|| path.join("."))
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = VARIABLES
            .iter()
            .filter_map(|(var, key)| {
                let value = std::env::var(var).ok().filter(|v| !v.trim().is_empty())?;
                Some((key.to_string(), Value::from(value)))
            })
            .collect();
        Ok(Profile::Default.collect(dict))
    }
}

/// Turns figment's errors into one line per bad value: `PROMPTDEV_LLM_THREADS must be a
/// whole number: invalid digit found in string`.
fn explain(errors: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = errors
        .into_iter()
        .map(|e| {
            let name = match (&e.metadata, &e.profile) {
                _ if e.path.is_empty() => return e.to_string(),
                (Some(md), Some(profile)) if md.name == ENVIRONMENT => md.interpolate(profile, &e.path),
                _ => e.path.join("."),
            };
            let source = match e.metadata.as_ref().and_then(|md| md.source.as_ref()) {
                Some(source) => format!(" (in {source})"),
                None => String::new(),
            };
            match &e.kind {
                figment::error::Kind::Message(m) => format!("{name} {m}{source}"),
                kind => format!("{name}: {kind}{source}"),
            }
        })
        .collect();
    anyhow::anyhow!(lines.join("; "))
}

/// The settings every provider shares.
#[derive(Deserialize)]
#[serde(default)]
struct Settings {
    database_url: String,
    #[serde(deserialize_with = "socket_addr")]
    addr: SocketAddr,
    site_root: String,
    #[serde(deserialize_with = "llm_kind")]
    llm: LlmKind,
    #[serde(deserialize_with = "whole_number")]
    history_window: u32,
    #[serde(deserialize_with = "whole_number")]
    history_tokens: u32,
    /// None: the default (on unless bound to loopback).
    #[serde(deserialize_with = "flag")]
    secure_cookies: Option<bool>,
    chat_workspace: Option<String>,
    #[serde(deserialize_with = "flag")]
    webhook_allow_private: Option<bool>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://data/promptdev.db".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 8001)),
            site_root: "target/site".into(),
            llm: LlmKind::Local,
            history_window: 20,
            history_tokens: 1024,
            secure_cookies: None,
            chat_workspace: None,
            webhook_allow_private: None,
        }
    }
}

/// `PROMPTDEV_LLM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LlmKind {
    Local,
    OpenAi,
}

/// The embedded model's settings, read only with `PROMPTDEV_LLM=local`.
#[derive(Deserialize)]
#[serde(default)]
struct LocalSettings {
    model_path: PathBuf,
    #[serde(deserialize_with = "whole_number")]
    llm_threads: u32,
    #[serde(deserialize_with = "whole_number")]
    llm_context: u32,
    #[serde(deserialize_with = "seed")]
    llm_seed: Option<u32>,
}

impl Default for LocalSettings {
    fn default() -> Self {
        LocalSettings {
            model_path: "models/SmolLM2-135M-Instruct.Q4_1.gguf".into(),
            llm_threads: 1,
            llm_context: 2048,
            llm_seed: None,
        }
    }
}

/// The OpenAI-compatible client's settings, read only with `PROMPTDEV_LLM=openai`.
#[derive(Deserialize)]
#[serde(default)]
struct OpenAiSettings {
    openai_base_url: String,
    openai_model: String,
    openai_api_key: Option<SecretString>,
    #[serde(deserialize_with = "whole_number")]
    llm_connect_timeout_s: u32,
    #[serde(deserialize_with = "whole_number")]
    llm_timeout_s: u32,
    #[serde(deserialize_with = "whole_number")]
    llm_retries: u32,
}

impl Default for OpenAiSettings {
    fn default() -> Self {
        OpenAiSettings {
            openai_base_url: "https://api.openai.com/v1".into(),
            openai_model: "gpt-4o-mini".into(),
            openai_api_key: None,
            llm_connect_timeout_s: 5,
            llm_timeout_s: 120,
            llm_retries: 2,
        }
    }
}

/// A string is parsed with `T::from_str` (as a variable always is); any other value (from
/// a file) is deserialized as `T`. The error starts with `what` (`must be a whole number`).
fn parsed<'de, D, T>(d: D, what: &str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + DeserializeOwned,
    T::Err: Display,
{
    match <Value as serde::Deserialize>::deserialize(d)? {
        Value::String(_, s) => s.parse().map_err(|e| D::Error::custom(format!("{what}: {e}"))),
        v => v.deserialize::<T>().map_err(|e| D::Error::custom(format!("{what}: {e}"))),
    }
}

fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    parsed(d, "must be a whole number")
}

fn seed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    parsed(d, "must be a whole number below 4294967295").map(Some)
}

fn socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    parsed(d, "must look like 127.0.0.1:8001")
}

fn llm_kind<'de, D: Deserializer<'de>>(d: D) -> Result<LlmKind, D::Error> {
    match String::deserialize(d)?.as_str() {
        "local" => Ok(LlmKind::Local),
        "openai" => Ok(LlmKind::OpenAi),
        other => Err(D::Error::custom(format!("must be `local` or `openai`, not `{other}`"))),
    }
}

/// `1`/`true` and `0`/`false` (or a boolean from a file); anything else keeps the default,
/// as it always has.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match <Value as serde::Deserialize>::deserialize(d)? {
        Value::Bool(_, b) => Some(b),
        Value::String(_, s) => match s.as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
// `Jail::expect_with` fixes the closure's type: `Result<(), figment::Error>`, a large error.
#[allow(clippy::result_large_err)]
mod tests;
