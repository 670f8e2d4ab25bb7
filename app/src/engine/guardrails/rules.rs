//! Rules: validating and compiling a rule set, and matching a text against it. Pure: no
//! database, no events.
//!
//! Keywords match case-insensitively at word boundaries (a boundary is only required on
//! a side where the keyword starts or ends with a letter or digit, so `"I'm 14"` works);
//! curly apostrophes in the text count as straight ones. Regexes use the `regex` crate
//! (linear time — no catastrophic backtracking), with compiled size limits.

use crate::error::{AppError, AppResult};
use crate::types::{GuardrailRule, RuleAction, RuleKind, RuleMatch, TextSide};
use regex::{Regex, RegexBuilder};

/// Most rules in one set.
pub const MAX_RULES: usize = 100;
/// Longest regex, instruction or reply, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Most keywords in one rule.
pub const MAX_KEYWORDS: usize = 500;
/// Size limit of one compiled regex (bytes of the compiled program and of its lazy DFA).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest excerpt of a hit, in characters.
pub const EXCERPT_CHARS: usize = 120;
/// What the user sees when an input rule blocks without a reply of its own.
pub const DEFAULT_INPUT_REPLY: &str = "Sorry, I can't respond to that message.";
/// What replaces a reply an output rule blocks without a reply of its own.
pub const DEFAULT_OUTPUT_REPLY: &str = "Sorry, I can't share that reply.";

/// A rule ready to match.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub index: usize,
    pub label: String,
    pub kind: RuleKind,
    pub action: RuleAction,
    pub reply: Option<String>,
    max_chars: Option<usize>,
    keywords: Option<Regex>,
    regex: Option<Regex>,
}

impl Compiled {
    /// Whether the rule checks texts of `side`.
    pub fn applies_to(&self, side: TextSide) -> bool {
        match self.kind {
            RuleKind::SystemInstruction => false,
            RuleKind::BlockInput | RuleKind::MaxInputChars => side == TextSide::Input,
            RuleKind::BlockOutput => side == TextSide::Output,
            RuleKind::Flag => true,
        }
    }

    /// The match of this rule in `text` (already [`normalize`]d), with an excerpt.
    fn find(&self, text: &str) -> Option<RuleMatch> {
        let excerpt = if self.kind == RuleKind::MaxInputChars {
            let max = self.max_chars?;
            let len = text.chars().count();
            if len <= max {
                return None;
            }
            let start: String = text.chars().take(EXCERPT_CHARS - 30).collect();
            format!("{start}… ({len} characters)")
        } else {
            let m = self.keywords.iter().chain(&self.regex).find_map(|re| re.find(text))?;
            excerpt(text, m.start(), m.end())
        };
        Some(RuleMatch { index: self.index, rule: self.label.clone(), kind: self.kind, action: self.action, excerpt })
    }
}

/// The text as rules see it: curly apostrophes made straight.
pub fn normalize(text: &str) -> String {
    text.replace(['\u{2019}', '\u{2018}'], "'")
}

/// `text[start..end]` with up to 40 characters of context on each side, on one line, at
/// most [`EXCERPT_CHARS`] characters (`…` where cut).
pub fn excerpt(text: &str, start: usize, end: usize) -> String {
    let before: Vec<char> = text[..start].chars().collect();
    let lead = before.len().saturating_sub(40);
    let mut out = String::new();
    if lead > 0 {
        out.push('…');
    }
    out.extend(&before[lead..]);
    out.push_str(&text[start..end]);
    out.extend(text[end..].chars().take(40));
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = flat.chars().take(EXCERPT_CHARS).collect();
    if flat.chars().count() > EXCERPT_CHARS || text[end..].chars().count() > 40 {
        cut = cut.chars().take(EXCERPT_CHARS - 1).collect();
        cut.push('…');
    }
    cut
}

fn invalid(label: &str, message: impl std::fmt::Display) -> AppError {
    AppError::invalid("rules", format!("rule {label}: {message}"))
}

fn too_long(label: &str, what: &str, text: &str) -> AppResult<()> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(label, format!("{what} is longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

/// One keyword as a pattern: escaped, inner whitespace as `\s+`, word boundaries where
/// the keyword starts / ends with a word character.
fn keyword_pattern(keyword: &str) -> String {
    let words: Vec<String> = keyword.split_whitespace().map(regex::escape).collect();
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let lead = if word_char(keyword.chars().next()) { r"\b" } else { "" };
    let tail = if word_char(keyword.chars().last()) { r"\b" } else { "" };
    format!("{lead}{}{tail}", words.join(r"\s+"))
}

fn build(label: &str, pattern: &str, case_insensitive: bool) -> AppResult<Regex> {
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => invalid(label, "the pattern is too large"),
            other => invalid(label, format!("invalid regex: {}", other.to_string().lines().last().unwrap_or(""))),
        })
}

