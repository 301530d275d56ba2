//! How long a 30-day report takes over 100,000 calls, on SQLite and on
//! PostgreSQL, against the cheapest query that reads the same rows (an
//! indexed COUNT(*)). Run it through `bench/report`; it prints a table and
//! asserts nothing about time.
//!
//! Per backend: a fresh database (a temporary SQLite file; a new schema in
//! the PostgreSQL at `WARDEN_TEST_POSTGRES_URL`, dropped afterwards), one
//! account with 3 campaigns and 100,000 calls over the last 30 days, another
//! account with as many as noise, then warm runs of each query.

use domain::reporting::days::Zone;
use domain::reporting::entities::{CampaignName, CampaignStatus, Outcome, E164};
use domain::reporting::sample::{self, SampleCall, SampleCampaign, SampleData};
use domain::reporting::store;
use domain::support::db::Store;
use domain::AccountId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const CALLS: usize = 100_000;
const DAYS: i64 = 30;
const RUNS: usize = 20;
const WARMUP: usize = 3;

type Failure = Box<dyn std::error::Error>;

struct Measured {
    backend: &'static str,
    query: &'static str,
    median: f64,
    p95: f64,
    ratio: f64,
}

/// Calls spread evenly over `[start, now]`.
fn data(seed: u64, start: i64, now: i64) -> Result<SampleData, Failure> {
    let mut rng = StdRng::seed_from_u64(seed);
    let campaigns = ["Spring Sale", "Google Ads", "Radio Morning Show"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            Some(SampleCampaign {
                name: CampaignName::parse(name)?,
                tracking_number: E164::parse(&format!("+1415555010{i}"))?,
                status: CampaignStatus::Active,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("campaign")?;
    let callers = (0..2_000).map(|i| E164::parse(&format!("+1212555{:04}", i))).collect::<Option<Vec<_>>>().ok_or("caller")?;
    let calls = (0..CALLS)
        .map(|_| {
            let outcome = match rng.gen_range(0..100) {
                0..=77 => Outcome::Answered,
                78..=89 => Outcome::Missed,
                _ => Outcome::Voicemail,
            };
            let answered = outcome == Outcome::Answered;
            SampleCall {
                campaign: rng.gen_range(0..3),
                caller: callers[rng.gen_range(0..callers.len())].clone(),
                started_at: rng.gen_range(start..=now),
                duration_secs: if answered { rng.gen_range(10..900) } else { 0 },
                outcome,
                revenue_cents: (answered && rng.gen_bool(0.25)).then(|| rng.gen_range(1_000..50_000)),
                tags: if rng.gen_bool(0.3) { vec!["new-caller".to_owned()] } else { Vec::new() },
            }
        })
        .collect();
    Ok(SampleData { campaigns, calls })
}

async fn account(store: &Store, name: &str, now: i64) -> Result<AccountId, Failure> {
    let id: i64 = sqlx::query_scalar("INSERT INTO accounts (username, email, password_hash, created_at) VALUES ($1, $2, 'x', $3) RETURNING id")
        .bind(name)
        .bind(format!("{name}@example.com"))
        .bind(now)
        .fetch_one(&store.pool)
        .await?;
    Ok(AccountId::new(id))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Median and p95 of `RUNS` warm runs, in milliseconds.
async fn time<F, Fut>(mut run: F) -> Result<(f64, f64), Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    for _ in 0..WARMUP {
        run().await?;
    }
    let mut ms = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        run().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.95)))
}

