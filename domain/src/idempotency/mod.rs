//! Idempotency keys for the REST API's POSTs: a client sends
//! `Idempotency-Key: <key>` and a retry of the same request with the same
//! key gets the first answer instead of a second campaign or call (the
//! IETF httpapi-idempotency-key-header draft, as Stripe does it).
//!
//! - Keys are per account, 1–255 visible ASCII characters, kept 24 hours.
//! - The request is fingerprinted (SHA-256 of method, path and body): the
//!   same key with a different request is refused (`idempotency_key_reused`,
//!   422), never answered with someone else's result.
//! - [`Idempotency::begin`] claims the key with an INSERT on the table's
//!   primary key, so of two concurrent requests exactly one is
//!   [`Begin::Fresh`]; the other is refused (`idempotency_key_in_progress`,
//!   409) until the first is [`complete`](Idempotency::complete)d (then it
//!   replays) or [`release`](Idempotency::release)d (then it may try).
//! - A claim holds its key for [`LEASE_SECS`] at most: a client that went
//!   away mid-request (or a server that stopped) leaves it "in progress"
//!   for minutes, not a day, then a retry may claim it.
//! - Owns the `idempotency_keys` table. Rows older than 24 h are forgotten
//!   by [`crate::Warden::sweep`], and a stale key is freed when it is used.

mod store;

use crate::actor::AccountId;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::support::db::is_unique_violation;
use sha2::{Digest, Sha256};
use std::fmt;

/// How long a key and its answer are kept, in seconds.
pub const RETENTION_SECS: i64 = 24 * 3600;
/// How long an unanswered claim holds its key.
pub const LEASE_SECS: i64 = 5 * 60;
/// The header a client sends, and the field refusals name.
pub const HEADER: &str = "Idempotency-Key";

/// A client's key: 1–255 visible ASCII characters (`!`..=`~`).
#[derive(Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<IdempotencyKey> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(raw.to_owned()))
        } else {
            Err(Error::invalid(HEADER, "An Idempotency-Key is 1 to 255 visible ASCII characters (no spaces)."))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({:?})", self.0)
    }
}

/// What makes two requests "the same": SHA-256 over method, path and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(method: &str, path: &str, body: &[u8]) -> Fingerprint {
        let mut h = Sha256::new();
        // Lengths first, so no two different triples hash the same bytes.
        for part in [method.as_bytes(), path.as_bytes(), body] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        Fingerprint(hex::encode(h.finalize()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The right to do the request once: hand it back with
/// [`Idempotency::complete`] (the answer is kept) or
/// [`Idempotency::release`] (the attempt failed; a retry may try again).
#[derive(Debug)]
#[must_use = "a claim is completed or released, or the key stays in progress"]
pub struct Claim {
    account: AccountId,
    key: IdempotencyKey,
    created_at: i64,
}

impl Claim {
    pub fn account(&self) -> AccountId {
        self.account
    }
    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }
}

/// What [`Idempotency::begin`] found.
#[derive(Debug)]
pub enum Begin {
    /// The first request with this key: do it, then complete or release.
    Fresh(Claim),
    /// This request was done before: send this answer again.
    Replay { status: u16, body: String },
}

pub struct Idempotency<'w> {
    deps: &'w Deps,
}

fn reused() -> Error {
    Error::refused_field(
        ErrorCode::IdempotencyKeyReused,
        HEADER,
        "This Idempotency-Key was used with a different request. Use a new key for a new request.",
    )
}

fn in_progress() -> Error {
    Error::refused_field(
        ErrorCode::IdempotencyKeyInProgress,
        HEADER,
        "A request with this Idempotency-Key is still in progress. Try again in a moment.",
    )
}

impl<'w> Idempotency<'w> {
    pub fn new(deps: &'w Deps) -> Self {
        Idempotency { deps }
    }