/// Checks and compiles a rule set. Errors: `Invalid` on field `rules`, the message naming
/// the rule (`rule #2 block_input: invalid regex: …`).
pub fn compile(rules: &[GuardrailRule]) -> AppResult<Vec<Compiled>> {
    if rules.len() > MAX_RULES {
        return Err(AppError::invalid("rules", format!("a guardrail has at most {MAX_RULES} rules")));
    }
    rules.iter().enumerate().map(|(i, r)| compile_one(i, r)).collect()
}

fn compile_one(index: usize, r: &GuardrailRule) -> AppResult<Compiled> {
    let label = r.label(index);
    let Some(kind) = r.kind else { return Err(invalid(&label, "needs a type")) };
    if let Some(reply) = &r.reply {
        too_long(&label, "the reply", reply)?;
    }
    let mut compiled = Compiled {
        index,
        label: label.clone(),
        kind,
        action: r.effective_action(),
        reply: r.reply.clone().filter(|t| !t.trim().is_empty()),
        max_chars: None,
        keywords: None,
        regex: None,
    };
    match kind {
        RuleKind::SystemInstruction => {
            let content = r.content.as_deref().unwrap_or("");
            if content.trim().is_empty() {
                return Err(invalid(&label, "an instruction needs its text (content)"));
            }
            too_long(&label, "the instruction", content)?;
        }
        RuleKind::MaxInputChars => match r.max_chars {
            Some(n) if n > 0 => compiled.max_chars = Some(n as usize),
            _ => return Err(invalid(&label, "max_chars must be a positive number of characters")),
        },
        RuleKind::BlockInput | RuleKind::BlockOutput | RuleKind::Flag => {
            let keywords: Vec<&str> = r.keywords.iter().map(|k| k.trim()).filter(|k| !k.is_empty()).collect();
            let regex = r.regex.as_deref().map(str::trim).filter(|p| !p.is_empty());
            if keywords.is_empty() && regex.is_none() {
                return Err(invalid(&label, "needs keywords or a regex"));
            }
            if keywords.len() > MAX_KEYWORDS {
                return Err(invalid(&label, format!("at most {MAX_KEYWORDS} keywords")));
            }
            if !keywords.is_empty() {
                let alternation: Vec<String> = keywords.iter().map(|k| keyword_pattern(k)).collect();
                compiled.keywords = Some(build(&label, &format!("(?:{})", alternation.join("|")), true)?);
            }
            if let Some(p) = regex {
                too_long(&label, "the regex", p)?;
                compiled.regex = Some(build(&label, p, false)?);
            }
        }
    }
    Ok(compiled)
}

/// The rules of `rules` that act on `text` as a text of `side`, in rule order.
pub fn check(rules: &[Compiled], side: TextSide, text: &str) -> Vec<RuleMatch> {
    let text = normalize(text);
    rules.iter().filter(|r| r.applies_to(side)).filter_map(|r| r.find(&text)).collect()
}

/// The rules that match `text` on either side (the editor's "test this text").
pub fn check_any(rules: &[Compiled], text: &str) -> Vec<RuleMatch> {
    let text = normalize(text);
    rules.iter().filter(|r| r.kind != RuleKind::SystemInstruction).filter_map(|r| r.find(&text)).collect()
}

/// What a list of matches does: halt over block over flag; with the match that decides.
pub fn decisive(found: &[RuleMatch]) -> Option<&RuleMatch> {
    let rank = |a: RuleAction| match a {
        RuleAction::Halt => 3,
        RuleAction::Block => 2,
        RuleAction::Flag => 1,
    };
    // The first match of the highest rank (`max_by_key` would take the last).
    found.iter().rev().max_by_key(|m| rank(m.action))
}

