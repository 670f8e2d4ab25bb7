//! Differences between two versions of a persona: a line diff with word highlights.

use super::{latest, version};
use crate::engine::db::Db;
use crate::engine::ids::{PersonaId, WorkspaceId};
use crate::error::AppResult;
use crate::types::{DiffKind, DiffLine, VersionDiff};

/// Line diff of `old` → `new` with word-level highlights inside changed lines (the
/// `similar` crate: Myers line diff, then a word diff of replaced line ranges). Returns
/// the lines and the counts (added, removed).
pub fn diff_text(old: &str, new: &str) -> (Vec<DiffLine>, u32, u32) {
    use similar::{ChangeTag, TextDiff};
    // A last line without its newline would otherwise count as changed the moment a line
    // is added after it.
    let with_newline = |s: &str| if s.is_empty() || s.ends_with('\n') { s.to_string() } else { format!("{s}\n") };
    let (old, new) = (with_newline(old), with_newline(new));
    let diff = TextDiff::from_lines(&old, &new);
    let (mut lines, mut added, mut removed) = (Vec::new(), 0u32, 0u32);
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            let kind = match change.tag() {
                ChangeTag::Equal => DiffKind::Equal,
                ChangeTag::Insert => {
                    added += 1;
                    DiffKind::Added
                }
                ChangeTag::Delete => {
                    removed += 1;
                    DiffKind::Removed
                }
            };
            let mut segments: Vec<(bool, String)> =
                change.iter_strings_lossy().map(|(emph, text)| (emph, text.into_owned())).collect();
            if let Some((_, last)) = segments.last_mut() {
                if last.ends_with('\n') {
                    last.pop();
                }
            }
            segments.retain(|(_, t)| !t.is_empty());
            lines.push(DiffLine {
                kind,
                old_line: change.old_index().map(|i| i as u32 + 1),
                new_line: change.new_index().map(|i| i as u32 + 1),
                segments,
            });
        }
    }
    (lines, added, removed)
}

/// Which two versions to compare; a side not given takes the default: `to` the latest
/// version, `from` the one before `to` (or `to` itself for version 1). The one place the
/// REST API and the diff page fill these in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct DiffRange {
    /// Older version.
    pub from: Option<i64>,
    /// Newer version.
    pub to: Option<i64>,
}

/// Diff between two versions (any two, either order; see [`DiffRange`] for the
/// defaults). Errors: `NotFound` (persona or version).
pub async fn diff(db: &Db, ws: WorkspaceId, id: PersonaId, range: DiffRange) -> AppResult<VersionDiff> {
    let to = match range.to {
        Some(n) => n,
        None => latest(db, ws, id).await?.1.version,
    };
    let from = range.from.unwrap_or((to - 1).max(1));
    let old = version(db, ws, id, from).await?;
    let new = version(db, ws, id, to).await?;
    let (lines, added, removed) = diff_text(&old.content, &new.content);
    Ok(VersionDiff { persona_id: id.get(), from, to, added, removed, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_count_lines_and_mark_changed_words() {
        let (lines, added, removed) =
            diff_text("You are Ava.\nBe kind.\nBye\n", "You are Ava.\nBe very kind.\nBye\nNew line\n");
        assert_eq!((added, removed), (2, 1));
        let kinds: Vec<DiffKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, vec![DiffKind::Equal, DiffKind::Removed, DiffKind::Added, DiffKind::Equal, DiffKind::Added]);
        let changed = &lines[2];
        assert_eq!((changed.old_line, changed.new_line), (None, Some(2)));
        let text: String = changed.segments.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(text, "Be very kind.");
        let emphasized: Vec<&str> = changed.segments.iter().filter(|(e, _)| *e).map(|(_, t)| t.as_str()).collect();
        assert_eq!(emphasized, vec!["very "], "only the inserted word is highlighted");
        assert_eq!(lines[4].segments, vec![(false, "New line".to_string())]);
    }

    #[test]
    fn a_missing_final_newline_is_not_a_change() {
        let (lines, added, removed) = diff_text("a\nb", "a\nb\nc");
        assert_eq!((added, removed), (1, 0), "{lines:?}");
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let (lines, added, removed) = diff_text("a\nb", "a\nb");
        assert_eq!((added, removed), (0, 0));
        assert!(lines.iter().all(|l| l.kind == DiffKind::Equal));
    }
}
