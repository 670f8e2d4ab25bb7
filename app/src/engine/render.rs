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
        .map(|name| crate::types::TemplateVariable { known: crate::types::is_pipeline_variable(&name), name })
        .collect())
}

/// Pipeline variables whose value changes from one turn to the next (`now`: every minute;
/// `summary`: when the summary job folds older turns in; `sentiment`: as messages are scored).
pub const PER_TURN_VARIABLES: [&str; 3] = ["now", "summary", "sentiment"];

/// Where a per-turn variable ([`PER_TURN_VARIABLES`]) is used early in the prompt: in a
/// `chat` persona anywhere (the template is the system prompt, before the history); in a
/// `text` persona before its first use of `history`. The prompt then differs from the last
/// turn's near its start, and the embedded model must evaluate it all again instead of
/// reusing its KV cache. `now` sliced to the date (`now[:10]`) changes once a day and is not
/// reported. One warning per variable (its first early use), as "Line N: …" messages.
pub fn cache_warnings(content: &str, kind: crate::types::PersonaKind) -> Vec<String> {
    let uses = template_names(content);
    let history_at = uses.iter().find(|u| u.name == "history").map(|u| u.offset);
    let limit = match kind {
        crate::types::PersonaKind::Chat => usize::MAX,
        crate::types::PersonaKind::Text => match history_at {
            Some(at) => at,
            None => return Vec::new(),
        },
    };
    let mut warned: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for u in uses.iter().filter(|u| u.offset < limit && !u.date_only) {
        let Some(&name) = PER_TURN_VARIABLES.iter().find(|v| **v == u.name) else { continue };
        if warned.contains(&name) {
            continue;
        }
        warned.push(name);
        let line = content[..u.offset].matches('\n').count() + 1;
        let advice = match kind {
            crate::types::PersonaKind::Chat => format!(
                "in the system prompt (before the history) it keeps the model from reusing its cache — \
                 use the date (`{{{{ {name}[:10] }}}}`) or a `text` persona with it after the history"
            ),
            crate::types::PersonaKind::Text => format!(
                "used before the history it keeps the model from reusing its cache — put it after the history \
                 or use the date (`{{{{ {name}[:10] }}}}`)"
            ),
        };
        out.push(format!("Line {line}: `{name}` changes between turns; {advice}"));
    }
    out
}

/// A top-level name read in a template tag.
struct NameUse<'a> {
    name: &'a str,
    /// Byte offset in the template.
    offset: usize,
    /// Sliced to at most 10 characters (`now[:10]`: the date of `YYYY-MM-DD HH:MM UTC`).
    date_only: bool,
}

/// The names read in `{{ … }}` and `{% … %}` tags, in order: identifiers outside string
/// literals and not after a dot (attributes). Comments are skipped. A lexical scan, not a
/// parse: enough to tell where in the prompt a variable lands.
fn template_names(content: &str) -> Vec<NameUse<'_>> {
    let bytes = content.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = content[at..].find('{').map(|i| at + i) {
        let close = match bytes.get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                at = open + 1;
                continue;
            }
        };
        let body_start = open + 2;
        let end = content[body_start..].find(close).map_or(content.len(), |i| body_start + i);
        if close != "#}" {
            names_in(content, body_start, end, &mut out);
        }
        at = (end + 2).min(content.len());
    }
    out
}

fn names_in<'a>(content: &'a str, start: usize, end: usize, out: &mut Vec<NameUse<'a>>) {
    let bytes = content.as_bytes();
    let mut i = start;
    let mut prev = b' ';
    while i < end {
        let c = bytes[i];
        if c == b'"' || c == b'\'' {
            i += 1;
            while i < end && bytes[i] != c {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            prev = c;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let from = i;
            while i < end && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if prev != b'.' {
                let rest = content[i..end].trim_start();
                out.push(NameUse { name: &content[from..i], offset: from, date_only: sliced_to_date(rest) });
            }
            prev = b'a';
        } else {
            if !c.is_ascii_whitespace() {
                prev = c;
            }
            i += 1;
        }
    }
}

/// Whether `rest` (what follows a name) starts with a slice keeping at most 10 characters:
/// `[:10]`, `[0:10]`, `[:4]`.
fn sliced_to_date(rest: &str) -> bool {
    let Some(inner) = rest.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(inner, _)| inner) else {
        return false;
    };
    let Some((from, to)) = inner.split_once(':') else { return false };
    let from = from.trim();
    (from.is_empty() || from == "0") && to.trim().parse::<u32>().is_ok_and(|n| n <= 10)
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
    #[test]
    fn per_turn_values_early_in_the_prompt_are_reported() {
        use crate::types::PersonaKind::{Chat, Text};
        let chat = cache_warnings("You are Ava.\nThe time is {{ now }}. {{ now }}", Chat);
        assert_eq!(chat.len(), 1, "{chat:?}");
        assert!(chat[0].starts_with("Line 2: `now` changes between turns;"), "{chat:?}");
        assert!(chat[0].contains("reusing its cache"), "{chat:?}");
        assert!(cache_warnings("Today is {{ now[:10] }}.", Chat).is_empty());
        assert!(cache_warnings("Today is {{ now[0:10] }}.", Chat).is_empty());
        assert_eq!(cache_warnings("At {{ now[:16] }}.", Chat).len(), 1);
        assert!(cache_warnings("Hi {{ user_id }}, {{ memory.now }} {{ 'now' }} {# now #}", Chat).is_empty());
        let early = "It is {% if now %}{{ now }}{% endif %}.\n{% for m in history %}{{ m.content }}\n{% endfor %}";
        let text = cache_warnings(early, Text);
        assert_eq!(text.len(), 1);
        assert!(text[0].starts_with("Line 1: `now`") && text[0].contains("put it after the history"), "{text:?}");
        let late = "{% for m in history %}{{ m.content }}\n{% endfor %}It is {{ now }}.";
        assert!(cache_warnings(late, Text).is_empty());
        assert!(cache_warnings("It is {{ now }}.", Text).is_empty(), "no history to reuse");
    }

    #[test]
    fn the_date_of_now_renders() {
        assert_eq!(render("{{ now[:10] }}", &json!({"now": "2026-12-02 09:30 UTC"})).unwrap(), "2026-12-02");
    }
}
