//! The monitor's sentiment panel for the chat on screen: a line chart of valence over the
//! chat's scored messages (inline SVG with a title, axis labels and a table of the same
//! numbers), the user's average over all their chats, and the chat's on/off switch.

use super::api::{load_session_sentiment, ToggleSessionSentiment};
use crate::components::{format_time, ErrorBox};
use crate::error::AppResult;
use crate::types::{SentimentAggregate, SentimentScore, SessionSentiment};
use leptos::prelude::*;

/// The chart's drawing box (SVG user units) and its inner margin.
const W: f64 = 320.0;
const H: f64 = 120.0;
const PAD: f64 = 18.0;

/// The points of the valence line: x spreads the scores evenly, oldest left; y maps
/// valence 1 to the top and −1 to the bottom of the box.
pub fn points(scores: &[SentimentScore]) -> Vec<(f64, f64)> {
    let n = scores.len();
    scores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let x = if n == 1 { W / 2.0 } else { PAD + i as f64 * (W - 2.0 * PAD) / (n - 1) as f64 };
            let y = PAD + (1.0 - (s.valence.clamp(-1.0, 1.0) + 1.0) / 2.0) * (H - 2.0 * PAD);
            (x, y)
        })
        .collect()
}

/// `points` as an SVG `points` attribute.
fn polyline(points: &[(f64, f64)]) -> String {
    points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")
}

/// A score as the table shows it.
fn num(v: f64) -> String {
    format!("{v:.2}")
}

