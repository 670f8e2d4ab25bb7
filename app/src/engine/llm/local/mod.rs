//! The embedded model: SmolLM2-135M-Instruct (GGUF, Q4_1) run in-process through llama.cpp
//! (`llama-cpp-2`).
//!
//! All llama.cpp work happens on one dedicated OS thread owned by [`LocalLlm`], never on
//! tokio's threads: callers send a job over a `std::sync::mpsc` channel and await the answer
//! on a `tokio::sync::oneshot` (the text streams on the caller's [`super::StreamSink`]). The
//! model is loaded on first use (or by [`LocalLlm::warm_up`]) and then kept, together with one
//! context (see [`worker`]) of [`SLOTS`] sequences: up to that many completions run at once,
//! decoded together one token each per step; more wait in line, first come first served.
//! Each slot keeps the KV cache of its last completion, so the next turn of the same chat
//! evaluates only the tokens after the prefix it shares with it.
//!
//! llama.cpp's own log output is routed into `tracing` (target `llama-cpp-2`, at llama.cpp's
//! levels: model loading logs a lot at INFO) instead of stderr; filter it with e.g.
//! `RUST_LOG=info,llama-cpp-2=warn,llama_cpp_2=warn`.

use super::{Completion, CompletionRequest, LlmError, StreamSink};
use crate::types::ChatMessage;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{send_logs_to_tracing, ChatTemplateError, LogOptions};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{mpsc, OnceLock};
use std::time::Instant;
use tokio::sync::oneshot;

mod text;
mod worker;

/// Completions the model serves at once, each on a sequence slot of its own that keeps its KV
/// cache between requests (the KV cache takes `SLOTS` × `context_size` tokens: about 23 KB a
/// token for SmolLM2-135M, so 190 MB at the default 2048).
pub const SLOTS: usize = 4;

/// The model name reported in [`Completion::model`] and `llm_requests.model`.
const MODEL_NAME: &str = "SmolLM2-135M-Instruct";

/// Where `make model` (`scripts/fetch-model.sh`) puts the model, relative to the workspace root.
const DEFAULT_MODEL_PATH: &str = "models/SmolLM2-135M-Instruct.Q4_1.gguf";

/// How many of the latest tokens (prompt and reply so far) the repetition penalty looks at:
/// enough to hold the previous reply (up to a `max_tokens` of 160) and the user's message, so
/// a word-for-word copy of the previous reply is penalised, while the start of a long history
/// (and the system prompt, once the chat is a few turns long) is not.
const PENALTY_LAST_N: i32 = 256;

/// Settings for the embedded model.
#[derive(Clone, Debug)]
pub struct LocalConfig {
    /// Path of the GGUF file, e.g. `models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    pub model_path: PathBuf,
    /// CPU threads llama.cpp uses, both for prompt processing and for generation
    /// (default 1; 0 is treated as 1).
    pub threads: u32,
    /// Context window of one completion in tokens: prompt plus generated tokens must fit in it
    /// (default 2048; 0 means the size the model was trained with). Each of the [`SLOTS`]
    /// sequences gets this much.
    pub context_size: u32,
    /// Seed for sampling (`temperature > 0`); None (default) = a fresh one per request. With
    /// a seed, the same request gets the same reply: for tests and benchmarks.
    pub seed: Option<u32>,
}

impl LocalConfig {
    /// The default settings (1 thread, 2048-token context) for the model at `model_path`.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self { model_path: model_path.into(), threads: 1, context_size: 2048, seed: None }
    }
}

impl Default for LocalConfig {
    /// The default settings for the model where `make model` puts it (relative to the
    /// working directory).
    fn default() -> Self {
        Self::new(DEFAULT_MODEL_PATH)
    }
}

/// One unit of work for the model thread. Each carries the sender for its answer.
enum Job {
    WarmUp(oneshot::Sender<Result<(), LlmError>>),
    Complete(Box<Request>),
}

/// A completion to run: the request, where to stream it (None: nowhere), where to answer.
struct Request {
    req: CompletionRequest,
    sink: Option<StreamSink>,
    reply: oneshot::Sender<Result<Completion, LlmError>>,
}

impl Job {
    fn fail(self, err: LlmError) {
        // The caller may have gone away (timeout, cancelled request): nothing to do then.
        match self {
            Job::WarmUp(tx) => drop(tx.send(Err(err))),
            Job::Complete(r) => drop(r.reply.send(Err(err))),
        }
    }
}

/// The embedded model, served by a dedicated thread. Cheap to share behind an `Arc`;
/// dropping the last handle stops the thread and frees the model once the current job ends.
pub struct LocalLlm {
    jobs: mpsc::Sender<Job>,
}

