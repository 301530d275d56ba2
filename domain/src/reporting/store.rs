//! The `campaigns` and `calls` tables, and the one query that counts calls
//! by the person's days.
//!
//! A report's days are calendar days in the account's zone, 23, 24 or 25
//! hours long. SQL cannot know the zone's rules on both backends, so it
//! counts by UTC bucket (`started_at / bucket`) and by campaign, and
//! [`report`] folds those buckets into days here. The bucket is the largest
//! that divides every day boundary of the range, so none straddles two days:
//! an hour in Berlin or New York, a quarter hour in Kathmandu (every zone in
//! use today starts its days on a quarter hour), a whole day in UTC, less
//! for the odd offsets of history.

use super::days::Zone;
use super::entities::{CampaignStatus, Outcome};
use crate::actor::AccountId;
use crate::error::{Error, ErrorCode, Result};
use jiff::civil::Date;
use sqlx::Row;

/// The longest range a report counts: a little over a year.
pub const MAX_REPORT_DAYS: i64 = 400;
/// The most calls one page of [`calls_page`] returns.
pub const MAX_PAGE: i64 = 10_000;
/// The largest UTC bucket the database counts by, in seconds.
const MAX_BUCKET_SECS: i64 = 86_400;

pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub tracking_number: String,
    pub status: CampaignStatus,
    pub created_at: i64,
}

/// An account's campaigns, by name regardless of case.
pub async fn campaigns(db: &sqlx::AnyPool, account: AccountId) -> Result<Vec<CampaignRow>> {
    let rows = sqlx::query("SELECT id, name, tracking_number, status, created_at FROM campaigns WHERE account_id = $1 ORDER BY name_key, id")
        .bind(account.get())
        .fetch_all(db)
        .await?;
    rows.iter().map(campaign_row).collect()
}

pub async fn has_any_campaign(db: &sqlx::AnyPool, account: AccountId) -> Result<bool> {
    let one: Option<i64> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE account_id = $1 LIMIT 1").bind(account.get()).fetch_optional(db).await?;
    Ok(one.is_some())
}

/// Whether `campaign` is one of `account`'s: checked before a filter is
/// shown or used, so an id from another account opens nothing.
pub async fn campaign_belongs(db: &sqlx::AnyPool, account: AccountId, campaign: i64) -> Result<bool> {
    let one: Option<i64> = sqlx::query_scalar("SELECT id FROM campaigns WHERE id = $1 AND account_id = $2")
        .bind(campaign)
        .bind(account.get())
        .fetch_optional(db)
        .await?;
    Ok(one.is_some())
}

fn campaign_row(r: &sqlx::any::AnyRow) -> Result<CampaignRow> {
    let status: String = r.try_get("status")?;
    Ok(CampaignRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        tracking_number: r.try_get("tracking_number")?,
        status: CampaignStatus::from_code(&status).ok_or_else(|| Error::internal(format!("campaign status {status:?}")))?,
        created_at: r.try_get("created_at")?,
    })
}

/// One of the account's campaigns; `None` for an unknown id and for
/// another account's alike.
pub async fn campaign(db: &sqlx::AnyPool, account: AccountId, id: i64) -> Result<Option<CampaignRow>> {
    let row = sqlx::query("SELECT id, name, tracking_number, status, created_at FROM campaigns WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account.get())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(campaign_row).transpose()
}

/// A campaign as it is written: `name_key` is [`super::entities::CampaignName::key`].
pub struct CampaignWrite<'a> {
    pub name: &'a str,
    pub name_key: &'a str,
    pub tracking_number: &'a str,
    pub status: CampaignStatus,
}

/// Inserts a campaign; a name taken in the account (ignoring case) fails
/// it with a unique violation.
pub async fn insert_campaign(db: &sqlx::AnyPool, account: AccountId, c: &CampaignWrite<'_>, now: i64) -> std::result::Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO campaigns (account_id, name, name_key, tracking_number, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account.get())
    .bind(c.name)
    .bind(c.name_key)
    .bind(c.tracking_number)
    .bind(c.status.code())
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(id)
}

/// Rewrites one of the account's campaigns; the rows changed (0: not the
/// account's). A taken name fails it with a unique violation.
pub async fn update_campaign(db: &sqlx::AnyPool, account: AccountId, id: i64, c: &CampaignWrite<'_>) -> std::result::Result<u64, sqlx::Error> {
    Ok(sqlx::query("UPDATE campaigns SET name = $1, name_key = $2, tracking_number = $3, status = $4 WHERE id = $5 AND account_id = $6")
        .bind(c.name)
        .bind(c.name_key)
        .bind(c.tracking_number)
        .bind(c.status.code())
        .bind(id)
        .bind(account.get())
        .execute(db)
        .await?
        .rows_affected())
}

