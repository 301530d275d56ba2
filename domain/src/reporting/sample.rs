//! Sample data: three campaigns and a couple of months of plausible calls,
//! so a new account's Reporting page shows what it is for (and the
//! benchmark has something to count). Generation is pure and deterministic
//! for a given seed, zone and moment; [`insert`] writes it in a few
//! multi-row statements on the caller's transaction.

use super::days::Zone;
use super::entities::{CampaignName, CampaignStatus, Outcome, E164};
use super::store::join_tags;
use crate::actor::AccountId;
use crate::error::{Error, Result};
use jiff::civil::{Time, Weekday};
use jiff::ToSpan;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub struct SampleCampaign {
    pub name: CampaignName,
    pub tracking_number: E164,
    pub status: CampaignStatus,
}

pub struct SampleCall {
    /// An index into [`SampleData::campaigns`].
    pub campaign: usize,
    pub caller: E164,
    pub started_at: i64,
    pub duration_secs: i64,
    pub outcome: Outcome,
    pub revenue_cents: Option<i64>,
    pub tags: Vec<String>,
}

pub struct SampleData {
    pub campaigns: Vec<SampleCampaign>,
    pub calls: Vec<SampleCall>,
}

/// Name, tracking number, calls on an ordinary weekday, share answered, and
/// for how many days before `now` it has been paused (no calls since).
const CAMPAIGNS: [(&str, &str, f64, f64, Option<i64>); 3] = [
    ("Spring Sale", "+1 415 555 0100", 30.0, 0.84, None),
    ("Google Ads", "+1 415 555 0101", 22.0, 0.77, None),
    ("Radio Morning Show", "+1 415 555 0102", 14.0, 0.71, Some(12)),
];

/// How the day's calls spread over the hours of the local clock: a working
/// day, busiest late morning and mid afternoon, a trickle at night.
const HOUR_WEIGHTS: [u32; 24] = [1, 0, 0, 0, 0, 1, 2, 5, 10, 14, 15, 14, 11, 12, 14, 13, 11, 8, 6, 4, 3, 2, 2, 1];

/// Weekends are quieter.
const WEEKEND_FACTOR: f64 = 0.3;

const AREA_CODES: [u32; 10] = [212, 305, 312, 415, 512, 617, 646, 702, 718, 917];

fn random_caller(rng: &mut StdRng) -> Option<E164> {
    let area = AREA_CODES[rng.gen_range(0..AREA_CODES.len())];
    E164::parse(&format!("+1{area}{}{:06}", rng.gen_range(2..=9), rng.gen_range(0..1_000_000)))
}

fn hour(rng: &mut StdRng) -> i8 {
    let total: u32 = HOUR_WEIGHTS.iter().sum();
    let mut pick = rng.gen_range(0..total);
    for (h, w) in HOUR_WEIGHTS.iter().enumerate() {
        if pick < *w {
            return h as i8;
        }
        pick -= w;
    }
    12
}

