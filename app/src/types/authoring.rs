//! Trying a persona out before chat uses it: the live preview, the playground and AI drafts.

use super::{AppError, ChatMessage, DeclaredVariable, PersonaKind, TemplateVariable};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the live preview renders: editor content (saved or not) with sample values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PreviewRequest {
    /// The persona whose conversation with `user_id` supplies the history, if any.
    pub persona_id: Option<i64>,
    pub content: String,
    pub kind: PersonaKind,
    pub variables: Vec<DeclaredVariable>,
    /// A real end user: their memory and their history with this persona are used.
    pub user_id: Option<String>,
    /// Hand-written memory (a JSON object), used when no `user_id` is given.
    pub memory: Map<String, Value>,
    /// The sample message the user "just sent".
    pub message: String,
    /// Values for declared variables, overriding their defaults.
    pub values: Map<String, Value>,
}

/// The messages a version would send, rendered with sample values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Preview {
    /// Exactly what the LLM would receive, in order.
    pub messages: Vec<ChatMessage>,
    /// The variables the content reads (unknown ones flagged).
    pub variables: Vec<TemplateVariable>,
    /// Advice on the template as typed, e.g. a per-turn value early in the prompt that keeps
    /// the model from reusing its cache ("Line 6: `now` changes between turns; …").
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One playground run: a test message through the real pipeline with one version,
/// written to no conversation (logged in the request log with source `playground`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlaygroundResult {
    pub version: i64,
    pub reply: Option<String>,
    /// Why there is no reply (render or LLM failure), for the operator.
    pub error: Option<String>,
    pub latency_ms: i64,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    pub provider: String,
    pub model: String,
    /// Exactly what was sent.
    pub messages: Vec<ChatMessage>,
}

/// A template drafted by the LLM from a plain-words description.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersonaDraft {
    pub content: String,
    /// Variables the draft reads that the pipeline does not provide, suggested as
    /// declared string variables with an empty default.
    pub suggested_variables: Vec<DeclaredVariable>,
    /// Set when the draft does not compile; the operator can fix it in the editor.
    pub error: Option<String>,
}

/// The message the preview and the playground pretend the user just sent, when none is given.
pub const SAMPLE_MESSAGE: &str = "Hi! How are you?";

/// Reads hand-written JSON that must be an object (a sample memory, say); blank = empty.
/// Errors: `Invalid` naming `field`.
pub fn parse_json_object(field: &str, json: &str) -> Result<Map<String, Value>, AppError> {
    if json.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(AppError::invalid(field, format!("{field} must be a JSON object like {{\"name\": \"Ann\"}}"))),
        Err(e) => Err(AppError::invalid(field, format!("{field} is not valid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_json_object;
    use crate::error::AppError;

    #[test]
    fn hand_written_objects_are_read_and_anything_else_names_the_field() {
        assert!(parse_json_object("memory", " ").unwrap().is_empty());
        assert_eq!(parse_json_object("memory", r#"{"name":"Sam"}"#).unwrap()["name"], "Sam");
        for bad in ["{not json", "[1]"] {
            let e = parse_json_object("memory", bad).unwrap_err();
            assert!(matches!(e, AppError::Invalid { field: Some(ref f), .. } if f == "memory"), "{bad}: {e:?}");
        }
    }
}
