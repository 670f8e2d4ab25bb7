//! Types shared by the browser and the server: what server functions and the REST API
//! send and receive. Times are milliseconds since the Unix epoch (UTC).

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// One message as sent to an LLM: `role` is `system`, `user` or `assistant`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self { role: role.to_string(), content: content.into() }
    }
}

/// The operator who is logged in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorInfo {
    pub id: i64,
    pub email: String,
    pub workspace_id: i64,
    pub workspace_name: String,
}

/// A persona (template) in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaSummary {
    pub id: i64,
    pub name: String,
    /// The highest version number (versions are numbered 1, 2, 3 …).
    pub latest_version: i64,
    /// The version the `production` label points to (what chat uses).
    pub production_version: Option<i64>,
    /// Inactive personas cannot be chosen in chat.
    pub active: bool,
    /// Shared personas appear in other workspaces' library.
    pub shared: bool,
    pub updated_at: i64,
}

/// One immutable version of a persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: i64,
    pub content: String,
    /// sha256 of `content`, lowercase hex.
    pub checksum: String,
    pub note: String,
    /// Email of the operator who saved it (or the name given through the REST API).
    pub author: String,
    pub created_at: i64,
    pub kind: PersonaKind,
    /// The model settings chat uses when this version answers.
    pub settings: ModelSettings,
    /// Variables the operator declared for this version, with their defaults.
    pub variables: Vec<DeclaredVariable>,
}

/// A variable a template reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateVariable {
    pub name: String,
    /// True when the chat pipeline provides it or the operator declared it; an unknown
    /// one fails at render time.
    pub known: bool,
}

/// A persona with its whole version history, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaDetail {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub shared: bool,
    pub versions: Vec<VersionInfo>,
    /// Variables the latest version reads.
    pub variables: Vec<TemplateVariable>,
    /// Labels by name (`production` first).
    pub labels: Vec<Label>,
    /// Every label move, newest first.
    pub label_moves: Vec<LabelMove>,
    /// Set when this persona was cloned from another workspace's shared persona.
    pub source: Option<CloneSource>,
}

/// How the rendered template becomes the prompt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonaKind {
    /// The template renders the system prompt; history is sent as separate messages.
    #[default]
    Chat,
    /// The template renders the whole prompt (history included), sent as one user message
    /// (ChatML-style templates of the original PromptDev).
    Text,
}

impl PersonaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PersonaKind::Chat => "chat",
            PersonaKind::Text => "text",
        }
    }

    /// `chat` or `text`. Errors: `Invalid` (field `kind`).
    pub fn parse(s: &str) -> Result<Self, AppError> {
        match s.trim() {
            "" | "chat" => Ok(PersonaKind::Chat),
            "text" => Ok(PersonaKind::Text),
            other => Err(AppError::invalid("kind", format!("kind is chat or text, not “{other}”"))),
        }
    }
}

/// Model settings stored with every version. Missing JSON fields take the defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelSettings {
    /// `local` or `openai`; empty = the server's default provider.
    pub provider: String,
    /// Model name sent to the provider; empty = the provider's configured model. The
    /// embedded provider has one model and ignores it.
    pub model: String,
    /// 0.0 (greedy) to 2.0.
    pub temperature: f32,
    /// Nucleus sampling, greater than 0.0 and at most 1.0.
    pub top_p: f32,
    /// Upper bound on the reply, 1 to [`ModelSettings::MAX_TOKENS`] tokens.
    pub max_tokens: u32,
    /// Up to 4 stop sequences, each 1–64 characters.
    pub stop: Vec<String>,
    /// Repetition penalty, 1.0 (off) to [`ModelSettings::MAX_REPEAT_PENALTY`]: tokens that
    /// already appear in the recent conversation (prompt and reply so far) are made less
    /// likely, so the reply neither loops nor copies an earlier one. Applied by the embedded
    /// model; the OpenAI provider does not send it (OpenAI has no such parameter).
    pub repeat_penalty: f32,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            provider: String::new(),
            model: String::new(),
            temperature: 0.7,
            top_p: 0.9,
            // A companion's reply is one to three sentences (≈ 20–80 tokens); 160 leaves room
            // for a longer answer without letting a small model ramble for 256.
            max_tokens: 160,
            stop: Vec::new(),
            // Measured on SmolLM2-135M, the default persona, greetings with fixed seeds: 1.0
            // looped to the limit and copied the previous reply; 1.1 still let one reply in
            // eight ramble to 160 tokens; 1.15 ended all on their own; 1.2 and more penalise
            // punctuation enough to bring run-on sentences and strings of emoji.
            repeat_penalty: 1.15,
        }
    }
}

