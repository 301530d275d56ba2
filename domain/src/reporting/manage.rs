//! Campaigns and calls as the REST API reads and writes them:
//! the types, the rules every field is checked by (each refusal names its
//! field), the opaque cursor of the call list, and the [`Reporting`]
//! methods that apply them for an [`Actor`].
//!
//! - Reads take `actor.account()?`, writes `actor.account_to_write()?`
//!   (a read-only API token is `insufficient_scope`).
//! - An id of another account is answered exactly like an unknown one
//!   (`not_found`), so ids say nothing about other accounts; a campaign id
//!   in a body that is not the account's is invalid input on `campaign_id`.
//! - Calls list newest first and page by a keyset cursor over
//!   (started_at, id): stable while calls are added, no OFFSET scans.

use super::days::Zone;
use super::entities::{CampaignName, CampaignStatus, Outcome, E164};
use super::store::{self, CallRow, CallWrite, CampaignRow, CampaignWrite, DayTotals, Totals};
use super::Reporting;
use crate::accounts;
use crate::actor::{AccountId, Actor};
use crate::error::{Error, ErrorCode, Result};
use crate::support::db::is_unique_violation;
use jiff::civil::Date;
use std::fmt;

/// A campaign's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CampaignId(i64);

impl CampaignId {
    pub fn new(id: i64) -> Self {
        CampaignId(id)
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A call's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallId(i64);

impl CallId {
    pub fn new(id: i64) -> Self {
        CallId(id)
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    /// E.164 (`+14155550100`).
    pub tracking_number: String,
    pub status: CampaignStatus,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Clone, Debug, Default)]
pub struct NewCampaign {
    pub name: String,
    pub tracking_number: String,
    /// `active` (the default) or `paused`.
    pub status: Option<String>,
}

/// What to change; `None` keeps a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CampaignPatch {
    pub name: Option<String>,
    pub tracking_number: Option<String>,
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub id: CallId,
    pub campaign_id: CampaignId,
    /// E.164.
    pub caller: String,
    /// Unix seconds.
    pub started_at: i64,
    pub duration_secs: i64,
    pub outcome: Outcome,
    pub revenue_cents: Option<i64>,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct NewCall {
    pub campaign_id: i64,
    pub caller: String,
    pub started_at: i64,
    pub duration_secs: i64,
    /// `answered`, `missed` or `voicemail`.
    pub outcome: String,
    pub revenue_cents: Option<i64>,
    pub tags: Vec<String>,
}

/// What to change; `None` keeps a field. `revenue_cents: Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct CallPatch {
    pub campaign_id: Option<i64>,
    pub caller: Option<String>,
    pub started_at: Option<i64>,
    pub duration_secs: Option<i64>,
    pub outcome: Option<String>,
    pub revenue_cents: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
}

/// Which calls to list: `from <= started_at < to` (Unix seconds), one
/// campaign, after a page's `next_cursor`, `limit` per page (1–100, 50).
#[derive(Clone, Debug, Default)]
pub struct CallQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub campaign: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPage {
    pub calls: Vec<Call>,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
}

/// Per-day totals in the account's zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyReport {
    pub from: Date,
    pub to: Date,
    /// The account's IANA zone the days are counted in.
    pub time_zone: String,
    pub campaign: Option<CampaignId>,
    pub totals: Totals,
    /// Every date `from..=to`, days without calls as zeros.
    pub days: Vec<DayTotals>,
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 100;
/// The longest range of [`Reporting::daily`], in days.
pub const MAX_DAILY_DAYS: i64 = 366;
/// The longest a call may last: a day.
pub const MAX_DURATION_SECS: i64 = 86_400;
/// A call may be stamped at most this far ahead of the server's clock.
pub const FUTURE_SLACK_SECS: i64 = 300;
/// 2000-01-01T00:00:00Z: no call is older.
pub const EARLIEST_CALL: i64 = 946_684_800;
pub const MAX_REVENUE_CENTS: i64 = 1_000_000_000;
pub const MAX_TAGS: usize = 10;
/// Calls an account may store by default (`Config::max_calls_per_account`):
/// at the API's full rate that is about a week of calls; past it a new call
/// is refused (`call_limit_reached`) until some are deleted, so no account
/// can grow the database without bound.
pub const MAX_CALLS_PER_ACCOUNT: i64 = 500_000;
pub const MAX_TAG_CHARS: usize = 32;

// ---- the rules (pure) ----

pub fn parse_name(typed: &str) -> Result<CampaignName> {
    CampaignName::parse(typed).ok_or_else(|| Error::invalid("name", "A campaign name is 1 to 80 characters, without control characters."))
}

pub fn parse_number(field: &'static str, typed: &str) -> Result<E164> {
    E164::parse(typed).ok_or_else(|| Error::invalid(field, "A phone number in international format, e.g. +14155550100."))
}

pub fn parse_status(typed: Option<&str>) -> Result<CampaignStatus> {
    match typed {
        None => Ok(CampaignStatus::Active),
        Some(s) => CampaignStatus::from_code(s).ok_or_else(|| Error::invalid("status", "The status is active or paused.")),
    }
}

pub fn parse_outcome(typed: &str) -> Result<Outcome> {
    Outcome::from_code(typed).ok_or_else(|| Error::invalid("outcome", "The outcome is answered, missed or voicemail."))
}

pub fn check_duration(secs: i64) -> Result<i64> {
    if (0..=MAX_DURATION_SECS).contains(&secs) {
        Ok(secs)
    } else {
        Err(Error::invalid("duration_secs", "A call lasts 0 to 86400 seconds."))
    }
}

/// Not before 2000-01-01 and not more than 5 minutes after `now`.
pub fn check_started_at(at: i64, now: i64) -> Result<i64> {
    if at < EARLIEST_CALL {
        Err(Error::invalid("started_at", "A call cannot start before 2000-01-01."))
    } else if at > now.saturating_add(FUTURE_SLACK_SECS) {
        Err(Error::invalid("started_at", "A call cannot start in the future."))
    } else {
        Ok(at)
    }
}

pub fn check_revenue(cents: Option<i64>) -> Result<Option<i64>> {
    match cents {
        Some(c) if !(0..=MAX_REVENUE_CENTS).contains(&c) => Err(Error::invalid("revenue_cents", "Revenue is 0 to 1000000000 cents.")),
        other => Ok(other),
    }
}

/// At most 10 tags, each 1–32 characters (trimmed) without commas or
/// control characters. Returns them trimmed.
pub fn check_tags(tags: &[String]) -> Result<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid("tags", "A call has at most 10 tags."));
    }
    tags.iter()
        .map(|t| {
            let t = t.trim();
            let n = t.chars().count();
            if (1..=MAX_TAG_CHARS).contains(&n) && !t.chars().any(|c| c == ',' || c.is_control()) {
                Ok(t.to_owned())
            } else {
                Err(Error::invalid("tags", "A tag is 1 to 32 characters, without commas or control characters."))
            }
        })
        .collect()
}

