//! The embedded model: SmolLM2-135M-Instruct (GGUF, Q4_1) run in-process through llama.cpp
//! (`llama-cpp-2`).
//!
//! All llama.cpp work happens on one dedicated OS thread owned by [`LocalLlm`], never on
//! tokio's threads: callers send a job over a `std::sync::mpsc` channel and await the answer
//! on a `tokio::sync::oneshot`. Jobs are served one at a time, in order. The model is loaded
//! on first use (or by [`LocalLlm::warm_up`]) and then kept, together with one context whose
//! KV cache is cleared before every completion.
//!
//! llama.cpp's own log output is routed into `tracing` (target `llama-cpp-2`, at llama.cpp's
//! levels: model loading logs a lot at INFO) instead of stderr; filter it with e.g.
//! `RUST_LOG=info,llama-cpp-2=warn,llama_cpp_2=warn`.

use super::{Completion, CompletionRequest, FinishReason, LlmError};
use crate::types::ChatMessage;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::{send_logs_to_tracing, ChatTemplateError, LogOptions};
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{mpsc, OnceLock};
use std::time::Instant;
use tokio::sync::oneshot;

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
    /// Context window in tokens: prompt plus generated tokens must fit in it (default 2048;
    /// 0 means the size the model was trained with).
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
    Complete(Box<CompletionRequest>, oneshot::Sender<Result<Completion, LlmError>>),
}

