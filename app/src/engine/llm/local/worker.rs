//! The model thread's scheduler: one llama.cpp context with [`SLOTS`] sequences (one KV cache
//! stream each, `kv_unified` off, so a sequence attends only to its own cells), a line of
//! waiting jobs, and a loop that decodes every running completion's next token in one batch
//! per step.
//!
//! Each slot remembers the tokens its sequence holds in the KV cache. A new completion takes
//! the free slot that best continues its prompt ([`super::text::pick_slot`]), removes the
//! slot's cache after the prefix the two share, and evaluates only the rest; a prompt that
//! shares nothing (history edited, window slid, messages dropped to fit) is evaluated in full.

use super::text::{find_stop, pick_slot, ready_piece, reusable, utf8_text, SlotView};
use super::{fit_prompt, sampler, seed, Job, Loaded, LocalConfig, Request, MODEL_NAME, SLOTS};
use crate::engine::llm::{Completion, FinishReason, LlmError, StreamEvent};
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Instant;

/// Prompt tokens one sequence adds to a step while other sequences run: a long new prompt then
/// delays the others' next token by this many tokens' evaluation (≈ 0.4 s on one core), not
/// by the whole prompt's.
const SHARED_PROMPT_CHUNK: usize = 64;

/// One sequence of the context.
struct Slot {
    /// The tokens the sequence holds in the KV cache, position 0 first.
    tokens: Vec<LlamaToken>,
    /// How many of them were the last request's prompt.
    prompt_len: usize,
    /// [`Engine::clock`] when a completion last ended on it; 0 = never used.
    last_used: u64,
    busy: bool,
}

/// The context and what its sequences hold.
struct Engine<'m> {
    ctx: LlamaContext<'m>,
    slots: Vec<Slot>,
    batch: LlamaBatch<'static>,
    /// Tokens one completion may use (prompt plus reply).
    n_ctx_slot: usize,
    clock: u64,
}

impl<'m> Engine<'m> {
    fn new(config: &LocalConfig, loaded: &'m Loaded) -> Result<Self, LlmError> {
        let threads = i32::try_from(config.threads.max(1)).unwrap_or(i32::MAX);
        let per_slot = if config.context_size == 0 { loaded.model.n_ctx_train() } else { config.context_size };
        let total = per_slot.saturating_mul(SLOTS as u32);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(total))
            .with_n_seq_max(SLOTS as u32)
            .with_kv_unified(false)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = loaded.model.new_context(super::backend()?, params).map_err(|e| {
            LlmError::Unavailable(format!("could not create a {SLOTS} × {per_slot}-token llama.cpp context: {e}"))
        })?;
        let n_batch = (ctx.n_batch() as usize).max(1);
        let slots = (0..SLOTS).map(|_| Slot { tokens: Vec::new(), prompt_len: 0, last_used: 0, busy: false }).collect();
        let n_ctx_slot = (per_slot as usize).min(ctx.n_ctx() as usize / SLOTS);
        Ok(Self { ctx, slots, batch: LlamaBatch::new(n_batch, 1), n_ctx_slot, clock: 0 })
    }

    fn has_free_slot(&self) -> bool {
        self.slots.iter().any(|s| !s.busy)
    }

    /// Marks `slot` free; its tokens stay cached for the next request.
    fn release(&mut self, slot: usize) {
        self.clock += 1;
        self.slots[slot].busy = false;
        self.slots[slot].last_used = self.clock;
    }

    /// Forgets what `slot` holds (after a failed decode, its cache is in doubt).
    fn forget(&mut self, slot: usize) {
        let _ = self.ctx.clear_kv_cache_seq(Some(slot as u32), None, None);
        self.slots[slot].tokens.clear();
        self.slots[slot].prompt_len = 0;
    }
}

/// A job waiting for a slot, and the last `ahead` it was told.
struct Queued {
    job: Box<Request>,
    told: Option<u32>,
}

