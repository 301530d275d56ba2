//! The `sessions` table. [`end`] is the one statement that ends sessions
//! for a reason; the [`Lapse`] rule becomes SQL only here, in the macros
//! below, shared by the reads (which compute it) and [`settle_lapsed`] (which
//! writes it down).

use crate::actor::{AccountId, ClientMeta, SessionId};
use crate::error::Result;
use crate::lifetimes::{EndReason, Lapse};
use crate::support::clip;
use crate::support::db::Store;
use crate::support::hot::col;
use crate::support::user_agent::{self, Device, DeviceType};

const MAX_UA: usize = 512;

// The lapse rule's parameters are always $1 second-factor window, $2 idle
// lifetime, $3 absolute lifetime, $4 now; where a reason is written or shown,
// $5 is "second factor not completed" and $6 "expired". See `Lapse::lapsed`.

/// A pending sign-in past its second-factor window.
macro_rules! pending_lapsed {
    () => {
        "(second_factor_pending = 1 AND created_at + $1 <= $4)"
    };
}
/// Any session past its idle or absolute lifetime.
macro_rules! expired {
    () => {
        "(last_active_at + $2 <= $4 OR created_at + $3 <= $4)"
    };
}
/// When a lapsed session ended: its window's end, or the earlier of its two lifetimes' ends.
macro_rules! lapsed_at {
    () => {
        concat!(
            "CASE WHEN ",
            pending_lapsed!(),
            " THEN created_at + $1 WHEN last_active_at + $2 < created_at + $3 THEN last_active_at + $2 ELSE created_at + $3 END"
        )
    };
}
macro_rules! lapsed_reason {
    () => {
        concat!("CASE WHEN ", pending_lapsed!(), " THEN $5 ELSE $6 END")
    };
}

fn bind_lapse<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    lapse: &Lapse,
    now: i64,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(lapse.second_factor_window_secs).bind(lapse.lifetimes.idle_secs).bind(lapse.lifetimes.absolute_secs).bind(now)
}

fn bind_lapse_as<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    lapse: &Lapse,
    now: i64,
    with_reasons: bool,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    let q = q.bind(lapse.second_factor_window_secs).bind(lapse.lifetimes.idle_secs).bind(lapse.lifetimes.absolute_secs).bind(now);
    if with_reasons {
        q.bind(EndReason::SecondFactorNotCompleted.code()).bind(EndReason::Expired.code())
    } else {
        q
    }
}

