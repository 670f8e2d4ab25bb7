//! `/dashboard/guardrails/:id`: one rule set. Its rules in order (add, remove, move up /
//! down; type, pattern, action, reply, priority), "test this text" (which draft rules
//! match, live), a backtest of the draft over the stored messages of the last N days,
//! which personas use it, save and delete (after a confirmation). A preset is shown
//! read-only with a form to copy it.

use super::api::{
    backtest_guardrail, delete_guardrail, guardrail_page, save_guardrail, set_guardrail_personas, test_guardrail_text,
    CreateGuardrail,
};
use crate::components::{format_time, percent_encode, ErrorBox, FieldError, Loading};
use crate::error::AppResult;
use crate::types::{
    BacktestReport, BacktestRequest, GuardrailEditorData, GuardrailPatch, GuardrailRule, RuleAction, RuleKind,
    RuleMatch,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::collections::BTreeSet;

/// A rule being edited, with a key that survives reordering.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    key: u64,
    rule: GuardrailRule,
}

/// The draft rules, in order.
#[derive(Clone, Copy)]
struct Rules(RwSignal<Vec<Draft>>);

impl Rules {
    fn current(self) -> Vec<GuardrailRule> {
        self.0.with(|v| v.iter().map(|d| d.rule.clone()).collect())
    }

    fn edit(self, key: u64, f: impl FnOnce(&mut GuardrailRule)) {
        self.0.update(|v| {
            if let Some(d) = v.iter_mut().find(|d| d.key == key) {
                f(&mut d.rule)
            }
        });
    }

    /// Moves rule `key` by `by` places (−1 up, +1 down), if it can.
    fn shift(self, key: u64, by: isize) {
        self.0.update(|v| {
            if let Some(i) = v.iter().position(|d| d.key == key) {
                let j = i as isize + by;
                if j >= 0 && (j as usize) < v.len() {
                    v.swap(i, j as usize);
                }
            }
        });
    }
}

#[component]
pub fn GuardrailEditor() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let page = Resource::new(id, guardrail_page);
    view! {
        <p><A href="/dashboard/guardrails">"← All guardrails"</A></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Editor p/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Editor(p: GuardrailEditorData) -> impl IntoView {
    let g = p.guardrail.clone();
    let id = g.id;
    let read_only = g.is_system;
    let next = StoredValue::new(g.rules.len() as u64);
    let rules = Rules(RwSignal::new(
        g.rules.iter().cloned().enumerate().map(|(i, rule)| Draft { key: i as u64, rule }).collect(),
    ));
    let name = RwSignal::new(g.name.clone());
    let description = RwSignal::new(g.description.clone().unwrap_or_default());
    let active = RwSignal::new(g.is_active);
    let save = Action::new(move |patch: &GuardrailPatch| save_guardrail(id, patch.clone()));
    let on_save = move |_| {
        save.dispatch(GuardrailPatch {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
            rules: Some(rules.current()),
            is_active: Some(active.get_untracked()),
        });
    };
    let add = move |_| {
        let key = next.get_value();
        next.set_value(key + 1);
        let rule = GuardrailRule { kind: Some(RuleKind::BlockInput), ..Default::default() };
        rules.0.update(|v| v.push(Draft { key, rule }));
    };
    let save_error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <div class="page-head">
            <h1>{format!("Guardrail {}", g.name)}</h1>
            {read_only.then(|| view! { <span class="badge muted-badge">"preset (read-only)"</span> })}
        </div>
        {read_only.then(|| view! { <CopyPreset from=g.name.clone()/> })}
        <section class="guardrail-meta stack" aria-label="Settings">
            <label>"Name"
                <input type="text" value=g.name.clone() disabled=read_only aria-describedby="name-error"
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <FieldError error=save_error field="name"/>
            <label>"Description"
                <input type="text" value=g.description.clone().unwrap_or_default() disabled=read_only
                    on:input=move |ev| description.set(event_target_value(&ev))/>
            </label>
            <label class="inline-check">
                <input type="checkbox" checked=g.is_active disabled=read_only
                    on:change=move |ev| active.set(event_target_checked(&ev))/>
                " Active (off: chats using it are not checked)"
            </label>
        </section>
        <section class="guardrail-rules" aria-label="Rules">
            <h2>"Rules"</h2>
            <p class="muted">
                "Checked in order; when several match, halt wins over block, block over flag. Keywords match "
                "whole words, any case; a regex uses Rust syntax ((?i) for any case)."
            </p>
            {move || rules.0.with(Vec::is_empty).then(|| view! { <p class="empty">"No rules yet."</p> })}
            <ol class="rules">
                <For each=move || rules.0.get() key=|d| d.key let:d>
                    <RuleRow key=d.key rules read_only/>
                </For>
            </ol>
            {(!read_only).then(|| view! {
                <div class="row">
                    <button type="button" on:click=add>"Add rule"</button>
                    <button type="button" class="primary" on:click=on_save disabled=move || save.pending().get()>
                        "Save guardrail"
                    </button>
                </div>
            })}
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <p class="ok" role="status">"Saved."</p> }.into_any(),
                Err(crate::error::AppError::Invalid { field: Some(f), .. }) if f == "name" => ().into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
        </section>
        <TestBox rules/>
        <Backtest rules/>
        <PersonaPicker p=p.clone()/>
        {(!read_only).then(|| view! { <DeleteGuardrail id name=g.name.clone()/> })}
    }
}