impl LocalLlm {
    /// Starts the worker thread; returns at once. The model loads on first use (or call `warm_up`).
    ///
    /// Never fails: if the thread cannot be started, every call answers
    /// [`LlmError::Unavailable`].
    pub fn spawn(config: LocalConfig) -> Self {
        let (jobs, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new().name("llm-local".to_owned()).spawn(move || run_thread(config, rx));
        if let Err(err) = spawned {
            // `rx` went down with the closure, so every send now fails with `Unavailable`.
            tracing::error!(error = %err, "could not start the local model thread");
        }
        Self { jobs }
    }

    /// The model name as stored in `llm_requests.model`: `SmolLM2-135M-Instruct`.
    pub fn model_name(&self) -> &str {
        MODEL_NAME
    }

    /// Loads the model now; Err(LlmError::Unavailable) with a message naming the path and `make model` if the file is missing/invalid.
    ///
    /// Also allocates the context (KV cache), so the first completion does not pay for it.
    /// Returns at once if already loaded. Loading the 135M model takes well under a second.
    pub async fn warm_up(&self) -> Result<(), LlmError> {
        let (tx, rx) = oneshot::channel();
        self.submit(Job::WarmUp(tx))?;
        rx.await.map_err(|_| worker_gone())?
    }

    /// Runs one chat completion: [`LocalLlm::stream`] with nowhere to stream to.
    ///
    /// # Errors
    /// See [`LocalLlm::stream`].
    pub async fn complete(&self, req: CompletionRequest) -> Result<Completion, LlmError> {
        self.run(req, None).await
    }

    /// Runs one chat completion, sending the reply to `sink` piece by piece as it is sampled
    /// (see [`super::LlmProvider::stream`]): only whole UTF-8 characters, and never the start
    /// of a stop string until it is clear it is not one, so the pieces concatenate to the
    /// reply before trimming. While the job waits for a free slot, `sink` gets
    /// [`super::StreamEvent::Waiting`] with the number of requests served before it (running
    /// plus queued ahead), again each time that number changes.
    ///
    /// The messages are formatted with the chat template stored in the model (ChatML), and
    /// `max_tokens` tokens are reserved in the context window for the answer. If the prompt does
    /// not fit in the rest, the oldest non-system messages are dropped (the system messages and
    /// the last user message are always kept). Generation stops at end-of-generation, after
    /// `max_tokens` tokens, or before the first `stop` string. `temperature <= 0` is greedy.
    /// The prompt tokens a slot still held from an earlier request are not evaluated again
    /// ([`Completion::cached_tokens`]).
    ///
    /// Up to [`SLOTS`] jobs run at once; more wait in line. Dropping the future stops the
    /// generation at the next token (or takes the job out of the line).
    ///
    /// # Errors
    /// - [`LlmError::Unavailable`]: the model file is missing or invalid, or the model thread
    ///   is gone.
    /// - [`LlmError::Protocol`]: no messages, a NUL byte in a message, a prompt that does not
    ///   fit even after dropping history, `max_tokens` not smaller than the context, or a
    ///   llama.cpp failure while evaluating.
    pub async fn stream(&self, req: CompletionRequest, sink: StreamSink) -> Result<Completion, LlmError> {
        self.run(req, Some(sink)).await
    }

    async fn run(&self, req: CompletionRequest, sink: Option<StreamSink>) -> Result<Completion, LlmError> {
        let (reply, rx) = oneshot::channel();
        self.submit(Job::Complete(Box::new(Request { req, sink, reply })))?;
        rx.await.map_err(|_| worker_gone())?
    }

    fn submit(&self, job: Job) -> Result<(), LlmError> {
        self.jobs.send(job).map_err(|_| worker_gone())
    }
}

fn worker_gone() -> LlmError {
    LlmError::Unavailable("the local model thread has stopped (see the log)".to_owned())
}

/// The llama.cpp backend is process-global and may only be initialised once, so every
/// `LocalLlm` in the process shares this one (never dropped).
fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // Before the backend starts talking: llama.cpp logs to stderr by default.
            send_logs_to_tracing(LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Unavailable(format!("llama.cpp backend: {e}")))
}

/// A loaded model and the chat template to format prompts with.
struct Loaded {
    model: LlamaModel,
    template: LlamaChatTemplate,
}

/// The model thread: waits for the first job, loads the model (retrying on the next job if that
/// fails, e.g. until `make model` has been run), then serves jobs until every handle is dropped.
fn run_thread(config: LocalConfig, rx: mpsc::Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        let loaded = catch_unwind(AssertUnwindSafe(|| load(&config))).unwrap_or_else(|_| {
            Err(LlmError::Unavailable(format!(
                "panic while loading model {}; run `make model` to download a good copy",
                config.model_path.display()
            )))
        });
        match loaded {
            Ok(loaded) => {
                worker::serve(&config, &loaded, job, &rx);
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "local model not loaded");
                job.fail(err);
            }
        }
    }
}

