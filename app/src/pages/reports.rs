//! Reporting: the account's calls by the person's days. Today's figures are
//! always shown; a range that reaches an earlier day asks for the PIN when
//! one is set (the server refuses it otherwise: the page only says so). The
//! range and campaign live in the address (`?range=7d&campaign=3`), so every
//! view is a link and works without JavaScript; the chart is SVG rendered on
//! the server.

use crate::components::form_error::ActionError;
use crate::components::loaded::{load_error, Loaded};
use crate::components::submit::Submit;
use crate::early::Early;
use crate::server_fns::protection::{LockReports, UnlockReports};
use crate::server_fns::reports::{report, reports_context, AddSampleData, ReportView, ReportsContextView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use proto::views::{DayView, TotalsView};
use proto::ErrorCode;

/// The page's query, as the address says it.
#[derive(Clone, Debug, PartialEq)]
struct Query {
    range: String,
    from: String,
    to: String,
    campaign: String,
}

impl Query {
    /// `?range=…&campaign=…` for a link to another range of the same campaign.
    fn with_range(&self, range: &str) -> String {
        let mut q = format!("/reports?range={range}");
        if range == "custom" {
            q.push_str(&format!("&from={}&to={}", crate::url::encode(&self.from), crate::url::encode(&self.to)));
        }
        if !self.campaign.is_empty() {
            q.push_str(&format!("&campaign={}", crate::url::encode(&self.campaign)));
        }
        q
    }
    fn range_or_today(&self) -> &str {
        if self.range.is_empty() {
            "today"
        } else {
            &self.range
        }
    }
}

const RANGES: [(&str, &str); 4] = [("today", "Today"), ("yesterday", "Yesterday"), ("7d", "Last 7 days"), ("30d", "Last 30 days")];

/// `early_*`: the page's first data, asked for by its route ([`Early`]).
#[component]
pub fn ReportsPage(early_context: Early, early_figures: Early) -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let q = query_map.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        Query { range: get("range"), from: get("from"), to: get("to"), campaign: get("campaign") }
    });
    let unlock = ServerAction::<UnlockReports>::new();
    let lock = ServerAction::<LockReports>::new();
    let sample = ServerAction::<AddSampleData>::new();
    let versions = move || (unlock.version().get(), lock.version().get(), sample.version().get());
    let context = Resource::new(versions, move |_| {
        let early = early_context.clone();
        async move { early.or(reports_context).await }
    });
    // While new figures load, the filter buttons say so.
    let loading = RwSignal::new(false);
    let figures = Resource::new(
        move || (query.get(), versions()),
        move |(q, _)| {
            let early = early_figures.clone();
            let opt = |s: String| (!s.is_empty()).then_some(s);
            async move { early.or(|| report(q.range, opt(q.from), opt(q.to), opt(q.campaign))).await }
        },
    );
    view! {
        <Title text="Reporting · Warden"/>
        <div class="reports">
            <h1>"Reporting"</h1>
            <Loaded resource=context fallback=|| view! { <p class="muted">"Loading…"</p> } let:ctx>
                {if ctx.campaigns.is_empty() {
                    view! { <EmptyAccount ctx sample/> }.into_any()
                } else {
                    view! {
                        <ContextLine ctx=ctx.clone() lock/>
                        <Filters ctx query loading=loading.into()/>
                        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> } set_pending=loading.write_only()>
                            {move || figures.get().map(|r| match r {
                                Ok(v) => view! { <Figures v query=query.get_untracked()/> }.into_any(),
                                Err(e) if e.code == ErrorCode::PinRequired => view! { <Unlock unlock/> }.into_any(),
                                Err(e) => load_error(e),
                            })}
                        </Transition>
                    }
                    .into_any()
                }}
            </Loaded>
        </div>
    }
}

