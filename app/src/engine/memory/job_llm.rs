//! One LLM call of a background job (memory extraction, sentiment): a system instruction
//! and one user message in, the answer text out, logged in `llm_requests` with the job's
//! source. A failed call is a [`JobError`]; nothing here touches the chat.

use crate::engine::llm::{CompletionRequest, LlmError};
use crate::engine::queue::JobError;
use crate::engine::store::llm_requests::{self, RequestLog};
use crate::engine::store::messages::SessionRef;
use crate::engine::AppState;
use crate::types::{ChatMessage, ModelSettings};
use std::time::Instant;

/// Whether a provider failure is worth another attempt: everything but a refused request
/// (HTTP 4xx other than 429) and a provider that cannot serve at all.
pub(crate) fn job_error(e: &LlmError) -> JobError {
    match e {
        LlmError::Status { status, .. } if *status < 500 && *status != 429 => JobError::Fail(e.to_string()),
        LlmError::Unavailable(_) => JobError::Fail(e.to_string()),
        _ => JobError::Retry(e.to_string()),
    }
}

/// Asks the LLM once (temperature 0, at most `max_tokens`) and logs the call as `source`
/// for the chat `at`. Returns the answer's text. Errors: [`job_error`] of the provider's
/// failure; a database failure is `Retry`.
pub(crate) async fn ask(
    state: &AppState,
    at: &SessionRef,
    source: &'static str,
    system: &str,
    user: &str,
    max_tokens: u32,
) -> Result<String, JobError> {
    let settings = ModelSettings { temperature: 0.0, max_tokens, repeat_penalty: 1.0, ..ModelSettings::default() };
    let messages = vec![ChatMessage::new("system", system), ChatMessage::new("user", user)];
    let req = CompletionRequest::with_settings(messages.clone(), &settings);
    let mut log = RequestLog {
        end_user_id: Some(at.end_user_id),
        session_id: Some(at.session_id),
        template_id: Some(at.persona_id),
        messages: &messages,
        ..RequestLog::new(&state.llm, at.workspace_id, source, &settings)
    };
    let started = Instant::now();
    let result = state.llm.complete(req).await;
    log.latency_ms = started.elapsed().as_millis() as i64;
    let outcome = match &result {
        Ok(c) => {
            if !c.model.is_empty() {
                log.model = c.model.clone();
            }
            log.prompt_tokens = Some(c.prompt_tokens);
            log.completion_tokens = Some(c.completion_tokens);
            log.cached_tokens = Some(c.cached_tokens);
            log.response = Some(&c.content);
            Ok(c.content.clone())
        }
        Err(e) => {
            tracing::warn!(error = %e, source, "background LLM call failed");
            log.status = "error";
            log.error = Some(e.to_string());
            Err(job_error(e))
        }
    };
    llm_requests::insert(&state.db, &log).await.map_err(|e| JobError::Retry(e.to_string()))?;
    outcome
}

/// The first JSON object in `text` that `accept` takes, ignoring anything around it
/// (prose, a Markdown code fence, a second object). None when there is none.
pub(crate) fn find_object<T>(
    text: &str,
    accept: impl Fn(&serde_json::Map<String, serde_json::Value>) -> Option<T>,
) -> Option<T> {
    text.char_indices().filter(|(_, c)| *c == '{').find_map(|(i, _)| {
        let mut values = serde_json::Deserializer::from_str(&text[i..]).into_iter::<serde_json::Value>();
        match values.next() {
            Some(Ok(serde_json::Value::Object(map))) => accept(&map),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_object_is_found_among_junk() {
        let pick = |m: &serde_json::Map<String, serde_json::Value>| m.get("a").cloned();
        assert_eq!(find_object("Sure! ```json\n{\"a\": 1}\n``` hope it helps {", pick), Some(serde_json::json!(1)));
        assert_eq!(find_object("{broken {\"b\": 2} {\"a\": [3]}", pick), Some(serde_json::json!([3])));
        assert_eq!(find_object("no json here", pick), None);
        assert_eq!(find_object("{\"a\": ", pick), None);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert!(matches!(job_error(&LlmError::Status { status: 503, body: String::new() }), JobError::Retry(_)));
        assert!(matches!(job_error(&LlmError::Status { status: 429, body: String::new() }), JobError::Retry(_)));
        assert!(matches!(job_error(&LlmError::Connect("x".into())), JobError::Retry(_)));
        assert!(matches!(job_error(&LlmError::Status { status: 400, body: String::new() }), JobError::Fail(_)));
        assert!(matches!(job_error(&LlmError::Unavailable("no model".into())), JobError::Fail(_)));
    }
}
