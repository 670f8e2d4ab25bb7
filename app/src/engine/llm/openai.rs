//! Client for any OpenAI-compatible `/chat/completions` endpoint (OpenAI, Venice.ai,
//! OpenRouter, llama.cpp server, Ollama, vLLM).
//!
//! Retries with exponential backoff (250 ms, 500 ms, 1 s, … capped at 4 s) on connect
//! errors, timeouts while connecting, HTTP 429 and 5xx; never on other 4xx.

use super::{Completion, CompletionRequest, FinishReason, LlmError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// Settings for [`OpenAiClient`].
#[derive(Clone, Debug)]
pub struct OpenAiConfig {
    /// Base URL up to and including the version, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<SecretString>,
    pub connect_timeout: Duration,
    /// Timeout for the whole request, including generation.
    pub request_timeout: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
}

pub struct OpenAiClient {
    http: reqwest::Client,
    url: String,
    config: OpenAiConfig,
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    /// `stop`, `length`, `content_filter`, `tool_calls`, or null (some servers).
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
}

impl OpenAiClient {
    /// Builds the HTTP client. Errors if the TLS backend cannot start.
    pub fn new(config: OpenAiConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("promptdev/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let url = format!("{}/chat/completions", config.base_url.trim_end_matches('/'));
        Ok(Self { http, url, config })
    }

    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// Sends one non-streaming chat completion, retrying transient failures.
    pub async fn complete(&self, req: CompletionRequest) -> Result<Completion, LlmError> {
        let mut body = serde_json::json!({
            "model": req.model.as_deref().unwrap_or(&self.config.model),
            "messages": req.messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "stream": false,
        });
        if !req.stop.is_empty() {
            body["stop"] = serde_json::json!(req.stop);
        }
        let mut attempt = 0;
        loop {
            match self.attempt(&body).await {
                Err(e) if attempt < self.config.max_retries && retryable(&e) => {
                    let delay = Duration::from_millis(250u64 << attempt.min(4)).min(Duration::from_secs(4));
                    tracing::info!(error = %e, attempt, ?delay, "retrying LLM call");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<Completion, LlmError> {
        let mut rb = self.http.post(&self.url).json(body);
        if let Some(key) = &self.config.api_key {
            rb = rb.bearer_auth(key.expose_secret());
        }
        let resp = rb.send().await.map_err(|e| self.map_err(e))?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(LlmError::Status { status: status.as_u16(), body: body.chars().take(500).collect() });
        }
        let parsed: ChatResponse = resp.json().await.map_err(|e| {
            if e.is_timeout() {
                LlmError::Timeout(self.config.request_timeout)
            } else {
                LlmError::Protocol(e.to_string())
            }
        })?;
        let choice = parsed.choices.into_iter().next();
        let finish_reason = finish_reason(choice.as_ref().and_then(|c| c.finish_reason.as_deref()));
        let content = choice
            .and_then(|c| c.message.content)
            .ok_or_else(|| LlmError::Protocol("no choices[0].message.content in the response".into()))?;
        let usage = parsed.usage.unwrap_or(Usage { prompt_tokens: None, completion_tokens: None });
        Ok(Completion {
            content: content.trim().to_string(),
            prompt_tokens: usage.prompt_tokens.unwrap_or(0),
            completion_tokens: usage.completion_tokens.unwrap_or(0),
            model: parsed.model.unwrap_or_else(|| self.config.model.clone()),
            finish_reason,
        })
    }

    fn map_err(&self, e: reqwest::Error) -> LlmError {
        if e.is_connect() {
            LlmError::Connect(e.to_string())
        } else if e.is_timeout() {
            LlmError::Timeout(self.config.request_timeout)
        } else {
            LlmError::Protocol(e.to_string())
        }
    }
}

/// `length` means the reply was cut at `max_tokens`; anything else (or nothing) counts as a
/// finished reply.
fn finish_reason(reason: Option<&str>) -> FinishReason {
    match reason {
        Some("length") => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// Connect errors, 429 and 5xx are worth another try; timeouts mid-generation are not
/// (the provider may still be generating, and the user is waiting).
fn retryable(e: &LlmError) -> bool {
    match e {
        LlmError::Connect(_) => true,
        LlmError::Status { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(retryable(&LlmError::Connect("refused".into())));
        assert!(retryable(&LlmError::Status { status: 429, body: String::new() }));
        assert!(retryable(&LlmError::Status { status: 503, body: String::new() }));
        assert!(!retryable(&LlmError::Status { status: 400, body: String::new() }));
        assert!(!retryable(&LlmError::Timeout(Duration::from_secs(1))));
        assert!(!retryable(&LlmError::Protocol("x".into())));
    }

    #[test]
    fn only_length_is_a_cut_reply() {
        assert_eq!(finish_reason(Some("length")), FinishReason::Length);
        assert_eq!(finish_reason(Some("stop")), FinishReason::Stop);
        assert_eq!(finish_reason(Some("content_filter")), FinishReason::Stop);
        assert_eq!(finish_reason(None), FinishReason::Stop);
        let parsed: ChatResponse =
            serde_json::from_str(r#"{"choices":[{"message":{"content":"Hi"},"finish_reason":"length"}],"usage":null}"#)
                .unwrap();
        assert_eq!(parsed.choices[0].finish_reason.as_deref(), Some("length"));
    }
}