pub fn check_limit(limit: Option<u32>) -> Result<i64> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(i64::from(n)),
        _ => Err(Error::invalid("limit", "A page holds 1 to 100 calls.")),
    }
}

/// The cursor after a call: `started_at.id` (both as the calls show them);
/// it only says where a page ends, never opens anything. Its whole shape
/// is [`CURSOR_PATTERN`], so any text of that shape is a place to start
/// from and anything else is refused.
pub fn encode_cursor(started_at: i64, id: i64) -> String {
    format!("{started_at}.{id}")
}

/// What a cursor looks like (in the API's document too).
pub const CURSOR_PATTERN: &str = r"^[0-9]{1,18}\.[1-9][0-9]{0,17}$";

pub fn decode_cursor(cursor: &str) -> Result<(i64, i64)> {
    let bad = || Error::invalid("cursor", "That cursor is not one this API gave out. Start from the first page.");
    let (at, id) = cursor.split_once('.').ok_or_else(bad)?;
    let digits = |s: &str, most: usize| (1..=most).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(at, 18) || !digits(id, 18) || id.starts_with('0') {
        return Err(bad());
    }
    Ok((at.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

fn parse_day(field: &'static str, s: &str) -> Result<Date> {
    let s = s.trim();
    let d = (s.len() == 10).then(|| s.parse::<Date>().ok()).flatten();
    d.ok_or_else(|| Error::invalid(field, "A date is YYYY-MM-DD."))
}

/// The dates of a daily report: `from`/`to` as `YYYY-MM-DD`, the last 7
/// days up to `today` by default (one given: 7 days from or up to it).
pub fn daily_range(from: Option<&str>, to: Option<&str>, today: Date) -> Result<(Date, Date)> {
    let week = jiff::Span::new().days(6);
    let out = |_| Error::invalid("from", "That range is out of the calendar.");
    let (from, to) = match (from.map(|s| parse_day("from", s)).transpose()?, to.map(|s| parse_day("to", s)).transpose()?) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, f.checked_add(week).map_err(out)?),
        (None, Some(t)) => (t.checked_sub(week).map_err(out)?, t),
        (None, None) => (today.checked_sub(week).map_err(out)?, today),
    };
    if from > to {
        return Err(Error::invalid("to", "The last day must not be before the first."));
    }
    let days = from.until(to).map_or(i64::MAX, |s| i64::from(s.get_days())) + 1;
    if days > MAX_DAILY_DAYS {
        return Err(Error::invalid("to", "A daily report covers at most 366 days."));
    }
    Ok((from, to))
}

fn campaign_of(r: CampaignRow) -> Campaign {
    Campaign { id: CampaignId(r.id), name: r.name, tracking_number: r.tracking_number, status: r.status, created_at: r.created_at }
}

fn call_of(r: CallRow) -> Call {
    Call {
        id: CallId(r.id),
        campaign_id: CampaignId(r.campaign_id),
        caller: r.caller,
        started_at: r.started_at,
        duration_secs: r.duration_secs,
        outcome: r.outcome,
        revenue_cents: r.revenue_cents,
        tags: r.tags,
    }
}

fn campaign_not_found() -> Error {
    Error::refused(ErrorCode::NotFound, "That campaign does not exist.")
}

fn call_not_found() -> Error {
    Error::refused(ErrorCode::NotFound, "That call does not exist.")
}

fn name_taken() -> Error {
    Error::refused_field(ErrorCode::CampaignNameTaken, "name", "You already have a campaign with this name.")
}

/// A validated call, ready to write.
struct CheckedCall {
    campaign_id: i64,
    caller: E164,
    started_at: i64,
    duration_secs: i64,
    outcome: Outcome,
    revenue_cents: Option<i64>,
    tags: String,
}

impl CheckedCall {
    fn write(&self) -> CallWrite<'_> {
        CallWrite {
            campaign_id: self.campaign_id,
            caller: self.caller.as_str(),
            started_at: self.started_at,
            duration_secs: self.duration_secs,
            outcome: self.outcome,
            revenue_cents: self.revenue_cents,
            tags: &self.tags,
        }
    }
}