/// The panel for chat `session` of `user_id`; reloads when `tick` moves (live events)
/// and after the switch is used. Loaded in the browser only (an effect, not a resource:
/// nothing of it runs while the server renders the conversation around it, so it cannot
/// disturb that render); a load that finishes after a newer one started is dropped.
#[component]
pub fn SentimentPanel(user_id: String, session: Memo<Option<i64>>, tick: RwSignal<u64>) -> impl IntoView {
    let toggle = ServerAction::<ToggleSessionSentiment>::new();
    let data = RwSignal::new(None::<AppResult<Option<SessionSentiment>>>);
    let loads = StoredValue::new(0u64);
    Effect::new(move |_| {
        let id = session.get();
        tick.track();
        toggle.version().track();
        let uid = user_id.clone();
        let n = loads.get_value() + 1;
        loads.set_value(n);
        leptos::task::spawn_local(async move {
            let loaded = match id {
                Some(id) => load_session_sentiment(uid, id).await.map(Some),
                None => Ok(None),
            };
            // `try_`: the view may be gone by now.
            if loads.try_get_value() == Some(n) {
                data.try_set(Some(loaded));
            }
        });
    });
    view! {
        <section aria-labelledby="sentiment-title" class="sentiment" data-testid="sentiment-panel">
            <h2 id="sentiment-title">"Sentiment"</h2>
            {move || match data.get() {
                None => view! { <p class="muted">"Loading sentiment…"</p> }.into_any(),
                Some(Ok(Some(s))) => view! { <SentimentBody s toggle/> }.into_any(),
                Some(Ok(None)) => view! { <p class="empty">"No chat yet."</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
            }}
            {move || toggle.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

#[component]
fn SentimentBody(s: SessionSentiment, toggle: ServerAction<ToggleSessionSentiment>) -> impl IntoView {
    let (session_id, on) = (s.session_id, s.enabled);
    let state = match (s.enabled, s.session_override) {
        (true, Some(_)) => "Scoring is on for this chat.",
        (false, Some(_)) => "Scoring is off for this chat.",
        (true, None) => "Scoring is on (the persona's setting).",
        (false, None) => "Scoring is off (the persona's setting).",
    };
    view! {
        <p class="muted" data-testid="sentiment-state">{state}" "
            <button type="button" class="link" on:click=move |_| {
                toggle.dispatch(ToggleSessionSentiment { session_id, enabled: !on });
            }>{if on { "Turn off for this chat" } else { "Turn on for this chat" }}</button>
        </p>
        {if s.scores.is_empty() {
            view! { <p class="empty">"No scored messages in this chat yet."</p> }.into_any()
        } else {
            view! { <Chart scores=s.scores.clone()/> }.into_any()
        }}
        {s.user_aggregate.map(|a| view! { <UserAverage a/> })}
    }
}

/// The valence line with its axes, then the numbers as a table.
#[component]
fn Chart(scores: Vec<SentimentScore>) -> impl IntoView {
    let pts = points(&scores);
    let line = polyline(&pts);
    let last = scores.last().map(|s| num(s.valence)).unwrap_or_default();
    let desc = format!("{} scored messages; the newest has valence {last}.", scores.len());
    let y = |v: f64| PAD + (1.0 - (v + 1.0) / 2.0) * (H - 2.0 * PAD);
    let rows = scores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            view! {
                <tr>
                    <td>{i + 1}</td>
                    <td>{format_time(s.created_at)}</td>
                    <td>{num(s.valence)}</td>
                    <td>{num(s.arousal)}</td>
                    <td>{num(s.dominance)}</td>
                    <td>{num(s.trust)}</td>
                    <td>{num(s.engagement)}</td>
                    <td>{num(s.confidence)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="sentiment-chart" data-testid="sentiment-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-labelledby="sentiment-chart-title"
                aria-describedby="sentiment-chart-desc" width="100%">
                <title id="sentiment-chart-title">"Valence of the user's messages over time"</title>
                <desc id="sentiment-chart-desc">{desc}</desc>
                <line class="axis" x1=PAD y1={y(0.0)} x2={W - PAD} y2={y(0.0)} stroke="#999" stroke-dasharray="3 3"/>
                <line class="axis" x1=PAD y1=PAD x2=PAD y2={H - PAD} stroke="#999"/>
                <text class="tick" font-size="9" fill="#666" x="2" y={y(1.0)} dominant-baseline="middle">"+1"</text>
                <text class="tick" font-size="9" fill="#666" x="2" y={y(0.0)} dominant-baseline="middle">"0"</text>
                <text class="tick" font-size="9" fill="#666" x="2" y={y(-1.0)} dominant-baseline="middle">"−1"</text>
                <text class="tick" font-size="9" fill="#666" x={W / 2.0} y={H - 2.0} text-anchor="middle">"messages, oldest → newest"</text>
                <polyline class="valence" fill="none" stroke="currentColor" stroke-width="2" points=line/>
                {pts.into_iter().map(|(cx, cy)| view! { <circle class="point" cx=cx cy=cy r="2.5" fill="currentColor"/> }).collect_view()}
            </svg>
            <figcaption>"Valence (−1 negative … +1 positive) per scored message"</figcaption>
            <details>
                <summary>"Scores as a table"</summary>
                <table class="list sentiment-table">
                    <thead><tr>
                        <th>"#"</th><th>"When"</th><th>"Valence"</th><th>"Arousal"</th><th>"Dominance"</th>
                        <th>"Trust"</th><th>"Engagement"</th><th>"Confidence"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

/// The user's average over all their chats.
#[component]
fn UserAverage(a: SentimentAggregate) -> impl IntoView {
    view! {
        <p data-testid="sentiment-user-average">
            {format!(
                "This user overall ({} scored message{}): valence {}, engagement {}, trust {}.",
                a.message_count,
                if a.message_count == 1 { "" } else { "s" },
                num(a.avg_valence),
                num(a.avg_engagement),
                num(a.avg_trust)
            )}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(valence: f64) -> SentimentScore {
        SentimentScore {
            id: 1,
            message_id: 1,
            session_id: 1,
            valence,
            arousal: 0.5,
            dominance: 0.5,
            trust: 0.5,
            engagement: 0.5,
            overall_sentiment: 0.0,
            confidence: 1.0,
            created_at: 0,
        }
    }

    #[test]
    fn valence_maps_top_to_bottom_and_oldest_left() {
        let p = points(&[score(1.0), score(0.0), score(-1.0)]);
        assert_eq!(p, vec![(PAD, PAD), (W / 2.0, H / 2.0), (W - PAD, H - PAD)]);
        assert_eq!(points(&[score(5.0)]), vec![(W / 2.0, PAD)], "one point sits in the middle, clamped");
    }
}
