//! Tests of the embedded provider (the model file is fetched by `make model`).
use super::text::*;
use super::*;
use crate::engine::llm::{FinishReason, StreamEvent};
use std::path::Path;

fn msg(role: &str, content: &str) -> ChatMessage {
    ChatMessage { role: role.to_owned(), content: content.to_owned() }
}

/// `$PROMPTDEV_MODEL_PATH`, else `models/` in the workspace, if the file exists.
fn test_model() -> Option<PathBuf> {
    let path = std::env::var_os("PROMPTDEV_MODEL_PATH").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    });
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipped: no model at {} (run `make model`)", path.display());
        None
    }
}

#[test]
fn droppable_keeps_system_and_last_user() {
    let (s, u1, a1, u2, a2) =
        (msg("system", "s"), msg("user", "1"), msg("assistant", "a"), msg("user", "2"), msg("assistant", "b"));
    assert_eq!(droppable(&[&s, &u1, &a1, &u2]), Some(1));
    assert_eq!(droppable(&[&s, &a1, &u2]), Some(1));
    assert_eq!(droppable(&[&s, &u2]), None);
    assert_eq!(droppable(&[&s, &u2, &a2]), Some(2));
    assert_eq!(droppable(&[&s, &a2]), None);
    assert_eq!(droppable(&[&u2]), None);
}

#[test]
fn stop_strings_cut_at_the_earliest_match() {
    let stops: [&[u8]; 2] = [b"</end>", b"\n\n"];
    assert_eq!(find_stop(b"hello</en", &stops, 0), None);
    assert_eq!(find_stop(b"hello</end> more", &stops, 9), Some(5));
    assert_eq!(find_stop(b"a\n\nb</end>", &stops, 0), Some(1));
    assert_eq!(find_stop(b"abc", &[], 0), None);
}

#[test]
fn utf8_tail_cut_by_max_tokens_is_dropped() {
    assert_eq!(utf8_text("né".as_bytes().to_vec()), "né");
    let mut cut = "ok €".as_bytes().to_vec();
    cut.pop();
    assert_eq!(utf8_text(cut), "ok ");
    assert_eq!(utf8_text(vec![b'a', 0xff, b'b']), "a\u{fffd}b");
}

