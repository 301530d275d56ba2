//! Reporting's data layer on the real database of each backend: calls
//! counted by the person's days across daylight saving (the 23- and 25-hour
//! days), the campaign filter, one account never seeing another's calls,
//! paging through calls, campaign names unique regardless of case, and the
//! sample data going in as one transaction.

use crate::common::*;
use domain::reporting::days::{Date, Time, Zone};
use domain::reporting::entities::Outcome;
use domain::reporting::sample;
use domain::reporting::store::{self, Totals};
use domain::{AccountId, ErrorCode};

fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).expect("a date")
}

on_both_backends!(
    a_report_counts_calls_by_the_persons_days_across_daylight_saving,
    a_report_can_be_narrowed_to_one_campaign_and_lists_every_campaign,
    another_accounts_calls_are_never_counted_or_listed,
    calls_are_listed_oldest_first_a_page_at_a_time,
    campaign_names_are_unique_per_account_regardless_of_case,
    absurd_ranges_are_refused,
    sample_data_goes_in_as_one_transaction,
);

async fn account(app: &TestApp, name: &str) -> AccountId {
    let id: i64 = sqlx::query_scalar("INSERT INTO accounts (username, email, password_hash, created_at) VALUES ($1, $2, 'x', $3) RETURNING id")
        .bind(name)
        .bind(format!("{name}@example.com"))
        .bind(app.warden.now())
        .fetch_one(app.warden.pool())
        .await
        .expect("insert account");
    AccountId::new(id)
}

async fn campaign(app: &TestApp, account: AccountId, name: &str) -> i64 {
    try_campaign(app, account, name).await.expect("insert campaign")
}

async fn try_campaign(app: &TestApp, account: AccountId, name: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO campaigns (account_id, name, name_key, tracking_number, status, created_at) \
         VALUES ($1, $2, $3, '+14155550100', 'active', $4) RETURNING id",
    )
    .bind(account.get())
    .bind(name)
    .bind(name.to_lowercase())
    .bind(app.warden.now())
    .fetch_one(app.warden.pool())
    .await
}

struct Call<'a> {
    at: i64,
    outcome: Outcome,
    duration: i64,
    revenue: Option<i64>,
    tags: &'a str,
}

fn answered(at: i64) -> Call<'static> {
    Call { at, outcome: Outcome::Answered, duration: 60, revenue: None, tags: "" }
}

async fn call(app: &TestApp, account: AccountId, campaign: i64, c: Call<'_>) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO calls (account_id, campaign_id, caller, started_at, duration_secs, outcome, revenue_cents, tags) \
         VALUES ($1, $2, '+4930901820', $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account.get())
    .bind(campaign)
    .bind(c.at)
    .bind(c.duration)
    .bind(c.outcome.code())
    .bind(c.revenue)
    .bind(c.tags)
    .fetch_one(app.warden.pool())
    .await
    .expect("insert call")
}

fn zone(name: &str) -> Zone {
    Zone::parse(name).expect("zone")
}

/// The Unix second at which `zone`'s clocks read `hh:mm` on `d`.
fn local(zone: &Zone, d: Date, hh: i8, mm: i8) -> i64 {
    zone.at(d, Time::new(hh, mm, 0, 0).expect("a time")).expect("a local time")
}

async fn report(app: &TestApp, account: AccountId, zone: &Zone, from: Date, to: Date, campaign: Option<i64>) -> store::Report {
    store::report(app.warden.pool(), account, zone, from, to, campaign).await.expect("report")
}

fn calls_per_day(r: &store::Report) -> Vec<(Date, i64)> {
    r.days.iter().map(|d| (d.date, d.totals.calls)).collect()
}

