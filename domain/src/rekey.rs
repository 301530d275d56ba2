//! Re-sealing every value the database keeps sealed, under the current key:
//! the work of `warden rotate-key` (key rotation, OWASP ASVS 5.0 11.2.2).
//! Each slice that stores sealed values re-seals its own, with its own
//! associated data, in its own `store.rs`; a new sealed column adds its
//! slice's `reseal` to [`reseal_all`]. Sealed values that never reach the
//! database (the recovery-codes flash cookie) live minutes and open with any
//! key of the ring meanwhile.

pub use crate::support::secret_box::Resealed;
use crate::support::secret_box::SecretBox;
use crate::Result;
use std::fmt;

/// What [`reseal_all`] did, per kind of value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub totp_secrets: Resealed,
    pub mail_bodies: Resealed,
    pub webhook_secrets: Resealed,
}

impl Report {
    fn kinds(&self) -> [(&'static str, Resealed); 3] {
        [("TOTP secrets", self.totp_secrets), ("queued mails", self.mail_bodies), ("webhook secrets", self.webhook_secrets)]
    }

    /// Values no key of the ring opens. While there are any, no retired key may go.
    pub fn unreadable(&self) -> u64 {
        self.kinds().iter().map(|(_, r)| r.unreadable).sum()
    }

    pub fn resealed(&self) -> u64 {
        self.kinds().iter().map(|(_, r)| r.resealed).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .kinds()
            .iter()
            .map(|(what, r)| format!("{what}: {} re-sealed, {} already under the current key, {} unreadable", r.resealed, r.current, r.unreadable))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Seals every sealed value in the database again under the current key of
/// `secret_box`, which must hold every key they were sealed with. Safe to run
/// again: values already under the current key are only checked.
pub async fn reseal_all(pool: &sqlx::AnyPool, secret_box: &SecretBox) -> Result<Report> {
    Ok(Report {
        totp_secrets: crate::second_factor::reseal(pool, secret_box).await?,
        mail_bodies: crate::outbox::reseal(pool, secret_box).await?,
        webhook_secrets: crate::webhooks::reseal(pool, secret_box).await?,
    })
}