/// 3 campaigns and `days` days (use 60) of plausible calls ending at `now` (never in the future): business-hours daily rhythm in
/// `zone`, quieter weekends, a few thousand calls in all, answer rates ~70-85%, durations, revenue on some answered calls.
/// Deterministic for a given (seed, zone, now).
pub fn generate(seed: u64, zone: &Zone, now: i64, days: u32) -> SampleData {
    let mut rng = StdRng::seed_from_u64(seed);
    let campaigns: Vec<SampleCampaign> = CAMPAIGNS
        .iter()
        .filter_map(|(name, number, _, _, paused)| {
            Some(SampleCampaign {
                name: CampaignName::parse(name)?,
                tracking_number: E164::parse(number)?,
                status: if paused.is_some() { CampaignStatus::Paused } else { CampaignStatus::Active },
            })
        })
        .collect();
    // Regulars call again; most callers are new.
    let regulars: Vec<E164> = (0..400).filter_map(|_| random_caller(&mut rng)).collect();

    let mut calls = Vec::new();
    let Some(today) = zone.date_of(now) else { return SampleData { campaigns, calls } };
    for back in (0..i64::from(days)).rev() {
        let Ok(date) = today.checked_sub(back.days()) else { continue };
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        for (index, spec) in CAMPAIGNS.iter().enumerate().take(campaigns.len()) {
            let (_, _, per_day, answer_rate, paused_days_ago) = *spec;
            if paused_days_ago.is_some_and(|ago| back < ago) {
                continue;
            }
            let volume = per_day * if weekend { WEEKEND_FACTOR } else { 1.0 } * rng.gen_range(0.75..1.25);
            for _ in 0..volume.round() as u32 {
                let time = Time::new(hour(&mut rng), rng.gen_range(0..60), rng.gen_range(0..60), 0).unwrap_or(Time::midnight());
                let Some(started_at) = zone.at(date, time) else { continue };
                let caller = if rng.gen_bool(0.3) { regulars.get(rng.gen_range(0..regulars.len().max(1))).cloned() } else { random_caller(&mut rng) };
                let Some(caller) = caller else { continue };
                let outcome = if rng.gen_bool(answer_rate) {
                    Outcome::Answered
                } else if rng.gen_bool(0.4) {
                    Outcome::Voicemail
                } else {
                    Outcome::Missed
                };
                let (duration_secs, revenue_cents, mut tags) = match outcome {
                    // Mostly a few minutes, now and then a long one (exponential, mean 3 min).
                    Outcome::Answered => {
                        let length = 15 + (-(1.0 - rng.gen::<f64>()).ln() * 180.0) as i64;
                        let sale = rng.gen_bool(0.25).then(|| rng.gen_range(50..=1200) * 50);
                        let mut tags = Vec::new();
                        if sale.is_some() {
                            tags.push("sale".to_owned());
                        }
                        if rng.gen_bool(0.2) {
                            tags.push("quote".to_owned());
                        }
                        (length.min(3600), sale, tags)
                    }
                    Outcome::Voicemail => (rng.gen_range(8..=90), None, Vec::new()),
                    Outcome::Missed => (0, None, Vec::new()),
                };
                if rng.gen_bool(0.35) {
                    tags.push("new-caller".to_owned());
                }
                calls.push(SampleCall { campaign: index, caller, started_at, duration_secs, outcome, revenue_cents, tags });
            }
        }
    }
    calls.retain(|c| c.started_at <= now);
    calls.sort_by_key(|c| c.started_at);
    SampleData { campaigns, calls }
}

/// Rows per multi-row INSERT: 8 values each, well under SQLite's 32766
/// and PostgreSQL's 65535 parameters per statement.
const BATCH: usize = 500;