#[component]
fn EmptyAccount(ctx: ReportsContextView, sample: ServerAction<AddSampleData>) -> impl IntoView {
    view! {
        <section class="panel empty-state" aria-labelledby="no-calls">
            <h2 id="no-calls">"No campaigns yet"</h2>
            <p class="muted">
                "Reporting counts the calls to your campaigns' tracking numbers by day, in your time zone ("
                {ctx.zone} "). To look around first, add sample data: three campaigns and 60 days of calls."
            </p>
            <ActionForm action=sample>
                <ActionError action=sample/>
                <Submit action=sample>
                    {move || if sample.pending().get() { "Adding sample data…" } else { "Add sample data" }}
                </Submit>
                <div class="progress" role="status">
                    {move || sample.pending().get().then(|| view! {
                        <progress aria-label="Adding sample data"></progress>
                        <span>"Adding three campaigns and 60 days of calls…"</span>
                    })}
                </div>
            </ActionForm>
        </section>
    }
}

/// The zone and, when a PIN is set, this session's unlock.
#[component]
fn ContextLine(ctx: ReportsContextView, lock: ServerAction<LockReports>) -> impl IntoView {
    let pin = ctx.pin;
    view! {
        <p class="context-line muted">
            "Days and times in " <strong>{ctx.zone}</strong> " · " <a href="/account/time-zone">"Change time zone"</a>
        </p>
        {match (pin.set_since.is_some(), pin.unlocked_until_clock) {
            (true, Some(clock)) => view! {
                <div class="unlock-line" role="status">
                    <span class="badge">"Unlocked"</span>
                    <span>{format!("Unlocked until {clock}")}</span>
                    " · "
                    <ActionForm action=lock attr:class="inline">
                        <Submit action=lock class="linklike">"Lock now"</Submit>
                    </ActionForm>
                </div>
            }
            .into_any(),
            (true, None) => view! { <p class="unlock-line muted">"Previous days are protected by your PIN."</p> }.into_any(),
            (false, _) => view! {
                <p class="unlock-line muted">
                    "Anyone signed in as you can see previous days. " <a href="/account/security/protection">"Protect them with a PIN"</a>
                </p>
            }
            .into_any(),
        }}
    }
}

