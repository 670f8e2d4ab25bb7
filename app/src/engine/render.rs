//! Persona templates: minijinja in a sandbox. No loader (templates cannot read files or
//! include each other), undefined values are errors except in `if` tests (semi-strict),
//! and a fuel limit stops runaway loops.

use crate::error::AppError;
use minijinja::{Environment, UndefinedBehavior};

/// Instructions one render may execute before it is stopped (a loop over ~10k items).
pub const FUEL: u64 = 100_000;
/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    env.set_keep_trailing_newline(false);
    env
}

fn to_app_error(err: &minijinja::Error) -> AppError {
    AppError::Template {
        line: err.line().map(|l| l as u32),
        message: err.detail().map(str::to_string).unwrap_or_else(|| err.kind().to_string()),
    }
}

/// Longest piece of the template quoted in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 60;

/// A render error. minijinja says only "undefined value" for an undefined value: name the
/// variable that the failing expression reads and nothing provides (`missing`), else
/// quote the expression.
fn render_error(err: &minijinja::Error, source: &str, missing: &[String]) -> AppError {
    let named = (err.kind() == minijinja::ErrorKind::UndefinedError).then(|| quoted(err, source)).flatten();
    let Some(expr) = named else { return to_app_error(err) };
    let is_path = expr.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    let message = match roots(&expr).find(|r| missing.iter().any(|m| m == r)) {
        Some(var) => format!("`{var}` is undefined: not provided, declared or set in the template"),
        None if is_path => format!("`{expr}` is undefined: not provided, declared or set in the template"),
        None => format!("undefined value in `{expr}`"),
    };
    AppError::Template { line: err.line().map(|l| l as u32), message }
}

/// The names an expression starts its paths with (`memory` of `memory.name`).
fn roots(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|path| path.split('.').next())
        .filter(|r| r.starts_with(|c: char| c.is_alphabetic() || c == '_'))
}

/// The expression an error points at, on one line and shortened, if minijinja kept its span.
fn quoted(err: &minijinja::Error, source: &str) -> Option<String> {
    let range = err.range()?;
    // The span of an attribute starts at its dot (`.name.first`), that of a filter at its
    // name: take in what they read (`memory.name.first`, `mood | upper`), back to the tag.
    let head = source.get(..range.start)?;
    let start = head
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '.' | '|' | ' '))
        .last()
        .map_or(range.start, |(i, _)| i);
    let text = source.get(start..range.end)?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    Some(if text.chars().count() > MAX_QUOTED_CHARS {
        format!("{}…", text.chars().take(MAX_QUOTED_CHARS).collect::<String>())
    } else {
        text
    })
}

/// Checks that `content` compiles. Errors: `Template` with the 1-based line and message,
/// or `Invalid` if it is empty or larger than [`MAX_TEMPLATE_BYTES`].
pub fn check(content: &str) -> Result<(), AppError> {
    if content.trim().is_empty() {
        return Err(AppError::invalid("content", "the template is empty"));
    }
    if content.len() > MAX_TEMPLATE_BYTES {
        return Err(AppError::invalid(
            "content",
            format!("the template is larger than {} KiB", MAX_TEMPLATE_BYTES / 1024),
        ));
    }
    environment().template_from_str(content).map(|_| ()).map_err(|e| to_app_error(&e))
}

/// Variables the chat pipeline provides to every persona template.
pub const PIPELINE_VARIABLES: [&str; 5] = ["user_id", "current_message", "history", "memory", "now"];

/// The variables a template reads without defining them (minijinja's undeclared
/// variables, top level, sorted), each flagged `known` when the pipeline provides it.
/// Built-in globals (`range`, `namespace`, …) are left out. Errors: `Template`.
pub fn variables(content: &str) -> Result<Vec<crate::types::TemplateVariable>, AppError> {
    let env = environment();
    let tmpl = env.template_from_str(content).map_err(|e| to_app_error(&e))?;
    let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
    let mut names: Vec<String> =
        tmpl.undeclared_variables(false).into_iter().filter(|n| !globals.contains(&n.as_str())).collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| crate::types::TemplateVariable { known: PIPELINE_VARIABLES.contains(&name.as_str()), name })
        .collect())
}

