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
    tmpl.render(ctx).map(|s| s.trim().to_string()).map_err(|e| to_app_error(&e))
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
