//! The Reporting façade: what the pages, the CSV export and (later) the API
//! read. Every read of calls goes through [`Protection::reports_gate`]: the
//! range is checked against the person's today, the PIN and this session's
//! unlock before a single row is read.

use super::days::Zone;
use super::{csv, sample, store};
use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta};
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::protection::{PinStatus, Protection, ReportsUnlocked};
use crate::support::db::is_unique_violation;
use jiff::civil::Date;

/// The longest range a report covers, in days.
pub const MAX_RANGE_DAYS: i64 = 400;

/// The ranges the Reporting page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeChoice {
    Today,
    Yesterday,
    Last7,
    Last30,
    Custom { from: Date, to: Date },
}

fn invalid(message: &'static str) -> Error {
    Error::refused(ErrorCode::InvalidInput, message)
}

fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    (s.len() == 10).then(|| s.parse::<Date>().ok()).flatten()
}

impl RangeChoice {
    /// `range` is `today`, `yesterday`, `7d`, `30d` or `custom` (with
    /// `from` and `to` as `YYYY-MM-DD`); empty means today.
    pub fn parse(range: &str, from: &str, to: &str) -> Result<RangeChoice> {
        Ok(match range.trim() {
            "" | "today" => RangeChoice::Today,
            "yesterday" => RangeChoice::Yesterday,
            "7d" => RangeChoice::Last7,
            "30d" => RangeChoice::Last30,
            "custom" => {
                let from = parse_date(from).ok_or_else(|| invalid("The start date is not a date (YYYY-MM-DD)."))?;
                let to = parse_date(to).ok_or_else(|| invalid("The end date is not a date (YYYY-MM-DD)."))?;
                if from > to {
                    return Err(invalid("The start date is after the end date."));
                }
                if from.until(to).map_or(i64::MAX, |s| i64::from(s.get_days())) >= MAX_RANGE_DAYS {
                    return Err(invalid("A report covers at most 400 days."));
                }
                RangeChoice::Custom { from, to }
            }
            _ => return Err(invalid("Choose Today, Yesterday, Last 7 days, Last 30 days or a custom range.")),
        })
    }

    pub fn code(&self) -> &'static str {
        match self {
            RangeChoice::Today => "today",
            RangeChoice::Yesterday => "yesterday",
            RangeChoice::Last7 => "7d",
            RangeChoice::Last30 => "30d",
            RangeChoice::Custom { .. } => "custom",
        }
    }

    /// The first and last date of the range, given the person's today.
    pub fn dates(&self, today: Date) -> Result<(Date, Date)> {
        let back = |days: i64| today.checked_sub(jiff::Span::new().days(days)).map_err(|_| invalid("That range is out of the calendar."));
        Ok(match *self {
            RangeChoice::Today => (today, today),
            RangeChoice::Yesterday => {
                let y = back(1)?;
                (y, y)
            }
            RangeChoice::Last7 => (back(6)?, today),
            RangeChoice::Last30 => (back(29)?, today),
            RangeChoice::Custom { from, to } => (from, to),
        })
    }
}

/// What a report is asked for.
#[derive(Clone, Copy, Debug)]
pub struct ReportQuery {
    pub range: RangeChoice,
    pub campaign: Option<i64>,
}

impl ReportQuery {
    /// The range and campaign as a page's address or a form says them
    /// (`campaign` empty or `all`: every campaign). Every door reads them here.
    pub fn parse(range: &str, from: Option<&str>, to: Option<&str>, campaign: Option<&str>) -> Result<ReportQuery> {
        let range = RangeChoice::parse(range, from.unwrap_or(""), to.unwrap_or(""))?;
        let campaign = match campaign.map(str::trim).filter(|c| !c.is_empty() && *c != "all") {
            None => None,
            Some(c) => Some(c.parse::<i64>().map_err(|_| no_such_campaign())?),
        };
        Ok(ReportQuery { range, campaign })
    }
}

fn no_such_campaign() -> Error {
    Error::refused(ErrorCode::NotFound, "That campaign does not exist.")
}