async fn a_report_counts_calls_by_the_persons_days_across_daylight_saving(app: TestApp) {
    // Berlin: 2026-03-29 has 23 hours (02:00 becomes 03:00), 2026-10-25 has 25 (03:00 becomes 02:00 again).
    let berlin = zone("Europe/Berlin");
    let anna = account(&app, "anna").await;
    let sale = campaign(&app, anna, "Spring Sale").await;
    let spring = [
        local(&berlin, date(2026, 3, 28), 0, 0),   // the first second of the range
        local(&berlin, date(2026, 3, 28), 23, 30), // 22:30 UTC: still the 28th
        local(&berlin, date(2026, 3, 29), 0, 10),  // 23:10 UTC on the 28th: already the 29th
        local(&berlin, date(2026, 3, 29), 23, 30), // 21:30 UTC, summer time
        local(&berlin, date(2026, 3, 30), 0, 30),
        local(&berlin, date(2026, 3, 31), 0, 0), // the first second after the range
    ];
    assert_eq!(spring[1], 1_774_737_000, "2026-03-28 22:30 UTC");
    assert_eq!(spring[3] - spring[2], 22 * 3600 + 20 * 60, "00:10 to 23:30 on the short day");
    for at in spring {
        call(&app, anna, sale, answered(at)).await;
    }
    let r = report(&app, anna, &berlin, date(2026, 3, 28), date(2026, 3, 30), None).await;
    assert_eq!(calls_per_day(&r), [(date(2026, 3, 28), 2), (date(2026, 3, 29), 2), (date(2026, 3, 30), 1)]);
    assert_eq!(r.totals.calls, 5);

    // The long day: 02:30 happens twice (00:30 and 01:30 UTC); both are the 25th.
    let twice = local(&berlin, date(2026, 10, 25), 2, 30);
    let autumn = [
        local(&berlin, date(2026, 10, 24), 23, 30),
        local(&berlin, date(2026, 10, 25), 0, 0),
        twice,
        twice + 3600,
        local(&berlin, date(2026, 10, 25), 23, 59),
        local(&berlin, date(2026, 10, 26), 0, 0),
    ];
    assert_eq!(autumn[4] - autumn[1], 25 * 3600 - 60, "midnight to 23:59 on the long day");
    for at in autumn {
        call(&app, anna, sale, Call { at, outcome: Outcome::Missed, duration: 0, revenue: None, tags: "" }).await;
    }
    let r = report(&app, anna, &berlin, date(2026, 10, 24), date(2026, 10, 26), None).await;
    assert_eq!(calls_per_day(&r), [(date(2026, 10, 24), 1), (date(2026, 10, 25), 4), (date(2026, 10, 26), 1)]);
    assert_eq!((r.totals.missed, r.totals.answered), (6, 0));

    // New York: 2026-03-08 has 23 hours, 2026-11-01 has 25; 23:30 there is the next day in UTC.
    let ny = zone("America/New_York");
    let ned = account(&app, "ned").await;
    let ads = campaign(&app, ned, "Google Ads").await;
    let calls = [
        (local(&ny, date(2026, 3, 7), 23, 30), 1000),      // 04:30 UTC on the 8th
        (local(&ny, date(2026, 3, 8), 1, 59), 200),        // just before the jump
        (local(&ny, date(2026, 3, 8), 3, 0), 300),         // just after it
        (local(&ny, date(2026, 3, 8), 23, 30), 0),         // 03:30 UTC on the 9th
        (local(&ny, date(2026, 11, 1), 1, 30), 50),        // the first 01:30
        (local(&ny, date(2026, 11, 1), 1, 30) + 3600, 50), // the second
        (local(&ny, date(2026, 11, 1), 23, 30), 0),
    ];
    assert_eq!(calls[0].0, 1_772_944_200, "2026-03-08 04:30 UTC");
    assert_eq!(calls[2].0 - calls[1].0, 60, "01:59 to 03:00 is one minute");
    let outcomes = [Outcome::Answered, Outcome::Answered, Outcome::Voicemail, Outcome::Missed, Outcome::Answered, Outcome::Answered, Outcome::Missed];
    for ((at, cents), outcome) in calls.into_iter().zip(outcomes) {
        let revenue = (cents > 0).then_some(cents);
        call(&app, ned, ads, Call { at, outcome, duration: 30, revenue, tags: "" }).await;
    }
    let r = report(&app, ned, &ny, date(2026, 3, 7), date(2026, 3, 9), None).await;
    assert_eq!(calls_per_day(&r), [(date(2026, 3, 7), 1), (date(2026, 3, 8), 3), (date(2026, 3, 9), 0)]);
    let eighth = r.days[1].totals;
    assert_eq!(eighth, Totals { calls: 3, answered: 1, missed: 1, voicemail: 1, duration_secs: 90, revenue_cents: 500 });
    assert_eq!(r.totals.revenue_cents, 1500);
    let r = report(&app, ned, &ny, date(2026, 11, 1), date(2026, 11, 1), None).await;
    assert_eq!(calls_per_day(&r), [(date(2026, 11, 1), 3)]);
    assert_eq!(r.totals.answer_rate_percent().map(|p| p.round()), Some(67.0));
    assert_eq!(r.totals.average_duration_secs(), Some(30));
    // The same calls, read in Berlin, fall on Berlin's dates.
    let r = report(&app, ned, &berlin, date(2026, 3, 7), date(2026, 3, 9), None).await;
    assert_eq!(calls_per_day(&r), [(date(2026, 3, 7), 0), (date(2026, 3, 8), 3), (date(2026, 3, 9), 1)]);
}

