//! The model settings stored with every version, and the form that edits them.

use super::AppError;
use serde::{Deserialize, Serialize};

/// Model settings stored with every version. Missing JSON fields take the defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
}

/// Model settings as the editor's form posts them (`settings[temperature]=0.7` …): a
/// blank or missing field takes the default, stop sequences come one per line. Turned
/// into [`ModelSettings`] once, at the server function, by `try_from`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SettingsInput {
    /// `local`, `openai` or blank for the server's default.
    #[serde(default)]
    pub provider: String,
    /// Blank = the provider's configured model.
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// One stop sequence per line; blank lines are left out.
    #[serde(default, with = "lines")]
    pub stop: Vec<String>,
    #[serde(default)]
    pub repeat_penalty: Option<f32>,
}

impl SettingsInput {
    /// The form's fields for `s`, as the editor shows them.
    pub fn of(s: &ModelSettings) -> Self {
        Self {
            provider: s.provider.clone(),
            model: s.model.clone(),
            temperature: Some(s.temperature),
            top_p: Some(s.top_p),
            max_tokens: Some(s.max_tokens),
            stop: s.stop.clone(),
            repeat_penalty: Some(s.repeat_penalty),
        }
    }
}

impl TryFrom<SettingsInput> for ModelSettings {
    type Error = AppError;

    /// Fills blank fields with the defaults and validates. Errors: `Invalid` naming the field.
    fn try_from(f: SettingsInput) -> Result<Self, AppError> {
        let d = ModelSettings::default();
        let s = ModelSettings {
            provider: f.provider.trim().to_string(),
            model: f.model.trim().to_string(),
            temperature: f.temperature.unwrap_or(d.temperature),
            top_p: f.top_p.unwrap_or(d.top_p),
            max_tokens: f.max_tokens.unwrap_or(d.max_tokens),
            stop: f.stop,
            repeat_penalty: f.repeat_penalty.unwrap_or(d.repeat_penalty),
        };
        s.validate()?;
        Ok(s)
    }
}

/// A list of strings as the text of a textarea, one per line (`\r` and blank lines dropped).
mod lines {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.join("\n"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let text = String::deserialize(d)?;
        Ok(text.lines().map(|l| l.trim_end_matches('\r').to_string()).filter(|l| !l.is_empty()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{ModelSettings, SettingsInput};
    use crate::error::AppError;

    fn field(r: Result<ModelSettings, AppError>) -> Option<String> {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    /// The editor's form, nested the way a server function's arguments are.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Form {
        settings: SettingsInput,
    }

    fn parse(query: &str) -> Result<Form, serde_qs::Error> {
        serde_qs::Config::new(5, false).deserialize_str(query)
    }

    /// The form as a browser posts it (URL-encoded), read as a server function reads it.
    fn posted(query: &str) -> Result<ModelSettings, AppError> {
        ModelSettings::try_from(parse(query).expect("the form parses").settings)
    }

    #[test]
    fn repeat_penalty_is_on_by_default_and_read_from_the_form() {
        let d = ModelSettings::default();
        assert!(d.repeat_penalty > 1.0 && d.repeat_penalty <= ModelSettings::MAX_REPEAT_PENALTY);
        d.validate().unwrap();
        let blank = posted("settings[provider]=&settings[temperature]=&settings[repeat_penalty]=").unwrap();
        assert_eq!(blank, d, "blank fields take the defaults");
        let s = posted("settings%5Brepeat_penalty%5D=1.3").unwrap();
        assert_eq!(s.repeat_penalty, 1.3);
        assert_eq!(posted("settings[repeat_penalty]=1").unwrap().repeat_penalty, 1.0, "1 = off");
        for bad in ["0.9", "2.5", "-1", "NaN", "inf"] {
            let f = field(posted(&format!("settings[repeat_penalty]={bad}")));
            assert_eq!(f.as_deref(), Some("repeat_penalty"), "{bad}");
        }
        // Not a number at all: the arguments do not parse (a number input never sends one).
        assert!(parse("settings[repeat_penalty]=lots").is_err());
    }

    #[test]
    fn the_form_round_trips_and_reads_stop_sequences_one_per_line() {
        let s = posted("settings[temperature]=0.2&settings[stop]=User%3A%0D%0A%0AEnd&settings[max_tokens]=64").unwrap();
        assert_eq!((s.temperature, s.max_tokens), (0.2, 64));
        assert_eq!(s.stop, vec!["User:".to_string(), "End".to_string()]);
        let query = serde_qs::to_string(&Form { settings: SettingsInput::of(&s) }).unwrap();
        assert_eq!(posted(&query).unwrap(), s, "{query}");
        assert_eq!(field(posted("settings[temperature]=5")).as_deref(), Some("temperature"));
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