impl ModelSettings {
    /// Largest `max_tokens` accepted.
    pub const MAX_TOKENS: u32 = 4096;
    /// Largest `repeat_penalty` accepted.
    pub const MAX_REPEAT_PENALTY: f32 = 2.0;

    /// Checks the ranges documented on the fields. Errors: `Invalid` naming the field.
    pub fn validate(&self) -> Result<(), AppError> {
        if !matches!(self.provider.as_str(), "" | "local" | "openai") {
            return Err(AppError::invalid("provider", "provider is local, openai or empty for the default"));
        }
        if self.model.chars().count() > 200 || self.model.chars().any(char::is_control) {
            return Err(AppError::invalid("model", "a model name is at most 200 characters"));
        }
        if !(0.0..=2.0).contains(&self.temperature) {
            return Err(AppError::invalid("temperature", "temperature is between 0 and 2"));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(AppError::invalid("top_p", "top_p is greater than 0 and at most 1"));
        }
        if self.max_tokens == 0 || self.max_tokens > Self::MAX_TOKENS {
            return Err(AppError::invalid("max_tokens", format!("max_tokens is 1 to {}", Self::MAX_TOKENS)));
        }
        if self.stop.len() > 4 || self.stop.iter().any(|s| s.is_empty() || s.chars().count() > 64) {
            return Err(AppError::invalid("stop", "up to 4 stop sequences of 1 to 64 characters"));
        }
        if !(1.0..=Self::MAX_REPEAT_PENALTY).contains(&self.repeat_penalty) {
            return Err(AppError::invalid(
                "repeat_penalty",
                format!("repeat_penalty is 1 (off) to {}", Self::MAX_REPEAT_PENALTY),
            ));
        }
        Ok(())
    }

    /// Reads the editor's form fields (numbers as text, stop sequences one per line,
    /// blank = default) and validates them. Errors: `Invalid` naming the field.
    pub fn from_form(
        provider: &str,
        model: &str,
        temperature: &str,
        top_p: &str,
        max_tokens: &str,
        stop: &str,
        repeat_penalty: &str,
    ) -> Result<Self, AppError> {
        let d = Self::default();
        fn num<T: std::str::FromStr>(field: &str, v: &str, default: T) -> Result<T, AppError> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(default);
            }
            v.parse().map_err(|_| AppError::invalid(field, format!("{field} must be a number")))
        }
        let s = Self {
            provider: provider.trim().to_string(),
            model: model.trim().to_string(),
            temperature: num("temperature", temperature, d.temperature)?,
            top_p: num("top_p", top_p, d.top_p)?,
            max_tokens: num("max_tokens", max_tokens, d.max_tokens)?,
            stop: stop.lines().map(|l| l.trim_end_matches('\r').to_string()).filter(|l| !l.is_empty()).collect(),
            repeat_penalty: num("repeat_penalty", repeat_penalty, d.repeat_penalty)?,
        };
        s.validate()?;
        Ok(s)
    }
}

/// The type of an operator-declared variable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    #[default]
    String,
    Number,
    Boolean,
    Json,
}

impl VariableType {
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::String => "string",
            VariableType::Number => "number",
            VariableType::Boolean => "boolean",
            VariableType::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => VariableType::String,
            "number" => VariableType::Number,
            "boolean" => VariableType::Boolean,
            "json" => VariableType::Json,
            _ => return None,
        })
    }

    /// Whether `v` is a value of this type.
    pub fn accepts(self, v: &serde_json::Value) -> bool {
        match self {
            VariableType::String => v.is_string(),
            VariableType::Number => v.is_number(),
            VariableType::Boolean => v.is_boolean(),
            VariableType::Json => true,
        }
    }
}

