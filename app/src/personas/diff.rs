//! Compare any two versions of a persona: unified or side by side, with the words that
//! changed inside a line highlighted.

use super::api::diff_page;
use crate::components::{ErrorBox, Loading};

use crate::types::{DiffKind, DiffLine, PersonaDetail, VersionDiff};
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn PersonaDiff() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or_default();
    let num = move |k: &str| query.read().get(k).and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(move || (id(), num("from"), num("to")), |(id, f, t)| diff_page(id, f, t));
    let side_by_side = RwSignal::new(false);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((p, d)) => view! { <DiffPage p d side_by_side/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DiffPage(p: PersonaDetail, d: VersionDiff, side_by_side: RwSignal<bool>) -> impl IntoView {
    let options = move |selected: i64| {
        p.versions
            .iter()
            .map(|v| {
                let n = v.version;
                view! { <option value=n selected=n == selected>{format!("v{n}")}</option> }
            })
            .collect_view()
    };
    let (from_opts, to_opts) = (options(d.from), options(d.to));
    view! {
        <p><A href=format!("/dashboard/personas/{}", p.id)>{format!("← {}", p.name)}</A></p>
        <div class="page-head">
            <h1>{format!("Compare versions of {}", p.name)}</h1>
            <span class="diff-counts" data-testid="diff-counts">
                <span class="added">{format!("+{}", d.added)}</span>" "<span class="removed">{format!("−{}", d.removed)}</span>
            </span>
        </div>
        <Form method="GET" action="" attr:class="diff-pick">
            <label>"From " <select name="from">{from_opts}</select></label>
            <label>"To " <select name="to">{to_opts}</select></label>
            <button type="submit" class="secondary">"Compare"</button>
            <button type="button" class="link" on:click=move |_| side_by_side.update(|s| *s = !*s)>
                {move || if side_by_side.get() { "Show unified" } else { "Show side by side" }}
            </button>
        </Form>
        {(d.added == 0 && d.removed == 0).then(|| view! { <p class="empty">"These versions have the same content."</p> })}
        <DiffTable lines=d.lines side_by_side/>
    }
}

/// A version diff as a table: unified (one column, `+`/`−` signs) or side by side, with
/// the changed words of a line marked. Used by the compare page and the promote dialog.
#[component]
pub fn DiffTable(lines: Vec<DiffLine>, #[prop(into)] side_by_side: Signal<bool>) -> impl IntoView {
    let rows = side_by_side_rows(&lines);
    view! {
        <Show
            when=move || side_by_side.get()
            fallback=move || view! {
                <table class="diff unified" aria-label="Unified diff">
                    <tbody>
                        {lines.clone().into_iter().map(|l| {
                            let (k, old_n, new_n) = (l.kind, l.old_line, l.new_line);
                            view! {
                                <tr class=kind_class(k)>
                                    <td class="ln">{old_n}</td>
                                    <td class="ln">{new_n}</td>
                                    <td class="sign">{sign(k)}</td>
                                    <td class="code"><Segments line=l/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }
        >
            <table class="diff split" aria-label="Side-by-side diff">
                <tbody>
                    {rows.clone().into_iter().map(|(left, right)| view! {
                        <tr>
                            <Half line=left/>
                            <Half line=right/>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </Show>
    }
}

fn kind_class(k: DiffKind) -> &'static str {
    match k {
        DiffKind::Equal => "equal",
        DiffKind::Added => "added",
        DiffKind::Removed => "removed",
    }
}

fn sign(k: DiffKind) -> &'static str {
    match k {
        DiffKind::Equal => " ",
        DiffKind::Added => "+",
        DiffKind::Removed => "−",
    }
}

#[component]
fn Segments(line: DiffLine) -> impl IntoView {
    line.segments
        .into_iter()
        .map(|(emph, text)| if emph { view! { <mark>{text}</mark> }.into_any() } else { text.into_any() })
        .collect_view()
}

#[component]
fn Half(line: Option<DiffLine>) -> impl IntoView {
    match line {
        Some(l) => {
            let k = l.kind;
            let n = if k == DiffKind::Added { l.new_line } else { l.old_line.or(l.new_line) };
            view! {
                <td class=format!("ln {}", kind_class(k))>{n}</td>
                <td class=format!("code {}", kind_class(k))><Segments line=l/></td>
            }
            .into_any()
        }
        None => view! { <td class="ln blank"></td><td class="code blank"></td> }.into_any(),
    }
}

/// Pairs lines for a side-by-side view: equal lines on both sides; a run of removed lines
/// next to the run of added lines that follows it.
pub fn side_by_side_rows(lines: &[DiffLine]) -> Vec<(Option<DiffLine>, Option<DiffLine>)> {
    let mut rows = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].kind == DiffKind::Equal {
            rows.push((Some(lines[i].clone()), Some(lines[i].clone())));
            i += 1;
            continue;
        }
        let removed: Vec<DiffLine> = lines[i..].iter().take_while(|l| l.kind == DiffKind::Removed).cloned().collect();
        i += removed.len();
        let added: Vec<DiffLine> = lines[i..].iter().take_while(|l| l.kind == DiffKind::Added).cloned().collect();
        i += added.len();
        for k in 0..removed.len().max(added.len()) {
            rows.push((removed.get(k).cloned(), added.get(k).cloned()));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: DiffKind, t: &str) -> DiffLine {
        DiffLine { kind, old_line: None, new_line: None, segments: vec![(false, t.into())] }
    }

    #[test]
    fn removed_and_added_runs_sit_side_by_side() {
        let lines = vec![
            line(DiffKind::Equal, "a"),
            line(DiffKind::Removed, "b"),
            line(DiffKind::Removed, "c"),
            line(DiffKind::Added, "B"),
            line(DiffKind::Equal, "d"),
            line(DiffKind::Added, "e"),
        ];
        let rows = side_by_side_rows(&lines);
        let shape: Vec<(Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|(l, r)| (l.as_ref().map(|x| x.segments[0].1.as_str()), r.as_ref().map(|x| x.segments[0].1.as_str())))
            .collect();
        assert_eq!(
            shape,
            vec![
                (Some("a"), Some("a")),
                (Some("b"), Some("B")),
                (Some("c"), None),
                (Some("d"), Some("d")),
                (None, Some("e"))
            ]
        );
    }
}