/// A completion running on a slot.
struct Active {
    slot: usize,
    job: Box<Request>,
    /// The whole prompt; `fed` of its tokens are in the slot's cache (`cached` of them from
    /// before this request).
    prompt: Vec<LlamaToken>,
    fed: usize,
    cached: usize,
    /// The token sampled last, to evaluate in the next step.
    next: Option<LlamaToken>,
    /// This step's batch index of the token whose logits give the next token.
    logits: Option<i32>,
    sampler: LlamaSampler,
    /// The reply so far as raw bytes (a character may span tokens), and how much was streamed.
    text: Vec<u8>,
    sent: usize,
    generated: usize,
    max_tokens: usize,
    started: Instant,
    first_token: Option<Instant>,
}

impl Active {
    fn stops(&self) -> Vec<&[u8]> {
        self.job.req.stop.iter().map(String::as_bytes).filter(|s| !s.is_empty()).collect()
    }

    /// Streams what is ready of the reply (all of it when `done`).
    fn flush(&mut self, done: bool) {
        let (piece, sent) = ready_piece(&self.text, self.sent, &self.stops(), done);
        self.sent = sent;
        if let (false, Some(sink)) = (piece.is_empty(), &self.job.sink) {
            let _ = sink.send(StreamEvent::Delta(piece));
        }
    }

    /// Takes the token sampled for this completion; Some(reason) when it ends here.
    fn accept(&mut self, loaded: &Loaded, token: LlamaToken) -> Option<FinishReason> {
        let vocab = loaded.model.vocab();
        self.first_token.get_or_insert_with(Instant::now);
        if vocab.is_eog(token) {
            return Some(FinishReason::Stop);
        }
        self.generated += 1;
        let searched = self.text.len();
        vocab.token_to_piece_into(token, &mut self.text, false, None);
        if let Some(cut) = find_stop(&self.text, &self.stops(), searched) {
            self.text.truncate(cut);
            return Some(FinishReason::Stop);
        }
        if self.generated >= self.max_tokens {
            return Some(FinishReason::Length);
        }
        self.flush(false);
        self.next = Some(token);
        None
    }

    /// Streams the rest and answers the caller.
    fn finish(mut self, finish_reason: FinishReason) {
        self.flush(true);
        let now = Instant::now();
        let first = self.first_token.unwrap_or(now);
        tracing::debug!(
            slot = self.slot,
            prompt_tokens = self.prompt.len(),
            cached_tokens = self.cached,
            completion_tokens = self.generated,
            ?finish_reason,
            prompt_ms = (first - self.started).as_millis() as u64,
            gen_ms = (now - first).as_millis() as u64,
            "local completion"
        );
        let completion = Completion {
            content: utf8_text(self.text).trim().to_owned(),
            prompt_tokens: u32::try_from(self.prompt.len()).unwrap_or(u32::MAX),
            completion_tokens: u32::try_from(self.generated).unwrap_or(u32::MAX),
            model: MODEL_NAME.to_owned(),
            finish_reason,
            cached_tokens: u32::try_from(self.cached).unwrap_or(u32::MAX),
        };
        let _ = self.job.reply.send(Ok(completion));
    }
}

/// Serves jobs until every handle is dropped and the line is empty: admits waiting jobs to
/// free slots (first come, first served), tells the rest how many are ahead, and steps the
/// running completions. A panic fails the running completions and starts over with a fresh
/// context.
pub(super) fn serve(config: &LocalConfig, loaded: &Loaded, first: Job, rx: &mpsc::Receiver<Job>) {
    let mut engine: Option<Engine<'_>> = None;
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut active: Vec<Active> = Vec::new();
    let mut first = Some(first);
    loop {
        if active.is_empty() && queue.is_empty() {
            match first.take().map_or_else(|| rx.recv(), Ok) {
                Ok(job) => take(config, loaded, &mut engine, &mut queue, job),
                Err(_) => return,
            }
        }
        while let Ok(job) = rx.try_recv() {
            take(config, loaded, &mut engine, &mut queue, job);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            admit(config, loaded, &mut engine, &mut queue, &mut active);
            for (i, q) in queue.iter_mut().enumerate() {
                let ahead = u32::try_from(active.len() + i).unwrap_or(u32::MAX);
                if q.told != Some(ahead) {
                    q.told = Some(ahead);
                    if let Some(sink) = &q.job.sink {
                        let _ = sink.send(StreamEvent::Waiting { ahead });
                    }
                }
            }
            if let Some(eng) = engine.as_mut() {
                step(eng, loaded, &mut active);
            }
        }));
        if outcome.is_err() {
            // The running jobs' answer senders go with them: their callers see `Unavailable`.
            tracing::error!(running = active.len(), "panic in the local model thread; its requests failed");
            active.clear();
            engine = None;
        }
    }
}

