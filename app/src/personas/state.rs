//! What the operator is typing in the editor. It lives above the page's data so that a
//! reload of the persona (after toggling "shared", moving a label …) keeps an unsaved
//! edit; it is reset from the latest version when a new version appears.

use crate::types::{
    parse_value, DeclaredVariable, ModelSettings, VariableInput, VariableType, VersionInfo, SAMPLE_MESSAGE,
};
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
    /// The row for a declared variable.
    pub fn of(key: u64, d: &DeclaredVariable) -> Self {
        let input = VariableInput::of(d);
        Self { key, name: input.name, var_type: input.var_type, default: input.default, description: input.description }
    }

    /// The declared variable this row describes (as the server will read the posted row).
    pub fn declared(&self) -> DeclaredVariable {
        VariableInput {
            name: self.name.clone(),
            var_type: self.var_type,
            default: self.default.clone(),
            description: self.description.clone(),
        }
        .declared()
    }
}

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
    /// Empty fields, until [`EditorState::load`] fills them.
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
        let rows = v.variables.iter().map(|d| VarRow::of(self.take_key(), d)).collect();
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

    /// Adds an empty row to the variables table.
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
        let row = VarRow::of(self.take_key(), d);
        self.vars.update(|v| v.push(row));
    }

    /// Removes the row `key`.
    pub fn remove_var(&self, key: u64) {
        self.vars.update(|v| v.retain(|r| r.key != key));
    }

    /// Changes the row `key` in place.
    pub fn edit_var(&self, key: u64, f: impl FnOnce(&mut VarRow)) {
        self.vars.update(|v| {
            if let Some(r) = v.iter_mut().find(|r| r.key == key) {
                f(r)
            }
        });
    }

    /// The declared variables as a save would store them (tracked).
    pub fn declared(&self) -> Vec<DeclaredVariable> {
        self.vars.with(|rows| rows.iter().map(VarRow::declared).collect())
    }

    /// The preview's values for declared variables (tracked): only the ones given, each
    /// read as its declared type.
    pub fn values(&self) -> serde_json::Map<String, Value> {
        let typed = self.sample_values.get();
        self.vars.with(|rows| {
            rows.iter()
                .filter_map(|r| {
                    let text = typed.get(r.name.trim())?;
                    (!text.trim().is_empty()).then(|| (r.name.trim().to_string(), parse_value(r.var_type, text)))
                })
                .collect()
        })
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
    fn rows_become_the_declared_variables_a_save_stores() {
        let row = VarRow {
            key: 0,
            name: " mood ".into(),
            var_type: VariableType::String,
            default: "cheerful".into(),
            description: "How the persona feels".into(),
        };
        let declared = row.declared();
        assert_eq!(declared.name, "mood");
        assert_eq!(declared.default, json!("cheerful"));
        assert_eq!(declared.var_type, VariableType::String);
        assert_eq!(VarRow::of(0, &declared).declared(), declared, "a loaded row stores what it was loaded from");
    }
}