fn load(config: &LocalConfig) -> Result<Loaded, LlmError> {
    let path = &config.model_path;
    if !path.is_file() {
        return Err(LlmError::Unavailable(format!(
            "model file {} not found; run `make model` to download it",
            path.display()
        )));
    }
    let backend = backend()?;
    let started = Instant::now();
    let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()).map_err(|e| {
        LlmError::Unavailable(format!(
            "could not load model {} ({e}; llama.cpp logs the cause); \
                 run `make model` to download a good copy",
            path.display()
        ))
    })?;
    let template = match model.chat_template(None) {
        Ok(template) => template,
        Err(ChatTemplateError::MissingTemplate) => {
            tracing::warn!(path = %path.display(), "model has no chat template; using ChatML");
            chatml()?
        }
        Err(e) => {
            return Err(LlmError::Unavailable(format!("model {} has an unreadable chat template: {e}", path.display())))
        }
    };
    tracing::info!(
        path = %path.display(),
        ms = started.elapsed().as_millis() as u64,
        params = model.n_params(),
        "local model loaded"
    );
    Ok(Loaded { model, template })
}

/// llama.cpp's built-in ChatML template, for a model that carries no template of its own.
fn chatml() -> Result<LlamaChatTemplate, LlmError> {
    LlamaChatTemplate::new("chatml").map_err(|e| LlmError::Protocol(e.to_string()))
}

/// Formats and tokenizes `messages`, dropping the oldest droppable ones until the prompt has at
/// most `budget` tokens. Returns the tokens and how many messages were dropped.
fn fit_prompt(loaded: &Loaded, messages: &[ChatMessage], budget: usize) -> Result<(Vec<LlamaToken>, usize), LlmError> {
    if messages.is_empty() {
        return Err(LlmError::Protocol("no messages to complete".to_owned()));
    }
    let mut kept: Vec<&ChatMessage> = messages.iter().collect();
    let mut dropped = 0;
    loop {
        let prompt = format_prompt(loaded, &kept)?;
        // add_special: BOS only if the vocabulary asks for it; parse_special: the template's
        // <|im_start|> / <|im_end|> are control tokens, not text.
        let tokens = loaded.model.vocab().tokenize(prompt.as_bytes(), true, true);
        if tokens.len() <= budget {
            return Ok((tokens, dropped));
        }
        match droppable(&kept) {
            Some(i) => {
                kept.remove(i);
                dropped += 1;
            }
            None => {
                return Err(LlmError::Protocol(format!(
                    "prompt too long: {} tokens after dropping {dropped} older message(s), but \
                     only {budget} fit (context size minus max_tokens)",
                    tokens.len()
                )))
            }
        }
    }
}

/// The index of the oldest message that may be dropped to shorten the prompt: anything but a
/// `system` message and the last `user` message (or the last message, if none is from the user).
fn droppable(messages: &[&ChatMessage]) -> Option<usize> {
    let keep = messages.iter().rposition(|m| m.role == "user").or_else(|| messages.len().checked_sub(1));
    messages.iter().enumerate().position(|(i, m)| Some(i) != keep && m.role != "system")
}

/// Applies the model's chat template, ending with the opening of the assistant's turn.
fn format_prompt(loaded: &Loaded, messages: &[&ChatMessage]) -> Result<String, LlmError> {
    let chat = messages
        .iter()
        .map(|m| LlamaChatMessage::new(m.role.clone(), m.content.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| LlmError::Protocol(format!("message not usable as a C string: {e}")))?;
    loaded
        .model
        .apply_chat_template(&loaded.template, &chat, true)
        .map_err(|e| LlmError::Protocol(format!("chat template: {e}")))
}

/// First the repetition penalty over the last [`PENALTY_LAST_N`] tokens (when
/// `repeat_penalty > 1`). Then `temperature <= 0`: greedy; otherwise temperature, then top-p
/// (when `0 < top_p < 1`), then a random draw seeded with `seed`.
fn sampler(req: &CompletionRequest, seed: u32, n_vocab: i32) -> LlamaSampler {
    let mut chain = Vec::new();
    if req.repeat_penalty > 1.0 {
        chain.push(LlamaSampler::penalties(n_vocab, PENALTY_LAST_N, req.repeat_penalty, 0.0, 0.0));
    }
    if req.temperature <= 0.0 || req.temperature.is_nan() {
        chain.push(LlamaSampler::greedy());
    } else {
        chain.push(LlamaSampler::temp(req.temperature));
        if req.top_p > 0.0 && req.top_p < 1.0 {
            chain.push(LlamaSampler::top_p(req.top_p, 1));
        }
        chain.push(LlamaSampler::dist(seed));
    }
    LlamaSampler::chain_simple(chain)
}

/// A seed that differs per request (llama.cpp treats `u32::MAX` as "pick one", so avoid it).
fn seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    (hasher.finish() as u32).min(u32::MAX - 1)
}

#[cfg(test)]
mod tests;