/// One rule's fields (which ones depends on its type).
#[component]
fn RuleRow(key: u64, rules: Rules, read_only: bool) -> impl IntoView {
    let initial = move || rules.0.with_untracked(|v| v.iter().find(|d| d.key == key).map(|d| d.rule.clone()));
    let pos = Memo::new(move |_| rules.0.with(|v| v.iter().position(|d| d.key == key).unwrap_or(0)));
    let kind = Memo::new(move |_| rules.0.with(|v| v.iter().find(|d| d.key == key).and_then(|d| d.rule.kind)));
    let r = initial().unwrap_or_default();
    let fields = move || {
        let r = initial().unwrap_or_default();
        let action_reply = move |r: &GuardrailRule| {
            let current = r.effective_action();
            view! {
                <label>"Action"
                    <select disabled=read_only on:change=move |ev| {
                        let a = RuleAction::parse(&event_target_value(&ev));
                        rules.edit(key, |r| r.action = a);
                    }>
                        {RuleAction::ALL.into_iter().map(|a| view! {
                            <option value=a.as_str() selected=a == current>{a.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Reply the user sees instead (block)"
                    <input type="text" value=r.reply.clone().unwrap_or_default() disabled=read_only
                        on:input=move |ev| { let t = event_target_value(&ev); rules.edit(key, |r| r.reply = Some(t).filter(|t| !t.is_empty())); }/>
                </label>
            }
        };
        match kind.get() {
            Some(RuleKind::SystemInstruction) => view! {
                <label>"Instruction (added to the system prompt)"
                    <textarea rows="2" disabled=read_only
                        on:input=move |ev| { let t = event_target_value(&ev); rules.edit(key, |r| r.content = Some(t)); }>
                        {r.content.clone().unwrap_or_default()}
                    </textarea>
                </label>
                <label>"Priority (higher first)"
                    <input type="number" value=r.priority disabled=read_only
                        on:input=move |ev| { let n = event_target_value(&ev).parse().unwrap_or(0); rules.edit(key, |r| r.priority = n); }/>
                </label>
            }
            .into_any(),
            Some(RuleKind::MaxInputChars) => view! {
                <label>"Longest message (characters)"
                    <input type="number" min="1" value=r.max_chars.unwrap_or(2000) disabled=read_only
                        on:input=move |ev| { let n = event_target_value(&ev).parse().ok(); rules.edit(key, |r| r.max_chars = n); }/>
                </label>
                {action_reply(&r)}
            }
            .into_any(),
            _ => view! {
                <label>"Keywords (one per line)"
                    <textarea rows="3" disabled=read_only
                        on:input=move |ev| {
                            let t = event_target_value(&ev);
                            rules.edit(key, |r| r.keywords = t.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect());
                        }>
                        {r.keywords.join("\n")}
                    </textarea>
                </label>
                <label>"Regex (optional)"
                    <input type="text" value=r.regex.clone().unwrap_or_default() disabled=read_only spellcheck="false"
                        on:input=move |ev| { let t = event_target_value(&ev); rules.edit(key, |r| r.regex = Some(t).filter(|t| !t.is_empty())); }/>
                </label>
                {action_reply(&r)}
            }
            .into_any(),
        }
    };
    let current_kind = r.kind;
    view! {
        <li class="rule">
            <fieldset aria-label=move || format!("Rule {}", pos.get() + 1)>
                <legend>{move || format!("Rule {}", pos.get() + 1)}</legend>
                <div class="row">
                    <label>"Type"
                        <select disabled=read_only on:change=move |ev| {
                            let k = RuleKind::parse(&event_target_value(&ev));
                            rules.edit(key, |r| r.kind = k);
                        }>
                            {RuleKind::ALL.into_iter().map(|k| view! {
                                <option value=k.as_str() selected=Some(k) == current_kind>{k.as_str()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"Name"
                        <input type="text" value=r.name.clone().unwrap_or_default() disabled=read_only placeholder="e.g. self-harm"
                            on:input=move |ev| { let t = event_target_value(&ev); rules.edit(key, |r| r.name = Some(t).filter(|t| !t.is_empty())); }/>
                    </label>
                </div>
                {fields}
                {(!read_only).then(|| view! {
                    <div class="row rule-controls">
                        <button type="button" class="link" on:click=move |_| rules.shift(key, -1)>"Move up"</button>
                        <button type="button" class="link" on:click=move |_| rules.shift(key, 1)>"Move down"</button>
                        <button type="button" class="link danger-link"
                            on:click=move |_| rules.0.update(|v| v.retain(|d| d.key != key))>"Remove rule"</button>
                    </div>
                })}
            </fieldset>
        </li>
    }
}

/// "Test this text": which of the draft rules match, as the operator types (browser
/// only: each change of the text or the rules asks the server again; a late answer to an
/// older question is dropped).
#[component]
fn TestBox(rules: Rules) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let result = RwSignal::new(None::<AppResult<Vec<RuleMatch>>>);
    let runs = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (draft, sample) = (rules.current(), text.get());
        let n = runs.get_value() + 1;
        runs.set_value(n);
        if sample.trim().is_empty() {
            result.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            let found = test_guardrail_text(draft, sample).await;
            if runs.try_get_value() == Some(n) {
                result.try_set(Some(found));
            }
        });
    });
    view! {
        <section class="guardrail-test" aria-labelledby="test-title">
            <h2 id="test-title">"Test this text"</h2>
            <label>"Text"
                <textarea rows="2" placeholder="Type a message or a reply…"
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <div aria-live="polite" data-testid="test-result">
                {move || result.get().map(|r| match r {
                    Ok(found) if found.is_empty() => view! { <p class="muted">"No rule matches."</p> }.into_any(),
                    Ok(found) => view! {
                        <ul class="matches">
                            {found.into_iter().map(|m| view! {
                                <li><strong>{m.rule}</strong>{format!(" ({}) → {}: ", m.kind.as_str(), m.action.as_str())}
                                    <span class="muted">{m.excerpt}</span></li>
                            }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                })}
            </div>
        </section>
    }
}

/// The backtest: the draft rules over the stored messages of the last N days.
#[component]
fn Backtest(rules: Rules) -> impl IntoView {
    let days = RwSignal::new(7i64);
    let run = Action::new(move |(rules, days): &(Vec<GuardrailRule>, i64)| {
        backtest_guardrail(BacktestRequest { rules: rules.clone(), days: Some(*days), limit: Some(50) })
    });
    view! {
        <section class="guardrail-backtest" aria-labelledby="backtest-title">
            <h2 id="backtest-title">"Backtest"</h2>
            <p class="muted">"What these rules (as edited, unsaved) would have done to the messages of the last days."</p>
            <div class="row">
                <label>"Days"
                    <input type="number" min="1" max="90" value="7"
                        on:input=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(7))/>
                </label>
                <button type="button" disabled=move || run.pending().get()
                    on:click=move |_| { run.dispatch((rules.current(), days.get_untracked())); }>"Run backtest"</button>
            </div>
            {move || run.pending().get().then(|| view! { <Loading/> })}
            {move || run.value().get().map(backtest_result)}
        </section>
    }
}

fn backtest_result(r: AppResult<BacktestReport>) -> AnyView {
    match r {
        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        Ok(r) => view! {
            <p data-testid="backtest-counts">
                {format!(
                    "{} messages of the last {} days checked: {} blocked, {} flagged, {} halted.",
                    r.scanned, r.days, r.blocked, r.flagged, r.halted
                )}
            </p>
            {r.hits.is_empty().then(|| view! { <p class="empty">"Nothing would have been caught."</p> })}
            <ul class="backtest-hits">
                {r.hits.into_iter().map(|h| {
                    let rules: Vec<String> = h.matches.iter().map(|m| m.rule.clone()).collect();
                    view! {
                        <li>
                            <span class=format!("badge guardrail-hit {}", h.action.as_str())>{h.action.as_str()}</span>" "
                            <A href=format!("/dashboard/monitor/{}", percent_encode(&h.user_id))>{h.user_id.clone()}</A>
                            {format!(" ({}, {}) — {}: ", h.sender, format_time(h.created_at), rules.join(", "))}
                            <span class="muted">{h.preview}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {r.truncated.then(|| view! { <p class="muted">"More messages matched; the newest are listed."</p> })}
        }
        .into_any(),
    }
}

/// "Used by personas": which personas use this set.
#[component]
fn PersonaPicker(p: GuardrailEditorData) -> impl IntoView {
    let id = p.guardrail.id;
    let chosen: RwSignal<BTreeSet<i64>> =
        RwSignal::new(p.personas.iter().filter(|x| x.guardrail_id == Some(id)).map(|x| x.id).collect());
    let save = Action::new(move |ids: &Vec<i64>| set_guardrail_personas(id, ids.clone()));
    let names = p.names.clone();
    view! {
        <section class="guardrail-personas" aria-labelledby="personas-title">
            <h2 id="personas-title">"Used by personas"</h2>
            {p.personas.is_empty().then(|| view! { <p class="empty">"No personas yet."</p> })}
            <ul class="plain">
                {p.personas.into_iter().map(|x| {
                    let other = x.guardrail_id.filter(|g| *g != id).and_then(|g| names.iter().find(|(i, _)| *i == g)).map(|(_, n)| n.clone());
                    let pid = x.id;
                    view! {
                        <li>
                            <label class="inline-check">
                                <input type="checkbox" checked=move || chosen.with(|c| c.contains(&pid))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { if on { c.insert(pid); } else { c.remove(&pid); } });
                                    }/>
                                {format!(" {}", x.name)}
                            </label>
                            {other.map(|n| view! { <span class="muted">{format!(" (now uses {n})")}</span> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <button type="button" disabled=move || save.pending().get()
                on:click=move |_| { save.dispatch(chosen.get_untracked().into_iter().collect()); }>"Save personas"</button>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <p class="ok" role="status">"Personas saved."</p> }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
        </section>
    }
}

/// A preset's "Copy this preset" form; opens the copy.
#[component]
fn CopyPreset(from: String) -> impl IntoView {
    let create = ServerAction::<CreateGuardrail>::new();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(g)) = create.value().get() {
            navigate(&format!("/dashboard/guardrails/{}", g.id), Default::default());
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <ActionForm action=create attr:class="row copy-preset">
            <input type="hidden" name="copy_from" value=from.clone()/>
            <label>"Copy as" <input type="text" name="name" required value=format!("my_{from}")/></label>
            <button type="submit" disabled=move || create.pending().get()>"Copy this preset"</button>
            <FieldError error/>
        </ActionForm>
    }
}

/// Delete, after a confirmation; back to the list.
#[component]
fn DeleteGuardrail(id: i64, name: String) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let delete = Action::new(move |_: &()| delete_guardrail(id));
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/dashboard/guardrails", Default::default());
        }
    });
    view! {
        <section class="danger-zone">
            <Show when=move || confirming.get() fallback=move || view! {
                <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Delete guardrail"</button>
            }>
                <div class="confirm" role="group" aria-label="Confirm delete">
                    <span>{format!("Delete the guardrail {name}? This cannot be undone.")}</span>
                    <button type="button" class="danger" on:click=move |_| { delete.dispatch(()); }>"Delete for good"</button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