/// A variable the operator declares for a template, beyond what the pipeline provides.
/// Chat renders it with `default`; the preview and the playground can override it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclaredVariable {
    /// An identifier: a letter or `_`, then letters, digits or `_` (at most 40).
    pub name: String,
    #[serde(rename = "type")]
    pub var_type: VariableType,
    pub default: serde_json::Value,
    #[serde(default)]
    pub description: String,
}

/// A named pointer to a version (`production`, `staging`, or any operator-made label).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One recorded label move: who pointed `label` from `from_version` to `to_version`
/// (`from_version` None when the label was created, `to_version` None when removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelMove {
    pub label: String,
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub actor: String,
    pub created_at: i64,
}

/// Where a cloned persona came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneSource {
    pub persona_id: i64,
    pub version: i64,
    pub workspace: String,
    pub name: String,
}

/// A persona another workspace shares, as the library lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SharedPersona {
    pub id: i64,
    pub name: String,
    /// The sharing workspace's name.
    pub workspace: String,
    /// The version a clone copies: the one `production` points to.
    pub version: i64,
    pub kind: PersonaKind,
    pub content: String,
}

/// A soft-deleted persona, restorable until `restorable_until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedPersona {
    pub id: i64,
    pub name: String,
    pub deleted_at: i64,
    pub deleted_by: String,
    /// `deleted_at` + 30 days, ms.
    pub restorable_until: i64,
}

/// What the editor sends to save a version (the REST API and server functions alike).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionDraft {
    pub content: String,
    #[serde(default)]
    pub kind: PersonaKind,
    #[serde(default)]
    pub settings: ModelSettings,
    #[serde(default)]
    pub variables: Vec<DeclaredVariable>,
    #[serde(default)]
    pub note: String,
}

/// What the live preview renders: editor content (saved or not) with sample values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    pub memory: serde_json::Map<String, serde_json::Value>,
    /// The sample message the user "just sent".
    pub message: String,
    /// Values for declared variables, overriding their defaults.
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// An LLM provider this server can use, for the editor's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// `local` or `openai`.
    pub kind: String,
    /// The configured model.
    pub model: String,
    /// The provider used when a version names none.
    pub default: bool,
}

/// Everything the persona editor page shows, in one call: the persona, the providers
/// its settings offer and the end users its preview can sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditorPageData {
    pub persona: PersonaDetail,
    pub providers: Vec<ProviderInfo>,
    pub users: Vec<EndUserSummary>,
    /// The live preview of the latest version with the default hand-written sample (no
    /// memory, the default message), so the page shows it before any typing, even
    /// without JavaScript.
    pub preview: Result<Preview, AppError>,
}

/// The messages a version would send, rendered with sample values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// Exactly what the LLM would receive, in order.
    pub messages: Vec<ChatMessage>,
    /// The variables the content reads (unknown ones flagged).
    pub variables: Vec<TemplateVariable>,
}

/// One playground run: a test message through the real pipeline with one version,
/// written to no conversation (logged in the request log with source `playground`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct PersonaDraft {
    pub content: String,
    /// Variables the draft reads that the pipeline does not provide, suggested as
    /// declared string variables with an empty default.
    pub suggested_variables: Vec<DeclaredVariable>,
    /// Set when the draft does not compile; the operator can fix it in the editor.
    pub error: Option<String>,
}

/// The exported form of a persona: every version with its settings, and the labels.
/// `format` is [`PersonaExport::FORMAT`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaExport {
    pub format: String,
    pub name: String,
    #[serde(default = "yes")]
    pub active: bool,
    pub versions: Vec<ExportedVersion>,
    #[serde(default)]
    pub labels: Vec<ExportedLabel>,
}

fn yes() -> bool {
    true
}

impl PersonaExport {
    pub const FORMAT: &'static str = "promptdev.persona.v1";
}

