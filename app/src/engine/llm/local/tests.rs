//! Tests of the embedded provider (the model file is fetched by `make model`).
use super::*;
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
    // Greedy is deterministic, also on a reused context.
    assert_eq!(llm.complete(req).await.unwrap(), out);
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
    assert_eq!(llm.complete(req.clone()).await.unwrap(), first, "same seed, same reply");
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