/// Deletes one of the account's campaigns and, first, its calls, in the
/// caller's transaction (SQLite enforces the cascade only with foreign keys
/// on; this does not depend on it). The campaigns deleted: 0 or 1.
pub async fn delete_campaign(tx: &mut sqlx::AnyConnection, account: AccountId, id: i64) -> Result<u64> {
    sqlx::query("DELETE FROM calls WHERE campaign_id = $1 AND account_id = $2").bind(id).bind(account.get()).execute(&mut *tx).await?;
    Ok(sqlx::query("DELETE FROM campaigns WHERE id = $1 AND account_id = $2").bind(id).bind(account.get()).execute(&mut *tx).await?.rows_affected())
}

/// What a set of calls adds up to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub voicemail: i64,
    pub duration_secs: i64,
    pub revenue_cents: i64,
}

impl Totals {
    /// Answered calls as a percentage of all calls; `None` without calls.
    pub fn answer_rate_percent(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.answered as f64 * 100.0 / self.calls as f64)
    }

    /// The mean length of a call (all outcomes: a missed call's ringing
    /// counts as it was stored), to the nearest second; `None` without calls.
    pub fn average_duration_secs(&self) -> Option<i64> {
        (self.calls > 0).then(|| (self.duration_secs + self.calls / 2).div_euclid(self.calls))
    }

    fn add(&mut self, o: &Totals) {
        self.calls += o.calls;
        self.answered += o.answered;
        self.missed += o.missed;
        self.voicemail += o.voicemail;
        self.duration_secs += o.duration_secs;
        self.revenue_cents += o.revenue_cents;
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayTotals {
    pub date: Date,
    pub totals: Totals,
}

pub struct CampaignTotals {
    pub id: i64,
    pub name: String,
    pub totals: Totals,
}

pub struct Report {
    pub totals: Totals,
    pub days: Vec<DayTotals>,
    pub campaigns: Vec<CampaignTotals>,
}

/// The dates `from..=to` with each one's `[start, end)` in `zone`, or a
/// refusal a person can act on.
fn days_of(zone: &Zone, from: Date, to: Date) -> Result<Vec<(Date, i64, i64)>> {
    if from > to {
        return Err(Error::refused(ErrorCode::InvalidInput, "The first day of the range must not be after the last."));
    }
    let span = to.since(from).ok().map(|s| s.get_days() as i64 + 1);
    if span.is_none_or(|n| n > MAX_REPORT_DAYS) {
        return Err(Error::refused(ErrorCode::InvalidInput, format!("A report covers at most {MAX_REPORT_DAYS} days. Choose a shorter range.")));
    }
    let mut out = Vec::new();
    let mut date = from;
    loop {
        let (start, end) = zone.bounds(date).ok_or_else(|| Error::refused(ErrorCode::InvalidInput, "That date is out of range."))?;
        out.push((date, start, end));
        if date >= to {
            return Ok(out);
        }
        date = date.tomorrow().map_err(|_| Error::refused(ErrorCode::InvalidInput, "That date is out of range."))?;
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// Calls whose started_at falls in the person's days from..=to (inclusive dates in `zone`), optionally one campaign.
/// `days` has every date of the range, empty days as zeros; `campaigns` lists every campaign of the account
/// (only the filtered one when `campaign` is Some), zeros included, by name.
pub async fn report(db: &sqlx::AnyPool, account: AccountId, zone: &Zone, from: Date, to: Date, campaign: Option<i64>) -> Result<Report> {
    let days = days_of(zone, from, to)?;
    let (start, end) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (f.1, l.2),
        _ => return Err(Error::internal("a report range without days")),
    };
    // The largest bucket that divides every day boundary (fewer groups to
    // send back): at least 900 s in any zone of today.
    let bucket = days.iter().fold(MAX_BUCKET_SECS, |g, d| gcd(gcd(g, d.1), d.2)).max(1);

    let mut list = campaigns(db, account).await?;
    if let Some(id) = campaign {
        list.retain(|c| c.id == id);
    }

    // The order of the GROUP BY, and the unary plus on the filter, keep
    // SQLite's planner on the covering index of (account_id, started_at):
    // grouping by campaign first, or a bare campaign_id = $5, sends it to
    // the campaign index and a table lookup per call (five times slower at
    // 100,000 calls). PostgreSQL reads `+campaign_id` as campaign_id.
    let sql = format!(
        "SELECT campaign_id, started_at / $4 AS bucket, COUNT(*) AS calls, \
         CAST(COALESCE(SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), 0) AS BIGINT) AS answered, \
         CAST(COALESCE(SUM(CASE WHEN outcome = 'missed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS missed, \
         CAST(COALESCE(SUM(CASE WHEN outcome = 'voicemail' THEN 1 ELSE 0 END), 0) AS BIGINT) AS voicemail, \
         CAST(COALESCE(SUM(duration_secs), 0) AS BIGINT) AS duration_secs, \
         CAST(COALESCE(SUM(revenue_cents), 0) AS BIGINT) AS revenue_cents \
         FROM calls WHERE account_id = $1 AND started_at >= $2 AND started_at < $3{} \
         GROUP BY bucket, campaign_id",
        if campaign.is_some() { " AND +campaign_id = $5" } else { "" }
    );
    let mut q = sqlx::query(&sql).bind(account.get()).bind(start).bind(end).bind(bucket);
    if let Some(id) = campaign {
        q = q.bind(id);
    }
    let rows = q.fetch_all(db).await?;

    let mut by_day = vec![Totals::default(); days.len()];
    let mut by_campaign = vec![Totals::default(); list.len()];
    let mut totals = Totals::default();
    let day_starts: Vec<i64> = days.iter().map(|d| d.1).collect();
    for r in &rows {
        let campaign_id: i64 = r.try_get("campaign_id")?;
        let first_second = r.try_get::<i64, _>("bucket")? * bucket;
        let t = Totals {
            calls: r.try_get("calls")?,
            answered: r.try_get("answered")?,
            missed: r.try_get("missed")?,
            voicemail: r.try_get("voicemail")?,
            duration_secs: r.try_get("duration_secs")?,
            revenue_cents: r.try_get("revenue_cents")?,
        };
        // The day whose start is the last at or before the bucket's first second.
        let day = day_starts.partition_point(|&s| s <= first_second).saturating_sub(1);
        if let Some(d) = by_day.get_mut(day) {
            d.add(&t);
        }
        if let Some(i) = list.iter().position(|c| c.id == campaign_id) {
            by_campaign[i].add(&t);
        }
        totals.add(&t);
    }

    Ok(Report {
        totals,
        days: days.iter().zip(by_day).map(|(d, totals)| DayTotals { date: d.0, totals }).collect(),
        campaigns: list.into_iter().zip(by_campaign).map(|(c, totals)| CampaignTotals { id: c.id, name: c.name, totals }).collect(),
    })
}

pub struct CallRow {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub caller: String,
    pub started_at: i64,
    pub duration_secs: i64,
    pub outcome: Outcome,
    pub revenue_cents: Option<i64>,
    pub tags: Vec<String>,
}

/// Which way a page of calls runs, by (started_at, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Oldest first, from after the cursor (the CSV export).
    OldestFirst,
    /// Newest first, from before the cursor (the REST API's list).
    NewestFirst,
}

/// The account's calls with `start <= started_at < end` (of one campaign,
/// if given), in `order`, keyset-paged from the `cursor` pair (started_at,
/// id) onward (exclusive), at most `limit` (and at most [`MAX_PAGE`]).
#[allow(clippy::too_many_arguments)]
pub async fn calls_page(
    db: &sqlx::AnyPool,
    account: AccountId,
    start: i64,
    end: i64,
    campaign: Option<i64>,
    cursor: Option<(i64, i64)>,
    order: Order,
    limit: i64,
) -> Result<Vec<CallRow>> {
    let limit = limit.clamp(0, MAX_PAGE);
    if limit == 0 || start >= end {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT {CALL_COLS} FROM calls c JOIN campaigns k ON k.id = c.campaign_id \
         WHERE c.account_id = $1 AND c.started_at >= $2 AND c.started_at < $3"
    );
    let mut n = 4;
    if campaign.is_some() {
        sql.push_str(&format!(" AND c.campaign_id = ${n}"));
        n += 1;
    }
    let (past, beyond, dir) = match order {
        Order::OldestFirst => (">=", ">", ""),
        Order::NewestFirst => ("<=", "<", " DESC"),
    };
    if cursor.is_some() {
        // (started_at, id) beyond the cursor, written so the index on started_at serves it.
        sql.push_str(&format!(" AND c.started_at {past} ${n} AND (c.started_at {beyond} ${n} OR c.id {beyond} ${})", n + 1));
        n += 2;
    }
    sql.push_str(&format!(" ORDER BY c.started_at{dir}, c.id{dir} LIMIT ${n}"));
    let mut q = sqlx::query(&sql).bind(account.get()).bind(start).bind(end);
    if let Some(id) = campaign {
        q = q.bind(id);
    }
    if let Some((at, id)) = cursor {
        q = q.bind(at).bind(id);
    }
    let rows = q.bind(limit).fetch_all(db).await?;
    rows.iter().map(call_row).collect()
}

fn call_row(r: &sqlx::any::AnyRow) -> Result<CallRow> {
    let outcome: String = r.try_get("outcome")?;
    let tags: String = r.try_get("tags")?;
    Ok(CallRow {
        id: r.try_get("id")?,
        campaign_id: r.try_get("campaign_id")?,
        campaign_name: r.try_get("campaign_name")?,
        caller: r.try_get("caller")?,
        started_at: r.try_get("started_at")?,
        duration_secs: r.try_get("duration_secs")?,
        outcome: Outcome::from_code(&outcome).ok_or_else(|| Error::internal(format!("call outcome {outcome:?}")))?,
        revenue_cents: r.try_get("revenue_cents")?,
        tags: split_tags(&tags),
    })
}

const CALL_COLS: &str = "c.id, c.campaign_id, k.name AS campaign_name, c.caller, c.started_at, c.duration_secs, c.outcome, c.revenue_cents, c.tags";

/// One of the account's calls; `None` for an unknown id and for another
/// account's alike.
pub async fn call(db: &sqlx::AnyPool, account: AccountId, id: i64) -> Result<Option<CallRow>> {
    let sql = format!("SELECT {CALL_COLS} FROM calls c JOIN campaigns k ON k.id = c.campaign_id WHERE c.id = $1 AND c.account_id = $2");
    let row = sqlx::query(&sql).bind(id).bind(account.get()).fetch_optional(db).await?;
    row.as_ref().map(call_row).transpose()
}

/// A call as it is written; `campaign_id` must be one of the account's
/// (checked by the caller).
pub struct CallWrite<'a> {
    pub campaign_id: i64,
    pub caller: &'a str,
    pub started_at: i64,
    pub duration_secs: i64,
    pub outcome: Outcome,
    pub revenue_cents: Option<i64>,
    /// As [`join_tags`] writes them.
    pub tags: &'a str,
}