/// Which sessions of an account to end.
#[derive(Clone, Copy, Debug)]
pub enum Which<'a> {
    One(AccountId, &'a SessionId),
    AllOf(AccountId),
    OthersOf(AccountId, &'a SessionId),
}

impl Which<'_> {
    pub fn account(self) -> AccountId {
        match self {
            Which::One(a, _) | Which::AllOf(a) | Which::OthersOf(a, _) => a,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AuthRow {
    pub id: String,
    pub account_id: i64,
    pub created_at: i64,
    pub last_active_at: i64,
    pub second_factor_pending: i64,
    pub username: String,
    pub time_zone: String,
    pub name: Option<String>,
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: i64,
    pub last_active_at: i64,
    pub ended_at: Option<i64>,
    pub end_reason: Option<String>,
    /// The name the owner gave it ("Work laptop").
    pub name: Option<String>,
    device_browser: Option<String>,
    device_os: Option<String>,
    device_type: Option<String>,
    device_parser: Option<i64>,
}

impl SessionRow {
    /// The labels stored when the session started; the header parsed again
    /// when they are missing (older rows) or from an older parser.
    pub fn device(&self) -> Device {
        let stored = match (&self.device_browser, &self.device_os, self.device_type.as_deref().and_then(DeviceType::from_code)) {
            (Some(browser), Some(os), Some(device)) if self.device_parser == Some(user_agent::PARSER_VERSION) => {
                Some(Device { browser: browser.clone(), os: os.clone(), device })
            }
            _ => None,
        };
        stored.unwrap_or_else(|| user_agent::parse(&self.user_agent))
    }

    /// The row as a hot read reads it ([`crate::support::hot`]).
    fn from_hot(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRow> {
        Ok(SessionRow {
            id: col(r, "id")?,
            user_agent: col(r, "user_agent")?,
            ip: col(r, "ip")?,
            created_at: col(r, "created_at")?,
            last_active_at: col(r, "last_active_at")?,
            ended_at: col(r, "ended_at")?,
            end_reason: col(r, "end_reason")?,
            name: col(r, "name")?,
            device_browser: col(r, "device_browser")?,
            device_os: col(r, "device_os")?,
            device_type: col(r, "device_type")?,
            device_parser: col(r, "device_parser")?,
        })
    }
}

/// A list of sessions read on the request's own thread (SQLite's hot
/// reads), `params` named as in the statement (`$1`, …); `None` when there
/// are no hot reads or the read failed, for the caller to read through the
/// pool.
fn hot_rows(store: &Store, sql: &str, params: &[(&str, &dyn rusqlite::ToSql)]) -> Option<Vec<SessionRow>> {
    store.hot.as_ref()?.read(|c| c.prepare_cached(sql)?.query_map(params, SessionRow::from_hot)?.collect())
}

macro_rules! cols {
    () => {
        "id, user_agent, ip, created_at, last_active_at, name, device_browser, device_os, device_type, device_parser"
    };
}

pub async fn insert<'c, E>(db: E, id: &SessionId, account: AccountId, token_hash: &str, meta: &ClientMeta, at: i64, pending: bool) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let ua = clip(&meta.user_agent, MAX_UA);
    let device = user_agent::parse(ua);
    sqlx::query(
        "INSERT INTO sessions (id, account_id, token_hash, user_agent, ip, created_at, last_active_at, second_factor_pending, \
         device_browser, device_os, device_type, device_parser) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id.as_str())
    .bind(account.get())
    .bind(token_hash)
    .bind(ua)
    .bind(&meta.ip)
    .bind(at)
    .bind(i64::from(pending))
    .bind(device.browser)
    .bind(device.os)
    .bind(device.device.code())
    .bind(user_agent::PARSER_VERSION)
    .execute(db)
    .await?;
    Ok(())
}

/// The live session a cookie's token opens, with who it is: read on every
/// signed-in request, so through the hot reads on SQLite
/// ([`crate::support::hot`]).
pub async fn by_token_hash(store: &Store, token_hash: &str) -> Result<Option<AuthRow>> {
    const SQL: &str = "SELECT s.id, s.account_id, s.created_at, s.last_active_at, s.second_factor_pending, a.username, a.time_zone, s.name \
         FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1 AND s.ended_at IS NULL";
    let hot = store.hot.as_ref().and_then(|hot| {
        hot.read(|c| {
            use rusqlite::OptionalExtension;
            c.prepare_cached(SQL)?
                .query_row(rusqlite::named_params! { "$1": token_hash }, |r| {
                    Ok(AuthRow {
                        id: col(r, "id")?,
                        account_id: col(r, "account_id")?,
                        created_at: col(r, "created_at")?,
                        last_active_at: col(r, "last_active_at")?,
                        second_factor_pending: col(r, "second_factor_pending")?,
                        username: col(r, "username")?,
                        time_zone: col(r, "time_zone")?,
                        name: col(r, "name")?,
                    })
                })
                .optional()
        })
    });
    match hot {
        Some(found) => Ok(found),
        None => store.fetch_optional(sqlx::query_as(SQL).bind(token_hash)).await,
    }
}

/// Sets "last active" to `at` unless it is already later than `not_before`:
/// requests racing each other (or on several instances) that all saw a
/// stale value write it once, not once each.
pub async fn touch(db: &sqlx::AnyPool, id: &SessionId, at: i64, not_before: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE sessions SET last_active_at = $1 WHERE id = $2 AND ended_at IS NULL AND last_active_at <= $3")
        .bind(at)
        .bind(id.as_str())
        .bind(not_before)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the active sessions `which` names, at `at`, for `reason`. Returns how many ended.
pub async fn end<'c, E>(db: E, which: Which<'_>, reason: EndReason, at: i64) -> Result<u64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let (account, extra, id) = match which {
        Which::One(account, id) => (account, " AND id = $4", Some(id)),
        Which::AllOf(account) => (account, "", None),
        Which::OthersOf(account, id) => (account, " AND id <> $4", Some(id)),
    };
    let sql = format!("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE ended_at IS NULL AND account_id = $3{extra}");
    let mut q = sqlx::query(&sql).bind(at).bind(reason.code()).bind(account.get());
    if let Some(id) = id {
        q = q.bind(id.as_str());
    }
    Ok(q.execute(db).await?.rows_affected())
}

/// Writes down, as they ended, the account's sessions that have lapsed (see
/// [`Lapse`]), so that ending "all others" later does not relabel them.
pub async fn settle_lapsed<'c, E>(db: E, account: AccountId, lapse: &Lapse, now: i64) -> Result<u64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let q = sqlx::query(concat!(
        "UPDATE sessions SET ended_at = ",
        lapsed_at!(),
        ", end_reason = ",
        lapsed_reason!(),
        " WHERE account_id = $7 AND ended_at IS NULL AND (",
        pending_lapsed!(),
        " OR ",
        expired!(),
        ")"
    ));
    let q = bind_lapse(q, lapse, now).bind(EndReason::SecondFactorNotCompleted.code()).bind(EndReason::Expired.code());
    Ok(q.bind(account.get()).execute(db).await?.rows_affected())
}

