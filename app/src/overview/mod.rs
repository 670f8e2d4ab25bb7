//! The Overview (`/dashboard`, the dashboard's first page): today's cards, charts over
//! the last 24 hours / 7 days / 30 days (`?range=24h|7d|30d`, links that work without
//! JavaScript), and figures per persona version so a new version's effect shows the
//! day it is promoted. Figures come from `engine::stats`.

pub mod api;
pub mod charts;
mod prices;

use crate::components::{format_time, ErrorBox, Loading};
use crate::types::{StatsOverview, StatsRange, VersionStats};
use api::load_overview;
use charts::{Bar, BarChart, HBars};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A count with thin thousands separators: 1 234 567.
pub fn count(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A duration (ms) as "850 ms" or "1.4 s"; "—" for none.
pub fn millis(ms: Option<f64>) -> String {
    match ms {
        None => "—".into(),
        Some(v) if v < 1000.0 => format!("{v:.0} ms"),
        Some(v) => format!("{:.1} s", v / 1000.0),
    }
}

/// A share (0–100) as "2.5%"; "—" for none.
pub fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into())
}

fn range_label(r: StatsRange) -> &'static str {
    match r {
        StatsRange::Day => "24 hours",
        StatsRange::Week => "7 days",
        StatsRange::Month => "30 days",
    }
}

/// `/dashboard`.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let range = move || query.read().get("range").and_then(|r| StatsRange::parse(&r)).unwrap_or_default();
    let data = Resource::new(range, |r| load_overview(r.as_str().to_string()));
    view! {
        <div class="page-head">
            <h1>"Overview"</h1>
            <nav class="tabs" aria-label="Range">
                {StatsRange::ALL.into_iter().map(|r| view! {
                    <a href=format!("/dashboard?range={}", r.as_str()) aria-current=move || (range() == r).then_some("page")>
                        {range_label(r)}
                    </a>
                }).collect_view()}
            </nav>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! { <OverviewBody o/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        <crate::components::ClientOnly><prices::PricesSection/></crate::components::ClientOnly>
    }
}

#[component]
fn Card(
    label: &'static str,
    value: String,
    #[prop(optional)] sub: Option<String>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="card" data-testid=testid>
            <dt>{label}</dt>
            <dd class="value">{value}</dd>
            {sub.map(|s| view! { <dd class="sub muted">{s}</dd> })}
        </div>
    }
}