#[tokio::test]
async fn missing_model_is_unavailable() {
    let llm = LocalLlm::spawn(LocalConfig::new("/nonexistent/promptdev/model.gguf"));
    match llm.warm_up().await {
        Err(LlmError::Unavailable(msg)) => {
            assert!(msg.contains("/nonexistent/promptdev/model.gguf"), "{msg}");
            assert!(msg.contains("make model"), "{msg}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let req = CompletionRequest::new(vec![msg("user", "hi")]);
    assert!(matches!(llm.complete(req).await, Err(LlmError::Unavailable(_))));
}

#[tokio::test]
async fn invalid_model_is_unavailable() {
    let path = std::env::temp_dir().join(format!("promptdev-invalid-{}.gguf", std::process::id()));
    std::fs::write(&path, b"this is not a gguf file").unwrap();
    let result = LocalLlm::spawn(LocalConfig::new(&path)).warm_up().await;
    std::fs::remove_file(&path).unwrap();
    match result {
        Err(LlmError::Unavailable(msg)) => assert!(msg.contains("make model"), "{msg}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn answers_a_question() {
    let Some(path) = test_model() else { return };
    let llm = LocalLlm::spawn(LocalConfig::new(&path));
    assert_eq!(llm.model_name(), "SmolLM2-135M-Instruct");
    llm.warm_up().await.unwrap();
    let mut req = CompletionRequest::new(vec![
        msg("system", "You are a helpful assistant."),
        msg("user", "What is the capital of France?"),
    ]);
    req.temperature = 0.0;
    req.max_tokens = 32;
    let out = llm.complete(req.clone()).await.unwrap();
    eprintln!("answer: {out:?}");
    assert!(!out.content.is_empty());
    assert!(out.prompt_tokens > 5, "{out:?}");
    assert!(out.completion_tokens > 0 && out.completion_tokens <= 32, "{out:?}");
    assert_eq!(out.model, "SmolLM2-135M-Instruct");
    assert_eq!(out.cached_tokens, 0, "nothing to reuse yet");
    // Greedy is deterministic, also on a reused context; the same prompt again reuses all
    // but its last token.
    let again = llm.complete(req).await.unwrap();
    assert_eq!(again.cached_tokens, out.prompt_tokens - 1, "{again:?}");
    assert_eq!(uncached(again), out);
}

/// `c` as if nothing had been reused, to compare replies.
fn uncached(c: Completion) -> Completion {
    Completion { cached_tokens: 0, ..c }
}

#[tokio::test]
async fn sampling_stop_strings_and_truncation() {
    let Some(path) = test_model() else { return };
    let llm = LocalLlm::spawn(LocalConfig { context_size: 256, ..LocalConfig::new(&path) });

    let mut req = CompletionRequest::new(vec![msg("user", "Count from 1 to 20, separated by commas.")]);
    req.max_tokens = 48;
    req.temperature = 0.8;
    let out = llm.complete(req.clone()).await.unwrap();
    assert!(out.completion_tokens > 0 && out.completion_tokens <= 48, "{out:?}");

    req.temperature = 0.0;
    let full = llm.complete(req.clone()).await.unwrap();
    eprintln!("greedy: {full:?}");
    req.stop = vec!["5".to_owned()];
    let stopped = llm.complete(req.clone()).await.unwrap();
    eprintln!("stopped: {stopped:?}");
    assert!(!stopped.content.contains('5'), "{stopped:?}");
    if let Some(i) = full.content.find('5') {
        assert_eq!(stopped.content, full.content[..i].trim());
    }

    // A long history is cut down to fit 256 - 48 tokens.
    let filler = "The quick brown fox jumps over the lazy dog. ".repeat(6);
    let mut messages = vec![msg("system", "Be brief.")];
    for _ in 0..10 {
        messages.push(msg("user", &filler));
        messages.push(msg("assistant", &filler));
    }
    messages.push(msg("user", "Say hello."));
    req.messages = messages;
    req.stop.clear();
    let out = llm.complete(req.clone()).await.unwrap();
    assert!(out.prompt_tokens as usize <= 256 - 48, "{out:?}");

    // A single message that cannot fit is refused.
    req.messages = vec![msg("user", &filler.repeat(10))];
    assert!(matches!(llm.complete(req.clone()).await, Err(LlmError::Protocol(_))));
    req.max_tokens = 256;
    req.messages = vec![msg("user", "hi")];
    assert!(matches!(llm.complete(req).await, Err(LlmError::Protocol(_))));
}

#[tokio::test]
async fn finish_reason_and_a_fixed_seed() {
    let Some(path) = test_model() else { return };
    let llm = LocalLlm::spawn(LocalConfig { seed: Some(7), ..LocalConfig::new(&path) });
    let mut req = CompletionRequest::new(vec![msg("user", "Tell me a long story about a dragon.")]);
    req.max_tokens = 8;
    let cut = llm.complete(req.clone()).await.unwrap();
    assert_eq!((cut.finish_reason, cut.completion_tokens), (FinishReason::Length, 8), "{cut:?}");
    assert!(cut.finish_reason.is_truncated());
    req.max_tokens = 64;
    let first = llm.complete(req.clone()).await.unwrap();
    assert_eq!(uncached(llm.complete(req.clone()).await.unwrap()), uncached(first), "same seed, same reply");
    req.messages = vec![msg("system", "Reply with one word."), msg("user", "Say yes.")];
    let done = llm.complete(req).await.unwrap();
    assert_eq!(done.finish_reason, FinishReason::Stop, "{done:?}");
    assert!(done.completion_tokens < 64, "{done:?}");
}

#[test]
fn default_config() {
    let config = LocalConfig::default();
    assert_eq!(config.threads, 1);
    assert_eq!(config.context_size, 2048);
    assert_eq!(config.seed, None);
    assert_eq!(config.model_path, Path::new(DEFAULT_MODEL_PATH));
}

/// Feeds `pieces` one at a time as a worker would and returns what was streamed.
fn streamed(pieces: &[&[u8]], stops: &[&[u8]]) -> (Vec<String>, Vec<u8>) {
    let (mut text, mut sent, mut out) = (Vec::new(), 0, Vec::new());
    for piece in pieces {
        let searched = text.len();
        text.extend_from_slice(piece);
        if let Some(cut) = find_stop(&text, stops, searched) {
            text.truncate(cut);
            break;
        }
        let (p, s) = ready_piece(&text, sent, stops, false);
        sent = s;
        out.push(p);
    }
    let (p, _) = ready_piece(&text, sent, stops, true);
    out.push(p);
    out.retain(|p| !p.is_empty());
    (out, text)
}

#[test]
fn a_character_split_across_tokens_is_held_back() {
    let e = "é".as_bytes();
    let (out, _) = streamed(&[b"caf", &e[..1], &e[1..], b"!"], &[]);
    assert_eq!(out, vec!["caf", "é", "!"]);
    let euro = "€".as_bytes();
    assert_eq!(ready_piece(&[b'a', euro[0], euro[1]], 0, &[], false), ("a".to_owned(), 1));
    // Cut short at the end: dropped, like the final text.
    assert_eq!(ready_piece(&[b'a', euro[0], euro[1]], 1, &[], true), (String::new(), 1));
    // Invalid bytes are not waited for.
    assert_eq!(ready_piece(&[b'a', 0xff, b'b'], 0, &[], false).0, "a\u{fffd}b");
    assert_eq!(complete_utf8_len(&[0xff, euro[0]]), 1);
}

#[test]
fn a_possible_stop_string_is_held_back_and_a_cut_one_never_streamed() {
    let stops: [&[u8]; 1] = [b"</end>"];
    let (out, text) = streamed(&[b"hello", b" </", b"en", b"d> more"], &stops);
    assert_eq!(out, vec!["hello", " "]);
    assert_eq!(text, b"hello ");
    // Not a stop after all: released as soon as it is clear, and at the end.
    let (out, _) = streamed(&[b"a </", b"em> b </"], &stops);
    assert_eq!(out.concat(), "a </em> b </");
    assert_eq!(out, vec!["a ", "</em> b ", "</"]);
    assert_eq!(stop_prefix_len(b"x\n", &[b"\n\n"]), 1);
    assert_eq!(stop_prefix_len(b"x", &[b"\n\n", b"y"]), 0);
    // A multi-byte stop string split mid-character.
    let stop = "«fin»".as_bytes();
    let (out, text) = streamed(&[b"ok ", &stop[..1], &stop[1..4], &stop[4..]], &[stop]);
    assert_eq!((out.concat(), text), ("ok ".to_owned(), b"ok ".to_vec()));
}

#[test]
fn common_prefixes_are_counted_in_tokens() {
    assert_eq!(common_prefix(&[1, 2, 3], &[1, 2, 4, 5]), 2);
    assert_eq!(common_prefix::<i32>(&[], &[1]), 0);
    assert_eq!(common_prefix(&[1, 2], &[1, 2]), 2);
    assert_eq!(reusable(10, 10), 9, "the last prompt token is evaluated again");
    assert_eq!(reusable(4, 10), 4);
    assert_eq!(reusable(0, 0), 0);
}

fn view(tokens: &[i32], prompt_len: usize, last_used: u64, busy: bool) -> SlotView<'_, i32> {
    SlotView { tokens, prompt_len, last_used, busy }
}

/// `head` then `tail`.
fn cat(head: &[i32], tail: &[i32]) -> Vec<i32> {
    [head, tail].concat()
}

/// A system prompt of 20 tokens shared by every chat on the persona.
const SYSTEM: [i32; 20] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

#[test]
fn a_chat_continues_on_its_own_slot() {
    // Chat A on slot 0 (prompt: system + 3 tokens, reply 4), chat B on slot 1; 2 and 3 empty.
    let a = cat(&SYSTEM, &[30, 31, 32, 40, 41, 42, 43]);
    let b = cat(&SYSTEM, &[50, 51, 52, 60, 61]);
    let slots = [view(&a, 23, 1, false), view(&b, 23, 2, false), view(&[], 0, 0, false), view(&[], 0, 0, false)];
    // B's next turn: its prompt, the reply, the end of the reply's turn, a new message.
    assert_eq!(pick_slot(&slots, &cat(&b, &[99, 70, 71])), Some((1, 25)));
    // A's reply re-tokenized differently at its end: the common prefix is kept.
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[30, 31, 32, 40, 41, 44, 99, 70])), Some((0, 25)));
    // A's reply regenerated: the same prompt again.
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[30, 31, 32])), Some((0, 23)));
    // A new chat on the same persona shares only the system prompt: it takes an empty slot
    // rather than evicting A or B.
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[80, 81])), Some((2, 0)));
    // Its last token edited: still within the slack, so A's slot is reused up to the edit.
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[30, 31, 33])), Some((0, 22)));
    // An earlier edit: not a continuation; the least recently used free slot.
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[33, 31, 32])), Some((2, 0)));
}

