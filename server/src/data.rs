//! What Warden keeps on disk, and who may read it: the data folder (0700),
//! the SQLite file (0600, created so before SQLite opens it; its `-wal` and
//! `-shm` files take the database file's mode), the key file (0600, in
//! `domain::support::secret_box`), and the mail outbox. Plus the key
//! rotation, `warden rotate-key`.
//!
//! Files that already exist keep their mode (an operator may have reasons);
//! one readable by others is reported at start.
//!
//! Key rotation (ASVS 11.2.2). With the key file (`WARDEN_SECRET_KEY` unset):
//! 1. Stop Warden (every instance: a running one only knows the old key, and
//!    could not open what is re-sealed under the new one).
//! 2. `warden rotate-key`: writes a new current key to the key file and keeps
//!    the old one there as retired (it opens, never seals), then re-seals
//!    every sealed value in the database (TOTP secrets, queued mail) under
//!    the new key. The file is written first, so a crash midway leaves
//!    every value openable; running it again is safe.
//! 3. Start Warden.
//! 4. `warden rotate-key --finish`: re-seals anything still under a retired
//!    key and, if every value opens with the current key, drops the retired
//!    keys from the file. From then on the old key opens nothing: delete any
//!    copy of it (backups of the key file too).
//!
//! With `WARDEN_SECRET_KEY`, the key is the operator's to change: set the new
//! key as `WARDEN_SECRET_KEY` and the old one as `WARDEN_RETIRED_SECRET_KEYS`
//! on every instance, restart them, run `warden rotate-key --finish`, then
//! remove `WARDEN_RETIRED_SECRET_KEYS`.

use crate::config::Config;
use domain::rekey::{self, Report};
use domain::support::db::Store;
use domain::support::secret_box::{self, KeyRing, SecretBox};
use std::path::{Path, PathBuf};

type BoxError = Box<dyn std::error::Error>;

/// The key file, when the key does not come from the environment.
pub fn key_file(config: &Config) -> PathBuf {
    config.data_dir.join("secret.key")
}

/// Creates `dir` and any missing parents readable by the owner alone (0700).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Logs a warning when group or others may reach `path`.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), mode = format!("{mode:03o}"), "readable by other users of this machine; chmod go= it");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The file of a `sqlite:` URL that may create it (`mode=rwc`), if any.
fn sqlite_file_to_create(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let creates = query.split('&').any(|p| p == "mode=rwc");
    // Percent-encoded paths are left to SQLite rather than guessed at.
    (creates && !path.is_empty() && path != ":memory:" && !path.contains('%')).then(|| PathBuf::from(path))
}

/// Creates the data folder (0700) and, for SQLite, the database file (0600)
/// before SQLite would create it with the umask's mode; then connects and
/// migrates.
pub async fn connect(config: &Config) -> Result<Store, BoxError> {
    private_dir(&config.data_dir)?;
    warn_if_shared(&config.data_dir);
    if let Some(file) = sqlite_file_to_create(&config.database_url) {
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_dir(parent)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&file) {
            // An empty file is an empty database to SQLite.
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => warn_if_shared(&file),
            Err(e) => return Err(format!("database file {}: {e}", file.display()).into()),
        }
    }
    Ok(Store::connect(&config.database_url).await?)
}

/// The keys: `WARDEN_SECRET_KEY` (+ `WARDEN_RETIRED_SECRET_KEYS`), else the
/// key file, created on first start.
pub fn key_ring(config: &Config) -> Result<KeyRing, BoxError> {
    match (&config.secret_key, &config.retired_secret_keys) {
        (Some(current), retired) => Ok(KeyRing::from_hex(current.expose(), retired.as_ref().map(|r| r.expose()))?),
        (None, Some(_)) => {
            Err("WARDEN_RETIRED_SECRET_KEYS is set without WARDEN_SECRET_KEY; with the key file, retired keys are its later lines".into())
        }
        (None, None) => {
            private_dir(&config.data_dir)?;
            Ok(secret_box::load_or_create_keys(&key_file(config))?)
        }
    }
}

