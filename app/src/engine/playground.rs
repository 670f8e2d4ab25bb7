//! Authoring tools around the pipeline: the live preview (render only), the playground
//! (a test message through the LLM with chosen versions, written to no conversation) and
//! AI-assisted drafting of a new template.

use super::chat;
use super::ids::MessageId;
use super::ids::{PersonaId, WorkspaceId};
use super::llm;
use super::prompt::{build_messages, TurnInput};
use super::store::llm_requests::{self, RequestLog};
use super::store::{sessions, summaries};
use super::{inspector, memory, personas, AppState};
use crate::error::{AppError, AppResult};
use crate::types::{
    ChatMessage, DeclaredVariable, ModelSettings, PersonaDraft, PlaygroundResult, Preview, PreviewRequest,
    ProviderInfo, Sender, VariableType,
};
use serde_json::{Map, Value};
use std::time::Instant;

/// Longest description for AI drafting, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

type History = Vec<(Sender, String, i64)>;

/// What a playground run feeds the template besides the message and the declared
/// variables: nothing (no user), a real end user's current context, or a forked turn's.
#[derive(Default)]
struct Sample {
    user_id: String,
    memory: Map<String, Value>,
    history: History,
    summary: Option<String>,
    sentiment: Option<Value>,
    /// Guardrail instructions, then hidden notes.
    additions: Vec<String>,
}

/// A real end user's memory, and their recent history with `persona_id` (if given): the
/// window a turn would send now (by the token budget), with that chat's summary.
/// Errors: `NotFound` (user).
async fn user_sample(
    state: &AppState,
    ws: WorkspaceId,
    user_id: &str,
    persona_id: Option<PersonaId>,
) -> AppResult<Sample> {
    let end_user = chat::find_end_user(&state.db, ws, user_id).await?;
    let memory = memory::memory_map(&state.db, ws, end_user).await?;
    let session = match persona_id {
        Some(pid) => sessions::latest(&state.db.pool, ws, end_user, pid).await?,
        None => None,
    };
    let (history, summary) = match session {
        Some(sid) => {
            let newest = super::ids::MessageId(i64::MAX);
            let history = super::summary::history_for(state, ws, sid, newest).await?;
            (history, summaries::get(&state.db, ws, sid).await?.map(|s| s.content))
        }
        None => (Vec::new(), None),
    };
    Ok(Sample { user_id: user_id.to_string(), memory, history, summary, ..Sample::default() })
}

/// The context of a forked turn ([`inspector::fork`]) as a sample. Errors: `NotFound`,
/// `Invalid` (the turn was answered by another persona).
async fn fork_sample(state: &AppState, ws: WorkspaceId, id: PersonaId, fork: MessageId) -> AppResult<(Sample, String)> {
    let f = inspector::fork(state, ws, fork).await?.turn;
    if f.persona_id != id.get() {
        return Err(AppError::invalid("fork", "that turn was answered by another persona"));
    }
    let sample = Sample {
        user_id: f.user_id,
        memory: f.memory,
        history: f.history.into_iter().map(|h| (h.sender, h.content, h.at)).collect(),
        summary: f.summary,
        sentiment: f.sentiment,
        additions: f.instructions.into_iter().chain(f.notes).collect(),
    };
    Ok((sample, f.user_message))
}

/// Renders editor content (saved or not) with sample values and returns the exact messages
/// the LLM would receive. Nothing is stored and no LLM is called.
/// Errors: `Template` (syntax or render error, with line), `Invalid` (content, variables),
/// `NotFound` (user).
pub async fn preview(state: &AppState, ws: WorkspaceId, req: &PreviewRequest) -> AppResult<Preview> {
    super::render::check(&req.content)?;
    personas::validate_variables(&req.variables)?;
    let sample = match &req.user_id {
        Some(u) => user_sample(state, ws, &chat::parse_user_id(u)?, req.persona_id.map(PersonaId)).await?,
        None => Sample { memory: req.memory.clone(), ..Sample::default() },
    };
    let message = if req.message.trim().is_empty() { crate::types::SAMPLE_MESSAGE } else { req.message.as_str() };
    let user_id = req.user_id.clone().unwrap_or_else(|| "sample-user".into());
    let input = TurnInput {
        user_id: &user_id,
        current_message: message,
        history: &sample.history,
        memory: &sample.memory,
        summary: sample.summary.as_deref(),
        sentiment: None,
        system_additions: &[],
    };
    let messages = build_messages(req.kind, &req.content, &req.variables, &req.values, &input)?;
    let warnings = super::render::cache_warnings(&req.content, req.kind);
    Ok(Preview { messages, variables: personas::variables_for(&req.content, &req.variables), warnings })
}