/// Inserts a call unless the account already holds `cap` of them (then
/// `None`). The count reads the account's index range, in the statement.
pub async fn insert_call(db: &sqlx::AnyPool, account: AccountId, c: &CallWrite<'_>, cap: i64) -> Result<Option<i64>> {
    let id: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO calls (account_id, campaign_id, caller, started_at, duration_secs, outcome, revenue_cents, tags) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE (SELECT COUNT(*) FROM calls WHERE account_id = $1) < $9 RETURNING id",
    )
    .bind(account.get())
    .bind(c.campaign_id)
    .bind(c.caller)
    .bind(c.started_at)
    .bind(c.duration_secs)
    .bind(c.outcome.code())
    .bind(c.revenue_cents)
    .bind(c.tags)
    .bind(cap)
    .fetch_optional(db)
    .await?;
    Ok(id.map(|(id,)| id))
}

/// Rewrites one of the account's calls; the rows changed (0: not the account's).
pub async fn update_call(db: &sqlx::AnyPool, account: AccountId, id: i64, c: &CallWrite<'_>) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE calls SET campaign_id = $1, caller = $2, started_at = $3, duration_secs = $4, outcome = $5, revenue_cents = $6, tags = $7 \
         WHERE id = $8 AND account_id = $9",
    )
    .bind(c.campaign_id)
    .bind(c.caller)
    .bind(c.started_at)
    .bind(c.duration_secs)
    .bind(c.outcome.code())
    .bind(c.revenue_cents)
    .bind(c.tags)
    .bind(id)
    .bind(account.get())
    .execute(db)
    .await?
    .rows_affected())
}