#[component]
fn Filters(ctx: ReportsContextView, query: Memo<Query>, loading: Signal<bool>) -> impl IntoView {
    let campaigns = ctx.campaigns;
    let today = ctx.today;
    view! {
        <nav class="range-tabs" aria-label="Range">
            {RANGES.map(|(code, label)| view! {
                <a
                    href=move || query.get().with_range(code)
                    aria-current=move || (query.get().range_or_today() == code).then_some("page")
                >
                    {label}
                </a>
            }).collect_view()}
        </nav>
        <div class="filters">
            <Form method="GET" action="/reports" attr:class="filters">
                <input type="hidden" name="range" prop:value=move || query.get().range_or_today().to_owned()/>
                {move || {
                    let q = query.get();
                    (q.range == "custom").then(|| view! {
                        <input type="hidden" name="from" value=q.from.clone()/>
                        <input type="hidden" name="to" value=q.to.clone()/>
                    })
                }}
                <label>
                    "Campaign"
                    <select name="campaign">
                        <option value="">"All campaigns"</option>
                        {campaigns.into_iter().map(|c| {
                            let id = c.id.to_string();
                            let selected = { let id = id.clone(); move || query.get().campaign == id };
                            view! { <option value=id selected=selected>{c.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Submit action=loading class="secondary">"Apply"</Submit>
            </Form>
            <Form method="GET" action="/reports" attr:class="filters">
                <input type="hidden" name="range" value="custom"/>
                <input type="hidden" name="campaign" prop:value=move || query.get().campaign/>
                <label>
                    "From"
                    <input type="date" name="from" required max=today.clone() prop:value=move || query.get().from/>
                </label>
                <label>
                    "To"
                    <input type="date" name="to" required max=today.clone() prop:value=move || query.get().to/>
                </label>
                <Submit action=loading class="secondary">"Show range"</Submit>
            </Form>
        </div>
    }
}

/// Earlier days with a PIN set and no unlock: the server sent no figures.
#[component]
fn Unlock(unlock: ServerAction<UnlockReports>) -> impl IntoView {
    view! {
        <section class="panel locked" aria-labelledby="locked-title">
            <h2 id="locked-title">"Previous days are protected"</h2>
            <p>"Enter your PIN to see the reports of previous days. It unlocks them for this session only."</p>
            <ActionForm action=unlock>
                <label>
                    "PIN"
                    <input type="password" name="pin" inputmode="numeric" autocomplete="off" pattern="[0-9]{4,8}" minlength="4" maxlength="8" required/>
                </label>
                <ActionError action=unlock/>
                <Submit action=unlock>"Unlock"</Submit>
            </ActionForm>
            <p class="muted">
                <a href="/reports?range=today">"See today's figures"</a>
                " · Forgot your PIN? " <a href="/account/security/protection">"Remove it with your password"</a>
            </p>
        </section>
    }
}

#[component]
fn Figures(v: ReportView, query: Query) -> impl IntoView {
    let mut export = format!("/reports/export.csv?range={}", crate::url::encode(query.range_or_today()));
    for (k, val) in [("from", &query.from), ("to", &query.to), ("campaign", &query.campaign)] {
        if !val.is_empty() {
            export.push_str(&format!("&{k}={}", crate::url::encode(val)));
        }
    }
    // With JavaScript the CSV is fetched here, so the page can show that it
    // is being prepared; without it the link is a plain download.
    let exporting = RwSignal::new(false);
    let export_status = RwSignal::new(String::new());
    let on_export = {
        let url = export.clone();
        move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            if exporting.get_untracked() {
                return;
            }
            exporting.set(true);
            export_status.set("Preparing the CSV…".to_owned());
            let url = url.clone();
            leptos::task::spawn_local(async move {
                let said = match crate::browser::download(&url).await {
                    Ok(()) => "The CSV is ready: your browser is saving it.".to_owned(),
                    Err(e) => format!("The export failed: {e}"),
                };
                exporting.set(false);
                export_status.set(said);
            });
        }
    };
    view! {
        <section class="panel" aria-labelledby="report-title">
            <div class="report-head">
                <h2 id="report-title">{v.title.clone()}</h2>
                <a
                    class="button secondary"
                    href=export
                    rel="external"
                    download=""
                    on:click=on_export
                    aria-disabled=move || exporting.get().then_some("true")
                    aria-busy=move || exporting.get().then_some("true")
                >
                    "Export CSV"
                </a>
            </div>
            <div class="progress" role="status">
                {move || exporting.get().then(|| view! { <progress aria-label="Exporting the CSV"></progress> })}
                {move || (!export_status.get().is_empty()).then(|| view! { <span>{export_status.get()}</span> })}
            </div>
            <Totals t=v.totals.clone()/>
            <Chart days=v.days.clone()/>
            <details class="day-table">
                <summary>"Calls per day as a table"</summary>
                // Focusable, so a keyboard can scroll it on a narrow screen.
                <div class="table-scroll" tabindex="0" role="region" aria-label="Calls per day">
                    <table>
                        <thead><tr><th scope="col">"Day"</th><th scope="col">"Calls"</th><th scope="col">"Answered"</th><th scope="col">"Missed"</th><th scope="col">"Voicemail"</th></tr></thead>
                        <tbody>
                            {v.days.iter().map(|d| view! {
                                <tr><th scope="row">{d.label.clone()}</th><td>{d.calls}</td><td>{d.answered}</td><td>{d.missed}</td><td>{d.voicemail}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
            <h3>"By campaign"</h3>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Calls by campaign">
                <table class="campaigns">
                    <thead>
                        <tr>
                            <th scope="col">"Campaign"</th><th scope="col">"Calls"</th><th scope="col">"Answered"</th><th scope="col">"Missed"</th>
                            <th scope="col">"Answer rate"</th><th scope="col">"Avg duration"</th><th scope="col">"Revenue"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {v.campaigns.into_iter().map(|c| view! {
                            <tr>
                                <th scope="row">{c.name}</th><td>{c.totals.calls}</td><td>{c.totals.answered}</td><td>{c.totals.missed}</td>
                                <td>{c.totals.answer_rate}</td><td>{c.totals.average_duration}</td><td>{c.totals.revenue}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn Totals(t: TotalsView) -> impl IntoView {
    let cell = |label: &'static str, value: String| view! { <div><dt>{label}</dt><dd>{value}</dd></div> };
    view! {
        <dl class="totals">
            {cell("Calls", t.calls.to_string())}
            {cell("Answered", t.answered.to_string())}
            {cell("Missed", t.missed.to_string())}
            {cell("Answer rate", t.answer_rate)}
            {cell("Avg duration", t.average_duration)}
            {cell("Revenue", t.revenue)}
        </dl>
    }
}

/// The calls per day as stacked bars (answered, voicemail, missed), drawn
/// on the server. Colours come from the stylesheet, for light and dark.
#[component]
fn Chart(days: Vec<DayView>) -> impl IntoView {
    const W: f64 = 720.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 24.0;
    const TOP: f64 = 8.0;
    let max = days.iter().map(|d| d.calls).max().unwrap_or(0);
    let scale_max = nice_ceiling(max);
    let n = days.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bar = (slot * 0.7).max(1.0);
    let plot = H - BOTTOM - TOP;
    let y = move |v: i64| TOP + plot - plot * v as f64 / scale_max as f64;
    let every = ((days.len() as f64) / 8.0).ceil().max(1.0) as usize;
    let summary = format!("Calls per day, {} days, at most {} in a day", days.len(), max);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
            let mut base = 0;
            let segment = |class: &'static str, count: i64, base: &mut i64| {
                let top = y(*base + count);
                let height = y(*base) - top;
                *base += count;
                (count > 0).then(|| view! { <rect class=class x=format!("{x:.1}") y=format!("{top:.1}") width=format!("{bar:.1}") height=format!("{height:.1}")/> })
            };
            let answered = segment("bar-answered", d.answered, &mut base);
            let voicemail = segment("bar-voicemail", d.voicemail, &mut base);
            let missed = segment("bar-missed", d.missed, &mut base);
            // Every `every`-th day and the last, without crowding the last one.
            let last = i + 1 == days.len();
            let label = (last || (i % every == 0 && days.len() - 1 - i >= every)).then(|| {
                let cx = x + bar / 2.0;
                view! { <text class="axis" x=format!("{cx:.1}") y=format!("{:.1}", H - 6.0) text-anchor="middle">{d.label.clone()}</text> }
            });
            view! {
                <g>
                    <title>{format!("{}: {} calls, {} answered, {} missed, {} voicemail", d.label, d.calls, d.answered, d.missed, d.voicemail)}</title>
                    {answered}{voicemail}{missed}
                </g>
                {label}
            }
        })
        .collect_view();
    let grid = [0, scale_max / 2, scale_max]
        .into_iter()
        .map(|v| {
            let gy = y(v);
            view! {
                <line class="grid" x1=format!("{LEFT}") x2=format!("{W}") y1=format!("{gy:.1}") y2=format!("{gy:.1}")/>
                <text class="axis" x=format!("{:.1}", LEFT - 6.0) y=format!("{:.1}", gy + 4.0) text-anchor="end">{v.to_string()}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary preserveAspectRatio="none">
                {grid}
                {bars}
            </svg>
            <figcaption class="legend">
                <span class="key key-answered">"Answered"</span>
                <span class="key key-voicemail">"Voicemail"</span>
                <span class="key key-missed">"Missed"</span>
            </figcaption>
        </figure>
    }
}

/// A round number at or above `n` for the chart's top line (at least 4).
fn nice_ceiling(n: i64) -> i64 {
    let n = n.max(4);
    let magnitude = 10_i64.pow((n as f64).log10().floor() as u32);
    for step in [1, 2, 4, 5, 10] {
        let top = step * magnitude;
        if top >= n {
            return if top % 2 == 0 { top } else { top * 2 };
        }
    }
    n
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chart_top_is_round_and_above_the_highest_bar() {
        for (n, top) in [(0, 4), (3, 4), (5, 10), (7, 10), (12, 20), (48, 50), (51, 100), (230, 400)] {
            let got = super::nice_ceiling(n);
            assert_eq!(got, top, "{n}");
            assert!(got >= n && got % 2 == 0);
        }
    }
}