/// Runs `message` through the pipeline once per version in `versions` (1 or 2; side by
/// side), with each version's kind, variables and model settings. Writes to no
/// conversation; each call is logged in `llm_requests` with source `playground`.
/// `user_id` supplies a real end user's memory, history and summary; `fork` (a message of
/// one of this persona's real conversations) instead supplies that turn's recorded context
/// — memory, summary, sentiment, guardrail instructions, hidden notes and history — and,
/// when `message` is blank, its user message. Render and LLM failures are reported in the
/// result. Errors: `Invalid` (message, version count, a fork of another persona),
/// `NotFound`.
pub async fn run(
    state: &AppState,
    ws: WorkspaceId,
    id: PersonaId,
    versions: &[i64],
    message: &str,
    user_id: Option<&str>,
    fork: Option<MessageId>,
) -> AppResult<Vec<PlaygroundResult>> {
    let (sample, forked_message) = match fork {
        Some(f) => {
            let (sample, m) = fork_sample(state, ws, id, f).await?;
            (sample, Some(m))
        }
        None => match user_id {
            Some(u) => (user_sample(state, ws, &chat::parse_user_id(u)?, Some(id)).await?, None),
            None => (Sample { user_id: "playground".into(), ..Sample::default() }, None),
        },
    };
    let message = match forked_message {
        Some(m) if message.trim().is_empty() => m,
        _ => chat::parse_message(message)?,
    };
    if versions.is_empty() || versions.len() > 2 {
        return Err(AppError::invalid("versions", "run one version, or two side by side"));
    }
    let mut chosen = Vec::with_capacity(versions.len());
    for n in versions {
        chosen.push(personas::version(&state.db, ws, id, *n).await?);
    }
    let runs = chosen.iter().map(|v| {
        let (sample, message) = (&sample, &message);
        async move {
            let input = TurnInput {
                user_id: &sample.user_id,
                current_message: message,
                history: &sample.history,
                memory: &sample.memory,
                summary: sample.summary.as_deref(),
                sentiment: sample.sentiment.as_ref(),
                system_additions: &sample.additions,
            };
            let mut log = RequestLog {
                template_id: Some(id),
                template_version: Some(v.version),
                ..RequestLog::new(&state.llm, ws, "playground", &v.settings)
            };
            let mut result = PlaygroundResult {
                version: v.version,
                reply: None,
                error: None,
                latency_ms: 0,
                prompt_tokens: None,
                completion_tokens: None,
                provider: log.provider.clone(),
                model: log.model.clone(),
                messages: Vec::new(),
            };
            let messages = match build_messages(v.kind, &v.content, &v.variables, &Map::new(), &input) {
                Ok(m) => m,
                Err(e) => {
                    result.error = Some(e.to_string());
                    log.status = "render_error";
                    log.error = result.error.clone();
                    llm_requests::insert(&state.db, &log).await?;
                    return Ok::<_, AppError>(result);
                }
            };
            let started = Instant::now();
            let (completion, provider, model) = llm::complete(&state.llm, &v.settings, messages.clone()).await;
            result.latency_ms = started.elapsed().as_millis() as i64;
            result.messages = messages;
            (result.provider, result.model) = (provider, model);
            match completion {
                Ok(c) => {
                    result.prompt_tokens = Some(c.prompt_tokens);
                    result.completion_tokens = Some(c.completion_tokens);
                    result.reply = Some(c.content);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "playground LLM call failed");
                    result.error = Some(format!("the LLM call failed: {e}"));
                }
            }
            let log = RequestLog {
                provider: result.provider.clone(),
                model: result.model.clone(),
                messages: &result.messages,
                response: result.reply.as_deref(),
                prompt_tokens: result.prompt_tokens,
                completion_tokens: result.completion_tokens,
                latency_ms: result.latency_ms,
                status: if result.error.is_some() { "error" } else { "ok" },
                error: result.error.clone(),
                ..log
            };
            llm_requests::insert(&state.db, &log).await?;
            Ok(result)
        }
    });
    futures::future::join_all(runs).await.into_iter().collect()
}