/// The retention sweep's half of [`settle_lapsed`]: up to `batch` lapsed
/// sessions of any account, oldest activity first. Returns how many.
pub async fn settle_lapsed_batch(db: &sqlx::AnyPool, lapse: &Lapse, now: i64, batch: i64) -> Result<u64> {
    let q = sqlx::query(concat!(
        "UPDATE sessions SET ended_at = ",
        lapsed_at!(),
        ", end_reason = ",
        lapsed_reason!(),
        " WHERE id IN (SELECT id FROM sessions WHERE ended_at IS NULL AND (",
        pending_lapsed!(),
        " OR ",
        expired!(),
        ") ORDER BY last_active_at LIMIT $7) AND ended_at IS NULL"
    ));
    let q = bind_lapse(q, lapse, now).bind(EndReason::SecondFactorNotCompleted.code()).bind(EndReason::Expired.code());
    Ok(q.bind(batch).execute(db).await?.rows_affected())
}

/// One session of the account that is active and has not lapsed, if it is one.
pub async fn active_one(db: &sqlx::AnyPool, account: AccountId, id: &SessionId, lapse: &Lapse, now: i64) -> Result<Option<SessionRow>> {
    let q = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        ", ended_at, end_reason FROM sessions WHERE id = $5 AND account_id = $6 AND ended_at IS NULL AND NOT ",
        pending_lapsed!(),
        " AND NOT ",
        expired!()
    ));
    Ok(bind_lapse_as(q, lapse, now, false).bind(id.as_str()).bind(account.get()).fetch_optional(db).await?)
}

/// Active, fully signed-in sessions that have not lapsed, most recently active first.
pub async fn active(store: &Store, account: AccountId, lapse: &Lapse, now: i64) -> Result<Vec<SessionRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        cols!(),
        ", ended_at, end_reason FROM sessions WHERE account_id = $5 AND ended_at IS NULL AND second_factor_pending = 0 AND NOT ",
        expired!(),
        " AND NOT ",
        pending_lapsed!(),
        " ORDER BY last_active_at DESC, created_at DESC LIMIT 500"
    );
    let (window, idle, absolute, id) = (lapse.second_factor_window_secs, lapse.lifetimes.idle_secs, lapse.lifetimes.absolute_secs, account.get());
    let hot = hot_rows(store, SQL, &[("$1", &window), ("$2", &idle), ("$3", &absolute), ("$4", &now), ("$5", &id)]);
    match hot {
        Some(rows) => Ok(rows),
        None => store.fetch_all(bind_lapse_as(sqlx::query_as(SQL), lapse, now, false).bind(id)).await,
    }
}

/// Ended sessions, newest first: those ended in the table, and those still
/// marked active that have lapsed, shown with when and why they lapsed
/// (computed here; nothing is written).
pub async fn ended(store: &Store, account: AccountId, lapse: &Lapse, now: i64, limit: i64, offset: i64) -> Result<Vec<SessionRow>> {
    const SQL: &str = concat!(
        "SELECT * FROM (SELECT ",
        cols!(),
        ", CASE WHEN ended_at IS NOT NULL THEN ended_at ELSE ",
        lapsed_at!(),
        " END AS ended_at, CASE WHEN ended_at IS NOT NULL THEN end_reason ELSE ",
        lapsed_reason!(),
        " END AS end_reason FROM sessions WHERE account_id = $7 AND (ended_at IS NOT NULL OR ",
        pending_lapsed!(),
        " OR ",
        expired!(),
        ")) s ORDER BY ended_at DESC, created_at DESC, id LIMIT $8 OFFSET $9"
    );
    let (window, idle, absolute, id) = (lapse.second_factor_window_secs, lapse.lifetimes.idle_secs, lapse.lifetimes.absolute_secs, account.get());
    let (pending, expired) = (EndReason::SecondFactorNotCompleted.code(), EndReason::Expired.code());
    let hot = hot_rows(
        store,
        SQL,
        &[
            ("$1", &window),
            ("$2", &idle),
            ("$3", &absolute),
            ("$4", &now),
            ("$5", &pending),
            ("$6", &expired),
            ("$7", &id),
            ("$8", &limit),
            ("$9", &offset),
        ],
    );
    match hot {
        Some(rows) => Ok(rows),
        None => store.fetch_all(bind_lapse_as(sqlx::query_as(SQL), lapse, now, true).bind(id).bind(limit).bind(offset)).await,
    }
}