/// One version in an export. In a folder export `content` lives in `file` instead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportedVersion {
    pub version: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
    /// Folder exports only: the `.jinja` file holding the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default)]
    pub kind: PersonaKind,
    #[serde(default)]
    pub settings: ModelSettings,
    #[serde(default)]
    pub variables: Vec<DeclaredVariable>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub created_at: i64,
}

/// A label in an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedLabel {
    pub name: String,
    pub version: i64,
}

/// What to do when an imported persona's name exists in the workspace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportConflict {
    /// Refuse with `Conflict`, so the operator can choose.
    #[default]
    Ask,
    /// Save the export's production version as a new version of the existing persona.
    NewVersion,
    /// Import as a new persona under another name.
    Rename,
}

/// The result of an import.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportResult {
    pub persona: PersonaSummary,
    /// Versions written (0 when a new-version import matched the latest content).
    pub versions_created: i64,
}

/// Who wrote a stored message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    /// The end user.
    User,
    /// The persona (LLM reply).
    Assistant,
    /// An operator, injected from the monitor.
    Operator,
    /// The pause notice sent while a conversation is halted.
    Notice,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::User => "user",
            Sender::Assistant => "assistant",
            Sender::Operator => "operator",
            Sender::Notice => "notice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user" => Sender::User,
            "assistant" => Sender::Assistant,
            "operator" => Sender::Operator,
            "notice" => Sender::Notice,
            _ => return None,
        })
    }
}

/// A stored message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub session_id: i64,
    pub persona_name: String,
    pub sender: Sender,
    pub content: String,
    pub created_at: i64,
    /// The persona version that wrote an assistant reply; None for other senders and for
    /// replies stored before versions were recorded.
    #[serde(default)]
    pub persona_version: Option<i64>,
    /// True when an assistant reply stopped at the `max_tokens` limit (finish reason
    /// `length`): the UI shows that it was cut.
    #[serde(default)]
    pub truncated: bool,
}

/// An end user as the monitor lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndUserSummary {
    /// The user's id as the chat UI or the API client names it.
    pub user_id: String,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    pub halted: bool,
    /// The start of the newest message (at most [`LAST_MESSAGE_PREVIEW_CHARS`] characters), for the user list.
    #[serde(default)]
    pub last_message: Option<String>,
    /// Who wrote the newest message.
    #[serde(default)]
    pub last_sender: Option<Sender>,
}

/// Longest preview of a user's last message in the monitor's user list, in characters.
pub const LAST_MESSAGE_PREVIEW_CHARS: usize = 120;

/// One chat session (one thread with one persona) of an end user, as the monitor lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatSessionSummary {
    pub id: i64,
    pub persona_id: i64,
    pub persona_name: String,
    pub message_count: i64,
    pub created_at: i64,
    pub last_message_at: Option<i64>,
}

/// Whether a user's conversation is halted by an operator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserState {
    pub halted: bool,
    pub reason: Option<String>,
    pub halted_by: Option<String>,
    pub halted_at: Option<i64>,
}

/// One memory entry: a key and a JSON value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryEntry {
    pub key: String,
    pub value: serde_json::Value,
}

/// A conversation as the monitor shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub user_id: String,
    pub state: UserState,
    /// Messages of every session, oldest first (each carries its `session_id`).
    pub messages: Vec<Message>,
    pub memory: Vec<MemoryEntry>,
    /// The user's chat sessions, most recently active first.
    #[serde(default)]
    pub sessions: Vec<ChatSessionSummary>,
}

/// A persona an end user can chat with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatPersona {
    pub id: i64,
    pub name: String,
}

/// What the chat UI shows when it opens a persona: the history and whether it is paused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatHistory {
    /// None until the user's first message with this persona.
    pub session_id: Option<i64>,
    pub persona: ChatPersona,
    pub messages: Vec<Message>,
    pub paused: bool,
    /// False when an operator deactivated the persona: the chat is read-only.
    pub available: bool,
}

/// What chat shows when the persona was deactivated.
pub const UNAVAILABLE_NOTICE: &str =
    "This persona is not available any more. Your conversation is kept; choose another persona to keep chatting.";