    /// Claims `key` for `account`'s request, or says why not: the stored
    /// answer to replay, `idempotency_key_reused` (422) for a different
    /// request, `idempotency_key_in_progress` (409) while the first runs.
    pub async fn begin(&self, account: AccountId, key: &str, fingerprint: &Fingerprint) -> Result<Begin> {
        let key = IdempotencyKey::parse(key)?;
        let db = self.deps.pool();
        let now = self.deps.now();
        store::forget_if_expired(db, account, key.as_str(), now - RETENTION_SECS).await?;
        store::forget_if_lease_over(db, account, key.as_str(), now, LEASE_SECS).await?;
        // Two tries: the row found on a conflict may vanish (released or
        // expired) before it is read; then the key is free to claim again.
        for _ in 0..2 {
            match store::claim(db, account, key.as_str(), fingerprint.as_str(), now, now + LEASE_SECS).await {
                Ok(()) => return Ok(Begin::Fresh(Claim { account, key, created_at: now })),
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
            let Some(row) = store::find(db, account, key.as_str()).await? else { continue };
            if row.fingerprint != fingerprint.as_str() {
                return Err(reused());
            }
            return match (row.status, row.body) {
                (Some(status), Some(body)) => {
                    Ok(Begin::Replay { status: u16::try_from(status).map_err(|_| Error::internal(format!("stored status {status}")))?, body })
                }
                _ => Err(in_progress()),
            };
        }
        Err(in_progress())
    }

    /// Keeps the answer of a claimed request for its retries.
    pub async fn complete(&self, claim: Claim, status: u16, body: &str) -> Result<()> {
        let n = store::complete(self.deps.pool(), claim.account, claim.key.as_str(), claim.created_at, i64::from(status), body).await?;
        if n == 0 {
            // Released or expired meanwhile: the request was done, there is
            // just no answer to replay. Not the client's problem.
            tracing::warn!(account = %claim.account, "an idempotency claim was gone when its answer came");
        }
        Ok(())
    }

    /// Gives the key back after a failed attempt, so a retry may try again.
    pub async fn release(&self, claim: Claim) -> Result<()> {
        store::release(self.deps.pool(), claim.account, claim.key.as_str(), claim.created_at).await?;
        Ok(())
    }

    /// Forgets every key older than [`RETENTION_SECS`]; returns how many.
    pub async fn sweep(&self) -> Result<u64> {
        store::sweep(self.deps.pool(), self.deps.now() - RETENTION_SECS).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        for ok in ["a", "4f0c1e2a-9b7d-4c1e-8f3a-2b6d5e7c9a10", &"k".repeat(255), "!~"] {
            assert_eq!(IdempotencyKey::parse(ok).map(|k| k.as_str().to_owned()).ok().as_deref(), Some(ok));
        }
        for bad in ["", " ", "a b", "tab\there", "ключ", "new\nline", &"k".repeat(256)] {
            let e = IdempotencyKey::parse(bad).expect_err("refused");
            assert_eq!((e.code(), e.field()), (ErrorCode::InvalidInput, Some("Idempotency-Key")), "{bad:?}");
        }
    }

    #[test]
    fn the_fingerprint_changes_with_method_path_or_body() {
        let a = Fingerprint::of("POST", "/api/v1/calls", br#"{"x":1}"#);
        assert_eq!(a, Fingerprint::of("POST", "/api/v1/calls", br#"{"x":1}"#));
        assert_eq!(a.as_str().len(), 64);
        assert_ne!(a, Fingerprint::of("POST", "/api/v1/calls", br#"{"x":2}"#));
        assert_ne!(a, Fingerprint::of("POST", "/api/v1/campaigns", br#"{"x":1}"#));
        assert_ne!(a, Fingerprint::of("PUT", "/api/v1/calls", br#"{"x":1}"#));
        // Moving bytes between parts is a different request.
        assert_ne!(Fingerprint::of("POST", "/a", b"b"), Fingerprint::of("POST", "/ab", b""));
    }
}