/// Answers a warm-up (creating the context if needed) or puts a completion in line.
fn take<'m>(
    config: &LocalConfig,
    loaded: &'m Loaded,
    engine: &mut Option<Engine<'m>>,
    queue: &mut VecDeque<Queued>,
    job: Job,
) {
    match job {
        Job::WarmUp(tx) => {
            let ready = ensure(config, loaded, engine).map(|_| ());
            let _ = tx.send(ready);
        }
        Job::Complete(job) => queue.push_back(Queued { job, told: None }),
    }
}

fn ensure<'e, 'm>(
    config: &LocalConfig,
    loaded: &'m Loaded,
    engine: &'e mut Option<Engine<'m>>,
) -> Result<&'e mut Engine<'m>, LlmError> {
    if engine.is_none() {
        *engine = Some(Engine::new(config, loaded)?);
    }
    Ok(engine.as_mut().expect("just set"))
}

/// Drops waiting jobs whose caller went away, then starts waiting jobs on free slots.
fn admit<'m>(
    config: &LocalConfig,
    loaded: &'m Loaded,
    engine: &mut Option<Engine<'m>>,
    queue: &mut VecDeque<Queued>,
    active: &mut Vec<Active>,
) {
    queue.retain(|q| !q.job.reply.is_closed());
    while !queue.is_empty() {
        let eng = match ensure(config, loaded, engine) {
            Ok(eng) => eng,
            Err(err) => {
                for q in queue.drain(..) {
                    Job::Complete(q.job).fail(err.clone());
                }
                return;
            }
        };
        if !eng.has_free_slot() {
            return;
        }
        let job = queue.pop_front().expect("not empty").job;
        match start(config, loaded, eng, job) {
            Ok(a) => active.push(a),
            Err((job, err)) => {
                tracing::warn!(error = %err, "local completion failed");
                Job::Complete(job).fail(err);
            }
        }
    }
}

/// Tokenizes the prompt, picks a slot and trims its cache to the shared prefix.
fn start(
    config: &LocalConfig,
    loaded: &Loaded,
    eng: &mut Engine<'_>,
    job: Box<Request>,
) -> Result<Active, (Box<Request>, LlmError)> {
    let req = &job.req;
    let n_ctx = eng.n_ctx_slot;
    let max_tokens = req.max_tokens as usize;
    if max_tokens >= n_ctx {
        let err = format!("max_tokens {max_tokens} leaves no room for the prompt in the {n_ctx}-token context");
        return Err((job, LlmError::Protocol(err)));
    }
    let budget = n_ctx - max_tokens;
    let (prompt, dropped) = match fit_prompt(loaded, &req.messages, budget) {
        Ok(fitted) => fitted,
        Err(err) => return Err((job, err)),
    };
    if dropped > 0 {
        tracing::debug!(dropped, budget, "dropped old messages to fit the context");
    }
    let views: Vec<SlotView<'_, LlamaToken>> = eng
        .slots
        .iter()
        .map(|s| SlotView { tokens: &s.tokens, prompt_len: s.prompt_len, last_used: s.last_used, busy: s.busy })
        .collect();
    let (slot, common) = pick_slot(&views, &prompt).expect("admit checked for a free slot");
    let mut keep = reusable(common, prompt.len());
    // Removing the tail fails only for models without positional KV (recurrent): start over.
    if !eng.ctx.clear_kv_cache_seq(Some(slot as u32), Some(keep as u32), None).unwrap_or(false) {
        eng.forget(slot);
        keep = 0;
    }
    eng.slots[slot].tokens.truncate(keep);
    eng.slots[slot].prompt_len = prompt.len();
    eng.slots[slot].busy = true;

    let vocab = loaded.model.vocab();
    let seed = config.seed.map_or_else(seed, |s| s.min(u32::MAX - 1));
    let mut sampler = sampler(req, seed, vocab.n_tokens());
    // The repetition penalty sees the conversation so far, not only the reply: a copy of the
    // previous reply (in the prompt as history) is penalised too. Control tokens
    // (<|im_start|>, <|im_end|>) are left out: penalising <|im_end|> would keep the model from
    // ending its turn. `sample` accepts each generated token itself.
    sampler.accept_many(prompt.iter().filter(|&&t| !vocab.is_control(t) && !vocab.is_eog(t)));
    Ok(Active {
        slot,
        prompt,
        fed: keep,
        cached: keep,
        next: None,
        logits: None,
        sampler,
        text: Vec::new(),
        sent: 0,
        generated: 0,
        max_tokens,
        started: Instant::now(),
        first_token: None,
        job,
    })
}

