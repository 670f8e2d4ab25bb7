//! What the operator is typing in the editor. It lives above the page's data so that a
//! reload of the persona (after toggling "shared", moving a label …) keeps an unsaved
//! edit; it is reset from the latest version when a new version appears.

use crate::types::{DeclaredVariable, ModelSettings, VariableType, VersionInfo};
use leptos::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// One row of the declared-variables table: the default as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct VarRow {
    /// Identifies the row while its name is being edited.
    pub key: u64,
    pub name: String,
    pub var_type: VariableType,
    pub default: String,
    pub description: String,
}

impl VarRow {
    pub fn declared(&self) -> DeclaredVariable {
        DeclaredVariable {
            name: self.name.trim().to_string(),
            var_type: self.var_type,
            default: parse_value(self.var_type, &self.default),
            description: self.description.trim().to_string(),
        }
    }
}

/// A JSON value as the editor shows it: strings without quotes, nothing for null.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Reads typed text as a value of `t`. Text that is not one is kept as a string, so the
/// server's validation names the variable and the problem.
pub fn parse_value(t: VariableType, text: &str) -> Value {
    let trimmed = text.trim();
    match t {
        VariableType::String => Value::String(text.to_string()),
        VariableType::Number => {
            if let Ok(i) = trimmed.parse::<i64>() {
                Value::from(i)
            } else {
                trimmed
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(text.to_string()))
            }
        }
        VariableType::Boolean => match trimmed {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        VariableType::Json if trimmed.is_empty() => Value::Null,
        VariableType::Json => serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(text.to_string())),
    }
}

/// Why `text` is not a value of `t`, for a hint next to the input.
pub fn value_problem(t: VariableType, text: &str) -> Option<&'static str> {
    let trimmed = text.trim();
    match t {
        VariableType::String => None,
        VariableType::Number => trimmed.parse::<f64>().is_err().then_some("not a number"),
        VariableType::Boolean => (!matches!(trimmed, "true" | "false")).then_some("true or false"),
        VariableType::Json => {
            (!trimmed.is_empty() && serde_json::from_str::<Value>(trimmed).is_err()).then_some("not valid JSON")
        }
    }
}

/// Declared variables as the `variables` form field expects them.
pub fn variables_json(rows: &[VarRow]) -> String {
    let vars: Vec<DeclaredVariable> = rows.iter().map(VarRow::declared).collect();
    serde_json::to_string(&vars).unwrap_or_else(|_| "[]".into())
}

/// The message the preview and the playground pretend the user just sent.
pub const SAMPLE_MESSAGE: &str = "Hi! How are you?";

/// What a save stores, as the fields hold it: an unsaved edit is a difference from the
/// copy taken when the fields were loaded. (A new field of the version form belongs here
/// too, or editing only it will not warn before leaving.)
#[derive(Clone, Debug, PartialEq)]
struct SavedFields {
    content: String,
    kind: String,
    settings: [String; 7],
    vars: Vec<(String, VariableType, String, String)>,
}

/// The editor's fields, all signals (`Copy`).
#[derive(Clone, Copy)]
pub struct EditorState {
    /// The persona and version the fields were last reset from.
    loaded: RwSignal<Option<(i64, i64)>>,
    /// The fields as loaded from that version.
    saved: RwSignal<Option<SavedFields>>,
    next_key: RwSignal<u64>,
    pub content: RwSignal<String>,
    pub kind: RwSignal<String>,
    pub provider: RwSignal<String>,
    pub model: RwSignal<String>,
    pub temperature: RwSignal<String>,
    pub top_p: RwSignal<String>,
    pub max_tokens: RwSignal<String>,
    pub repeat_penalty: RwSignal<String>,
    pub stop: RwSignal<String>,
    pub note: RwSignal<String>,
    pub vars: RwSignal<Vec<VarRow>>,
    /// Preview: a real end user's id, or empty for the hand-written sample.
    pub sample_user: RwSignal<String>,
    pub sample_memory: RwSignal<String>,
    pub sample_message: RwSignal<String>,
    /// Preview: typed values for declared variables (blank = the default).
    pub sample_values: RwSignal<BTreeMap<String, String>>,
}

impl EditorState {
    pub fn new() -> Self {
        Self {
            loaded: RwSignal::new(None),
            saved: RwSignal::new(None),
            next_key: RwSignal::new(0),
            content: RwSignal::new(String::new()),
            kind: RwSignal::new("chat".into()),
            provider: RwSignal::new(String::new()),
            model: RwSignal::new(String::new()),
            temperature: RwSignal::new(String::new()),
            top_p: RwSignal::new(String::new()),
            max_tokens: RwSignal::new(String::new()),
            repeat_penalty: RwSignal::new(String::new()),
            stop: RwSignal::new(String::new()),
            note: RwSignal::new(String::new()),
            vars: RwSignal::new(Vec::new()),
            sample_user: RwSignal::new(String::new()),
            sample_memory: RwSignal::new(String::new()),
            sample_message: RwSignal::new(SAMPLE_MESSAGE.into()),
            sample_values: RwSignal::new(BTreeMap::new()),
        }
    }

