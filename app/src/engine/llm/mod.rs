//! LLM providers: the embedded model (`local`) and any OpenAI-compatible endpoint (`openai`).
//!
//! Both speak the same shape: a list of chat messages in, one completion out, with token
//! counts and timings so the pipeline can log every call in `llm_requests`. Both also
//! stream ([`LlmProvider::stream`]): the text arrives in pieces on a channel while it is
//! generated, and the finished [`Completion`] is returned at the end.

pub mod local;
pub mod openai;

use crate::types::ChatMessage;
use std::time::Duration;

/// Sampling settings for one completion.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionRequest {
    /// Messages in order, e.g. `system`, then history, then the new `user` message.
    pub messages: Vec<ChatMessage>,
    /// Upper bound on generated tokens.
    pub max_tokens: u32,
    /// 0.0 = greedy.
    pub temperature: f32,
    pub top_p: f32,
    /// Generation stops before any of these strings.
    pub stop: Vec<String>,
    /// 1.0 = off; above 1.0, tokens already in the recent conversation are made less likely
    /// (see [`crate::types::ModelSettings::repeat_penalty`]).
    pub repeat_penalty: f32,
    /// Model to ask for; None = the provider's configured model (the embedded provider
    /// has one model and ignores this).
    pub model: Option<String>,
}

impl CompletionRequest {
    /// A request with the default sampling settings (see [`crate::types::ModelSettings`]'s
    /// `Default`: max 160 tokens, temperature 0.7, top_p 0.9, repeat penalty 1.15).
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        Self::with_settings(messages, &crate::types::ModelSettings::default())
    }

    /// A request with a version's model settings.
    pub fn with_settings(messages: Vec<ChatMessage>, s: &crate::types::ModelSettings) -> Self {
        Self {
            messages,
            max_tokens: s.max_tokens,
            temperature: s.temperature,
            top_p: s.top_p,
            stop: s.stop.clone(),
            repeat_penalty: s.repeat_penalty,
            model: Some(s.model.trim().to_string()).filter(|m| !m.is_empty()),
        }
    }
}

/// One finished completion.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    /// The generated text, trimmed of surrounding white space.
    pub content: String,
    /// Tokens in the prompt as the provider counted them.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// Why generation ended: [`FinishReason::Length`] when the reply was cut at `max_tokens`.
    pub finish_reason: FinishReason,
    /// Prompt tokens the provider did not have to evaluate again because it kept them from
    /// an earlier request (the embedded model's KV cache; OpenAI's
    /// `usage.prompt_tokens_details.cached_tokens`). 0 when nothing was reused.
    pub cached_tokens: u32,
}

/// What a streaming completion reports while it runs, in order: any number of `Waiting`
/// before the first `Delta`, then the pieces of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// The request waits for the provider: `ahead` requests will be served first (the
    /// embedded model serves a few at a time).
    Waiting { ahead: u32 },
    /// The next piece of the reply (valid UTF-8; pieces concatenate to the text so far,
    /// before trimming and before any stop string is cut).
    Delta(String),
}

/// Where a streaming completion sends its [`StreamEvent`]s. A closed receiver is not an
/// error: the completion goes on (dropping the future is what stops it).
pub type StreamSink = tokio::sync::mpsc::UnboundedSender<StreamEvent>;

/// Why a completion ended (OpenAI's `finish_reason`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FinishReason {
    /// The model ended its reply, or a stop string was reached (OpenAI `stop`). Also any
    /// reason other than `length` an OpenAI-compatible provider gives, or none.
    #[default]
    Stop,
    /// Cut at `max_tokens` (OpenAI `length`): the reply is probably unfinished.
    Length,
}

impl FinishReason {
    /// Whether the reply was cut at the length limit (what `Message::truncated` stores).
    pub fn is_truncated(self) -> bool {
        self == FinishReason::Length
    }
}

/// Why a completion failed. The message is for the log and the request log row,
/// never for an end user.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum LlmError {
    /// The provider could not be reached (connection refused, DNS, TLS).
    #[error("connect: {0}")]
    Connect(String),
    /// No answer within the configured timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The provider answered with an HTTP error status.
    #[error("http {status}: {body}")]
    Status { status: u16, body: String },
    /// The provider answered with something that is not a completion.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The provider cannot serve at all (e.g. the model file is missing).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// The configured provider. An enum rather than a trait object: two kinds, no `async_trait`.
pub enum LlmProvider {
    Local(local::LocalLlm),
    OpenAi(openai::OpenAiClient),
}

impl LlmProvider {
    /// The provider kind as stored in `llm_requests.provider`: `local` or `openai`.
    pub fn kind(&self) -> &'static str {
        match self {
            LlmProvider::Local(_) => "local",
            LlmProvider::OpenAi(_) => "openai",
        }
    }

    /// The model a request with `requested` would use.
    pub fn model_for(&self, requested: Option<&str>) -> String {
        match (self, requested) {
            (LlmProvider::OpenAi(_), Some(m)) => m.to_string(),
            _ => self.model().to_string(),
        }
    }

    /// Whether a version naming `provider` (empty = default) can run on this provider.
    /// Errors: `Unavailable` naming the provider that is not configured.
    pub fn check_provider(&self, provider: &str) -> Result<(), LlmError> {
        if provider.is_empty() || provider == self.kind() {
            Ok(())
        } else {
            Err(LlmError::Unavailable(format!(
                "this version asks for the {provider} provider, but this server runs {}",
                self.kind()
            )))
        }
    }

    /// The model name as configured.
    pub fn model(&self) -> &str {
        match self {
            LlmProvider::Local(l) => l.model_name(),
            LlmProvider::OpenAi(c) => c.model(),
        }
    }

    /// Runs one completion. Errors: see [`LlmError`].
    pub async fn complete(&self, req: CompletionRequest) -> Result<Completion, LlmError> {
        match self {
            LlmProvider::Local(l) => l.complete(req).await,
            LlmProvider::OpenAi(c) => c.complete(req).await,
        }
    }

    /// Runs one completion, sending the text to `sink` piece by piece as it is generated;
    /// returns the whole completion at the end (its `content` trimmed). Dropping the
    /// future stops generation (the embedded model at the next token; the HTTP request is
    /// closed). Errors: see [`LlmError`]; pieces already sent stay sent.
    pub async fn stream(&self, req: CompletionRequest, sink: StreamSink) -> Result<Completion, LlmError> {
        match self {
            LlmProvider::Local(l) => l.stream(req, sink).await,
            LlmProvider::OpenAi(c) => c.stream(req, sink).await,
        }
    }
}

/// Calls `llm` with a version's settings (after checking the version's provider is the
/// configured one). Returns the result and the provider kind and model used, for the
/// request log.
pub async fn complete(
    llm: &LlmProvider,
    settings: &crate::types::ModelSettings,
    messages: Vec<ChatMessage>,
) -> (Result<Completion, LlmError>, String, String) {
    let req = CompletionRequest::with_settings(messages, settings);
    let model = llm.model_for(req.model.as_deref());
    let provider = llm.kind().to_string();
    if let Err(e) = llm.check_provider(&settings.provider) {
        return (Err(e), provider, model);
    }
    let result = llm.complete(req).await;
    let model = match &result {
        Ok(c) if !c.model.is_empty() => c.model.clone(),
        _ => model,
    };
    (result, provider, model)
}