/// The `system_instruction` texts of `rules`, highest `priority` first (rule order
/// among equals).
pub fn instructions(rules: &[GuardrailRule]) -> Vec<String> {
    let mut found: Vec<(i64, usize, &str)> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == Some(RuleKind::SystemInstruction))
        .filter_map(|(i, r)| r.content.as_deref().filter(|c| !c.trim().is_empty()).map(|c| (r.priority, i, c)))
        .collect();
    found.sort_by_key(|&(p, i, _)| (std::cmp::Reverse(p), i));
    found.into_iter().map(|(_, _, c)| c.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: RuleKind) -> GuardrailRule {
        GuardrailRule { kind: Some(kind), ..Default::default() }
    }

    fn kw(kind: RuleKind, words: &[&str]) -> GuardrailRule {
        GuardrailRule { keywords: words.iter().map(|w| w.to_string()).collect(), ..rule(kind) }
    }

    #[test]
    fn keywords_match_whole_words_case_insensitively() {
        let set = compile(&[kw(RuleKind::BlockInput, &["kill myself", "I'm 14"])]).unwrap();
        assert_eq!(check(&set, TextSide::Input, "Sometimes I want to KILL   myself.").len(), 1);
        assert_eq!(check(&set, TextSide::Input, "i’m 14 and bored").len(), 1, "curly apostrophe");
        assert!(check(&set, TextSide::Input, "I'm 145 cm tall").is_empty(), "a boundary after the digits");
        assert!(check(&set, TextSide::Input, "skill myselfish").is_empty());
        assert!(check(&set, TextSide::Output, "kill myself").is_empty(), "input rules skip replies");
    }

    #[test]
    fn invalid_and_huge_regexes_are_refused_naming_the_rule() {
        let bad = GuardrailRule { name: Some("ssn".into()), regex: Some("(unclosed".into()), ..rule(RuleKind::Flag) };
        let err = compile(&[rule(RuleKind::SystemInstruction), bad]).unwrap_err();
        let AppError::Invalid { field, message } = err else { panic!() };
        assert_eq!(field.as_deref(), Some("rules"));
        assert!(message.starts_with("rule #1 system_instruction") || message.starts_with("rule ssn"), "{message}");
        let bad = GuardrailRule { name: Some("ssn".into()), regex: Some("(unclosed".into()), ..rule(RuleKind::Flag) };
        let err = compile(&[bad]).unwrap_err().to_string();
        assert!(err.starts_with("rule ssn: invalid regex"), "{err}");
        let huge = GuardrailRule { regex: Some(r"\w{1000}\w{1000}\w{1000}".into()), ..rule(RuleKind::BlockInput) };
        assert!(compile(&[huge]).unwrap_err().to_string().contains("too large"));
        assert!(compile(&[rule(RuleKind::BlockInput)]).unwrap_err().to_string().contains("keywords or a regex"));
        assert!(compile(&[GuardrailRule::default()]).unwrap_err().to_string().contains("needs a type"));
    }

    #[test]
    fn a_regex_that_would_backtrack_elsewhere_runs_in_linear_time() {
        let set = compile(&[GuardrailRule { regex: Some("(a+)+$".into()), ..rule(RuleKind::BlockInput) }]).unwrap();
        let text = format!("{}!", "a".repeat(50_000));
        let started = std::time::Instant::now();
        assert!(check(&set, TextSide::Input, &text).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn max_chars_counts_characters_and_halt_beats_block_beats_flag() {
        let long = GuardrailRule { max_chars: Some(5), ..rule(RuleKind::MaxInputChars) };
        let flag = GuardrailRule { regex: Some("hé".into()), ..rule(RuleKind::Flag) };
        let halt = GuardrailRule { action: Some(RuleAction::Halt), ..kw(RuleKind::BlockInput, &["help"]) };
        let set = compile(&[flag, long, halt]).unwrap();
        assert!(check(&set, TextSide::Input, "héhé!").iter().all(|m| m.kind == RuleKind::Flag), "5 characters");
        let found = check(&set, TextSide::Input, "héhé, help");
        assert_eq!(found.len(), 3);
        assert_eq!(decisive(&found).unwrap().action, RuleAction::Halt);
        assert_eq!(decisive(&found[..2]).unwrap().action, RuleAction::Block);
        assert_eq!(decisive(&found[..1]).unwrap().action, RuleAction::Flag);
    }

    #[test]
    fn instructions_come_highest_priority_first() {
        let i = |p: i64, c: &str| GuardrailRule {
            priority: p,
            content: Some(c.into()),
            ..rule(RuleKind::SystemInstruction)
        };
        let rules = [i(0, "low"), i(5, "high"), kw(RuleKind::Flag, &["x"]), i(5, "high too")];
        assert_eq!(instructions(&rules), vec!["high", "high too", "low"]);
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        let text = format!("{} needle\n{}", "x ".repeat(100), "y ".repeat(100));
        let start = text.find("needle").unwrap();
        let e = excerpt(&text, start, start + 6);
        assert!(e.chars().count() <= EXCERPT_CHARS);
        assert!(e.contains("needle") && !e.contains('\n') && e.starts_with('…') && e.ends_with('…'), "{e}");
    }

    #[test]
    fn companion_safety_patterns_catch_the_signals() {
        // The preset's rules, as the migration stores them.
        let sql = include_str!("../../../../migrations/sqlite/20261204000002_guardrails.sql");
        let start = sql.find("'[{\"type\": \"system_instruction\", \"priority\": 10").unwrap() + 1;
        let end = start + sql[start..].find("]',").unwrap() + 1;
        let rules: Vec<GuardrailRule> = serde_json::from_str(&sql[start..end]).unwrap();
        let set = compile(&rules).unwrap();
        for text in [
            "I want to kill myself",
            "thinking about suicide",
            "I'm 14",
            "i am 13 years old.",
            "He hits me every night",
        ] {
            let found = check(&set, TextSide::Input, text);
            assert_eq!(decisive(&found).map(|m| m.action), Some(RuleAction::Halt), "{text}");
        }
        for text in
            ["I'm 5 minutes away", "this song kills me", "I am 30 years old", "the suicide squad movie was fun?"]
        {
            let found = check(&set, TextSide::Input, text);
            if text.contains("suicide") {
                assert!(!found.is_empty(), "keywords are blunt on purpose: {text}");
            } else {
                assert!(found.is_empty(), "{text}: {found:?}");
            }
        }
    }
}