async fn a_report_can_be_narrowed_to_one_campaign_and_lists_every_campaign(app: TestApp) {
    let utc = Zone::utc();
    let anna = account(&app, "anna").await;
    assert!(!store::has_any_campaign(app.warden.pool(), anna).await.expect("read"));
    let banana = campaign(&app, anna, "banana Radio").await;
    let apple = campaign(&app, anna, "Apple Ads").await;
    let quiet = campaign(&app, anna, "Cherry (quiet)").await;
    assert!(store::has_any_campaign(app.warden.pool(), anna).await.expect("read"));
    let day = |d: i8| local(&utc, date(2026, 5, d), 12, 0);
    call(&app, anna, apple, Call { at: day(1), outcome: Outcome::Answered, duration: 100, revenue: Some(2500), tags: "sale" }).await;
    call(&app, anna, apple, Call { at: day(2), outcome: Outcome::Missed, duration: 0, revenue: None, tags: "" }).await;
    call(&app, anna, banana, Call { at: day(2), outcome: Outcome::Voicemail, duration: 40, revenue: None, tags: "" }).await;
    call(&app, anna, banana, Call { at: day(9), outcome: Outcome::Answered, duration: 10, revenue: None, tags: "" }).await;

    let all = report(&app, anna, &utc, date(2026, 5, 1), date(2026, 5, 3), None).await;
    assert_eq!(all.totals, Totals { calls: 3, answered: 1, missed: 1, voicemail: 1, duration_secs: 140, revenue_cents: 2500 });
    let listed: Vec<_> = all.campaigns.iter().map(|c| (c.id, c.name.as_str(), c.totals.calls)).collect();
    assert_eq!(listed, [(apple, "Apple Ads", 2), (banana, "banana Radio", 1), (quiet, "Cherry (quiet)", 0)], "every campaign, by name");
    assert_eq!(calls_per_day(&all), [(date(2026, 5, 1), 1), (date(2026, 5, 2), 2), (date(2026, 5, 3), 0)]);

    let one = report(&app, anna, &utc, date(2026, 5, 1), date(2026, 5, 3), Some(banana)).await;
    assert_eq!(one.totals, Totals { calls: 1, voicemail: 1, duration_secs: 40, ..Totals::default() });
    assert_eq!(one.campaigns.iter().map(|c| (c.id, c.totals.calls)).collect::<Vec<_>>(), [(banana, 1)]);
    assert_eq!(calls_per_day(&one), [(date(2026, 5, 1), 0), (date(2026, 5, 2), 1), (date(2026, 5, 3), 0)]);
    let none = report(&app, anna, &utc, date(2026, 5, 1), date(2026, 5, 3), Some(quiet)).await;
    assert_eq!((none.totals, none.campaigns.len()), (Totals::default(), 1));

    let names: Vec<_> = store::campaigns(app.warden.pool(), anna).await.expect("campaigns").into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Apple Ads", "banana Radio", "Cherry (quiet)"]);
}

