//! Client for any OpenAI-compatible `/chat/completions` endpoint (OpenAI, Venice.ai,
//! OpenRouter, llama.cpp server, Ollama, vLLM).
//!
//! Retries with exponential backoff (250 ms, 500 ms, 1 s, … capped at 4 s) on connect
//! errors, timeouts while connecting, HTTP 429 and 5xx; never on other 4xx. A streamed
//! call (`stream: true`, answered as Server-Sent Events, parsed by `eventsource-stream`)
//! is retried only before its first token: after that the user has seen text.

use super::{Completion, CompletionRequest, FinishReason, LlmError, StreamEvent, StreamSink};
use eventsource_stream::Eventsource;
use futures::StreamExt;
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

#[derive(Deserialize, Default)]
struct Usage {
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
    prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Deserialize, Default)]
struct PromptTokensDetails {
    cached_tokens: Option<u32>,
}

/// One `data:` chunk of a streamed answer (`object: chat.completion.chunk`).
#[derive(Deserialize)]
struct StreamChunk {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<StreamChoice>,
    /// Sent in the last chunk when `stream_options.include_usage` is set.
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct StreamChoice {
    #[serde(default)]
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    content: Option<String>,
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

    /// The request body for `req`.
    fn body(&self, req: &CompletionRequest, stream: bool) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": req.model.as_deref().unwrap_or(&self.config.model),
            "messages": req.messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "stream": stream,
        });
        if stream {
            body["stream_options"] = serde_json::json!({"include_usage": true});
        }
        if !req.stop.is_empty() {
            body["stop"] = serde_json::json!(req.stop);
        }
        body
    }

    /// Waits before retry `attempt` (0-based): 250 ms, 500 ms, 1 s, … capped at 4 s.
    async fn backoff(attempt: u32, e: &LlmError) {
        let delay = Duration::from_millis(250u64 << attempt.min(4)).min(Duration::from_secs(4));
        tracing::info!(error = %e, attempt, ?delay, "retrying LLM call");
        tokio::time::sleep(delay).await;
    }

    /// Sends one non-streaming chat completion, retrying transient failures.
    pub async fn complete(&self, req: CompletionRequest) -> Result<Completion, LlmError> {
        let body = self.body(&req, false);
        let mut attempt = 0;
        loop {
            match self.attempt(&body).await {
                Err(e) if attempt < self.config.max_retries && retryable(&e) => {
                    Self::backoff(attempt, &e).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends the request; an HTTP error status is an error (with up to 500 chars of body).
    async fn send(&self, body: &serde_json::Value) -> Result<reqwest::Response, LlmError> {
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
        Ok(resp)
    }

    async fn attempt(&self, body: &serde_json::Value) -> Result<Completion, LlmError> {
        let resp = self.send(body).await?;
        self.parse_whole(resp).await
    }

    /// A non-streamed answer.
    async fn parse_whole(&self, resp: reqwest::Response) -> Result<Completion, LlmError> {
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
        let usage = parsed.usage.unwrap_or_default();
        Ok(Completion {
            content: content.trim().to_string(),
            prompt_tokens: usage.prompt_tokens.unwrap_or(0),
            completion_tokens: usage.completion_tokens.unwrap_or(0),
            cached_tokens: cached(&usage),
            model: parsed.model.unwrap_or_else(|| self.config.model.clone()),
            finish_reason,
        })
    }

    /// Sends one streamed chat completion (`stream: true`), each piece of text to `sink` as
    /// it arrives. Retries transient failures only before the first piece. A provider that
    /// answers a whole JSON completion instead of a stream is accepted (one piece).
    pub async fn stream(&self, req: CompletionRequest, sink: StreamSink) -> Result<Completion, LlmError> {
        let body = self.body(&req, true);
        let mut attempt = 0;
        loop {
            let mut sent = false;
            match self.stream_attempt(&body, &sink, &mut sent).await {
                Err(e) if !sent && attempt < self.config.max_retries && retryable(&e) => {
                    Self::backoff(attempt, &e).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn stream_attempt(
        &self,
        body: &serde_json::Value,
        sink: &StreamSink,
        sent: &mut bool,
    ) -> Result<Completion, LlmError> {
        let resp = self.send(body).await?;
        let is_stream = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_stream {
            let c = self.parse_whole(resp).await?;
            *sent = true;
            let _ = sink.send(StreamEvent::Delta(c.content.clone()));
            return Ok(c);
        }
        let mut events = resp.bytes_stream().eventsource();
        let (mut text, mut pieces) = (String::new(), 0u32);
        let (mut model, mut finish, mut usage, mut done) = (None, None, Usage::default(), false);
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| match e {
                eventsource_stream::EventStreamError::Transport(e) => self.map_err(e),
                other => LlmError::Protocol(format!("event stream: {other}")),
            })?;
            if event.data.trim() == "[DONE]" {
                done = true;
                break;
            }
            let chunk: StreamChunk = serde_json::from_str(&event.data)
                .map_err(|e| LlmError::Protocol(format!("stream chunk is not a completion chunk: {e}")))?;
            if chunk.model.is_some() {
                model = chunk.model;
            }
            if let Some(u) = chunk.usage {
                usage = u;
            }
            for choice in chunk.choices.into_iter().take(1) {
                if let Some(piece) = choice.delta.content.filter(|p| !p.is_empty()) {
                    text.push_str(&piece);
                    pieces += 1;
                    *sent = true;
                    let _ = sink.send(StreamEvent::Delta(piece));
                }
                if choice.finish_reason.is_some() {
                    finish = choice.finish_reason;
                }
            }
        }
        // A stream cut off before its end is a failure, even after some text (the turn
        // keeps that text as an incomplete reply).
        if !done && finish.is_none() {
            return Err(LlmError::Protocol("the stream ended before the completion finished".into()));
        }
        Ok(Completion {
            content: text.trim().to_string(),
            prompt_tokens: usage.prompt_tokens.unwrap_or(0),
            // Without usage, one piece is about one token.
            completion_tokens: usage.completion_tokens.unwrap_or(pieces),
            cached_tokens: cached(&usage),
            model: model.unwrap_or_else(|| self.config.model.clone()),
            finish_reason: finish_reason(finish.as_deref()),
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

/// `usage.prompt_tokens_details.cached_tokens`, 0 when absent.
fn cached(usage: &Usage) -> u32 {
    usage.prompt_tokens_details.as_ref().and_then(|d| d.cached_tokens).unwrap_or(0)
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

    #[test]
    fn stream_chunks_parse_with_and_without_usage() {
        let c: StreamChunk = serde_json::from_str(
            r#"{"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
        )
        .unwrap();
        assert_eq!(c.choices[0].delta.content.as_deref(), Some("Hel"));
        let last: StreamChunk = serde_json::from_str(
            r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}}"#,
        )
        .unwrap();
        assert_eq!(cached(last.usage.as_ref().unwrap()), 4);
        let role_only: StreamChunk = serde_json::from_str(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#).unwrap();
        assert!(role_only.choices[0].delta.content.is_none());
    }
}