/// Names an active session of the account (`None` clears the name).
/// Returns whether there was one to name.
pub async fn rename(db: &mut sqlx::AnyConnection, account: AccountId, id: &SessionId, name: Option<&str>) -> Result<bool> {
    let done = sqlx::query("UPDATE sessions SET name = $1 WHERE id = $2 AND account_id = $3 AND ended_at IS NULL AND second_factor_pending = 0")
        .bind(name)
        .bind(id.as_str())
        .bind(account.get())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives an active session a new token (and, with `complete_second_factor`,
/// turns a pending sign-in into a full session). Returns whether it did.
pub async fn replace_token<'c, E>(db: E, account: AccountId, id: &SessionId, token_hash: &str, at: i64, complete_second_factor: bool) -> Result<bool>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = if complete_second_factor {
        "UPDATE sessions SET token_hash = $1, last_active_at = $2, second_factor_pending = 0, reports_unlocked_until = NULL \
         WHERE id = $3 AND account_id = $4 AND ended_at IS NULL AND second_factor_pending = 1"
    } else {
        "UPDATE sessions SET token_hash = $1, last_active_at = $2, reports_unlocked_until = NULL WHERE id = $3 AND account_id = $4 AND ended_at IS NULL"
    };
    let done = sqlx::query(sql).bind(token_hash).bind(at).bind(id.as_str()).bind(account.get()).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Unlocks earlier days' reports for one active session until `until`.
pub async fn unlock_reports(db: &sqlx::AnyPool, account: AccountId, id: &SessionId, until: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE sessions SET reports_unlocked_until = $1 WHERE id = $2 AND account_id = $3 AND ended_at IS NULL")
        .bind(until)
        .bind(id.as_str())
        .bind(account.get())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Until when this active session has earlier days unlocked, if it has.
pub async fn reports_unlocked_until(db: &sqlx::AnyPool, account: AccountId, id: &SessionId) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT reports_unlocked_until FROM sessions WHERE id = $1 AND account_id = $2 AND ended_at IS NULL")
            .bind(id.as_str())
            .bind(account.get())
            .fetch_optional(db)
            .await?;
    Ok(row.and_then(|(u,)| u))
}

/// Ends the unlock of one session (`Some`) or of every session of the account.
pub async fn lock_reports<'c, E>(db: E, account: AccountId, id: Option<&SessionId>) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    match id {
        Some(id) => {
            sqlx::query("UPDATE sessions SET reports_unlocked_until = NULL WHERE account_id = $1 AND id = $2")
                .bind(account.get())
                .bind(id.as_str())
                .execute(db)
                .await?
        }
        None => {
            sqlx::query("UPDATE sessions SET reports_unlocked_until = NULL WHERE account_id = $1 AND reports_unlocked_until IS NOT NULL")
                .bind(account.get())
                .execute(db)
                .await?
        }
    };
    Ok(())
}

/// The session's step-up window: until when, and what was proved (see
/// [`crate::sensitive`]); `(None, 0)` when none was opened.
pub async fn step_up_window(db: &sqlx::AnyPool, account: AccountId, id: &SessionId) -> Result<(Option<i64>, i64)> {
    let row: Option<(Option<i64>, i64)> =
        sqlx::query_as("SELECT step_up_until, step_up_level FROM sessions WHERE id = $1 AND account_id = $2 AND ended_at IS NULL")
            .bind(id.as_str())
            .bind(account.get())
            .fetch_optional(db)
            .await?;
    Ok(row.unwrap_or((None, 0)))
}

