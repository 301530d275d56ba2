//! Hot reads on SQLite: the few statements every request makes (the API
//! token a request presents, the session its cookie names) read on the
//! request's own thread, through a read-only connection that thread keeps,
//! instead of crossing to one of sqlx's connection threads and back (two
//! thread switches a statement, most of the REST door's cost on SQLite).
//!
//! The promise does not move: each read is its own read transaction on the
//! WAL file, so it sees every write committed before it began — a token
//! deleted or a session ended is refused from the next request on, as
//! through the pool. A read is an indexed lookup of a row or two that never
//! waits for a writer (WAL); should it fail (a busy WAL index during a
//! checkpoint, a file that cannot be opened), the caller reads through the
//! pool instead. In-memory databases have no file to share, and go through
//! the pool. The statements themselves stay in each slice's `store.rs`.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Reads on the calling thread's own connection to one SQLite file.
#[derive(Clone)]
pub struct HotReads {
    file: Arc<PathBuf>,
}

impl std::fmt::Debug for HotReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotReads").field("file", &self.file).finish()
    }
}

thread_local! {
    /// This thread's connections, one per open [`HotReads`] (tests open
    /// many databases in one process; a dropped one's connection closes at
    /// the next read on this thread).
    static CONNECTIONS: RefCell<Vec<(Weak<PathBuf>, rusqlite::Connection)>> = const { RefCell::new(Vec::new()) };
}

/// How long a read may wait for SQLite's WAL index (held only for moments,
/// during a checkpoint): past it, the pool reads instead.
const BUSY: Duration = Duration::from_millis(50);

impl HotReads {
    /// For a `sqlite:` URL that names a file; `None` for an in-memory one.
    pub fn for_url(url: &str) -> Option<HotReads> {
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let in_memory = path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory");
        if in_memory || path.contains('%') {
            return None;
        }
        Some(HotReads { file: Arc::new(PathBuf::from(path)) })
    }

    /// Runs `read` on this thread's connection; `None` (logged) when it
    /// could not, for the caller to read through the pool.
    pub fn read<T>(&self, read: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>) -> Option<T> {
        CONNECTIONS.with(|cell| {
            let Ok(mut conns) = cell.try_borrow_mut() else { return None };
            conns.retain(|(owner, _)| owner.strong_count() > 0);
            let at = match conns.iter().position(|(owner, _)| owner.as_ptr() == Arc::as_ptr(&self.file)) {
                Some(at) => at,
                None => {
                    let conn = self.open().map_err(|e| tracing::warn!(file = %self.file.display(), "hot read: cannot open: {e}")).ok()?;
                    conns.push((Arc::downgrade(&self.file), conn));
                    conns.len() - 1
                }
            };
            match read(&conns[at].1) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::debug!("hot read failed, reading through the pool: {e}");
                    None
                }
            }
        })
    }

    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        use rusqlite::OpenFlags;
        let conn = rusqlite::Connection::open_with_flags(self.file.as_path(), OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(BUSY)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }
}

/// Reads the named column of a row, for the slices' row mappings.
pub fn col<T: rusqlite::types::FromSql>(row: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<T> {
    row.get(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_file_gets_hot_reads() {
        assert!(HotReads::for_url("sqlite://data/warden.db?mode=rwc").is_some());
        assert!(HotReads::for_url("sqlite:///tmp/x/warden.db").is_some());
        assert!(HotReads::for_url("sqlite::memory:").is_none());
        assert!(HotReads::for_url("sqlite://file.db?mode=memory&cache=shared").is_none());
        assert!(HotReads::for_url("postgres://u@h/db").is_none());
    }

    #[test]
    fn reads_see_every_committed_write_and_fail_softly() {
        let dir = std::env::temp_dir().join(format!("warden-hot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test setup");
        let file = dir.join("t.db");
        let _ = std::fs::remove_file(&file);
        let writer = rusqlite::Connection::open(&file).expect("test setup");
        writer.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);").expect("test setup");
        let hot = HotReads::for_url(&format!("sqlite://{}", file.display())).expect("test setup");
        let read = |hot: &HotReads| hot.read(|c| c.prepare_cached("SELECT COUNT(*) FROM t")?.query_row([], |r| r.get::<_, i64>(0)));
        assert_eq!(read(&hot), Some(1));
        writer.execute("INSERT INTO t VALUES (2)", []).expect("test setup");
        assert_eq!(read(&hot), Some(2), "a cached statement starts a new read transaction each time");
        writer.execute("DELETE FROM t", []).expect("test setup");
        assert_eq!(read(&hot), Some(0));
        assert_eq!(hot.read(|c| c.query_row("SELECT nope FROM t", [], |r| r.get::<_, i64>(0))), None);
        assert_eq!(hot.read(|c| c.execute("INSERT INTO t VALUES (3)", [])), None, "read-only");
        let missing = HotReads::for_url(&format!("sqlite://{}", dir.join("missing.db").display())).expect("test setup");
        assert_eq!(read(&missing), None);
        std::fs::remove_dir_all(&dir).expect("test setup");
    }
}