/// Renders `content` with `ctx` (a JSON object of variables). Errors: `Template` for
/// syntax errors, undefined variables, type errors and exhausted fuel.
pub fn render(content: &str, ctx: &serde_json::Value) -> Result<String, AppError> {
    let env = environment();
    let tmpl = env.template_from_str(content).map_err(|e| to_app_error(&e))?;
    tmpl.render(ctx).map(|s| s.trim().to_string()).map_err(|e| {
        let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
        let missing: Vec<String> = tmpl
            .undeclared_variables(false)
            .into_iter()
            .filter(|n| ctx.get(n.as_str()).is_none() && !globals.contains(&n.as_str()))
            .collect();
        render_error(&e, content, &missing)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_variables_and_memory() {
        let out = render(
            "Hi {{ user_id }}.{% for k, v in memory|items %} {{ k }}={{ v }}{% endfor %}",
            &json!({"user_id": "u1", "memory": {"name": "Ann"}}),
        )
        .unwrap();
        assert_eq!(out, "Hi u1. name=Ann");
    }

    #[test]
    fn syntax_errors_carry_their_line() {
        let err = check("line one\nline two {{ 1 + }}\nline three").unwrap_err();
        match err {
            AppError::Template { line, message } => {
                assert_eq!(line, Some(2));
                assert!(!message.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn undefined_is_an_error_but_if_tests_are_allowed() {
        assert!(render("{{ nope }}", &json!({})).is_err());
        assert_eq!(render("{% if nope %}x{% else %}y{% endif %}", &json!({})).unwrap(), "y");
    }

    #[test]
    fn an_undefined_value_is_named_with_its_line() {
        let message = |content: &str| match render(content, &json!({"memory": {"name": "Ann"}})) {
            Err(AppError::Template { line, message }) => (line, message),
            other => panic!("unexpected {other:?}"),
        };
        let (line, text) = message("Hello.\nMood: {{ not_declared }}");
        assert_eq!(line, Some(2));
        assert!(text.starts_with("`not_declared` is undefined"), "{text}");
        // An attribute of an undefined value names the whole expression.
        let (_, text) = message("{{ memory.nme.first }}");
        assert!(text.contains("memory.nme"), "{text}");
        let (_, text) = message("{{ mood | upper }}");
        assert!(text.starts_with("`mood` is undefined"), "{text}");
        let (_, text) = message("{% for m in moods %}{{ m }}{% endfor %}");
        assert!(text.contains("moods"), "{text}");
    }

    #[test]
    fn variables_are_listed_and_unknown_ones_flagged() {
        let vars = variables(
            "{% set greeting = 'hi' %}{{ greeting }} {{ user_id }} {{ memory.name }} {{ mood }} \
             {% for m in history %}{{ m.content }}{% endfor %}{% for i in range(2) %}{{ i }}{% endfor %}",
        )
        .unwrap();
        let listed: Vec<(&str, bool)> = vars.iter().map(|v| (v.name.as_str(), v.known)).collect();
        assert_eq!(listed, vec![("history", true), ("memory", true), ("mood", false), ("user_id", true)]);
    }

    #[test]
    fn runaway_loops_run_out_of_fuel() {
        let err =
            render("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", &json!({}));
        assert!(matches!(err, Err(AppError::Template { .. })));
    }

    #[test]
    fn empty_and_huge_templates_are_refused() {
        assert!(matches!(check("  \n"), Err(AppError::Invalid { .. })));
        assert!(matches!(check(&"x".repeat(MAX_TEMPLATE_BYTES + 1)), Err(AppError::Invalid { .. })));
    }
}
