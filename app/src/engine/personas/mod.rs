//! Personas (templates) and their immutable, numbered versions: validation here, then
//! one file per concern — [`versions`] (create, save, read, roll back), [`labels`]
//! (move and remove, history), [`lifecycle`] (activate, share, delete, restore),
//! [`library`] (shared personas and cloning), [`diff`]. SQL lives in `store`.

use crate::error::{AppError, AppResult};
use crate::types::{DeclaredVariable, TemplateVariable, VersionDraft};
use sha2::{Digest, Sha256};

mod diff;
mod labels;
mod library;
mod lifecycle;
mod versions;

pub use diff::{diff, diff_text, DiffRange};
pub use labels::{label_moves, labels, move_label, remove_label};
pub use library::{clone_shared, library};
pub use lifecycle::{delete, deleted, restore, set_active, set_shared};
pub use versions::{
    create, find_by_name, get, insert_imported, latest, list, production, resolve_label, rollback, save_patch,
    save_version, seed_default, summary, version, Publish, VersionPatch,
};

/// The persona every new workspace starts with.
pub const DEFAULT_PERSONA_NAME: &str = "Ava";
/// The default persona's template (version 1 as seeded). It shows the date, not the time:
/// its system prompt then stays the same all day, so the embedded model reuses its cache
/// from turn to turn (see [`crate::engine::render::cache_warnings`]). Workspaces seeded
/// before 2026-12-03 hold an older text ending "The current time is {{ now }}.".
pub const DEFAULT_PERSONA: &str = r#"You are Ava, a warm, curious and supportive companion talking with {{ user_id }}.
Speak casually, in short replies of one to three sentences, and ask a question back now and then.
{% if memory %}
What you remember about them:
{% for key, value in memory|items %}- {{ key }}: {{ value }}
{% endfor %}{% endif %}
Today is {{ now[:10] }}."#;

/// Longest persona name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest version note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// A persona name: trimmed, 1–80 characters, no control characters.
pub fn parse_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "give the persona a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "name",
            format!("use at most {MAX_NAME_CHARS} characters, no control characters"),
        ));
    }
    Ok(name.to_string())
}

fn parse_note(note: &str) -> AppResult<String> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::invalid("note", format!("use at most {MAX_NOTE_CHARS} characters")));
    }
    Ok(note.to_string())
}

/// sha256 of the content, lowercase hex.
pub fn checksum(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

/// Longest label name, in characters.
pub const MAX_LABEL_CHARS: usize = 32;
/// The label chat uses (defined once, with the wire types).
pub use crate::types::PRODUCTION;
/// Most variables one version may declare.
pub const MAX_DECLARED_VARIABLES: usize = 32;
/// How long a deleted persona can be restored, in ms (30 days).
pub const RESTORE_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// A label name: 1–32 of `a-z 0-9 - _`, starting with a letter or digit (`production`,
/// `staging`, `canary-2`). Errors: `Invalid` (field `label`).
pub fn parse_label(name: &str) -> AppResult<String> {
    let name = name.trim().to_lowercase();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_LABEL_CHARS
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(AppError::invalid(
            "label",
            format!("a label is 1 to {MAX_LABEL_CHARS} lowercase letters, digits, - or _"),
        ));
    }
    Ok(name)
}

/// Checks declared variables: identifiers (≤ 40 characters), unique, not one the pipeline
/// provides, defaults of the declared type, at most [`MAX_DECLARED_VARIABLES`].
/// Errors: `Invalid` (field `variables`).
pub fn validate_variables(vars: &[DeclaredVariable]) -> AppResult<()> {
    let bad = |m: String| Err(AppError::invalid("variables", m));
    if vars.len() > MAX_DECLARED_VARIABLES {
        return bad(format!("declare at most {MAX_DECLARED_VARIABLES} variables"));
    }
    for (i, v) in vars.iter().enumerate() {
        let ident = !v.name.is_empty()
            && v.name.len() <= 40
            && v.name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && v.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return bad(format!(
                "“{}” is not a variable name: use letters, digits and _, starting with a letter",
                v.name
            ));
        }
        if crate::types::is_pipeline_variable(&v.name) {
            return bad(format!("“{}” is provided by the pipeline; choose another name", v.name));
        }
        if vars[..i].iter().any(|o| o.name == v.name) {
            return bad(format!("“{}” is declared twice", v.name));
        }
        if !v.var_type.accepts(&v.default) {
            return bad(format!("the default of “{}” is not a {}", v.name, v.var_type.as_str()));
        }
        if v.description.chars().count() > 200 {
            return bad(format!("the description of “{}” is longer than 200 characters", v.name));
        }
    }
    Ok(())
}

