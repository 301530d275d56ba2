//! The store port: an embedded SQLite file by default, PostgreSQL for
//! several instances. One set of queries through `sqlx::Any` (`$N`
//! placeholders, integers for times and flags), separate migrations per
//! backend. The queries themselves live in each slice's `store.rs`. On a
//! SQLite file, the reads every request makes (its token, its session) also
//! go through [`HotReads`], on the request's own thread; on PostgreSQL, on
//! a connection kept warm ([`Warm`]).

use crate::{Error, Result};
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::query::QueryAs;
use sqlx::{Any, AnyPool, Executor, FromRow};
use std::sync::Once;

pub use super::hot::HotReads;
pub use super::warm::Warm;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
    /// The hot reads on a SQLite file (see [`HotReads`]); `None` on
    /// PostgreSQL and in memory.
    pub hot: Option<HotReads>,
    /// Connections kept warm for the statements every request makes (see
    /// [`Warm`]); `None` on SQLite.
    pub warm: Option<Warm>,
}

static DRIVERS: Once = Once::new();

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Store> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::internal("DATABASE_URL must start with sqlite: or postgres:"));
        };
        // No ping before each use of a pooled connection (sqlx's default):
        // it is a round trip per query, a thread hop on SQLite and a network
        // one on PostgreSQL. A connection PostgreSQL dropped (a restart)
        // fails the one statement that meets it, and is then closed.
        let mut opts = AnyPoolOptions::new().test_before_acquire(false);
        if backend == Backend::Sqlite {
            // One writer at a time is SQLite's nature; WAL lets readers go on
            // meanwhile and busy_timeout makes writers queue instead of fail.
            opts = opts.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        } else {
            opts = opts.max_connections(16);
        }
        if backend == Backend::Sqlite {
            migrate_sqlite(url).await?;
        }
        let pool = opts.connect(url).await?;
        if backend == Backend::Postgres {
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        }
        let hot = if backend == Backend::Sqlite { HotReads::for_url(url) } else { None };
        let warm = (backend == Backend::Postgres).then(Warm::default);
        Ok(Store { pool, backend, hot, warm })
    }

    /// `query`'s row, if any: on a warm connection on PostgreSQL, through
    /// the pool otherwise. For the statements every request makes.
    pub async fn fetch_optional<'q, O>(&self, query: QueryAs<'q, Any, O, AnyArguments<'q>>) -> Result<Option<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        Ok(match &self.warm {
            Some(warm) => warm.fetch_optional(&self.pool, query).await?,
            None => query.fetch_optional(&self.pool).await?,
        })
    }

    /// `query`'s rows, as [`Store::fetch_optional`].
    pub async fn fetch_all<'q, O>(&self, query: QueryAs<'q, Any, O, AnyArguments<'q>>) -> Result<Vec<O>>
    where
        O: Send + Unpin + for<'r> FromRow<'r, AnyRow>,
    {
        Ok(match &self.warm {
            Some(warm) => warm.fetch_all(&self.pool, query).await?,
            None => query.fetch_all(&self.pool).await?,
        })
    }

    /// Closes the database: the warm connections first, then the pool
    /// (which waits for every connection it lent).
    pub async fn close(&self) {
        if let Some(warm) = &self.warm {
            warm.close();
        }
        self.pool.close().await;
    }
}

/// SQLite migrations run on their own connection with foreign keys off, as
/// SQLite's procedure for changing a table asks (a rebuild drops the old
/// table, and with foreign keys on that drop would cascade into every table
/// that references it); then every reference is checked.
async fn migrate_sqlite(url: &str) -> Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    conn.execute("PRAGMA foreign_keys = OFF").await?;
    sqlx::migrate!("../migrations/sqlite").run(&mut conn).await?;
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(&mut conn).await?;
    conn.close().await?;
    match broken.first() {
        Some((table,)) => Err(Error::internal(format!("after migrating, {} rows of {table} (and maybe others) reference nothing", broken.len()))),
        None => Ok(()),
    }
}

/// Whether a database error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            matches!(d.code().as_deref(), Some("23505") | Some("2067") | Some("1555")) || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