/// Inserts it for `account` on the given connection (the caller owns the transaction). Returns the number of calls.
/// Multi-row INSERTs in batches (fast on both backends), campaigns first, mapping indices to ids.
pub async fn insert(db: &mut sqlx::AnyConnection, account: AccountId, data: &SampleData, at: i64) -> Result<u64> {
    let mut ids = Vec::with_capacity(data.campaigns.len());
    for c in &data.campaigns {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (account_id, name, name_key, tracking_number, status, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account.get())
        .bind(c.name.as_str())
        .bind(c.name.key())
        .bind(c.tracking_number.as_str())
        .bind(c.status.code())
        .bind(at)
        .fetch_one(&mut *db)
        .await?;
        ids.push(id);
    }
    let mut inserted = 0;
    for batch in data.calls.chunks(BATCH) {
        let mut sql =
            String::from("INSERT INTO calls (account_id, campaign_id, caller, started_at, duration_secs, outcome, revenue_cents, tags) VALUES ");
        for i in 0..batch.len() {
            let p = i * 8;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8));
        }
        let mut q = sqlx::query(&sql);
        for call in batch {
            let campaign = *ids.get(call.campaign).ok_or_else(|| Error::internal(format!("sample call of campaign #{}", call.campaign)))?;
            q = q
                .bind(account.get())
                .bind(campaign)
                .bind(call.caller.as_str().to_owned())
                .bind(call.started_at)
                .bind(call.duration_secs)
                .bind(call.outcome.code())
                .bind(call.revenue_cents)
                .bind(join_tags(&call.tags));
        }
        inserted += q.execute(&mut *db).await?.rows_affected();
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-28 23:30 UTC, a Saturday evening in New York.
    const NOW: i64 = 1_795_908_600;

    /// Every field of every call, in a form that compares.
    fn fingerprint(d: &SampleData) -> Vec<String> {
        d.calls
            .iter()
            .map(|c| {
                let what = (c.campaign, c.caller.as_str(), c.started_at, c.duration_secs, c.outcome.code(), c.revenue_cents, c.tags.join(","));
                format!("{what:?}")
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
        let z = Zone::parse("America/New_York").expect("zone");
        let a = generate(7, &z, NOW, 60);
        assert_eq!(fingerprint(&a), fingerprint(&generate(7, &z, NOW, 60)));
        assert_ne!(fingerprint(&a), fingerprint(&generate(8, &z, NOW, 60)));
        assert_eq!(a.campaigns.len(), 3);
        let names: Vec<_> = a.campaigns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Spring Sale", "Google Ads", "Radio Morning Show"]);
        assert_eq!(a.campaigns.iter().filter(|c| c.status == CampaignStatus::Paused).count(), 1);
    }

    #[test]
    fn calls_fall_in_the_last_days_and_never_in_the_future() {
        for name in ["America/New_York", "Europe/Berlin", "Asia/Kathmandu", "UTC"] {
            let z = Zone::parse(name).expect("zone");
            let d = generate(1, &z, NOW, 60);
            let today = z.date_of(NOW).expect("today");
            let first = today.checked_sub(jiff::Span::new().days(59)).expect("first day");
            let (start, _) = z.bounds(first).expect("bounds");
            assert!(d.calls.iter().all(|c| c.started_at >= start && c.started_at <= NOW), "{name}");
            assert!(d.calls.iter().all(|c| c.campaign < d.campaigns.len()));
            assert!(d.calls.windows(2).all(|w| w[0].started_at <= w[1].started_at), "oldest first");
            assert!((2_000..10_000).contains(&d.calls.len()), "{name}: {} calls", d.calls.len());
        }
    }

    #[test]
    fn weekdays_are_busier_than_weekends_and_business_hours_busier_than_nights() {
        let z = Zone::parse("Europe/Berlin").expect("zone");
        let d = generate(3, &z, NOW, 60);
        let (mut weekday, mut weekend, mut office, mut night) = (0, 0, 0, 0);
        let (mut weekdays, mut weekend_days) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
        for c in &d.calls {
            let local = z.zoned(c.started_at).expect("local");
            match local.weekday() {
                Weekday::Saturday | Weekday::Sunday => (weekend += 1, weekend_days.insert(local.date())),
                _ => (weekday += 1, weekdays.insert(local.date())),
            };
            match local.hour() {
                9..=17 => office += 1,
                0..=5 => night += 1,
                _ => {}
            }
        }
        let per_weekday = weekday as f64 / weekdays.len() as f64;
        let per_weekend_day = weekend as f64 / weekend_days.len() as f64;
        assert!(per_weekday > 2.0 * per_weekend_day, "{per_weekday} a weekday, {per_weekend_day} a weekend day");
        assert!(office > 10 * night, "{office} in office hours, {night} at night");
    }

    #[test]
    fn answer_rates_durations_and_revenue_are_plausible() {
        let z = Zone::utc();
        let d = generate(11, &z, NOW, 60);
        let answered = d.calls.iter().filter(|c| c.outcome == Outcome::Answered).count() as f64;
        let rate = answered / d.calls.len() as f64;
        assert!((0.70..=0.85).contains(&rate), "{rate}");
        assert!(d.calls.iter().all(|c| (0..=3600).contains(&c.duration_secs)));
        assert!(d.calls.iter().all(|c| c.revenue_cents.is_none() || c.outcome == Outcome::Answered));
        let with_revenue = d.calls.iter().filter(|c| c.revenue_cents.is_some()).count() as f64;
        assert!(with_revenue > 0.1 * answered && with_revenue < 0.5 * answered);
        // The paused campaign has had no calls for the last 12 days.
        let paused = d.campaigns.iter().position(|c| c.status == CampaignStatus::Paused).expect("a paused campaign");
        let last = d.calls.iter().filter(|c| c.campaign == paused).map(|c| c.started_at).max().expect("it had calls");
        assert!(last < NOW - 11 * 86_400);
    }
}