/// Declared variables from the editor's JSON (blank = none), validated.
/// Errors: `Invalid` (field `variables`).
pub fn parse_variables_json(json: &str) -> AppResult<Vec<DeclaredVariable>> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let vars: Vec<DeclaredVariable> = serde_json::from_str(json).map_err(|e| {
        AppError::invalid("variables", format!("variables must be a list of {{name, type, default}}: {e}"))
    })?;
    validate_variables(&vars)?;
    Ok(vars)
}

/// Validates a draft: content compiles (`Template`), note, settings, variables (`Invalid`).
pub fn validate_draft(draft: &VersionDraft) -> AppResult<String> {
    let note = parse_note(&draft.note)?;
    crate::engine::render::check(&draft.content)?;
    draft.settings.validate()?;
    validate_variables(&draft.variables)?;
    Ok(note)
}

/// The known-variable list for `content`: pipeline variables plus `declared`.
pub fn variables_for(content: &str, declared: &[DeclaredVariable]) -> Vec<TemplateVariable> {
    crate::engine::render::variables(content)
        .map(|vars| {
            vars.into_iter()
                .map(|mut v| {
                    v.known = v.known || declared.iter().any(|d| d.name == v.name);
                    v
                })
                .collect()
        })
        .unwrap_or_default()
}

/// "A persona named … exists already".
fn name_conflict(name: &str) -> AppError {
    AppError::Conflict { message: format!("a persona named “{name}” exists already") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Ava ").unwrap(), "Ava");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(parse_name("a\u{7}b").is_err());
    }

    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(checksum("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn labels_are_lowercase_slugs() {
        assert_eq!(parse_label(" Staging ").unwrap(), "staging");
        assert_eq!(parse_label("canary-2_b").unwrap(), "canary-2_b");
        for bad in ["", "-x", "with space", "ünï", &"x".repeat(MAX_LABEL_CHARS + 1)] {
            assert!(parse_label(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn declared_variables_are_checked() {
        use crate::types::VariableType;
        let var = |name: &str, t: VariableType, d: serde_json::Value| DeclaredVariable {
            name: name.into(),
            var_type: t,
            default: d,
            description: String::new(),
        };
        assert!(validate_variables(&[var("mood", VariableType::String, "calm".into())]).is_ok());
        assert!(validate_variables(&[
            var("n", VariableType::Number, 3.into()),
            var("b", VariableType::Boolean, true.into())
        ])
        .is_ok());
        assert!(validate_variables(&[var("n", VariableType::Number, "3".into())]).is_err());
        assert!(validate_variables(&[var("memory", VariableType::Json, serde_json::json!({}))]).is_err());
        assert!(validate_variables(&[
            var("a", VariableType::String, "".into()),
            var("a", VariableType::String, "".into())
        ])
        .is_err());
        assert!(validate_variables(&[var("a-b", VariableType::String, "".into())]).is_err());
        assert!(parse_variables_json("").unwrap().is_empty());
        assert!(parse_variables_json("{").is_err());
        assert_eq!(parse_variables_json(r#"[{"name":"x","type":"json","default":[1]}]"#).unwrap()[0].name, "x");
    }

    #[test]
    fn the_default_persona_compiles_and_is_cache_friendly() {
        crate::engine::render::check(DEFAULT_PERSONA).unwrap();
        let warnings = crate::engine::render::cache_warnings(DEFAULT_PERSONA, crate::types::PersonaKind::Chat);
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