impl Job {
    fn fail(self, err: LlmError) {
        // The caller may have gone away (timeout, cancelled request): nothing to do then.
        match self {
            Job::WarmUp(tx) => drop(tx.send(Err(err))),
            Job::Complete(_, tx) => drop(tx.send(Err(err))),
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
        let spawned = std::thread::Builder::new().name("llm-local".to_owned()).spawn(move || worker(config, rx));
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

    /// Runs one chat completion.
    ///
    /// The messages are formatted with the chat template stored in the model (ChatML), and
    /// `max_tokens` tokens are reserved in the context window for the answer. If the prompt does
    /// not fit in the rest, the oldest non-system messages are dropped (the system messages and
    /// the last user message are always kept). Generation stops at end-of-generation, after
    /// `max_tokens` tokens, or before the first `stop` string. `temperature <= 0` is greedy.
    ///
    /// Jobs are served one at a time; this waits behind any queued ones. Dropping the future
    /// stops the generation at the next token.
    ///
    /// # Errors
    /// - [`LlmError::Unavailable`]: the model file is missing or invalid, or the model thread
    ///   is gone.
    /// - [`LlmError::Protocol`]: no messages, a NUL byte in a message, a prompt that does not
    ///   fit even after dropping history, `max_tokens` not smaller than the context, or a
    ///   llama.cpp failure while evaluating.
    pub async fn complete(&self, req: CompletionRequest) -> Result<Completion, LlmError> {
        let (tx, rx) = oneshot::channel();
        self.submit(Job::Complete(Box::new(req), tx))?;
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
fn worker(config: LocalConfig, rx: mpsc::Receiver<Job>) {
    while let Ok(job) = rx.recv() {
        let loaded = catch_unwind(AssertUnwindSafe(|| load(&config))).unwrap_or_else(|_| {
            Err(LlmError::Unavailable(format!(
                "panic while loading model {}; run `make model` to download a good copy",
                config.model_path.display()
            )))
        });
        match loaded {
            Ok(loaded) => {
                serve(&config, &loaded, job, &rx);
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

fn new_context<'m>(config: &LocalConfig, loaded: &'m Loaded) -> Result<LlamaContext<'m>, LlmError> {
    let threads = i32::try_from(config.threads.max(1)).unwrap_or(i32::MAX);
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(config.context_size))
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    loaded.model.new_context(backend()?, params).map_err(|e| {
        LlmError::Unavailable(format!("could not create a {}-token llama.cpp context: {e}", config.context_size))
    })
}

fn serve(config: &LocalConfig, loaded: &Loaded, first: Job, rx: &mpsc::Receiver<Job>) {
    // Created on the first job that needs it and kept; recreated after a failure or panic.
    let mut ctx: Option<LlamaContext<'_>> = None;
    for job in std::iter::once(first).chain(rx.iter()) {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let ctx = match ctx.take() {
                Some(ctx) => ctx,
                None => match new_context(config, loaded) {
                    Ok(ctx) => ctx,
                    Err(err) => {
                        job.fail(err);
                        return None;
                    }
                },
            };
            Some(run_job(config, loaded, ctx, job))
        }));
        ctx = match outcome {
            Ok(kept) => kept,
            Err(_) => {
                // The job's answer sender was dropped by the unwind: its caller sees
                // `Unavailable`. Start the next job from a fresh context.
                tracing::error!("panic in the local model thread; the request failed");
                None
            }
        };
    }
}

/// Runs one job with `ctx` and gives the context back for the next job.
fn run_job<'m>(config: &LocalConfig, loaded: &'m Loaded, mut ctx: LlamaContext<'m>, job: Job) -> LlamaContext<'m> {
    match job {
        Job::WarmUp(tx) => drop(tx.send(Ok(()))),
        Job::Complete(req, tx) => {
            let result = complete_blocking(config, loaded, &mut ctx, &req, &tx);
            if let Err(err) = &result {
                tracing::warn!(error = %err, "local completion failed");
            }
            drop(tx.send(result));
        }
    }
    ctx
}

fn complete_blocking(
    config: &LocalConfig,
    loaded: &Loaded,
    ctx: &mut LlamaContext<'_>,
    req: &CompletionRequest,
    reply: &oneshot::Sender<Result<Completion, LlmError>>,
) -> Result<Completion, LlmError> {
    let started = Instant::now();
    let n_ctx = ctx.n_ctx() as usize;
    let max_tokens = req.max_tokens as usize;
    if max_tokens >= n_ctx {
        return Err(LlmError::Protocol(format!(
            "max_tokens {max_tokens} leaves no room for the prompt in the {n_ctx}-token context"
        )));
    }
    let budget = n_ctx - max_tokens;
    let (tokens, dropped) = fit_prompt(loaded, &req.messages, budget)?;
    if dropped > 0 {
        tracing::debug!(dropped, budget, "dropped old messages to fit the context");
    }
    let prompt_tokens = tokens.len();

    ctx.clear_kv_cache();
    let vocab = loaded.model.vocab();
    let n_batch = (ctx.n_batch() as usize).max(1);
    let mut batch = LlamaBatch::new(n_batch, 1);
    // Evaluate the prompt, in chunks of at most n_batch tokens; logits for the last token only.
    for (chunk_no, chunk) in tokens.chunks(n_batch).enumerate() {
        batch.clear();
        for (i, &token) in chunk.iter().enumerate() {
            let pos = chunk_no * n_batch + i;
            add_token(&mut batch, token, pos, pos + 1 == prompt_tokens)?;
        }
        ctx.decode(&mut batch).map_err(|e| LlmError::Protocol(format!("llama.cpp decode: {e}")))?;
    }
    let prompt_done = Instant::now();

    let seed = config.seed.map_or_else(seed, |s| s.min(u32::MAX - 1));
    let mut sampler = sampler(req, seed, vocab.n_tokens());
    // The repetition penalty sees the conversation so far, not only the reply: a copy of the
    // previous reply (in the prompt as history) is penalised too. Control tokens
    // (<|im_start|>, <|im_end|>) are left out: penalising <|im_end|> would keep the model from
    // ending its turn. `sample` accepts each generated token itself.
    sampler.accept_many(tokens.iter().filter(|&&t| !vocab.is_control(t) && !vocab.is_eog(t)));
    let stops: Vec<&[u8]> = req.stop.iter().map(String::as_bytes).filter(|s| !s.is_empty()).collect();
    let mut text: Vec<u8> = Vec::new();
    let mut generated = 0usize;
    let mut finish_reason = FinishReason::Stop;
    while generated < max_tokens {
        if reply.is_closed() {
            tracing::debug!(generated, "caller went away; generation stopped");
            break;
        }
        let token = sampler.sample(ctx, batch.n_tokens() - 1);
        if vocab.is_eog(token) {
            break;
        }
        generated += 1;
        let searched = text.len();
        // Pieces are raw bytes: a multi-byte character may span tokens, so the text is only
        // decoded once, at the end.
        vocab.token_to_piece_into(token, &mut text, false, None);
        if let Some(cut) = find_stop(&text, &stops, searched) {
            text.truncate(cut);
            break;
        }
        if generated == max_tokens {
            finish_reason = FinishReason::Length;
            break;
        }
        batch.clear();
        add_token(&mut batch, token, prompt_tokens + generated - 1, true)?;
        ctx.decode(&mut batch).map_err(|e| LlmError::Protocol(format!("llama.cpp decode: {e}")))?;
    }

    let gen_ms = prompt_done.elapsed().as_millis() as u64;
    tracing::debug!(
        prompt_tokens,
        completion_tokens = generated,
        ?finish_reason,
        prompt_ms = (prompt_done - started).as_millis() as u64,
        gen_ms,
        "local completion"
    );
    Ok(Completion {
        content: utf8_text(text).trim().to_owned(),
        prompt_tokens: u32::try_from(prompt_tokens).unwrap_or(u32::MAX),
        completion_tokens: u32::try_from(generated).unwrap_or(u32::MAX),
        model: MODEL_NAME.to_owned(),
        finish_reason,
    })
}

fn add_token(batch: &mut LlamaBatch<'_>, token: LlamaToken, pos: usize, logits: bool) -> Result<(), LlmError> {
    let pos = i32::try_from(pos).map_err(|_| LlmError::Protocol(format!("position {pos} overflows")))?;
    batch.add(token, pos, &[0], logits).map_err(|e| LlmError::Protocol(format!("llama.cpp batch: {e}")))
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

/// The byte offset of the earliest stop string in `text`, looking only at matches that end after
/// `searched` (everything before was checked already).
fn find_stop(text: &[u8], stops: &[&[u8]], searched: usize) -> Option<usize> {
    stops
        .iter()
        .filter_map(|stop| {
            let from = searched.saturating_sub(stop.len() - 1);
            text.get(from..)?.windows(stop.len()).position(|w| w == *stop).map(|i| from + i)
        })
        .min()
}

/// Decodes the generated bytes. A character cut short by `max_tokens` is dropped; any other
/// invalid sequence becomes U+FFFD.
fn utf8_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let utf8 = err.utf8_error();
            let mut bytes = err.into_bytes();
            if utf8.error_len().is_none() {
                bytes.truncate(utf8.valid_up_to());
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

#[cfg(test)]
mod tests;