impl Reporting<'_> {
    fn pool(&self) -> &sqlx::AnyPool {
        self.deps.pool()
    }

    /// The account's campaigns, by name (ignoring case).
    pub async fn campaigns(&self, actor: &Actor) -> Result<Vec<Campaign>> {
        let account = actor.account()?;
        Ok(store::campaigns(self.pool(), account).await?.into_iter().map(campaign_of).collect())
    }

    pub async fn campaign(&self, actor: &Actor, id: CampaignId) -> Result<Campaign> {
        let account = actor.account()?;
        store::campaign(self.pool(), account, id.0).await?.map(campaign_of).ok_or_else(campaign_not_found)
    }

    pub async fn create_campaign(&self, actor: &Actor, new: NewCampaign) -> Result<Campaign> {
        let account = actor.account_to_write()?;
        let name = parse_name(&new.name)?;
        let number = parse_number("tracking_number", &new.tracking_number)?;
        let status = parse_status(new.status.as_deref())?;
        let key = name.key();
        let write = CampaignWrite { name: name.as_str(), name_key: &key, tracking_number: number.as_str(), status };
        let id = match store::insert_campaign(self.pool(), account, &write, self.deps.now()).await {
            Ok(id) => id,
            Err(e) if is_unique_violation(&e) => return Err(name_taken()),
            Err(e) => return Err(e.into()),
        };
        self.campaign(actor, CampaignId(id)).await
    }

    pub async fn update_campaign(&self, actor: &Actor, id: CampaignId, patch: CampaignPatch) -> Result<Campaign> {
        let account = actor.account_to_write()?;
        let current = store::campaign(self.pool(), account, id.0).await?.ok_or_else(campaign_not_found)?;
        let name = parse_name(patch.name.as_deref().unwrap_or(&current.name))?;
        let number = parse_number("tracking_number", patch.tracking_number.as_deref().unwrap_or(&current.tracking_number))?;
        let status = match patch.status.as_deref() {
            Some(s) => parse_status(Some(s))?,
            None => current.status,
        };
        let key = name.key();
        let write = CampaignWrite { name: name.as_str(), name_key: &key, tracking_number: number.as_str(), status };
        match store::update_campaign(self.pool(), account, id.0, &write).await {
            Ok(0) => return Err(campaign_not_found()),
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(name_taken()),
            Err(e) => return Err(e.into()),
        }
        self.campaign(actor, id).await
    }

    /// Deletes the campaign and its calls, in one transaction.
    pub async fn delete_campaign(&self, actor: &Actor, id: CampaignId) -> Result<()> {
        let account = actor.account_to_write()?;
        let mut tx = self.pool().begin().await?;
        if store::delete_campaign(&mut tx, account, id.0).await? == 0 {
            return Err(campaign_not_found());
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of the account's calls, newest first.
    pub async fn calls(&self, actor: &Actor, q: CallQuery) -> Result<CallPage> {
        let account = actor.account()?;
        let limit = check_limit(q.limit)?;
        let before = q.cursor.as_deref().map(decode_cursor).transpose()?;
        let (start, end) = (q.from.unwrap_or(i64::MIN), q.to.unwrap_or(i64::MAX));
        if start > end {
            return Err(Error::invalid("to", "`to` must not be before `from`."));
        }
        if let Some(c) = q.campaign {
            if !store::campaign_belongs(self.pool(), account, c).await? {
                return Err(campaign_not_found());
            }
        }
        // One more than asked for says whether there is a next page.
        let mut rows = store::calls_page(self.pool(), account, start, end, q.campaign, before, store::Order::NewestFirst, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(|r| encode_cursor(r.started_at, r.id)) } else { None };
        Ok(CallPage { calls: rows.into_iter().map(call_of).collect(), next_cursor })
    }

    pub async fn call(&self, actor: &Actor, id: CallId) -> Result<Call> {
        let account = actor.account()?;
        store::call(self.pool(), account, id.0).await?.map(call_of).ok_or_else(call_not_found)
    }

    /// Checks every field of a call to write, the campaign last (it needs
    /// the store). `new_time`: started_at is new, so checked against the
    /// clock (a stored call keeps its time when other fields change).
    async fn check_call(&self, account: AccountId, c: NewCall, new_time: bool) -> Result<CheckedCall> {
        let caller = parse_number("caller", &c.caller)?;
        let started_at = if new_time { check_started_at(c.started_at, self.deps.now())? } else { c.started_at };
        let duration_secs = check_duration(c.duration_secs)?;
        let outcome = parse_outcome(&c.outcome)?;
        let revenue_cents = check_revenue(c.revenue_cents)?;
        let tags = store::join_tags(&check_tags(&c.tags)?);
        if !store::campaign_belongs(self.pool(), account, c.campaign_id).await? {
            // Like another account's campaign: not found.
            return Err(campaign_not_found());
        }
        Ok(CheckedCall { campaign_id: c.campaign_id, caller, started_at, duration_secs, outcome, revenue_cents, tags })
    }

    pub async fn create_call(&self, actor: &Actor, new: NewCall) -> Result<Call> {
        let account = actor.account_to_write()?;
        let checked = self.check_call(account, new, true).await?;
        let cap = self.max_calls;
        let id = store::insert_call(self.pool(), account, &checked.write(), cap).await?.ok_or_else(|| {
            Error::refused(
                ErrorCode::CallLimitReached,
                format!("This account holds {cap} calls, the most it may store: delete old calls (or a campaign) first."),
            )
        })?;
        self.call(actor, CallId(id)).await
    }

    pub async fn update_call(&self, actor: &Actor, id: CallId, patch: CallPatch) -> Result<Call> {
        let account = actor.account_to_write()?;
        let cur = store::call(self.pool(), account, id.0).await?.ok_or_else(call_not_found)?;
        let new_time = patch.started_at.is_some();
        let merged = NewCall {
            campaign_id: patch.campaign_id.unwrap_or(cur.campaign_id),
            caller: patch.caller.unwrap_or(cur.caller),
            started_at: patch.started_at.unwrap_or(cur.started_at),
            duration_secs: patch.duration_secs.unwrap_or(cur.duration_secs),
            outcome: patch.outcome.unwrap_or_else(|| cur.outcome.code().to_owned()),
            revenue_cents: patch.revenue_cents.unwrap_or(cur.revenue_cents),
            tags: patch.tags.unwrap_or(cur.tags),
        };
        let checked = self.check_call(account, merged, new_time).await?;
        if store::update_call(self.pool(), account, id.0, &checked.write()).await? == 0 {
            return Err(call_not_found());
        }
        self.call(actor, id).await
    }

    pub async fn delete_call(&self, actor: &Actor, id: CallId) -> Result<()> {
        let account = actor.account_to_write()?;
        if store::delete_call(self.pool(), account, id.0).await? == 0 {
            return Err(call_not_found());
        }
        Ok(())
    }

    /// Per-day totals in the account's zone for `from..=to` (`YYYY-MM-DD`;
    /// the last 7 days by default, at most 366), every campaign or one.
    /// Through the reports gate, like the Reporting page.
    pub async fn daily(&self, actor: &Actor, from: Option<&str>, to: Option<&str>, campaign: Option<i64>) -> Result<DailyReport> {
        let account = actor.account()?;
        let zone: Zone = accounts::time_zone(self.pool(), account).await?;
        let today = zone.date_of(self.deps.now()).ok_or_else(|| Error::internal("the clock is out of the calendar"))?;
        let (from, to) = daily_range(from, to, today)?;
        if let Some(c) = campaign {
            if !store::campaign_belongs(self.pool(), account, c).await? {
                return Err(campaign_not_found());
            }
        }
        let open = self.protection.reports_gate(actor, zone, from, to).await?;
        let report = store::report(self.pool(), open.account(), open.zone(), open.from(), open.to(), campaign).await?;
        Ok(DailyReport {
            from: open.from(),
            to: open.to(),
            time_zone: open.zone().name().to_owned(),
            campaign: campaign.map(CampaignId),
            totals: report.totals,
            days: report.days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn field<T: fmt::Debug>(r: Result<T>) -> Option<&'static str> {
        match r {
            Err(e) if e.code() == ErrorCode::InvalidInput => e.field(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn each_refusal_names_its_field() {
        assert_eq!(field(parse_name("  ")), Some("name"));
        assert_eq!(field(parse_number("tracking_number", "555-0100")), Some("tracking_number"));
        assert_eq!(field(parse_number("caller", "+0123")), Some("caller"));
        assert_eq!(field(parse_status(Some("archived"))), Some("status"));
        assert_eq!(field(parse_status(Some("Active"))), Some("status"), "codes are exact");
        assert_eq!(parse_status(None).ok(), Some(CampaignStatus::Active));
        assert_eq!(field(parse_outcome("busy")), Some("outcome"));
        assert_eq!(field(check_duration(-1)), Some("duration_secs"));
        assert_eq!(field(check_duration(86_401)), Some("duration_secs"));
        assert_eq!(check_duration(86_400).ok(), Some(86_400));
        assert_eq!(field(check_revenue(Some(-1))), Some("revenue_cents"));
        assert_eq!(field(check_revenue(Some(1_000_000_001))), Some("revenue_cents"));
        assert_eq!(check_revenue(None).ok(), Some(None));
        assert_eq!(field(check_limit(Some(0))), Some("limit"));
        assert_eq!(field(check_limit(Some(101))), Some("limit"));
        assert_eq!((check_limit(None).ok(), check_limit(Some(100)).ok()), (Some(50), Some(100)));
    }

    #[test]
    fn a_call_starts_between_2000_and_five_minutes_from_now() {
        let now = 1_790_000_000;
        assert_eq!(check_started_at(now + 300, now).ok(), Some(now + 300));
        assert_eq!(field(check_started_at(now + 301, now)), Some("started_at"));
        assert_eq!(check_started_at(EARLIEST_CALL, now).ok(), Some(EARLIEST_CALL));
        assert_eq!(field(check_started_at(EARLIEST_CALL - 1, now)), Some("started_at"));
    }

    #[test]
    fn tags_are_few_short_and_plain() {
        assert_eq!(check_tags(&[" new ".into(), "quote".into()]).ok(), Some(vec!["new".to_owned(), "quote".to_owned()]));
        assert_eq!(check_tags(&["x".repeat(32)]).map(|t| t.len()).ok(), Some(1));
        for bad in [vec!["a,b".to_owned()], vec!["  ".to_owned()], vec!["x".repeat(33)], vec!["a\tb".to_owned()], vec!["t".to_owned(); 11]] {
            assert_eq!(field(check_tags(&bad)), Some("tags"), "{bad:?}");
        }
        assert!(check_tags(&vec!["t".to_owned(); 10]).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_tampered_ones_are_refused() {
        for (at, id) in [(1_790_000_000, 42), (0, 1), (946_684_800, 9), (999_999_999_999_999_999, 999_999_999_999_999_999)] {
            let c = encode_cursor(at, id);
            assert!(c.bytes().all(|b| b.is_ascii_digit() || b == b'.'), "{c} is URL-safe");
            assert_eq!(decode_cursor(&c).ok(), Some((at, id)));
        }
        for bad in ["", "1790000000", "1790000000.x", "abc.1", "1.0", "1.-3", "-1.3", "1.2.3", "9999999999999999999.1", " 1.2", "1.02", "+1.2"] {
            assert_eq!(field(decode_cursor(bad)), Some("cursor"), "{bad:?}");
        }
    }

    #[test]
    fn a_daily_range_defaults_to_the_last_seven_days_and_is_checked() {
        let today = date(2026, 3, 30);
        assert_eq!(daily_range(None, None, today).ok(), Some((date(2026, 3, 24), today)));
        assert_eq!(daily_range(Some("2026-03-01"), None, today).ok(), Some((date(2026, 3, 1), date(2026, 3, 7))));
        assert_eq!(daily_range(None, Some("2026-03-07"), today).ok(), Some((date(2026, 3, 1), date(2026, 3, 7))));
        assert_eq!(daily_range(Some("2026-01-01"), Some("2026-01-01"), today).ok(), Some((date(2026, 1, 1), date(2026, 1, 1))));
        assert_eq!(field(daily_range(Some("2026-3-1"), None, today)), Some("from"));
        assert_eq!(field(daily_range(None, Some("2026-02-30"), today)), Some("to"));
        assert_eq!(field(daily_range(Some("2026-03-02"), Some("2026-03-01"), today)), Some("to"));
        assert!(daily_range(Some("2024-01-01"), Some("2024-12-31"), today).is_ok(), "366 days (a leap year)");
        assert_eq!(field(daily_range(Some("2025-01-01"), Some("2026-01-02"), today)), Some("to"), "367 days");
    }
}
