//! Bar charts as inline SVG, rendered on the server and hydrated as they are: axis with
//! round ticks, labels under the bars, the value written above each bar when there is
//! room (else above the tallest), and the same numbers as a table — readable without
//! hovering, without JavaScript and by a screen reader.

use leptos::prelude::*;

/// The drawing box (SVG user units; a `wide` chart is twice as wide, so its text keeps
/// its size across the page) and its margins: left for the axis labels, bottom for the
/// bar labels, top for the value labels.
const W: f64 = 480.0;
const WIDE: f64 = 960.0;
const H: f64 = 180.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 18.0;
const BOTTOM: f64 = 26.0;

/// One bar: what it counts (the table's row, the tooltip), its label under the axis
/// (empty: none — dense charts label every few bars), its value, and the value as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub name: String,
    pub label: String,
    pub value: f64,
    pub text: String,
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v` (1 for 0 or less): the axis' top.
pub fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= v - 1e-9 {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Each bar's (x, y, width, height) in a drawing box `w` wide, and the axis' top value.
pub fn layout(values: &[f64], w: f64) -> (f64, Vec<(f64, f64, f64, f64)>) {
    let top = nice_max(values.iter().cloned().fold(0.0, f64::max));
    let n = values.len().max(1) as f64;
    let slot = (w - LEFT - RIGHT) / n;
    let width = (slot * 0.8).max(1.0);
    let plot = H - TOP - BOTTOM;
    let rects = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = (v.max(0.0) / top) * plot;
            (LEFT + i as f64 * slot + (slot - width) / 2.0, TOP + plot - h, width, h)
        })
        .collect();
    (top, rects)
}

/// A number for an axis tick: 1.5k, 2M, 0.5.
pub fn tick(v: f64) -> String {
    let (v, suffix) = if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if (v - v.round()).abs() < 1e-9 { format!("{v:.0}") } else { format!("{v:.1}") };
    format!("{s}{suffix}")
}

/// A bar chart with a title (the `<h3>` and the SVG's accessible name), a one-line
/// description, and the numbers in a table under "As a table".
#[component]
pub fn BarChart(
    /// Prefix of the element ids; also the `data-testid`.
    id: &'static str,
    title: String,
    desc: String,
    bars: Vec<Bar>,
    /// The value column's heading in the table.
    value_name: &'static str,
    /// Spans the page's width (and draws on a wider box).
    #[prop(optional)]
    wide: bool,
) -> impl IntoView {
    let width = if wide { WIDE } else { W };
    let values: Vec<f64> = bars.iter().map(|b| b.value).collect();
    let (top, rects) = layout(&values, width);
    let plot_bottom = H - BOTTOM;
    let y_of = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v / top);
    // Values over every bar when they fit (≤ 12 bars), else over the tallest only.
    let label_all = bars.len() <= 12;
    let tallest = values.iter().enumerate().fold(None::<(usize, f64)>, |best, (i, v)| match best {
        Some((_, b)) if b >= *v => best,
        _ if *v > 0.0 => Some((i, *v)),
        _ => best,
    });
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let described_by = desc_id.clone();
    let ticks = [0.0, top / 2.0, top];
    let svg_bars = bars
        .iter()
        .zip(rects)
        .enumerate()
        .map(|(i, (b, (x, y, w, h)))| {
            let show = b.value > 0.0 && (label_all || tallest.map(|t| t.0) == Some(i));
            view! {
                <g class="bar">
                    <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{w:.1}") height=format!("{h:.1}")>
                        <title>{format!("{}: {}", b.name, b.text)}</title>
                    </rect>
                    {show.then(|| view! {
                        <text class="value" x=format!("{:.1}", x + w / 2.0) y=format!("{:.1}", y - 3.0)
                            text-anchor="middle">{b.text.clone()}</text>
                    })}
                    {(!b.label.is_empty()).then(|| view! {
                        <text class="label" x=format!("{:.1}", x + w / 2.0) y=format!("{:.1}", plot_bottom + 14.0)
                            text-anchor="middle">{b.label.clone()}</text>
                    })}
                </g>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        // Never an empty text node: the browser drops those and hydration then fails.
        .map(|b| view! { <tr><td>{b.name.clone()}</td><td class="num">{b.text.clone()}</td></tr> })
        .collect_view();
    view! {
        <figure class=if wide { "chart wide" } else { "chart" } data-testid=id>
            <h3 id=title_id.clone()>{title.clone()}</h3>
            <svg viewBox=format!("0 0 {width} {H}") role="img" aria-labelledby=title_id aria-describedby=described_by
                width="100%">
                <desc id=desc_id>{desc.clone()}</desc>
                {ticks.into_iter().map(|t| view! {
                    <line class="grid" x1=LEFT x2={width - RIGHT} y1=format!("{:.1}", y_of(t)) y2=format!("{:.1}", y_of(t))/>
                    <text class="tick" x={LEFT - 4.0} y=format!("{:.1}", y_of(t)) text-anchor="end"
                        dominant-baseline="middle">{tick(t)}</text>
                }).collect_view()}
                {svg_bars}
            </svg>
            <figcaption class="muted">{desc}</figcaption>
            <details>
                <summary>"As a table"</summary>
                <table class="list compact">
                    <thead><tr><th>{title}</th><th>{value_name}</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

/// Horizontal bars in HTML for named categories (persona versions): each row has its
/// name, a bar as wide as its share of the largest value, and the value written out —
/// long names wrap instead of overlapping, at any screen width.
#[component]
pub fn HBars(
    /// The `data-testid` and the prefix of the heading's id.
    id: &'static str,
    title: String,
    bars: Vec<Bar>,
) -> impl IntoView {
    let top = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let title_id = format!("{id}-title");
    let rows = bars
        .into_iter()
        .map(|b| {
            let share = if top > 0.0 { (b.value.max(0.0) / top * 100.0).round() } else { 0.0 };
            view! {
                <li>
                    <span class="name">{b.name.clone()}</span>
                    <span class="track"><span class="fill" style=format!("width: {share}%")></span></span>
                    <span class="val">{b.text.clone()}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart hbars" data-testid=id>
            <h3 id=title_id.clone()>{title}</h3>
            <ul aria-labelledby=title_id>{rows}</ul>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(1.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(450.0), 500.0);
        assert_eq!(nice_max(2001.0), 5000.0);
    }

    #[test]
    fn bars_scale_to_the_top_and_stand_on_the_axis() {
        let (top, r) = layout(&[5.0, 10.0, 0.0], W);
        assert_eq!(top, 10.0);
        let plot = H - TOP - BOTTOM;
        assert!((r[1].3 - plot).abs() < 1e-9, "the tallest bar fills the plot");
        assert!((r[0].3 - plot / 2.0).abs() < 1e-9);
        assert_eq!(r[2].3, 0.0);
        for (_, y, _, h) in &r {
            assert!((y + h - (H - BOTTOM)).abs() < 1e-9, "every bar ends on the axis");
        }
        assert!(r[0].0 < r[1].0 && r[1].0 < r[2].0, "left to right in order");
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(2500.0), "2.5k");
        assert_eq!(tick(2_000_000.0), "2M");
        assert_eq!(tick(0.5), "0.5");
    }
}