/// The instructions given to the LLM when it drafts a persona template.
pub const DRAFT_INSTRUCTIONS: &str = "You write system-prompt templates for AI companion personas, in Jinja syntax. \
The template is rendered for every chat turn with these variables: user_id (the user's id), current_message (what \
the user just wrote), history (a list of earlier messages, each with role and content), memory (a dict of what the \
persona remembers about the user) and now (the current time). Write the persona in the second person (\"You are …\"): \
name, personality, tone, what it talks about, what it avoids. Mention remembered facts with \
{% if memory %}{% for key, value in memory|items %}- {{ key }}: {{ value }}\n{% endfor %}{% endif %}. \
You may use extra variables for things an operator should set (for example {{ tone }}). \
Answer with the template only: no explanation, no code fences.";

/// Takes the template out of an LLM answer: the inside of a fenced block if there is one,
/// else the whole answer, trimmed.
pub fn extract_template(answer: &str) -> String {
    let t = answer.trim();
    if let Some(start) = t.find("```") {
        let after = &t[start + 3..];
        let body = after.split_once('\n').map(|(_, rest)| rest).unwrap_or(after);
        let body = body.rfind("```").map(|end| &body[..end]).unwrap_or(body);
        return body.trim().to_string();
    }
    t.to_string()
}

/// Asks the configured LLM to draft a template from a plain-words description. The draft
/// may not compile: then `error` says why and the operator fixes it in the editor.
/// Variables it reads that the pipeline does not provide come back as suggestions.
/// Logged with source `draft`. Errors: `Invalid` (description), `LlmFailed`.
pub async fn draft(state: &AppState, ws: WorkspaceId, description: &str) -> AppResult<PersonaDraft> {
    let description = description.trim();
    if description.is_empty() || description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(AppError::invalid(
            "description",
            format!("describe the persona in 1 to {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    let messages = vec![
        ChatMessage::new("system", DRAFT_INSTRUCTIONS),
        ChatMessage::new("user", format!("Describe this persona as a template:\n{description}")),
    ];
    let settings = ModelSettings { max_tokens: 512, ..ModelSettings::default() };
    let started = Instant::now();
    let (result, provider, model) = llm::complete(&state.llm, &settings, messages.clone()).await;
    let mut log = RequestLog {
        provider,
        model,
        messages: &messages,
        latency_ms: started.elapsed().as_millis() as i64,
        ..RequestLog::new(&state.llm, ws, "draft", &settings)
    };
    let completion = match result {
        Ok(c) if !c.content.trim().is_empty() => c,
        other => {
            let err = other.err().map(|e| e.to_string()).unwrap_or_else(|| "empty completion".into());
            tracing::warn!(error = %err, "drafting failed");
            log.status = "error";
            log.error = Some(err);
            llm_requests::insert(&state.db, &log).await?;
            return Err(AppError::LlmFailed);
        }
    };
    log.response = Some(&completion.content);
    log.prompt_tokens = Some(completion.prompt_tokens);
    log.completion_tokens = Some(completion.completion_tokens);
    llm_requests::insert(&state.db, &log).await?;
    let content = extract_template(&completion.content);
    let (error, suggested_variables) = match super::render::variables(&content) {
        Ok(vars) => (
            None,
            vars.into_iter()
                .filter(|v| !v.known)
                .map(|v| DeclaredVariable {
                    name: v.name,
                    var_type: VariableType::String,
                    default: Value::String(String::new()),
                    description: "suggested by the draft".into(),
                })
                .collect(),
        ),
        Err(e) => (Some(e.to_string()), Vec::new()),
    };
    Ok(PersonaDraft { content, suggested_variables, error })
}

/// The providers this server runs (one: the configured default).
pub fn providers(state: &AppState) -> Vec<ProviderInfo> {
    vec![ProviderInfo { kind: state.llm.kind().to_string(), model: state.llm.model().to_string(), default: true }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_taken_out_of_code_fences() {
        assert_eq!(extract_template("  You are Kim.  "), "You are Kim.");
        assert_eq!(
            extract_template("Here:\n```jinja\nYou are Kim.\n{{ user_id }}\n```\nEnjoy"),
            "You are Kim.\n{{ user_id }}"
        );
        assert_eq!(extract_template("```\nYou are Kim.\n```"), "You are Kim.");
    }

    #[test]
    fn the_drafting_instructions_compile_as_an_example() {
        // The memory loop shown to the LLM must itself be valid template syntax.
        let example =
            "{% if memory %}{% for key, value in memory|items %}- {{ key }}: {{ value }}\n{% endfor %}{% endif %}";
        assert!(DRAFT_INSTRUCTIONS.contains(example));
        crate::engine::render::check(example).unwrap();
    }
}
