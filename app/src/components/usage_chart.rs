//! A token's usage over the last 30 days as a small bar chart, rendered on
//! the server as SVG: a bar per UTC day of requests, the part refused by the
//! rate limit (429) in another colour on top. For screen readers the chart
//! is one image with a label that sums it up, each day has a `<title>` with
//! its numbers, and the caption says the totals in words.

use leptos::prelude::*;
use proto::views::UsageDayView;

const W: f64 = 300.0;
const H: f64 = 48.0;
/// Room at the top so the highest bar never touches the edge.
const TOP: f64 = 2.0;

/// One day's bar, in the chart's coordinates (`0 0 300 48`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    /// The requests that were served.
    pub served: Option<(f64, f64)>,
    /// The requests refused with 429, stacked on top: (y, height).
    pub limited: Option<(f64, f64)>,
    /// "2026-11-29: 12 requests, 3 refused (429)".
    pub title: String,
}

/// The bars of `days` (oldest first), scaled to the busiest day.
pub fn bars(days: &[UsageDayView]) -> Vec<Bar> {
    let most = days.iter().map(|d| d.requests).max().unwrap_or(0).max(1) as f64;
    let slot = W / days.len().max(1) as f64;
    let width = (slot * 0.7).max(1.0);
    let plot = H - TOP;
    let height = |n: i64| plot * n as f64 / most;
    days.iter()
        .enumerate()
        .map(|(i, d)| {
            let limited = d.limited.clamp(0, d.requests);
            let served = d.requests - limited;
            let served_h = height(served);
            let limited_h = height(limited);
            Bar {
                x: slot * i as f64 + (slot - width) / 2.0,
                width,
                served: (served > 0).then_some((H - served_h, served_h)),
                limited: (limited > 0).then_some((H - served_h - limited_h, limited_h)),
                title: day_words(d),
            }
        })
        .collect()
}

fn day_words(d: &UsageDayView) -> String {
    let requests = if d.requests == 1 { "1 request".to_owned() } else { format!("{} requests", d.requests) };
    match d.limited {
        0 => format!("{}: {requests}", d.date),
        n => format!("{}: {requests}, {n} refused (429)", d.date),
    }
}

/// "312 requests in the last 30 days (UTC), 4 refused by the rate limit (429)".
pub fn summary(days: &[UsageDayView]) -> String {
    let (requests, limited) = days.iter().fold((0, 0), |(r, l), d| (r + d.requests, l + d.limited));
    let mut s = match requests {
        1 => format!("1 request in the last {} days (UTC)", days.len()),
        n => format!("{n} requests in the last {} days (UTC)", days.len()),
    };
    if limited > 0 {
        s.push_str(&format!(", {limited} refused by the rate limit (429)"));
    }
    if let Some(busiest) = days.iter().filter(|d| d.requests > 0).max_by_key(|d| d.requests) {
        s.push_str(&format!("; busiest day {} with {}", busiest.date, busiest.requests));
    }
    s
}

#[component]
pub fn UsageChart(days: Vec<UsageDayView>, #[prop(into)] name: String) -> impl IntoView {
    let label = format!("Usage of {name}: {}", summary(&days));
    let caption = summary(&days);
    let bars = bars(&days)
        .into_iter()
        .map(|b| {
            let rect = |class: &'static str, (y, h): (f64, f64)| {
                view! { <rect class=class x=format!("{:.1}", b.x) y=format!("{y:.1}") width=format!("{:.1}", b.width) height=format!("{h:.1}")/> }
            };
            view! {
                <g>
                    <title>{b.title.clone()}</title>
                    // An empty day still answers a pointer with its numbers.
                    <rect class="bar-slot" x=format!("{:.1}", b.x) y="0" width=format!("{:.1}", b.width) height=format!("{H}")/>
                    {b.served.map(|s| rect("bar-served", s))}
                    {b.limited.map(|l| rect("bar-limited", l))}
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="usage-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label preserveAspectRatio="none">
                <line class="baseline" x1="0" x2=format!("{W}") y1=format!("{H}") y2=format!("{H}")/>
                {bars}
            </svg>
            <figcaption>
                <span class="legend">
                    <span class="key key-served">"Requests"</span>
                    <span class="key key-limited">"Refused (429)"</span>
                </span>
                <span class="muted">{caption}</span>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, requests: i64, limited: i64) -> UsageDayView {
        UsageDayView { date: date.into(), requests, limited }
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_stack_the_429s_on_top() {
        let days = vec![day("2026-11-27", 0, 0), day("2026-11-28", 10, 0), day("2026-11-29", 20, 5)];
        let b = bars(&days);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].served, b[0].limited), (None, None), "an empty day draws no bar");
        let (y, h) = b[1].served.expect("served");
        assert!((h - (H - TOP) / 2.0).abs() < 1e-9 && (y + h - H).abs() < 1e-9, "half the busiest, standing on the baseline");
        let (sy, sh) = b[2].served.expect("served");
        let (ly, lh) = b[2].limited.expect("limited");
        assert!((sh + lh - (H - TOP)).abs() < 1e-9, "the busiest day is full height");
        assert!((ly + lh - sy).abs() < 1e-9, "the 429s sit on the served part");
        assert!((lh * 3.0 - sh).abs() < 1e-9, "5 of 20 refused: a quarter of the bar");
        assert!(b.windows(2).all(|w| w[1].x > w[0].x + w[0].width), "bars do not overlap");
        assert_eq!(b[2].title, "2026-11-29: 20 requests, 5 refused (429)");
        assert_eq!(b[0].title, "2026-11-27: 0 requests");
    }

    #[test]
    fn the_summary_says_the_totals_in_words() {
        let days = vec![day("2026-11-28", 1, 0), day("2026-11-29", 12, 3)];
        assert_eq!(summary(&days), "13 requests in the last 2 days (UTC), 3 refused by the rate limit (429); busiest day 2026-11-29 with 12");
        assert_eq!(summary(&[day("2026-11-29", 0, 0)]), "0 requests in the last 1 days (UTC)");
    }

    #[test]
    fn a_month_of_nothing_draws_nothing_and_does_not_divide_by_zero() {
        let days: Vec<_> = (0..30).map(|i| day(&format!("d{i}"), 0, 0)).collect();
        assert!(bars(&days).iter().all(|b| b.served.is_none() && b.limited.is_none() && b.x.is_finite()));
    }
}