/// The two steps of a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// A new current key (key file only), then every value re-sealed under it.
    Start,
    /// Every value re-sealed under the current key, then the retired keys dropped.
    Finish,
}

/// Runs one step of a key rotation (see the module header) against the
/// configured database; returns what to tell the operator.
pub async fn rotate_key(config: &Config, step: Rotation) -> Result<String, BoxError> {
    let from_env = config.secret_key.is_some();
    let ring = key_ring(config)?;
    let store = connect(config).await?;
    match step {
        Rotation::Start if from_env => {
            Err("WARDEN_SECRET_KEY is set, so Warden cannot replace the key: generate one (e.g. `openssl rand -hex 32`), \
             set it as WARDEN_SECRET_KEY and the old key as WARDEN_RETIRED_SECRET_KEYS on every instance, restart them, \
             then run `warden rotate-key --finish`"
                .into())
        }
        Rotation::Start => {
            let file = key_file(config);
            let next = ring.rotated();
            // The file first: if anything below fails, every value still opens.
            secret_box::write_keys(&file, &next)?;
            let report = rekey::reseal_all(&store.pool, &SecretBox::from_ring(&next)).await?;
            unreadable_is_an_error(&report, "the retired keys stay in the key file")?;
            Ok(format!(
                "New current key {} in {}; the old key {} stays there, retired (it only opens).\n{report}.\n\
                 Start Warden now (every instance), then run `warden rotate-key --finish`: it re-seals anything an instance \
                 still running with the old key wrote meanwhile and removes the old key from the file, after which it can be \
                 deleted from any copy or backup.",
                next.current_id(),
                file.display(),
                ring.current_id(),
            ))
        }
        Rotation::Finish => {
            let report = rekey::reseal_all(&store.pool, &SecretBox::from_ring(&ring)).await?;
            unreadable_is_an_error(&report, "no key was removed")?;
            let retired = ring.retired_ids().join(", ");
            if ring.retired.is_empty() {
                Ok(format!("{report}.\nNo retired key to remove; every value is sealed under the current key {}.", ring.current_id()))
            } else if from_env {
                Ok(format!(
                    "{report}.\nEvery value is sealed under the current key {}. Remove WARDEN_RETIRED_SECRET_KEYS ({retired}) from every \
                     instance and delete those keys.",
                    ring.current_id()
                ))
            } else {
                secret_box::write_keys(&key_file(config), &ring.without_retired())?;
                Ok(format!(
                    "{report}.\nEvery value is sealed under the current key {}; the retired keys {retired} were removed from {}. \
                     Delete any other copy of them (backups of the key file too).",
                    ring.current_id(),
                    key_file(config).display()
                ))
            }
        }
    }
}

fn unreadable_is_an_error(report: &Report, consequence: &str) -> Result<(), BoxError> {
    match report.unreadable() {
        0 => Ok(()),
        n => Err(format!(
            "{report}.\n{n} sealed values open with no key of the ring (see the log for which); {consequence}. \
             Add the key that sealed them (a later line of the key file, or WARDEN_RETIRED_SECRET_KEYS) and run again"
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_creating_sqlite_url_names_a_file_to_create() {
        assert_eq!(sqlite_file_to_create("sqlite://data/warden.db?mode=rwc"), Some(PathBuf::from("data/warden.db")));
        assert_eq!(sqlite_file_to_create("sqlite:///tmp/x/warden.db?mode=rwc"), Some(PathBuf::from("/tmp/x/warden.db")));
        assert_eq!(sqlite_file_to_create("sqlite:warden.db?cache=shared&mode=rwc"), Some(PathBuf::from("warden.db")));
        assert_eq!(sqlite_file_to_create("sqlite://data/warden.db"), None, "without mode=rwc a missing file is an error, as before");
        assert_eq!(sqlite_file_to_create("sqlite::memory:?mode=rwc"), None);
        assert_eq!(sqlite_file_to_create("sqlite://my%20data/w.db?mode=rwc"), None);
        assert_eq!(sqlite_file_to_create("postgres://u@h/db"), None);
    }
}