#[component]
fn OverviewBody(o: StatsOverview) -> impl IntoView {
    let c = o.cards.clone();
    let cost = match (c.cost_today_usd, c.unpriced_models.is_empty()) {
        (Some(v), true) => (format!("${v:.2}"), Some("from the model prices below".to_string())),
        (Some(v), false) => {
            (format!("${v:.2}"), Some(format!("without {}: no price set", c.unpriced_models.join(", "))))
        }
        (None, false) => ("—".into(), Some(format!("Set a price for {} below", c.unpriced_models.join(", ")))),
        (None, true) => ("$0.00".into(), Some("no LLM calls today".into())),
    };
    let step = o.range.step_ms();
    let label_of = {
        let n = o.series.len();
        move |i: usize, start: i64| -> String {
            let t = chrono::DateTime::from_timestamp_millis(start).unwrap_or_default();
            match o.range {
                StatsRange::Day if i.is_multiple_of(3) || i + 1 == n => t.format("%H:00").to_string(),
                StatsRange::Week if t.format("%H").to_string() == "00" => t.format("%a").to_string(),
                StatsRange::Month if i.is_multiple_of(5) || i + 1 == n => t.format("%d %b").to_string(),
                _ => String::new(),
            }
        }
    };
    let name_of = |start: i64| -> String {
        let t = chrono::DateTime::from_timestamp_millis(start).unwrap_or_default();
        if step == crate::types::DAY_MS {
            t.format("%a %d %b").to_string()
        } else {
            t.format("%a %d %b %H:00").to_string()
        }
    };
    let per = if step == crate::types::DAY_MS { "day" } else { "hour" };
    let total_messages: i64 = o.series.iter().map(|p| p.messages).sum();
    let total_errors: i64 = o.series.iter().map(|p| p.chat_errors).sum();
    let total_turns: i64 = o.series.iter().map(|p| p.chat_requests).sum();
    // One bar per point of the series, for the figure `value` picks.
    let series_bars = |value: fn(&crate::types::SeriesPoint) -> i64| -> Vec<Bar> {
        o.series
            .iter()
            .enumerate()
            .map(|(i, p)| Bar {
                name: name_of(p.start),
                label: label_of(i, p.start),
                value: value(p) as f64,
                text: count(value(p)),
            })
            .collect()
    };
    let message_bars = series_bars(|p| p.messages);
    let error_bars = series_bars(|p| p.chat_errors);
    let latency_n: i64 = o.latency.iter().map(|b| b.count).sum();
    let mut prev = 0;
    let latency_bars: Vec<Bar> = o
        .latency
        .iter()
        .map(|b| {
            let (label, name) = match b.le_ms {
                Some(le) => {
                    let name = format!("{prev}–{le} ms");
                    prev = le;
                    (format!("≤{}", charts::tick(le as f64)), name)
                }
                None => (format!(">{}", charts::tick(prev as f64)), format!("over {prev} ms")),
            };
            Bar { name, label, value: b.count as f64, text: count(b.count) }
        })
        .collect();
    let span = range_label(o.range);
    let versions: Vec<VersionStats> = o.versions.iter().filter(|v| v.version > 0).cloned().collect();
    let empty = total_messages == 0 && total_turns == 0;
    view! {
        <p class="muted as-of">
            {format!(
                "As of {}. Chats and returning users count hours up to {}.",
                format_time(o.now),
                format_time(o.aggregated_until)
            )}
        </p>
        <dl class="cards">
            <Card label="Active users" value=count(c.active_users_hour) sub=format!("{} today", count(c.active_users_today)) testid="card-active-users"/>
            <Card label="Messages today" value=count(c.messages_today) testid="card-messages"/>
            <Card label="Halted now" value=count(c.halted_now) sub="conversations".to_string() testid="card-halted"/>
            <Card label="Response time" value=millis(c.avg_response_ms) sub=format!("p95 ≈ {}", millis(c.p95_response_ms)) testid="card-response"/>
            <Card label="Time to first token" value=millis(c.avg_ttft_ms) testid="card-ttft"/>
            <Card label="Error rate" value=pct(Some(c.error_rate_percent)) sub=format!("{} of {} turns", count(c.chat_errors_today), count(c.chat_requests_today)) testid="card-errors"/>
            <Card label="Tokens today" value=format!("{} in", count(c.prompt_tokens_today)) sub=format!("{} out", count(c.completion_tokens_today)) testid="card-tokens"/>
            <Card label="Estimated cost today" value=cost.0 sub=cost.1.unwrap_or_else(|| "—".into()) testid="card-cost"/>
            <Card label="Guardrail hits today" value=count(c.guardrail_hits_today) testid="card-guardrails"/>
        </dl>
        {empty.then(|| view! {
            <p class="empty">
                <span>{format!("No conversations in the last {span} yet.")}</span>" "
                <a href="/chat" target="_blank" rel="noopener">"Open the chat to start one."</a>
            </p>
        })}
        <div class="charts">
            <BarChart id="chart-messages" title=format!("Messages per {per}") value_name="Messages"
                desc=format!("{} messages in the last {span}.", count(total_messages)) bars=message_bars wide=true/>
            <BarChart id="chart-errors" title=format!("Failed turns per {per}") value_name="Failed turns"
                desc=format!("{} of {} turns failed in the last {span}.", count(total_errors), count(total_turns)) bars=error_bars/>
            <BarChart id="chart-latency" title="Response time".to_string() value_name="Turns"
                desc=format!("{} successful turns in the last {span}, by how long the reply took (ms).", count(latency_n)) bars=latency_bars/>
        </div>
        <VersionSection versions span/>
    }
}