/// The outcome of one user turn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TurnOutcome {
    /// The persona replied.
    Replied { user_message: Message, reply: Message },
    /// The conversation is halted: the message is stored, no LLM was called.
    Paused { user_message: Message, notice: Message },
    /// The LLM failed: the message is stored, the user may try again.
    Failed { user_message: Message, error: String },
}

/// The pause notice shown to an end user while an operator has halted the conversation.
pub const PAUSE_NOTICE: &str =
    "Conversation paused: a member of our team is reviewing this conversation. Your messages are saved and will be answered when it resumes.";

/// What the server pushes over Server-Sent Events (`/admin/events`, `/chat/events`),
/// as JSON with a `type` tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A message was stored in a user's conversation.
    Message { user_id: String, message: Message },
    /// A user's conversation was halted or resumed.
    State { user_id: String, state: UserState },
    /// A persona was activated, deactivated or deleted: open chats on it reload. Sent to
    /// every end user of the workspace.
    Persona { persona_id: i64, available: bool },
}

impl LiveEvent {
    /// The end user the event is about; None for events about the whole workspace.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            LiveEvent::Message { user_id, .. } | LiveEvent::State { user_id, .. } => Some(user_id),
            LiveEvent::Persona { .. } => None,
        }
    }
}

/// The result of saving a persona's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaveResult {
    /// The version written, or — when `unchanged` — the latest version, whose content
    /// (by sha256) equals what was saved.
    pub version: VersionInfo,
    /// True when no version was created because the content was identical to the latest.
    pub unchanged: bool,
}

/// How a line differs between two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Equal,
    Added,
    Removed,
}

/// One line of a version diff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    /// 1-based line number in the older version (absent for added lines).
    pub old_line: Option<u32>,
    /// 1-based line number in the newer version (absent for removed lines).
    pub new_line: Option<u32>,
    /// The line's text in pieces; `true` marks the words that changed within the line.
    pub segments: Vec<(bool, String)>,
}

/// A line diff between two versions of a persona, with word-level highlights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDiff {
    pub persona_id: i64,
    pub from: i64,
    pub to: i64,
    /// Lines only in `to`.
    pub added: u32,
    /// Lines only in `from`.
    pub removed: u32,
    pub lines: Vec<DiffLine>,
}

#[cfg(test)]
mod model_settings_tests {
    use super::ModelSettings;
    use crate::error::AppError;

    fn field(r: Result<ModelSettings, AppError>) -> Option<String> {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn repeat_penalty_is_on_by_default_and_read_from_the_form() {
        let d = ModelSettings::default();
        assert!(d.repeat_penalty > 1.0 && d.repeat_penalty <= ModelSettings::MAX_REPEAT_PENALTY);
        d.validate().unwrap();
        let blank = ModelSettings::from_form("", "", "", "", "", "", " ").unwrap();
        assert_eq!(blank, d, "blank fields take the defaults");
        let s = ModelSettings::from_form("", "", "", "", "", "", "1.3").unwrap();
        assert_eq!(s.repeat_penalty, 1.3);
        assert_eq!(ModelSettings::from_form("", "", "", "", "", "", "1").unwrap().repeat_penalty, 1.0, "1 = off");
        for bad in ["0.9", "2.5", "-1", "NaN", "inf", "lots"] {
            let f = field(ModelSettings::from_form("", "", "", "", "", "", bad));
            assert_eq!(f.as_deref(), Some("repeat_penalty"), "{bad}");
        }
    }

    #[test]
    fn stored_settings_without_a_repeat_penalty_get_the_default() {
        let s: ModelSettings = serde_json::from_str(r#"{"max_tokens":256,"temperature":0.2}"#).unwrap();
        assert_eq!((s.max_tokens, s.temperature), (256, 0.2), "stored values are kept");
        assert_eq!(s.repeat_penalty, ModelSettings::default().repeat_penalty);
        let invalid = ModelSettings { repeat_penalty: 0.5, ..ModelSettings::default() };
        assert!(
            matches!(invalid.validate(), Err(AppError::Invalid { field: Some(ref f), .. }) if f == "repeat_penalty")
        );
    }
}