    /// Fills the fields from `v` unless they already hold an edit of that very version.
    pub fn load(&self, persona_id: i64, v: &VersionInfo) {
        if self.loaded.get_untracked() == Some((persona_id, v.version)) {
            return;
        }
        self.loaded.set(Some((persona_id, v.version)));
        self.content.set(v.content.clone());
        self.kind.set(v.kind.as_str().into());
        let s: &ModelSettings = &v.settings;
        self.provider.set(s.provider.clone());
        self.model.set(s.model.clone());
        self.temperature.set(s.temperature.to_string());
        self.top_p.set(s.top_p.to_string());
        self.max_tokens.set(s.max_tokens.to_string());
        self.repeat_penalty.set(s.repeat_penalty.to_string());
        self.stop.set(s.stop.join("\n"));
        self.note.set(String::new());
        let rows = v
            .variables
            .iter()
            .map(|d| VarRow {
                key: self.take_key(),
                name: d.name.clone(),
                var_type: d.var_type,
                default: value_text(&d.default),
                description: d.description.clone(),
            })
            .collect();
        self.vars.set(rows);
        self.saved.set(Some(untrack(|| self.fields())));
    }

    /// The fields a save stores (tracked).
    fn fields(&self) -> SavedFields {
        SavedFields {
            content: self.content.get(),
            kind: self.kind.get(),
            settings: [
                self.provider.get(),
                self.model.get(),
                self.temperature.get(),
                self.top_p.get(),
                self.max_tokens.get(),
                self.stop.get(),
                self.repeat_penalty.get(),
            ],
            vars: self.vars.with(|rows| {
                rows.iter().map(|r| (r.name.clone(), r.var_type, r.default.clone(), r.description.clone())).collect()
            }),
        }
    }

    /// True when the fields hold an edit that is not saved (tracked). The preview's sample
    /// and the note are not part of a version's content, so they do not count.
    pub fn unsaved(&self) -> bool {
        let fields = self.fields();
        self.saved.with(|saved| saved.as_ref().is_some_and(|s| *s != fields))
    }

    fn take_key(&self) -> u64 {
        let k = self.next_key.get_untracked();
        self.next_key.set(k + 1);
        k
    }

    pub fn add_var(&self) {
        let row = VarRow {
            key: self.take_key(),
            name: String::new(),
            var_type: VariableType::String,
            default: String::new(),
            description: String::new(),
        };
        self.vars.update(|v| v.push(row));
    }

    /// Adds a row for `d` unless a variable of that name is declared already.
    pub fn add_declared(&self, d: &DeclaredVariable) {
        if self.vars.with_untracked(|rows| rows.iter().any(|r| r.name.trim() == d.name)) {
            return;
        }
        let row = VarRow {
            key: self.take_key(),
            name: d.name.clone(),
            var_type: d.var_type,
            default: value_text(&d.default),
            description: d.description.clone(),
        };
        self.vars.update(|v| v.push(row));
    }

    pub fn remove_var(&self, key: u64) {
        self.vars.update(|v| v.retain(|r| r.key != key));
    }

    pub fn edit_var(&self, key: u64, f: impl FnOnce(&mut VarRow)) {
        self.vars.update(|v| {
            if let Some(r) = v.iter_mut().find(|r| r.key == key) {
                f(r)
            }
        });
    }

    /// The declared variables as JSON (tracked).
    pub fn variables_json(&self) -> String {
        self.vars.with(|rows| variables_json(rows))
    }

    /// The preview's values for declared variables as a JSON object (tracked): only the
    /// ones given, each read as its declared type.
    pub fn values_json(&self) -> String {
        let typed = self.sample_values.get();
        let map: serde_json::Map<String, Value> = self.vars.with(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let text = typed.get(r.name.trim())?;
                    (!text.trim().is_empty()).then(|| (r.name.trim().to_string(), parse_value(r.var_type, text)))
                })
                .collect()
        });
        Value::Object(map).to_string()
    }
}

impl Default for EditorState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_defaults_become_values_of_their_type() {
        assert_eq!(parse_value(VariableType::String, " cheerful "), json!(" cheerful "));
        assert_eq!(parse_value(VariableType::Number, "3"), json!(3));
        assert_eq!(parse_value(VariableType::Number, "0.5"), json!(0.5));
        assert_eq!(parse_value(VariableType::Boolean, "true"), json!(true));
        assert_eq!(parse_value(VariableType::Json, "{\"a\": [1]}"), json!({"a": [1]}));
        assert_eq!(parse_value(VariableType::Json, ""), Value::Null);
        // Not a value of the type: kept as text, for the server to refuse with the name.
        assert_eq!(parse_value(VariableType::Number, "many"), json!("many"));
        assert_eq!(value_problem(VariableType::Number, "many"), Some("not a number"));
        assert_eq!(value_problem(VariableType::Json, "{"), Some("not valid JSON"));
        assert_eq!(value_problem(VariableType::Boolean, "false"), None);
    }

    #[test]
    fn values_round_trip_through_the_editor_text() {
        for v in [json!("hi"), json!(2), json!(1.5), json!(false), json!({"k": "v"})] {
            let t = match &v {
                Value::String(_) => VariableType::String,
                Value::Number(_) => VariableType::Number,
                Value::Bool(_) => VariableType::Boolean,
                _ => VariableType::Json,
            };
            assert_eq!(parse_value(t, &value_text(&v)), v);
        }
    }

    #[test]
    fn rows_serialise_as_the_form_field() {
        let rows = vec![VarRow {
            key: 0,
            name: " mood ".into(),
            var_type: VariableType::String,
            default: "cheerful".into(),
            description: "How the persona feels".into(),
        }];
        let parsed: Vec<DeclaredVariable> = serde_json::from_str(&variables_json(&rows)).unwrap();
        assert_eq!(parsed[0].name, "mood");
        assert_eq!(parsed[0].default, json!("cheerful"));
        assert_eq!(parsed[0].var_type, VariableType::String);
    }
}