/// Opens (or extends) the session's step-up window at `level`; a window
/// already open at a higher level keeps that level until it ends.
pub async fn open_step_up(db: &sqlx::AnyPool, account: AccountId, id: &SessionId, until: i64, level: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET step_up_level = CASE WHEN step_up_until > $4 AND step_up_level > $2 THEN step_up_level ELSE $2 END, \
         step_up_until = $1 WHERE id = $3 AND account_id = $5 AND ended_at IS NULL",
    )
    .bind(until)
    .bind(level)
    .bind(id.as_str())
    .bind(now)
    .bind(account.get())
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifetimes::Lifetimes;

    type Seen = (String, i64, Option<i64>, Option<String>, Option<String>, Device);

    fn seen(rows: Vec<SessionRow>) -> Vec<Seen> {
        rows.into_iter().map(|r| (r.id.clone(), r.last_active_at, r.ended_at, r.end_reason.clone(), r.name.clone(), r.device())).collect()
    }

    /// Login Security's two lists read the same on the request's own thread
    /// (SQLite's hot reads) as through the pool: the same sessions, lapsed
    /// ones with when and why, in the same order. And they are read there:
    /// with the pool closed, they still come.
    #[tokio::test]
    async fn the_session_lists_read_the_same_on_the_hot_path_as_through_the_pool() {
        let dir = std::env::temp_dir().join(format!("warden-sessions-hot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test setup");
        let file = dir.join("w.db");
        let _ = std::fs::remove_file(&file);
        let store = Store::connect(&format!("sqlite://{}?mode=rwc", file.display())).await.expect("test setup");
        assert!(store.hot.is_some(), "a SQLite file has hot reads");
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO accounts (username, email, password_hash, created_at, time_zone) VALUES ('ada', 'ada@example.com', '-', 1000, 'UTC') RETURNING id",
        )
        .fetch_one(&store.pool)
        .await
        .expect("test setup");
        let account = AccountId::new(id);
        let meta = ClientMeta {
            ip: "192.0.2.1".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0".into(),
            session_name: None,
        };
        for (name, at, pending) in
            [("live", 99_000, false), ("idle", 10_000, false), ("pending", 99_000, true), ("out", 50_000, false), ("named", 99_900, false)]
        {
            insert(&store.pool, &SessionId::new(name.to_owned()), account, &format!("hash-{name}"), &meta, at, pending).await.expect("test setup");
        }
        end(&store.pool, Which::One(account, &SessionId::new("out".to_owned())), EndReason::SignedOut, 60_000).await.expect("test setup");
        let mut conn = store.pool.acquire().await.expect("test setup");
        rename(&mut conn, account, &SessionId::new("named".to_owned()), Some("Work laptop")).await.expect("test setup");
        drop(conn);
        let lapse =
            Lapse { lifetimes: Lifetimes { idle_secs: 3_600, absolute_secs: 2_592_000, touch_every_secs: 60 }, second_factor_window_secs: 300 };
        let now = 100_000;

        let pool_only = Store { hot: None, ..store.clone() };
        let (active_pool, ended_pool) =
            (active(&pool_only, account, &lapse, now).await.expect("read"), ended(&pool_only, account, &lapse, now, 10, 0).await.expect("read"));
        let names = |rows: &[Seen]| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
        let active_pool = seen(active_pool);
        let ended_pool = seen(ended_pool);
        assert_eq!(names(&active_pool), ["named", "live"], "most recently active first");
        assert_eq!(names(&ended_pool), ["pending", "out", "idle"], "most recently ended first");
        assert_eq!(ended_pool[0].2, Some(99_300), "a pending sign-in lapses when its window ends");
        assert_eq!(ended_pool[0].3.as_deref(), Some(EndReason::SecondFactorNotCompleted.code()));
        assert_eq!((ended_pool[2].2, ended_pool[2].3.as_deref()), (Some(13_600), Some(EndReason::Expired.code())));
        assert_eq!(active_pool[0].4.as_deref(), Some("Work laptop"));

        store.close().await;
        let active_hot = seen(active(&store, account, &lapse, now).await.expect("read on the hot path, the pool being closed"));
        let ended_hot = seen(ended(&store, account, &lapse, now, 10, 0).await.expect("read on the hot path, the pool being closed"));
        assert_eq!(active_hot, active_pool);
        assert_eq!(ended_hot, ended_pool);
        assert_eq!(seen(ended(&store, account, &lapse, now, 2, 1).await.expect("a later page")), ended_pool[1..].to_vec());
        std::fs::remove_dir_all(&dir).expect("test setup");
    }
}