#[test]
fn without_a_continuation_the_least_recently_used_slot_is_taken() {
    let a = cat(&SYSTEM, &[30, 31, 32, 40, 41, 42]);
    let b = cat(&SYSTEM, &[50, 51, 52, 60]);
    let (c, d) = ([5, 6], [7, 8]);
    let slots = [view(&a, 23, 4, false), view(&b, 23, 2, false), view(&c, 1, 3, false), view(&d, 1, 1, true)];
    // Slot 3 is older but busy; slot 1 is the oldest free one, and its system prompt is reused.
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[90])), Some((1, 20)));
    // A slid window: only the system prompt still matches A; it is the oldest free slot.
    let slots = [view(&a, 23, 1, false), view(&b, 23, 2, false)];
    assert_eq!(pick_slot(&slots, &cat(&SYSTEM, &[32, 40, 41, 42, 99])), Some((0, 20)));
    let busy = [view(&a, 23, 1, true), view(&b, 23, 2, true)];
    assert_eq!(pick_slot(&busy, &a), None);
    // Of two continuations the longer wins.
    let short = cat(&SYSTEM, &[30]);
    let slots = [view(&short, 21, 1, false), view(&a, 23, 2, false)];
    assert_eq!(pick_slot(&slots, &cat(&a, &[99])), Some((1, 26)));
}