async fn measure(backend: &'static str, url: &str) -> Result<Vec<Measured>, Failure> {
    let store = Store::connect(url).await?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let zone = Zone::parse("America/New_York").ok_or("zone")?;

    // The person's last 30 days, today included.
    let to = zone.date_of(now).ok_or("today")?;
    let from = (1..DAYS).try_fold(to, |d, _| d.yesterday()).map_err(|e| e.to_string())?;
    let (start, _) = zone.bounds(from).ok_or("bounds")?;
    let (_, end) = zone.bounds(to).ok_or("bounds")?;

    let t = Instant::now();
    let anna = account(&store, "anna", now).await?;
    let noise = account(&store, "noise", now).await?;
    let mut tx = store.pool.begin().await?;
    let inserted =
        sample::insert(&mut tx, anna, &data(1, start, now)?, now).await? + sample::insert(&mut tx, noise, &data(2, start, now)?, now).await?;
    tx.commit().await?;
    // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would have done by the time anyone reads.
    let analyze = if backend == "postgres" { "VACUUM ANALYZE calls" } else { "ANALYZE" };
    sqlx::query(analyze).execute(&store.pool).await?;
    eprintln!("{backend}: {inserted} calls inserted in {:.1} s", t.elapsed().as_secs_f64());

    let pool = &store.pool;
    let counted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE account_id = $1 AND started_at >= $2 AND started_at < $3")
        .bind(anna.get())
        .bind(start)
        .bind(end)
        .fetch_one(pool)
        .await?;
    let report = store::report(pool, anna, &zone, from, to, None).await?;
    if report.totals.calls != counted || counted != CALLS as i64 {
        return Err(format!("the report counts {} calls, COUNT(*) {counted}, {CALLS} were inserted", report.totals.calls).into());
    }

    let baseline = time(|| async {
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE account_id = $1 AND started_at >= $2 AND started_at < $3")
            .bind(anna.get())
            .bind(start)
            .bind(end)
            .fetch_one(pool)
            .await?;
        Ok(())
    })
    .await?;
    let full = time(|| async {
        store::report(pool, anna, &zone, from, to, None).await?;
        Ok(())
    })
    .await?;
    let campaign = report.campaigns.first().map(|c| c.id);
    let one = time(|| async {
        store::report(pool, anna, &zone, from, to, campaign).await?;
        Ok(())
    })
    .await?;
    let page = time(|| async {
        store::calls_page(pool, anna, start, end, None, Some((start + 15 * 86_400, 0)), store::Order::OldestFirst, 100).await?;
        Ok(())
    })
    .await?;
    store.close().await;

    let row = |query, (median, p95): (f64, f64)| Measured { backend, query, median, p95, ratio: median / baseline.0 };
    Ok(vec![
        row("COUNT(*) 30 days (baseline)", baseline),
        row("report() 30 days", full),
        row("report() 30 days, 1 campaign", one),
        row("calls_page() 100 mid-range", page),
    ])
}

async fn on_sqlite() -> Result<Vec<Measured>, Failure> {
    let dir = std::env::temp_dir().join(format!("warden-report-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure("sqlite", &format!("sqlite://{}/bench.db?mode=rwc", dir.display())).await;
    std::fs::remove_dir_all(&dir)?;
    result
}

async fn on_postgres(base: &str) -> Result<Vec<Measured>, Failure> {
    use sqlx::Connection;
    let schema = format!("warden_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(base).await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await?;
    let sep = if base.contains('?') { '&' } else { '?' };
    let result = measure("postgres", &format!("{base}{sep}options=-c%20search_path%3D{schema}")).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut admin).await?;
    result
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let mut rows = on_sqlite().await?;
    let url = std::env::var("WARDEN_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match on_postgres(&url).await {
        Ok(r) => rows.extend(r),
        Err(e) => eprintln!("postgres: not measured ({e})"),
    }
    println!("{CALLS} calls in the account over {DAYS} days (+{CALLS} of another account), {RUNS} warm runs each, zone America/New_York");
    println!("{:<9} {:<32} {:>10} {:>10} {:>9}", "backend", "query", "median ms", "p95 ms", "ratio");
    for m in rows {
        println!("{:<9} {:<32} {:>10.2} {:>10.2} {:>8.1}x", m.backend, m.query, m.median, m.p95, m.ratio);
    }
    Ok(())
}