async fn another_accounts_calls_are_never_counted_or_listed(app: TestApp) {
    let utc = Zone::utc();
    let pool = app.warden.pool();
    let anna = account(&app, "anna").await;
    let bob = account(&app, "bob").await;
    let hers = campaign(&app, anna, "Spring Sale").await;
    let his = campaign(&app, bob, "Spring Sale").await;
    let at = local(&utc, date(2026, 5, 1), 9, 0);
    call(&app, anna, hers, answered(at)).await;
    for i in 0..3 {
        call(&app, bob, his, answered(at + i)).await;
    }
    let r = report(&app, anna, &utc, date(2026, 5, 1), date(2026, 5, 1), None).await;
    assert_eq!((r.totals.calls, r.campaigns.len()), (1, 1));
    // Bob's campaign id as Anna's filter opens nothing of his.
    let r = report(&app, anna, &utc, date(2026, 5, 1), date(2026, 5, 1), Some(his)).await;
    assert_eq!((r.totals, r.campaigns.len()), (Totals::default(), 0));
    assert!(store::campaign_belongs(pool, anna, hers).await.expect("read"));
    assert!(!store::campaign_belongs(pool, anna, his).await.expect("read"));
    assert!(!store::campaign_belongs(pool, anna, 999_999).await.expect("read"));
    let listed = store::calls_page(pool, anna, at - 10, at + 10, None, None, store::Order::OldestFirst, 100).await.expect("calls");
    assert_eq!(listed.len(), 1);
    assert!(store::calls_page(pool, anna, at - 10, at + 10, Some(his), None, store::Order::OldestFirst, 100).await.expect("calls").is_empty());
    // Deleting an account takes its campaigns and calls with it.
    sqlx::query("DELETE FROM accounts WHERE id = $1").bind(bob.get()).execute(pool).await.expect("delete");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls").fetch_one(pool).await.expect("count");
    assert_eq!(left, 1);
}

async fn calls_are_listed_oldest_first_a_page_at_a_time(app: TestApp) {
    let pool = app.warden.pool();
    let anna = account(&app, "anna").await;
    let a = campaign(&app, anna, "A").await;
    let b = campaign(&app, anna, "B").await;
    let t = 1_780_000_000;
    // Two calls in the same second, inserted out of order.
    let mut ids = Vec::new();
    for (offset, which) in [(50, a), (10, b), (30, a), (30, b), (20, a), (40, b), (60, a)] {
        ids.push((t + offset, call(&app, anna, which, answered(t + offset)).await, which));
    }
    let outside = call(&app, anna, a, answered(t + 100)).await;
    call(&app, anna, a, answered(t - 1)).await;
    ids.sort();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store::calls_page(pool, anna, t, t + 100, None, after, store::Order::OldestFirst, 3).await.expect("page");
        assert!(page.len() <= 3);
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| (c.started_at, c.id));
        seen.extend(page.into_iter().map(|c| (c.started_at, c.id, c.campaign_id)));
    }
    assert_eq!(seen, ids, "every call once, by time then id; the end is exclusive");
    assert!(!seen.iter().any(|c| c.1 == outside));

    let only_b: Vec<_> = store::calls_page(pool, anna, t, t + 100, Some(b), None, store::Order::OldestFirst, 10)
        .await
        .expect("b")
        .into_iter()
        .map(|c| c.started_at)
        .collect();
    assert_eq!(only_b, [t + 10, t + 30, t + 40]);
    let after_first_of_pair = ids.iter().find(|c| c.0 == t + 30).map(|c| (c.0, c.1));
    let rest = store::calls_page(pool, anna, t, t + 100, None, after_first_of_pair, store::Order::OldestFirst, 10).await.expect("rest");
    assert_eq!(rest.first().map(|c| c.started_at), Some(t + 30), "the second call of the same second follows");
    assert!(store::calls_page(pool, anna, t, t + 100, None, None, store::Order::OldestFirst, 0).await.expect("none").is_empty());

    // A row as the CSV export reads it.
    let id = call(&app, anna, b, Call { at: t + 70, outcome: Outcome::Voicemail, duration: 33, revenue: Some(1250), tags: "quote,new-caller" }).await;
    let row = store::calls_page(pool, anna, t + 70, t + 71, None, None, store::Order::OldestFirst, 10).await.expect("row").pop().expect("one");
    assert_eq!((row.id, row.campaign_id, row.campaign_name.as_str(), row.caller.as_str()), (id, b, "B", "+4930901820"));
    assert_eq!(
        (row.duration_secs, row.outcome, row.revenue_cents, row.tags.clone()),
        (33, Outcome::Voicemail, Some(1250), vec!["quote".to_owned(), "new-caller".to_owned()])
    );
    let line = domain::reporting::csv::line(&row, &Zone::utc());
    assert!(line.ends_with(",B,+4930901820,33,voicemail,12.50,\"quote,new-caller\"\r\n"), "{line}");
}