/// Greedy settings and a short reply.
fn greedy(messages: Vec<ChatMessage>, max_tokens: u32) -> CompletionRequest {
    let mut req = CompletionRequest::new(messages);
    req.temperature = 0.0;
    req.max_tokens = max_tokens;
    req
}

#[tokio::test]
async fn streaming_sends_pieces_that_add_up_to_the_reply() {
    let Some(path) = test_model() else { return };
    let llm = LocalLlm::spawn(LocalConfig::new(&path));
    let req = greedy(vec![msg("user", "Tell me about the sea in three sentences.")], 48);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let out = llm.stream(req.clone(), tx).await.unwrap();
    let mut pieces = Vec::new();
    while let Ok(event) = rx.try_recv() {
        match event {
            StreamEvent::Delta(p) => pieces.push(p),
            other => panic!("nothing waits here: {other:?}"),
        }
    }
    assert!(pieces.len() > 1, "{pieces:?}");
    assert_eq!(pieces.concat().trim(), out.content);
    assert_eq!(uncached(llm.complete(req).await.unwrap()), out, "streaming changes nothing");
}

#[tokio::test]
async fn the_next_turn_reuses_the_cache_and_several_chats_run_at_once() {
    let Some(path) = test_model() else { return };
    let llm = std::sync::Arc::new(LocalLlm::spawn(LocalConfig::new(&path)));
    let mut chat = vec![msg("system", "You are a friendly companion."), msg("user", "Hi! What do you like?")];
    let first = llm.complete(greedy(chat.clone(), 32)).await.unwrap();
    chat.push(msg("assistant", &first.content));
    chat.push(msg("user", "Why?"));
    let second = llm.complete(greedy(chat.clone(), 32)).await.unwrap();
    eprintln!("{first:?}\n{second:?}");
    assert!(second.cached_tokens > first.prompt_tokens / 2, "{second:?}");
    assert!(second.cached_tokens < second.prompt_tokens);

    // Six chats at once on four slots: the two last wait and are told so; every reply is
    // the one it gets alone (greedy).
    let asks: Vec<CompletionRequest> =
        (0..6).map(|i| greedy(vec![msg("user", &format!("Name {} animals.", i + 2))], 24)).collect();
    let mut alone = Vec::new();
    for req in &asks {
        alone.push(uncached(llm.complete(req.clone()).await.unwrap()).content);
    }
    let runs = asks.into_iter().map(|req| {
        let llm = llm.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (tokio::spawn(async move { llm.stream(req, tx).await }), rx)
    });
    let mut waited = 0;
    for (i, (run, mut rx)) in runs.collect::<Vec<_>>().into_iter().enumerate() {
        let out = run.await.unwrap().unwrap();
        assert_eq!(out.content, alone[i], "chat {i}");
        while let Ok(event) = rx.try_recv() {
            if matches!(event, StreamEvent::Waiting { .. }) {
                waited += 1;
            }
        }
    }
    assert!(waited >= 1, "some chat waited for a slot");
}

#[tokio::test]
async fn dropping_the_future_frees_the_slot() {
    let Some(path) = test_model() else { return };
    let llm = LocalLlm::spawn(LocalConfig::new(&path));
    let long = greedy(vec![msg("user", "Write a very long story about a dragon.")], 1000);
    for _ in 0..SLOTS {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let started = std::time::Instant::now();
        let cut = tokio::time::timeout(std::time::Duration::from_millis(300), llm.stream(long.clone(), tx)).await;
        assert!(cut.is_err(), "still generating after {:?}", started.elapsed());
    }
    // Had the dropped completions gone on, every slot would be busy for a long while.
    let quick =
        tokio::time::timeout(std::time::Duration::from_secs(20), llm.complete(greedy(vec![msg("user", "Hi")], 8)));
    assert!(quick.await.expect("a slot was free").is_ok());
}