/// Deletes one of the account's calls; the rows deleted (0: not the account's).
pub async fn delete_call(db: &sqlx::AnyPool, account: AccountId, id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM calls WHERE id = $1 AND account_id = $2").bind(id).bind(account.get()).execute(db).await?.rows_affected())
}

/// Tags as stored: comma-separated, blanks dropped.
pub fn split_tags(stored: &str) -> Vec<String> {
    stored.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// Tags as stored: what [`split_tags`] reads back. A comma inside a tag
/// would split it, so it becomes a space.
pub fn join_tags(tags: &[String]) -> String {
    tags.iter().map(|t| t.replace(',', " ")).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn rates_and_averages_need_calls() {
        let none = Totals::default();
        assert_eq!((none.answer_rate_percent(), none.average_duration_secs()), (None, None));
        let t = Totals { calls: 8, answered: 6, missed: 1, voicemail: 1, duration_secs: 1001, revenue_cents: 12_50 };
        assert_eq!(t.answer_rate_percent(), Some(75.0));
        assert_eq!(t.average_duration_secs(), Some(125), "1001 / 8 = 125.125");
        let t = Totals { calls: 3, answered: 2, duration_secs: 5, ..Totals::default() };
        assert_eq!(t.average_duration_secs(), Some(2), "5 / 3 = 1.67 rounds to 2");
        assert!((t.answer_rate_percent().unwrap_or(0.0) - 66.666).abs() < 0.01);
    }

    #[test]
    fn totals_add_field_by_field() {
        let mut a = Totals { calls: 2, answered: 1, missed: 1, voicemail: 0, duration_secs: 60, revenue_cents: 500 };
        a.add(&Totals { calls: 1, answered: 0, missed: 0, voicemail: 1, duration_secs: 20, revenue_cents: 0 });
        assert_eq!(a, Totals { calls: 3, answered: 1, missed: 1, voicemail: 1, duration_secs: 80, revenue_cents: 500 });
    }

    #[test]
    fn ranges_are_checked_and_every_day_has_its_bounds() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let days = days_of(&berlin, date(2026, 3, 28), date(2026, 3, 30)).expect("three days");
        assert_eq!(days.iter().map(|d| (d.2 - d.1) / 3600).collect::<Vec<_>>(), vec![24, 23, 24]);
        assert!(days.windows(2).all(|w| w[0].2 == w[1].1), "days follow each other without gaps");
        assert_eq!(days_of(&berlin, date(2026, 1, 1), date(2026, 1, 1)).map(|d| d.len()).ok(), Some(1));
        let refused = |r: Result<Vec<(Date, i64, i64)>>| matches!(r, Err(Error::Refused { code: ErrorCode::InvalidInput, .. }));
        assert!(refused(days_of(&berlin, date(2026, 3, 2), date(2026, 3, 1))), "backwards");
        assert!(days_of(&berlin, date(2025, 1, 1), date(2026, 2, 4)).is_ok(), "400 days");
        assert!(refused(days_of(&berlin, date(2025, 1, 1), date(2026, 2, 5))), "401 days");
        assert!(refused(days_of(&berlin, date(1900, 1, 1), date(2026, 1, 1))));
    }

    #[test]
    fn every_boundary_of_todays_zones_is_a_quarter_hour_and_odd_historic_ones_shrink_the_bucket() {
        for name in ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Asia/Kolkata"] {
            let z = Zone::parse(name).expect("zone");
            let days = days_of(&z, date(2026, 1, 1), date(2026, 12, 31)).expect("a year");
            assert!(days.iter().all(|d| d.1 % 900 == 0), "{name}");
        }
        let bucket = |z: &str| {
            let days = days_of(&Zone::parse(z).expect("zone"), date(2026, 3, 1), date(2026, 11, 30)).expect("days");
            days.iter().fold(MAX_BUCKET_SECS, |g, d| gcd(gcd(g, d.1), d.2))
        };
        assert_eq!((bucket("UTC"), bucket("Europe/Berlin"), bucket("Asia/Kolkata"), bucket("Asia/Kathmandu")), (86_400, 3600, 1800, 900));
        let monrovia = Zone::parse("Africa/Monrovia").expect("zone");
        let days = days_of(&monrovia, date(1960, 1, 1), date(1960, 1, 3)).expect("days");
        let bucket = days.iter().fold(MAX_BUCKET_SECS, |g, d| gcd(gcd(g, d.1), d.2));
        assert!(bucket < 900 && days.iter().all(|d| d.1 % bucket == 0), "-0:44:30 needs {bucket}");
    }

    #[test]
    fn tags_round_trip_through_their_stored_form() {
        let tags = vec!["new customer".to_owned(), " quote ".to_owned(), "a,b".to_owned(), "".to_owned()];
        assert_eq!(join_tags(&tags), "new customer,quote,a b");
        assert_eq!(split_tags(&join_tags(&tags)), vec!["new customer", "quote", "a b"]);
        assert!(split_tags("").is_empty());
    }
}
