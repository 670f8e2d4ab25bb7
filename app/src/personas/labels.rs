//! Labels (`production` is what chat uses), the version history with promote and
//! roll-back choices, the confirmation dialog that shows what a move changes, and the
//! record of label moves.

use super::api::{diff_versions, MoveLabel, RemoveLabel, RollbackPersona};
use super::diff::DiffTable;
use crate::components::format_time;
use crate::error::AppError;
use crate::types::{Label, LabelMove, VersionDiff, VersionInfo, PRODUCTION};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use server_fn::ServerFn;

/// A label move waiting for the operator's confirmation.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelRequest {
    pub label: String,
    pub version: i64,
}

fn label_version(labels: &[Label], name: &str) -> Option<i64> {
    labels.iter().find(|l| l.name == name).map(|l| l.version)
}

/// Labels by name with the version each points to; move one, remove a custom one.
#[component]
pub fn LabelsSection(
    id: i64,
    labels: Vec<Label>,
    versions: Vec<i64>,
    dialog: RwSignal<Option<LabelRequest>>,
    move_label: ServerAction<MoveLabel>,
    remove_label: ServerAction<RemoveLabel>,
) -> impl IntoView {
    let mut names: Vec<String> = labels.iter().map(|l| l.name.clone()).collect();
    if !names.iter().any(|n| n == "staging") {
        names.push("staging".into());
    }
    let confirming = RwSignal::new(None::<String>);
    let label_input = RwSignal::new(String::new());
    let version_input = RwSignal::new(versions.first().copied().unwrap_or(1));
    // With JavaScript a move is confirmed in the dialog first; without, the form posts.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let label = label_input.get_untracked().trim().to_string();
        if !label.is_empty() {
            dialog.set(Some(LabelRequest { label, version: version_input.get_untracked() }));
        }
    };
    let error = move || {
        move_label.value().get().and_then(Result::err).or_else(|| remove_label.value().get().and_then(Result::err))
    };
    let moved = move || move_label.value().get().and_then(Result::ok);
    let draft = label_version(&labels, PRODUCTION).is_none();
    view! {
        <section aria-labelledby="labels-title">
            <h2 id="labels-title">"Labels"</h2>
            <p class="hint">"Chat answers with the version “production” points to. Other labels mark versions for testing."</p>
            {move || error().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            {move || moved().map(|l| view! {
                <p class="ok" aria-live="polite" data-testid="label-moved">{format!("{} now points to v{}.", l.name, l.version)}</p>
            })}
            {draft.then(|| view! {
                <p class="empty">"No version is published yet: production points nowhere, so chat does not offer this persona."</p>
            })}
            <ul class="labels" data-testid="labels">
                {labels.into_iter().map(|l| {
                    let name = l.name.clone();
                    let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
                    view! {
                        <li data-label=name.clone()>
                            <span class=if l.name == PRODUCTION { "badge production" } else { "badge" }>{l.name.clone()}</span>
                            " → "<strong>{format!("v{}", l.version)}</strong>
                            <span class="muted">{format!(" moved by {} · {}", l.updated_by, format_time(l.updated_at))}</span>
                            {(l.name != PRODUCTION).then(|| view! {
                                " "
                                <Show
                                    when=move || confirming.get().as_deref() == Some(n1.as_str())
                                    fallback=move || {
                                        let n = n2.clone();
                                        view! {
                                            <button type="button" class="link" on:click=move |_| confirming.set(Some(n.clone()))>
                                                {format!("Remove {}", n2)}
                                            </button>
                                        }
                                    }
                                >
                                    {
                                        let n = n3.clone();
                                        view! {
                                            <span class="confirm" role="group" aria-label=format!("Remove label {n}?")>
                                                {format!("Remove label “{n}”? Versions stay.")}
                                                <button type="button" class="danger" on:click={
                                                    let n = n.clone();
                                                    move |_| {
                                                        remove_label.dispatch(RemoveLabel { id, label: n.clone() });
                                                        confirming.set(None);
                                                    }
                                                }>"Remove label"</button>
                                                <button type="button" class="link" on:click=move |_| confirming.set(None)>"Cancel"</button>
                                            </span>
                                        }
                                    }
                                </Show>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="move-label" method="post" action=MoveLabel::url() on:submit=submit>
                <input type="hidden" name="id" value=id/>
                <label>
                    "Label"
                    <input type="text" name="label" list="label-names" required maxlength="40" spellcheck="false"
                        placeholder="staging"
                        prop:value=move || label_input.get()
                        on:input=move |ev| label_input.set(event_target_value(&ev))/>
                </label>
                <datalist id="label-names">
                    {names.into_iter().map(|n| view! { <option value=n></option> }).collect_view()}
                </datalist>
                <label>
                    "Version"
                    <select name="version" on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse() { version_input.set(v) }
                    }>
                        {versions.into_iter().map(|n| view! { <option value=n>{format!("v{n}")}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="secondary">"Move label"</button>
            </form>
        </section>
    }
}

/// A draft (no `production` label yet): what that means, and the way to go live.
/// Publishing is a promote to production from nothing, confirmed in the same dialog.
#[component]
pub fn PublishBox(id: i64, latest_n: i64, dialog: RwSignal<Option<LabelRequest>>) -> impl IntoView {
    // With JavaScript the dialog confirms first; without, the form moves the label.
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        dialog.set(Some(LabelRequest { label: PRODUCTION.into(), version: latest_n }));
    };
    view! {
        <section class="publish-box" aria-labelledby="publish-title" data-testid="draft-notice">
            <h2 id="publish-title">"This persona is a draft"</h2>
            <p>
                "End users cannot choose it in chat, and it answers no one, until you publish a version. "
                "Publishing points production at it; every later change goes live only when you promote it."
            </p>
            <form class="inline" method="post" action=MoveLabel::url() on:submit=submit>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="label" value=PRODUCTION/>
                <input type="hidden" name="version" value=latest_n/>
                <button type="submit">{format!("Publish v{latest_n}")}</button>
            </form>
        </section>
    }
}

/// Asks before a label moves, showing the diff from the version it points to now; for a
/// first publish (no production yet), the template that goes live.
#[component]
pub fn LabelDialog(
    id: i64,
    /// The persona's name, for a publish's explanation.
    name: String,
    versions: Vec<VersionInfo>,
    labels: Vec<Label>,
    dialog: RwSignal<Option<LabelRequest>>,
    move_label: ServerAction<MoveLabel>,
) -> impl IntoView {
    let labels = StoredValue::new(labels);
    let versions = StoredValue::new(versions);
    let name = StoredValue::new(name);
    let diff = RwSignal::new(None::<(LabelRequest, Result<VersionDiff, AppError>)>);
    // The version the diff starts from: where the label is now, else production.
    let from_of = move |r: &LabelRequest| {
        labels.with_value(|l| label_version(l, &r.label).or_else(|| label_version(l, PRODUCTION)))
    };
    Effect::new(move |_| {
        let Some(req) = dialog.get() else { return };
        diff.set(None);
        let Some(from) = from_of(&req).filter(|f| *f != req.version) else { return };
        spawn_local(async move {
            let result = diff_versions(id, from, req.version).await;
            // A later request may have replaced this one meanwhile, or the page be gone.
            if dialog.try_get_untracked().flatten().as_ref() == Some(&req) {
                _ = diff.try_set(Some((req, result)));
            }
        });
    });
    // Closes once the move is done (its outcome shows in the labels section).
    let done = move_label.version();
    Effect::new(move |prev: Option<usize>| {
        let v = done.get();
        if prev.is_some_and(|p| p != v) {
            dialog.set(None);
        }
        v
    });
    let confirm_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = confirm_ref.get() {
            _ = b.focus();
        }
    });
    view! {
        {move || dialog.get().map(|req| {
            let n = req.version;
            let from = from_of(&req);
            let is_production = req.label == PRODUCTION;
            let exists = labels.with_value(|l| label_version(l, &req.label)).is_some();
            let publish = is_production && !exists;
            let title = if publish {
                format!("Publish v{n}?")
            } else if is_production {
                format!("Promote v{n} to production?")
            } else if exists {
                format!("Move {} to v{n}?", req.label)
            } else {
                format!("Create label {} at v{n}?", req.label)
            };
            let explain = if publish {
                format!(
                    "End users can choose “{}” in chat from now on, and chat answers with v{n}. \
                     Later versions go live only when you promote them.",
                    name.get_value()
                )
            } else if is_production {
                format!("Chat answers with v{n} from the next message. You can move production back at any time.")
            } else {
                format!("“{}” will point to v{n}. Chat keeps using production.", req.label)
            };
            let confirm_text =
                if publish { "Publish" } else if is_production { "Promote" } else if exists { "Move label" } else { "Create label" };
            let goes_live = publish
                .then(|| versions.with_value(|vs| vs.iter().find(|v| v.version == n).map(|v| v.content.clone())))
                .flatten();
            let label = req.label.clone();
            view! {
                <div class="dialog-backdrop" on:click=move |_| dialog.set(None)></div>
                <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="label-dialog-title"
                    on:keydown=move |ev| if ev.key() == "Escape" { dialog.set(None) }>
                    <h2 id="label-dialog-title">{title}</h2>
                    <p>{explain}</p>
                    {match from {
                        Some(f) if f == n => view! {
                            <p class="muted">{format!("{} already points to v{n}.", req.label)}</p>
                        }.into_any(),
                        Some(f) => view! {
                            <p class="muted">{format!("Changes from v{f} (now in {}) to v{n}:", if exists { req.label.as_str() } else { PRODUCTION })}</p>
                            <DialogDiff diff/>
                        }.into_any(),
                        None => match goes_live {
                            Some(content) => view! {
                                <p class="muted">{format!("What goes live (v{n}):")}</p>
                                <pre class="template dialog-diff" data-testid="goes-live">{content}</pre>
                            }.into_any(),
                            None => ().into_any(),
                        },
                    }}
                    <div class="actions">
                        <button type="button" node_ref=confirm_ref disabled=move || move_label.pending().get()
                            on:click=move |_| { move_label.dispatch(MoveLabel { id, label: label.clone(), version: n }); }>
                            {move || match (move_label.pending().get(), publish) {
                                (true, true) => "Publishing…",
                                (true, false) => "Moving…",
                                (false, _) => confirm_text,
                            }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| dialog.set(None)>"Cancel"</button>
                    </div>
                </div>
            }
        })}
    }
}

#[component]
fn DialogDiff(diff: RwSignal<Option<(LabelRequest, Result<VersionDiff, AppError>)>>) -> impl IntoView {
    move || match diff.get() {
        None => view! { <p class="muted" aria-busy="true">"Loading the changes…"</p> }.into_any(),
        Some((_, Err(e))) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
        Some((_, Ok(d))) => {
            let same = d.added == 0 && d.removed == 0;
            view! {
                <p class="diff-counts" data-testid="dialog-diff-counts">
                    <span class="added">{format!("+{}", d.added)}</span>" "<span class="removed">{format!("−{}", d.removed)}</span>
                </p>
                {same.then(|| view! { <p class="empty">"Same content (settings or variables may differ)."</p> })}
                <div class="dialog-diff"><DiffTable lines=d.lines side_by_side=false/></div>
            }
            .into_any()
        }
    }
}

/// Every version, newest first, with its labels and what can be done with it.
#[component]
pub fn VersionHistory(
    id: i64,
    versions: Vec<VersionInfo>,
    labels: Vec<Label>,
    latest_n: i64,
    dialog: RwSignal<Option<LabelRequest>>,
    rollback: ServerAction<RollbackPersona>,
) -> impl IntoView {
    let production = label_version(&labels, PRODUCTION);
    let confirming = RwSignal::new(None::<i64>);
    let rollback_error = move || rollback.value().get().and_then(Result::err);
    view! {
        <section aria-labelledby="history-title">
            <h2 id="history-title">"Version history"</h2>
            {move || rollback_error().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
            <table class="list history stack-narrow">
                <thead><tr><th>"Version"</th><th>"Note"</th><th>"Author"</th><th>"Saved"</th><th>"Checksum"</th><th></th></tr></thead>
                <tbody>
                    {versions.into_iter().map(|v| {
                        let on: Vec<String> = labels.iter().filter(|l| l.version == v.version).map(|l| l.name.clone()).collect();
                        view! { <VersionRow v labels=on latest_n production confirming dialog rollback id/> }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn VersionRow(
    v: VersionInfo,
    labels: Vec<String>,
    latest_n: i64,
    production: Option<i64>,
    confirming: RwSignal<Option<i64>>,
    dialog: RwSignal<Option<LabelRequest>>,
    rollback: ServerAction<RollbackPersona>,
    id: i64,
) -> impl IntoView {
    let n = v.version;
    let short = v.checksum.chars().take(10).collect::<String>();
    let s = &v.settings;
    let settings = format!(
        "{} · {} · temperature {} · top p {} · max tokens {}{}",
        v.kind.as_str(),
        match (s.provider.as_str(), s.model.as_str()) {
            ("", "") => "server default model".to_string(),
            (p, "") => p.to_string(),
            ("", m) => m.to_string(),
            (p, m) => format!("{p}/{m}"),
        },
        s.temperature,
        s.top_p,
        s.max_tokens,
        if v.variables.is_empty() {
            String::new()
        } else {
            format!(" · declares {}", v.variables.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "))
        }
    );
    let promote = move |_| dialog.set(Some(LabelRequest { label: PRODUCTION.into(), version: n }));
    view! {
        <tr data-version=n>
            <td>
                {format!("v{n}")}
                <span class="row-labels" data-testid=format!("labels-v{n}")>
                    {labels.into_iter().map(|l| {
                        let class = if l == PRODUCTION { "badge production" } else { "badge" };
                        view! { " " <span class=class>{l}</span> }
                    }).collect_view()}
                </span>
            </td>
            <td data-label="Note">
                <details>
                    <summary>{if v.note.is_empty() { "(no note)".to_string() } else { v.note.clone() }}</summary>
                    <pre class="template">{v.content.clone()}</pre>
                    <p class="hint">{settings}</p>
                </details>
            </td>
            <td data-label="Author">{v.author.clone()}</td>
            <td data-label="Saved">{format_time(v.created_at)}</td>
            <td data-label="Checksum"><code title=v.checksum.clone()>{short}</code></td>
            <td class="row-actions">
                {(n > 1).then(|| view! {
                    <A href=format!("/dashboard/personas/{id}/diff?from={}&to={n}", n - 1)>{format!("Compare with v{}", n - 1)}</A>
                    " "
                })}
                {(production != Some(n)).then(|| view! {
                    <button type="button" class="secondary" on:click=promote>
                        {if production.is_some() { "Promote to production".to_string() } else { format!("Publish v{n}") }}
                    </button>
                    " "
                })}
                {(n != latest_n).then(|| view! {
                    <Show
                        when=move || confirming.get() == Some(n)
                        fallback=move || view! {
                            <button type="button" class="link" on:click=move |_| confirming.set(Some(n))>
                                {format!("Roll back to v{n}…")}
                            </button>
                        }
                    >
                        <div class="rollback-choices" role="group" aria-label=format!("Roll back to v{n}")>
                            {production.filter(|p| *p > n).map(|_| view! {
                                <div>
                                    <button type="button" on:click=move |_| {
                                        confirming.set(None);
                                        dialog.set(Some(LabelRequest { label: PRODUCTION.into(), version: n }));
                                    }>{format!("Move production back to v{n}")}</button>
                                    <p class="hint">"Chat answers with this version again; no new version is made."</p>
                                </div>
                            })}
                            <div>
                                <button type="button" class="secondary" on:click=move |_| {
                                    rollback.dispatch(RollbackPersona { id, version: n });
                                    confirming.set(None);
                                }>{format!("Restore v{n} as a new version")}</button>
                                <p class="hint">"Copies it as the newest version to edit on; production does not move."</p>
                            </div>
                            <button type="button" class="link" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        </div>
                    </Show>
                })}
            </td>
        </tr>
    }
}

/// Who moved which label when, newest first.
#[component]
pub fn LabelHistory(moves: Vec<LabelMove>) -> impl IntoView {
    view! {
        <section aria-labelledby="label-history-title">
            <h2 id="label-history-title">"Label history"</h2>
            {if moves.is_empty() {
                view! { <p class="empty">"No label has moved yet."</p> }.into_any()
            } else {
                view! {
                    <table class="list label-moves stack-narrow" data-testid="label-moves">
                        <thead><tr><th>"When"</th><th>"Who"</th><th>"Label"</th><th>"Change"</th></tr></thead>
                        <tbody>
                            {moves.into_iter().map(|m| {
                                let change = match (m.from_version, m.to_version) {
                                    (Some(f), Some(t)) => format!("v{f} → v{t}"),
                                    (None, Some(t)) => format!("created at v{t}"),
                                    (Some(f), None) => format!("removed (was v{f})"),
                                    (None, None) => "—".to_string(),
                                };
                                view! {
                                    <tr>
                                        <td data-label="When">{format_time(m.created_at)}</td>
                                        <td data-label="Who">{m.actor}</td>
                                        <td data-label="Label"><span class="badge">{m.label}</span></td>
                                        <td data-label="Change">{change}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