/// What the Reporting page needs before any figure: no call data.
pub struct ReportsContext {
    pub zone: Zone,
    pub today: Date,
    pub campaigns: Vec<store::CampaignRow>,
    pub pin: PinStatus,
}

/// A report that passed the gate.
pub struct ReportResult {
    pub from: Date,
    pub to: Date,
    pub zone: Zone,
    pub report: store::Report,
}

pub struct Reporting<'w> {
    pub(super) deps: &'w Deps,
    pub(super) protection: Protection<'w>,
    /// Calls an account may store.
    pub(super) max_calls: i64,
}

impl<'w> Reporting<'w> {
    pub fn new(deps: &'w Deps, protection: Protection<'w>, max_calls: i64) -> Self {
        Reporting { deps, protection, max_calls }
    }

    fn today(&self, zone: &Zone) -> Result<Date> {
        zone.date_of(self.deps.now()).ok_or_else(|| Error::internal("the clock is out of the calendar"))
    }

    pub async fn context(&self, actor: &Actor) -> Result<ReportsContext> {
        let account = actor.account()?;
        let zone = accounts::time_zone(self.deps.pool(), account).await?;
        Ok(ReportsContext {
            today: self.today(&zone)?,
            campaigns: store::campaigns(self.deps.pool(), account).await?,
            pin: self.protection.status(actor).await?,
            zone,
        })
    }

    /// The gate for `query`: its dates in the person's zone, checked.
    async fn admit(&self, actor: &Actor, query: &ReportQuery) -> Result<ReportsUnlocked> {
        let account = actor.account()?;
        let zone = accounts::time_zone(self.deps.pool(), account).await?;
        let (from, to) = query.range.dates(self.today(&zone)?)?;
        if let Some(c) = query.campaign {
            if !store::campaign_belongs(self.deps.pool(), account, c).await? {
                return Err(no_such_campaign());
            }
        }
        self.protection.reports_gate(actor, zone, from, to).await
    }

    pub async fn report(&self, actor: &Actor, query: ReportQuery) -> Result<ReportResult> {
        let open = self.admit(actor, &query).await?;
        let report = store::report(self.deps.pool(), open.account(), open.zone(), open.from(), open.to(), query.campaign).await?;
        Ok(ReportResult { from: open.from(), to: open.to(), zone: open.zone().clone(), report })
    }

    /// The calls in range as CSV (RFC 4180), to stream: the gate is passed
    /// here, and [`CsvExport::next_chunk`] reads them a page at a time, so
    /// an export of any size holds one page in memory, never the file.
    pub async fn export_csv(&self, actor: &Actor, query: ReportQuery) -> Result<CsvExport> {
        let open = self.admit(actor, &query).await?;
        let zone = open.zone().clone();
        let (start, _) = zone.bounds(open.from()).ok_or_else(|| invalid("That range is out of the calendar."))?;
        let (_, end) = zone.bounds(open.to()).ok_or_else(|| invalid("That range is out of the calendar."))?;
        Ok(CsvExport {
            file_name: format!("warden-calls-{}-to-{}.csv", open.from(), open.to()),
            pool: self.deps.pool().clone(),
            account: open.account(),
            zone,
            start,
            end,
            campaign: query.campaign,
            after: None,
            state: ExportState::Header,
        })
    }

    /// Fills an account that has no campaigns with three campaigns and 60
    /// days of calls, in one transaction. Returns the number of calls.
    pub async fn add_sample_data(&self, actor: &Actor) -> Result<u64> {
        let (account, _) = actor.browser_session()?;
        let already = || Error::refused(ErrorCode::InvalidInput, "This account already has campaigns: sample data is only for an empty one.");
        if store::has_any_campaign(self.deps.pool(), account).await? {
            return Err(already());
        }
        let zone = accounts::time_zone(self.deps.pool(), account).await?;
        let now = self.deps.now();
        let data = sample::generate(rand::random(), &zone, now, 60);
        let mut tx = self.deps.pool().begin().await?;
        let n = match sample::insert(&mut tx, account, &data, now).await {
            Ok(n) => n,
            Err(Error::Internal(e)) if e.downcast_ref::<sqlx::Error>().is_some_and(is_unique_violation) => return Err(already()),
            Err(e) => return Err(e),
        };
        tx.commit().await?;
        Ok(n)
    }