/// One decode for every running completion: the next chunk of its prompt or its last sampled
/// token, sequences in slot order (llama.cpp puts consecutive sequence ids in one micro-batch).
/// Then samples each one's next token and finishes those that end.
fn step(eng: &mut Engine<'_>, loaded: &Loaded, active: &mut Vec<Active>) {
    let mut i = 0;
    while i < active.len() {
        if active[i].job.reply.is_closed() {
            let a = active.remove(i);
            tracing::debug!(generated = a.generated, "caller went away; generation stopped");
            eng.release(a.slot);
        } else {
            i += 1;
        }
    }
    if active.is_empty() {
        return;
    }
    active.sort_by_key(|a| a.slot);
    eng.batch.clear();
    let shared = active.len() > 1;
    let capacity = eng.ctx.n_batch() as usize;
    let mut failed = None;
    for a in active.iter_mut() {
        a.logits = None;
        let slot = &mut eng.slots[a.slot];
        let room = capacity.saturating_sub(eng.batch.n_tokens() as usize);
        let tokens: Vec<LlamaToken> = if a.fed < a.prompt.len() {
            let n = (a.prompt.len() - a.fed).min(if shared { SHARED_PROMPT_CHUNK } else { room }).min(room);
            a.fed += n;
            a.prompt[a.fed - n..a.fed].to_vec()
        } else {
            a.next.take().into_iter().collect()
        };
        let last = tokens.len().wrapping_sub(1);
        for (k, token) in tokens.into_iter().enumerate() {
            let logits = k == last && a.fed == a.prompt.len();
            if let Err(e) = add_token(&mut eng.batch, token, slot.tokens.len(), a.slot, logits) {
                failed.get_or_insert(e);
            }
            slot.tokens.push(token);
            if logits {
                a.logits = Some(eng.batch.n_tokens() - 1);
            }
        }
    }
    let decoded = match failed {
        Some(e) => Err(e),
        None => eng.ctx.decode(&mut eng.batch).map_err(|e| LlmError::Protocol(format!("llama.cpp decode: {e}"))),
    };
    if let Err(err) = decoded {
        tracing::warn!(error = %err, running = active.len(), "local completion failed");
        for a in active.drain(..) {
            eng.forget(a.slot);
            eng.release(a.slot);
            Job::Complete(a.job).fail(err.clone());
        }
        return;
    }
    let mut ended = Vec::new();
    for (i, a) in active.iter_mut().enumerate() {
        if let Some(idx) = a.logits {
            let token = a.sampler.sample(&eng.ctx, idx);
            if let Some(reason) = a.accept(loaded, token) {
                ended.push((i, reason));
            }
        }
    }
    for (i, reason) in ended.into_iter().rev() {
        let a = active.remove(i);
        eng.release(a.slot);
        a.finish(reason);
    }
}

fn add_token(
    batch: &mut LlamaBatch<'_>,
    token: LlamaToken,
    pos: usize,
    seq: usize,
    logits: bool,
) -> Result<(), LlmError> {
    let pos = i32::try_from(pos).map_err(|_| LlmError::Protocol(format!("position {pos} overflows")))?;
    batch.add(token, pos, &[seq as i32], logits).map_err(|e| LlmError::Protocol(format!("llama.cpp batch: {e}")))
}