async fn campaign_names_are_unique_per_account_regardless_of_case(app: TestApp) {
    let anna = account(&app, "anna").await;
    let bob = account(&app, "bob").await;
    campaign(&app, anna, "Spring Sale").await;
    let again = try_campaign(&app, anna, "spring sale").await.expect_err("the same name in other case");
    assert!(domain::support::db::is_unique_violation(&again), "{again}");
    campaign(&app, bob, "spring sale").await;
    campaign(&app, anna, "Spring Sale 2").await;
}

async fn absurd_ranges_are_refused(app: TestApp) {
    let anna = account(&app, "anna").await;
    let pool = app.warden.pool();
    let utc = Zone::utc();
    let long = store::report(pool, anna, &utc, date(2020, 1, 1), date(2026, 1, 1), None).await.err().map(|e| e.code());
    assert_eq!(long, Some(ErrorCode::InvalidInput));
    let backwards = store::report(pool, anna, &utc, date(2026, 1, 2), date(2026, 1, 1), None).await.err().map(|e| e.code());
    assert_eq!(backwards, Some(ErrorCode::InvalidInput));
    let year = store::report(pool, anna, &utc, date(2025, 1, 1), date(2025, 12, 31), None).await.expect("a year");
    assert_eq!((year.days.len(), year.totals.calls, year.campaigns.len()), (365, 0, 0));
}

async fn sample_data_goes_in_as_one_transaction(app: TestApp) {
    let pool = app.warden.pool();
    let ny = zone("America/New_York");
    let now = app.warden.now();
    let data = sample::generate(42, &ny, now, 60);
    let anna = account(&app, "anna").await;

    // Rolled back: nothing stays.
    let mut tx = pool.begin().await.expect("begin");
    sample::insert(&mut tx, anna, &data, now).await.expect("insert");
    tx.rollback().await.expect("rollback");
    assert!(!store::has_any_campaign(pool, anna).await.expect("read"));

    let mut tx = pool.begin().await.expect("begin");
    let n = sample::insert(&mut tx, anna, &data, now).await.expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(n, data.calls.len() as u64);
    let names: Vec<_> = store::campaigns(pool, anna).await.expect("campaigns").into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["Google Ads", "Radio Morning Show", "Spring Sale"]);

    let today = ny.date_of(now).expect("today");
    let first = (0..59).fold(today, |d, _| d.yesterday().expect("a day before"));
    let r = report(&app, anna, &ny, first, today, None).await;
    assert_eq!(r.totals.calls, data.calls.len() as i64);
    assert_eq!(r.days.len(), 60);
    let answered = data.calls.iter().filter(|c| c.outcome == Outcome::Answered).count() as i64;
    let revenue: i64 = data.calls.iter().filter_map(|c| c.revenue_cents).sum();
    assert_eq!((r.totals.answered, r.totals.revenue_cents), (answered, revenue));
    // Each day has what was generated for it.
    for d in &r.days {
        let want = data.calls.iter().filter(|c| ny.date_of(c.started_at) == Some(d.date)).count() as i64;
        assert_eq!(d.totals.calls, want, "{}", d.date);
    }
    let per_campaign: i64 = r.campaigns.iter().map(|c| c.totals.calls).sum();
    assert_eq!(per_campaign, r.totals.calls);
}