    /// A new time zone for the account. It moves "today", so with a PIN set
    /// it takes an unlocked session: a zone change must not reveal earlier
    /// hours that the PIN guards.
    /// The same zone again changes (and records) nothing.
    pub async fn set_time_zone(&self, actor: &Actor, name: &str, meta: &ClientMeta) -> Result<Zone> {
        let (account, _): (AccountId, _) = actor.browser_session()?;
        let zone = Zone::parse(name).ok_or_else(|| invalid("That is not a time zone we know (e.g. Europe/Berlin)."))?;
        if self.protection.is_locked(actor).await? {
            return Err(Error::refused(
                ErrorCode::PinRequired,
                "Your time zone decides which days are previous days: enter your PIN on Reporting first, then change it.",
            ));
        }
        let old = accounts::time_zone(self.deps.pool(), account).await?;
        if old.name() == zone.name() {
            return Ok(zone);
        }
        accounts::set_time_zone(self.deps.pool(), account, &zone).await?;
        let event = Event::with_detail(EventKind::TimeZoneChanged, format!("from {} to {}", old.name(), zone.name()));
        events::record(self.deps.pool(), Some(account), &event, meta, self.deps.now()).await?;
        Ok(zone)
    }
}

/// Calls per page of a CSV export.
const EXPORT_PAGE: i64 = 5_000;

enum ExportState {
    Header,
    Rows,
    Done,
}

/// A CSV export that passed its gate, read a page at a time.
pub struct CsvExport {
    pub file_name: String,
    pool: sqlx::AnyPool,
    account: AccountId,
    zone: Zone,
    start: i64,
    end: i64,
    campaign: Option<i64>,
    after: Option<(i64, i64)>,
    state: ExportState,
}

impl CsvExport {
    /// The next piece of the file (the header, then a page of calls), or
    /// `None` at its end.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        match self.state {
            ExportState::Header => {
                self.state = ExportState::Rows;
                Ok(Some(csv::header().to_owned()))
            }
            ExportState::Done => Ok(None),
            ExportState::Rows => {
                let rows = store::calls_page(
                    &self.pool,
                    self.account,
                    self.start,
                    self.end,
                    self.campaign,
                    self.after,
                    store::Order::OldestFirst,
                    EXPORT_PAGE,
                )
                .await?;
                let mut out = String::with_capacity(rows.len() * 96);
                for r in &rows {
                    out.push_str(&csv::line(r, &self.zone));
                }
                match rows.last() {
                    Some(last) if rows.len() as i64 == EXPORT_PAGE => self.after = Some((last.started_at, last.id)),
                    _ => self.state = ExportState::Done,
                }
                Ok(if out.is_empty() { None } else { Some(out) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn ranges_are_the_persons_days() {
        let today = date(2026, 3, 30);
        let d = |r: RangeChoice| r.dates(today).expect("in the calendar");
        assert_eq!(d(RangeChoice::Today), (today, today));
        assert_eq!(d(RangeChoice::Yesterday), (date(2026, 3, 29), date(2026, 3, 29)));
        assert_eq!(d(RangeChoice::Last7), (date(2026, 3, 24), today));
        assert_eq!(d(RangeChoice::Last30), (date(2026, 3, 1), today));
    }

    #[test]
    fn custom_ranges_are_checked() {
        let ok = RangeChoice::parse("custom", "2026-01-01", "2026-01-31").expect("fine");
        assert_eq!(ok, RangeChoice::Custom { from: date(2026, 1, 1), to: date(2026, 1, 31) });
        for (from, to) in [("2026-02-01", "2026-01-01"), ("2026-13-01", "2026-12-31"), ("yesterday", "2026-01-01"), ("2024-01-01", "2026-01-01")] {
            assert_eq!(RangeChoice::parse("custom", from, to).map_err(|e| e.code()).err(), Some(ErrorCode::InvalidInput), "{from}..{to}");
        }
        assert_eq!(RangeChoice::parse("", "", "").ok(), Some(RangeChoice::Today));
        assert!(RangeChoice::parse("forever", "", "").is_err());
    }
}