/// Per persona version: small charts of the measures, then every figure in a table.
#[component]
fn VersionSection(versions: Vec<VersionStats>, span: &'static str) -> impl IntoView {
    if versions.is_empty() {
        return view! {
            <section class="versions" aria-labelledby="versions-title">
                <h2 id="versions-title">"By persona and version"</h2>
                <p class="empty">{format!("No persona has answered anyone in the last {span}.")}</p>
            </section>
        }
        .into_any();
    }
    let name = |v: &VersionStats| format!("{} v{}", v.persona, v.version);
    let chart = |id: &'static str, title: &str, f: &dyn Fn(&VersionStats) -> (f64, String)| {
        let bars = versions
            .iter()
            .map(|v| {
                let (value, text) = f(v);
                Bar { name: name(v), label: String::new(), value, text }
            })
            .collect::<Vec<_>>();
        view! { <HBars id title=title.to_string() bars/> }
    };
    let charts = view! {
        <div class="charts versions-charts">
            {chart("chart-version-replies", "Replies", &|v| (v.replies as f64, count(v.replies)))}
            {chart("chart-version-response", "Mean response time", &|v| (v.avg_response_ms.unwrap_or(0.0), millis(v.avg_response_ms)))}
            {chart("chart-version-sentiment", "Mean user sentiment (valence, −1…1)", &|v| {
                (v.avg_sentiment.unwrap_or(0.0).max(0.0), v.avg_sentiment.map(|s| format!("{s:.2}")).unwrap_or_else(|| "—".into()))
            })}
            {chart("chart-version-takeover", "Takeover rate (chats an operator wrote in)", &|v| (v.takeover_percent.unwrap_or(0.0), pct(v.takeover_percent)))}
            {chart("chart-version-hits", "Guardrail hits", &|v| (v.guardrail_hits as f64, count(v.guardrail_hits)))}
        </div>
    };
    let rows = versions
        .iter()
        .map(|v| {
            let labels = v.labels.join(", ");
            view! {
                <tr data-testid="version-row">
                    <th scope="row"><a href=format!("/dashboard/personas/{}", v.persona_id)>{v.persona.clone()}</a></th>
                    <td><span>{format!("v{}", v.version)}</span>{(!labels.is_empty()).then(|| view! { <span class="badge">{labels}</span> })}</td>
                    <td class="num">{count(v.replies)}</td>
                    <td class="num">{millis(v.avg_response_ms)}</td>
                    <td class="num">{count(v.chat_errors)}</td>
                    <td class="num">{v.avg_sentiment.map(|s| format!("{s:.2}")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{count(v.guardrail_hits)}</td>
                    <td class="num">{count(v.chats)}</td>
                    <td class="num">{v.messages_per_chat.map(|m| format!("{m:.1}")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{v.chat_minutes.map(|m| format!("{m:.0} min")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{pct(v.takeover_percent)}</td>
                    <td class="num">{count(v.new_users)}</td>
                    <td class="num">{pct(v.returning_day1_percent)}</td>
                    <td class="num">{pct(v.returning_day7_percent)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="versions" aria-labelledby="versions-title">
            <h2 id="versions-title">"By persona and version"</h2>
            {charts}
            <div class="table-scroll">
                <table class="list version-stats">
                    <thead><tr>
                        <th>"Persona"</th><th>"Version"</th><th>"Replies"</th><th>"Mean response"</th><th>"Failed"</th>
                        <th>"Sentiment"</th><th>"Guardrail hits"</th><th>"Chats started"</th><th>"Messages / chat"</th>
                        <th>"Chat length"</th><th>"Takeover"</th><th>"New users"</th><th>"Back day 1"</th><th>"Back day 7"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="muted">"A chat counts for the version of its first reply; a user for the version of the first reply they got. "
                "Back day N: of those users, the share who wrote again exactly N days later (UTC days)."</p>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(count(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(count(999), "999");
        assert_eq!(millis(Some(850.0)), "850 ms");
        assert_eq!(millis(Some(1440.0)), "1.4 s");
        assert_eq!(millis(None), "—");
        assert_eq!(pct(Some(2.0)), "2.0%");
    }
}
