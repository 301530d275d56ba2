//! The account's second factors: the authenticator app ([`app`], with the
//! recovery codes of [`recovery`]) and security keys and passkeys
//! ([`keys`]), over what they share ([`factors`]): one budget every attempt
//! spends, recovery codes that come with the first factor, and the one
//! answer to "is two-factor authentication on".
//!
//! "Has two-factor authentication" means any second factor, everywhere:
//! [`has_second_factor`] and [`methods`] are the one answer for the pages,
//! the API and the mails; [`totp_enabled`] is the authenticator app alone.
//!
//! The files stand on each other in one direction: the stores, `totp` and
//! `recovery` at the bottom, then `factors`, then `keys`, then `app` (whose
//! step-up check hands a key's answer to `keys`). Owns the
//! `totp_credentials`, `recovery_codes` and `webauthn_*` tables.

pub mod app;
pub mod factors;
pub mod keys;
mod keys_store;
pub mod recovery;
mod store;
pub mod totp;

pub use app::{reseal, Enrolment, Factor, TwoFactor, TwoFactorStatus};
pub use factors::{
    count_keys, has_keys, has_second_factor, methods, recovery_codes_left, totp_enabled, totp_enabled_since, Applied, Methods, TwoFactorConfig,
};
pub use keys::{parse_name, relying_party, sweep, Added, KeyEntry, PasskeyChallenge, SecurityKeys, CHALLENGE_SECS, MAX_NAME_CHARS};
