//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
//! Cookies"): after a full sign-in (the second factor too, when the account
//! has one) the browser gets a long-lived cookie for that account: a 256-bit
//! random token, only its SHA-256 stored. Signing in to the same account
//! with it uses the device's own budget instead of the account's, so guesses
//! from elsewhere cannot lock the owner out. A device that fails too often
//! stops counting as known until its budget recovers.
//!
//! One cookie per browser lists its tokens, one per account it signed in to
//! (newest first, at most [`MAX_ACCOUNTS`]), so signing in to a second
//! account keeps the first account's token. A token opens nothing by
//! itself: it only changes which budget a password guess is counted in.
//!
//! Device cookies are revoked with the sessions: "Log out of all devices",
//! a password reset, and any "sign out other sessions" revoke the account's
//! other devices; ending one session from elsewhere revokes the device that
//! signed in with it.

mod store;
use crate::actor::{AccountId, SessionId};
use crate::error::Result;
use crate::lifetimes::EndReason;
use crate::sessions::store::Which;
use crate::support::random;
use crate::support::secret::Secret;
use sqlx::AnyConnection;
use std::fmt;

/// Accounts one browser's cookie remembers.
pub const MAX_ACCOUNTS: usize = 5;

/// The tokens of one browser's device cookie.
#[derive(Clone, Default)]
pub struct DeviceCookie {
    tokens: Vec<Secret>,
}

impl DeviceCookie {
    /// What the cookie carried. Anything that cannot be a token of ours is
    /// left out; nothing here is trusted before it is found in the table.
    pub fn parse(raw: Option<&str>) -> Self {
        let well_formed = |t: &&str| t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let tokens = raw.unwrap_or("").split('.').filter(well_formed).take(MAX_ACCOUNTS).map(Secret::new).collect();
        DeviceCookie { tokens }
    }

    /// The cookie's value: its tokens joined by `.`.
    pub fn value(&self) -> String {
        self.tokens.iter().map(Secret::expose).collect::<Vec<_>>().join(".")
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl fmt::Debug for DeviceCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceCookie(<{} hidden>)", self.tokens.len())
    }
}

/// A presented token that names a live device, and whose.
struct Live {
    token: Secret,
    device_id: i64,
    account: AccountId,
}

/// The presented tokens that are live devices (unknown, revoked and stale ones dropped).
pub(crate) struct Known {
    live: Vec<Live>,
}

impl Known {
    /// Looks the cookie's tokens up. A device is live while not revoked and
    /// used within `max_age_secs`.
    pub(crate) async fn lookup(db: &sqlx::AnyPool, cookie: &DeviceCookie, now: i64, max_age_secs: i64) -> Result<Known> {
        let mut live = Vec::new();
        for token in &cookie.tokens {
            if let Some(row) = store::live_device(db, &random::token_hash(token.expose()), now - max_age_secs).await? {
                live.push(Live { token: token.clone(), device_id: row.id, account: AccountId::new(row.account_id) });
            }
        }
        Ok(Known { live })
    }

    /// The device of `account` this browser holds, by its id.
    pub(crate) fn device_of(&self, account: AccountId) -> Option<i64> {
        self.live.iter().find(|l| l.account == account).map(|l| l.device_id)
    }

    /// Remembers this browser for `account` after a full sign-in as
    /// `session`: the device it holds is touched, or a new one is made.
    /// Returns the cookie to set: this account's token first, then the
    /// browser's live tokens of other accounts.
    pub(crate) async fn remember(self, db: &mut AnyConnection, account: AccountId, session: &SessionId, at: i64) -> Result<DeviceCookie> {
        let token = match self.live.iter().find(|l| l.account == account) {
            Some(l) => {
                store::touch_device(&mut *db, l.device_id, session, at).await?;
                l.token.clone()
            }
            None => {
                let token = Secret::new(random::token());
                store::insert_device(&mut *db, account, &random::token_hash(token.expose()), session, at).await?;
                token
            }
        };
        let others = self.live.into_iter().filter(|l| l.account != account).map(|l| l.token);
        Ok(DeviceCookie { tokens: std::iter::once(token).chain(others).take(MAX_ACCOUNTS).collect() })
    }
}

/// Revokes the device cookies that go with sessions ended this way: all of
/// the account's, or all but the one that signed in with the kept session,
/// or the one that signed in with a session ended from elsewhere. Signing
/// out and expiry keep them: the browser is still the owner's.
pub(crate) async fn revoke_with(db: &mut AnyConnection, which: Which<'_>, reason: EndReason, at: i64) -> Result<u64> {
    match (which, reason) {
        (Which::AllOf(account), _) => store::revoke_devices(db, account, None, at).await,
        (Which::OthersOf(account, keep), _) => store::revoke_devices(db, account, Some((keep, false)), at).await,
        (Which::One(account, id), EndReason::EndedFromAnotherSession | EndReason::ReportedNotYou) => {
            store::revoke_devices(db, account, Some((id, true)), at).await
        }
        (Which::One(..), _) => Ok(0),
    }
}

/// Forgets devices revoked or unused for longer than `max_age_secs`.
pub(crate) async fn sweep(db: &sqlx::AnyPool, now: i64, max_age_secs: i64) -> Result<u64> {
    store::delete_stale_devices(db, now - max_age_secs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_are_read_and_none_is_ever_printed() {
        let a = random::token();
        let b = random::token();
        let c = DeviceCookie::parse(Some(&format!("{a}.garbage.{b}.{}", "x".repeat(44))));
        assert_eq!(c.value(), format!("{a}.{b}"));
        assert!(!format!("{c:?}").contains(&a));
        assert!(DeviceCookie::parse(None).is_empty());
        assert!(DeviceCookie::parse(Some("not a token")).is_empty());
        let many: Vec<String> = (0..9).map(|_| random::token()).collect();
        assert_eq!(DeviceCookie::parse(Some(&many.join("."))).tokens.len(), MAX_ACCOUNTS);
    }
}
