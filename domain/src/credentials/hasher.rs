//! Password hashing (NIST SP 800-63B §3.1.1.2, OWASP ASVS 5.0 V6).
//!
//! Hashing: argon2id at the OWASP parameters (m = 19 MiB, t = 2, p = 1). A hash
//! costs ~19 MiB and tens of milliseconds of CPU, so it runs on the blocking
//! pool behind a semaphore: over the bound a caller waits briefly, then gets
//! `Error::Busy` instead of piling up memory.

use super::new_password::NewPassword;
use super::policy::MAX_BYTES;
use crate::error::{Error, Result};
use crate::support::secret::Secret;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet, argon2id option 2.
    #[allow(clippy::unwrap_used)] // constant parameters, checked by a test
    let params = Params::new(19 * 1024, 2, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    wait: Duration,
    /// A real hash of a random password, verified against when the account is
    /// unknown so that a miss costs the same time as a wrong password.
    dummy: Arc<String>,
}

impl Hasher {
    /// `concurrent` hashes at once; a caller waits up to `wait` for a turn.
    pub fn new(concurrent: usize, wait: Duration) -> Result<Self> {
        let dummy = hash_blocking(&Secret::new(crate::support::random::token()))?;
        Ok(Hasher { permits: Arc::new(Semaphore::new(concurrent.max(1))), wait, dummy: Arc::new(dummy) })
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit =
            tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await.map_err(|_| Error::busy())?.map_err(|_| Error::busy())?;
        tokio::task::spawn_blocking(move || {
            let out = job();
            drop(permit);
            out
        })
        .await
        .map_err(|e| Error::internal(format!("hasher task: {e}")))
    }

    /// The only way to hash a password: it must have passed the policy.
    pub async fn hash_password(&self, password: &NewPassword) -> Result<String> {
        self.hash_secret(password.secret()).await
    }

    /// Hashes a secret Warden generated itself (a recovery code).
    pub async fn hash_secret(&self, secret: &Secret) -> Result<String> {
        let p = secret.clone();
        self.run(move || hash_blocking(&p)).await?
    }

    /// Verifies against `stored`, or against the dummy hash when there is no
    /// account, so both paths take the same time. `None` never verifies.
    pub async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<bool> {
        let p = password.clone();
        let (target, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy.as_ref().clone(), false),
        };
        let ok = self.run(move || verify_blocking(&p, &target)).await?;
        Ok(ok && real)
    }
}

fn hash_blocking(password: &Secret) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| Error::internal(format!("hash: {e}")))
}

fn verify_blocking(password: &Secret, stored: &str) -> bool {
    if password.expose().len() > MAX_BYTES {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => argon2().verify_password(password.expose().as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_parameters_and_verify_exactly() {
        let h = Hasher::new(2, Duration::from_secs(5)).expect("hasher");
        let stored = h.hash_secret(&Secret::new("Correct Horse ")).await.expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(h.verify(&Secret::new("Correct Horse "), Some(&stored)).await.expect("v"));
        // compared exactly as typed: no trimming, no case folding
        assert!(!h.verify(&Secret::new("Correct Horse"), Some(&stored)).await.expect("v"));
        assert!(!h.verify(&Secret::new("correct horse "), Some(&stored)).await.expect("v"));
        // an unknown account never verifies, even with the dummy's own input
        assert!(!h.verify(&Secret::new("Correct Horse "), None).await.expect("v"));
    }

    #[tokio::test]
    async fn over_the_bound_callers_are_told_to_try_again() {
        let h = Hasher::new(1, Duration::from_millis(1)).expect("hasher");
        let held = h.permits.clone().acquire_owned().await.expect("permit");
        let r = h.hash_secret(&Secret::new("long enough")).await;
        assert_eq!(r.map_err(|e| e.code()).err(), Some(crate::error::ErrorCode::Busy));
        drop(held);
        assert!(h.hash_secret(&Secret::new("long enough")).await.is_ok());
    }
}
