//! Security events: every sign-in attempt and every change to how an account
//! is reached, kept so the owner can see them on Login Security, and written
//! to the application log (target `security`) for a log pipeline to keep
//! outside Warden's own database.
//!
//! Refused attempts that anyone can repeat at will (wrong passwords, throttled
//! sign-ins, wrong second-factor codes), and the few harmless things a
//! signed-in person can repeat at will (changing the time zone, unlocking
//! with the PIN), are counted, not listed: one row per account (or none,
//! when no account matched), kind and hour, whatever the source, updated in
//! place ("12 failed sign-ins from 203.0.113.9", "30 failed sign-ins from 30
//! addresses"). So a flood of attempts is one line and cannot push the
//! owner's real events out of sight or grow the table without bound.
//!
//! Retention ([`EventsConfig`]): an account's events are kept for
//! `retention_secs`; of its noise (counted rows and routine notes, see
//! [`EventKind::is_noise`]) at most the newest `per_account_cap`, while
//! sign-ins and every change to a password, factor, PIN, token or session
//! stay until their retention age, so nobody can erase the history the
//! owner reads by making more events. Events of no account are kept for
//! `anonymous_retention_secs` and at most `anonymous_cap` rows.
//! [`Events::sweep`] enforces it; the server runs it periodically.

pub mod store;

use crate::actor::{AccountId, Actor, ClientMeta};
use crate::deps::Deps;
use crate::support::user_agent::{self, Device};
use crate::Result;

/// Refused attempts of one kind from one source count into one row per this many seconds.
pub const AGGREGATE_WINDOW_SECS: i64 = 3600;

#[derive(Clone, Debug)]
pub struct EventsConfig {
    /// Events shown per page on Login Security.
    pub page_size: i64,
    /// How long an account's events are kept (400 days).
    pub retention_secs: i64,
    /// The newest noise events kept per account (1,000); other kinds are
    /// never trimmed before their retention age.
    pub per_account_cap: i64,
    /// How long events of no account (unknown logins, throttled addresses) are kept (30 days).
    pub anonymous_retention_secs: i64,
    /// The newest events of no account kept (100,000).
    pub anonymous_cap: i64,
    /// How often the server sweeps (hourly).
    pub sweep_every_secs: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            page_size: 20,
            retention_secs: 400 * 86_400,
            per_account_cap: 1_000,
            anonymous_retention_secs: 30 * 86_400,
            anonymous_cap: 100_000,
            sweep_every_secs: 3_600,
        }
    }
}

/// One thing that happened, as it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub detail: String,
}

impl Event {
    pub fn new(kind: EventKind) -> Self {
        Event { kind, detail: String::new() }
    }
    pub fn with_detail(kind: EventKind, detail: impl Into<String>) -> Self {
        Event { kind, detail: detail.into() }
    }
}

/// An event as the owner reads it. A counted row (`count > 1`) covers the
/// attempts from `first_at` to `at`.
#[derive(Clone, Debug)]
pub struct EventEntry {
    pub kind: Option<EventKind>,
    pub ip: String,
    pub device: Device,
    pub detail: String,
    pub at: i64,
    pub first_at: i64,
    pub count: i64,
    /// Distinct sources of a counted row.
    pub sources: i64,
}

impl EventEntry {
    /// "Failed sign-in attempt", or for a counted row "12 failed sign-ins
    /// from 203.0.113.9" or "30 failed sign-ins from 30 addresses".
    pub fn label(&self) -> String {
        match self.kind {
            None => "Security event".into(),
            Some(k) if self.count > 1 => match k.counted_label() {
                Some(what) if self.sources >= store::MAX_SOURCES => format!("{} {what} from {} or more addresses", self.count, self.sources),
                Some(what) if self.sources > 1 => format!("{} {what} from {} addresses", self.count, self.sources),
                Some(what) => format!("{} {what} from {}", self.count, self.ip),
                None => k.label().into(),
            },
            Some(k) => k.label().into(),
        }
    }
}

/// One page of an account's events, newest first.
#[derive(Clone, Debug)]
pub struct EventPage {
    pub entries: Vec<EventEntry>,
    /// 0-based.
    pub page: i64,
    pub has_older: bool,
}

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub events: u64,
}

/// Records `event` through `db`: the pool, or the transaction of the change
/// it describes, so both commit together. Refused attempts count into their
/// hour's row. Every event also goes to the application log, target
/// `security`: kind, account id, client IP and the event's detail (details
/// never hold a password, token, code or email address).
pub async fn record<'c, E>(db: E, account: Option<AccountId>, event: &Event, meta: &ClientMeta, at: i64) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    log(account, event, meta);
    let key = event.kind.counted_label().map(|_| aggregate_key(account, event.kind, at));
    let source: String = crate::limits::ip_block(&meta.ip).chars().map(|c| if matches!(c, ',' | '%' | '_') { '?' } else { c }).collect();
    store::insert(db, account, event.kind.code(), meta, &event.detail, at, key.as_deref(), &source).await
}

fn log(account: Option<AccountId>, event: &Event, meta: &ClientMeta) {
    let account = account.map(AccountId::get);
    let (kind, ip, detail) = (event.kind.code(), meta.ip.as_str(), event.detail.as_str());
    if event.kind.is_refusal() {
        tracing::warn!(target: "security", kind, account, ip, detail, "security event");
    } else {
        tracing::info!(target: "security", kind, account, ip, detail, "security event");
    }
}

/// The row a counted event counts into: its account, kind and hour, from
/// whatever source (the row keeps the sources).
fn aggregate_key(account: Option<AccountId>, kind: EventKind, at: i64) -> String {
    let window = at - at.rem_euclid(AGGREGATE_WINDOW_SECS);
    let account = account.map_or_else(|| "-".to_owned(), |a| a.to_string());
    format!("{account}|{}|{window}", kind.code())
}

/// The account's events: one page, newest first.
pub async fn page(db: &sqlx::AnyPool, account: AccountId, page: i64, size: i64) -> Result<EventPage> {
    let page = page.clamp(0, 10_000);
    let size = size.clamp(1, 200);
    let rows = store::page(db, account, size + 1, page * size).await?;
    let has_older = rows.len() as i64 > size;
    let entries = rows
        .into_iter()
        .take(size as usize)
        .map(|r| EventEntry {
            kind: EventKind::from_code(&r.kind),
            device: user_agent::parse(&r.user_agent),
            ip: r.ip,
            detail: r.detail,
            at: r.at,
            first_at: r.first_at,
            count: r.count,
            sources: r.sources,
        })
        .collect();
    Ok(EventPage { entries, page, has_older })
}

pub struct Events<'w> {
    deps: &'w Deps,
    cfg: &'w EventsConfig,
}

impl<'w> Events<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w EventsConfig) -> Self {
        Events { deps, cfg }
    }

    /// One page of the actor's events, newest first.
    pub async fn page(&self, actor: &Actor, page: i64) -> Result<EventPage> {
        self::page(self.deps.pool(), actor.account()?, page, self.cfg.page_size).await
    }

    /// Removes what retention no longer keeps: events past their age, then
    /// each account's beyond its newest `per_account_cap`, then events of no
    /// account beyond the newest `anonymous_cap`.
    pub async fn sweep(&self) -> Result<Swept> {
        let now = self.deps.now();
        let c = self.cfg;
        let db = self.deps.pool();
        let mut n = store::delete_older(db, now - c.retention_secs, now - c.anonymous_retention_secs).await?;
        let noise: Vec<&str> = ALL.iter().filter(|k| k.is_noise()).map(|k| k.code()).collect();
        n += store::delete_beyond_account_cap(db, c.per_account_cap.max(1), &noise).await?;
        n += store::delete_beyond_anonymous_cap(db, c.anonymous_cap.max(1)).await?;
        Ok(Swept { events: n })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    AccountCreated,
    SignedIn,
    SignInFailed,
    SignInThrottled,
    SignedOut,
    SessionEnded,
    LoggedOutAllDevices,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    RecoveryCodeUsed,
    TwoFactorFailed,
    TwoFactorReplayRefused,
    SecondFactorRequested,
    PasswordChanged,
    PasswordChangeFailed,
    PasswordResetRequested,
    PasswordReset,
    EmailVerificationSent,
    EmailVerified,
    PinSet,
    PinChanged,
    PinRemoved,
    ReportsUnlocked,
    PinFailed,
    PinLocked,
    TimeZoneChanged,
    ApiTokenCreated,
    ApiTokenDeleted,
    /// Creating an API token was refused: wrong username or password.
    ApiTokenCreateRefused,
    /// The owner was emailed that a token expires within 7 days.
    ApiTokenExpiring,
    SecurityKeyAdded,
    SecurityKeyRemoved,
    /// A security key's answer was refused (at sign-in or on the settings page).
    SecurityKeyFailed,
    /// A key's signature counter did not go forward: it may have been cloned.
    SecurityKeyCloneWarning,
    /// A wrong password when confirming it is the owner (step-up).
    StepUpFailed,
    /// An API token was used from a network it had not been seen from.
    ApiTokenNewNetwork,
    /// An API token was presented from outside the networks it is limited to.
    ApiTokenNetworkRefused,
    /// The networks an API token may be used from were changed.
    ApiTokenNetworksChanged,
    /// An API token got a new secret.
    ApiTokenRegenerated,
    /// A sign-in from a browser without the account's device cookie and
    /// from a network not seen in 90 days (the alert mail, when on).
    NewSignIn,
    /// A known browser signed in from a network not seen in 90 days.
    SignedInFromNewNetwork,
    SignInAlertsOn,
    SignInAlertsOff,
    /// "This wasn't me" followed from a new-sign-in alert.
    SignInReportedNotYou,
    SessionRenamed,
    WebhookAdded,
    WebhookSecretRotated,
    WebhookDeleted,
    WebhookDisabled,
}

const ALL: [EventKind; 50] = [
    EventKind::AccountCreated,
    EventKind::SignedIn,
    EventKind::SignInFailed,
    EventKind::SignInThrottled,
    EventKind::SignedOut,
    EventKind::SessionEnded,
    EventKind::LoggedOutAllDevices,
    EventKind::TwoFactorEnabled,
    EventKind::TwoFactorDisabled,
    EventKind::RecoveryCodesRegenerated,
    EventKind::RecoveryCodeUsed,
    EventKind::TwoFactorFailed,
    EventKind::TwoFactorReplayRefused,
    EventKind::SecondFactorRequested,
    EventKind::PasswordChanged,
    EventKind::PasswordChangeFailed,
    EventKind::PasswordResetRequested,
    EventKind::PasswordReset,
    EventKind::EmailVerificationSent,
    EventKind::EmailVerified,
    EventKind::PinSet,
    EventKind::PinChanged,
    EventKind::PinRemoved,
    EventKind::ReportsUnlocked,
    EventKind::PinFailed,
    EventKind::PinLocked,
    EventKind::TimeZoneChanged,
    EventKind::ApiTokenCreated,
    EventKind::ApiTokenDeleted,
    EventKind::ApiTokenCreateRefused,
    EventKind::ApiTokenExpiring,
    EventKind::SecurityKeyAdded,
    EventKind::SecurityKeyRemoved,
    EventKind::SecurityKeyFailed,
    EventKind::SecurityKeyCloneWarning,
    EventKind::StepUpFailed,
    EventKind::ApiTokenNewNetwork,
    EventKind::ApiTokenNetworkRefused,
    EventKind::ApiTokenNetworksChanged,
    EventKind::ApiTokenRegenerated,
    EventKind::NewSignIn,
    EventKind::SignedInFromNewNetwork,
    EventKind::SignInAlertsOn,
    EventKind::SignInAlertsOff,
    EventKind::SignInReportedNotYou,
    EventKind::SessionRenamed,
    EventKind::WebhookAdded,
    EventKind::WebhookSecretRotated,
    EventKind::WebhookDeleted,
    EventKind::WebhookDisabled,
];

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "account_created",
            EventKind::SignedIn => "signed_in",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::SignInThrottled => "sign_in_throttled",
            EventKind::SignedOut => "signed_out",
            EventKind::SessionEnded => "session_ended",
            EventKind::LoggedOutAllDevices => "logged_out_all_devices",
            EventKind::TwoFactorEnabled => "two_factor_enabled",
            EventKind::TwoFactorDisabled => "two_factor_disabled",
            EventKind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            EventKind::RecoveryCodeUsed => "recovery_code_used",
            EventKind::TwoFactorFailed => "two_factor_failed",
            EventKind::TwoFactorReplayRefused => "two_factor_replay_refused",
            EventKind::SecondFactorRequested => "second_factor_requested",
            EventKind::PasswordChanged => "password_changed",
            EventKind::PasswordChangeFailed => "password_change_failed",
            EventKind::PasswordResetRequested => "password_reset_requested",
            EventKind::PasswordReset => "password_reset",
            EventKind::EmailVerificationSent => "email_verification_sent",
            EventKind::EmailVerified => "email_verified",
            EventKind::PinSet => "pin_set",
            EventKind::PinChanged => "pin_changed",
            EventKind::PinRemoved => "pin_removed",
            EventKind::ReportsUnlocked => "reports_unlocked",
            EventKind::PinFailed => "pin_failed",
            EventKind::PinLocked => "pin_locked",
            EventKind::TimeZoneChanged => "time_zone_changed",
            EventKind::ApiTokenCreated => "api_token_created",
            EventKind::ApiTokenDeleted => "api_token_deleted",
            EventKind::ApiTokenCreateRefused => "api_token_create_refused",
            EventKind::ApiTokenExpiring => "api_token_expiring",
            EventKind::SecurityKeyAdded => "security_key_added",
            EventKind::SecurityKeyRemoved => "security_key_removed",
            EventKind::SecurityKeyFailed => "security_key_failed",
            EventKind::SecurityKeyCloneWarning => "security_key_clone_warning",
            EventKind::StepUpFailed => "step_up_failed",
            EventKind::ApiTokenNewNetwork => "api_token_new_network",
            EventKind::ApiTokenNetworkRefused => "api_token_network_refused",
            EventKind::ApiTokenNetworksChanged => "api_token_networks_changed",
            EventKind::ApiTokenRegenerated => "api_token_regenerated",
            EventKind::NewSignIn => "new_sign_in",
            EventKind::SignedInFromNewNetwork => "signed_in_from_new_network",
            EventKind::SignInAlertsOn => "sign_in_alerts_on",
            EventKind::SignInAlertsOff => "sign_in_alerts_off",
            EventKind::SignInReportedNotYou => "sign_in_reported_not_you",
            EventKind::SessionRenamed => "session_renamed",
            EventKind::WebhookAdded => "webhook_added",
            EventKind::WebhookSecretRotated => "webhook_secret_rotated",
            EventKind::WebhookDeleted => "webhook_deleted",
            EventKind::WebhookDisabled => "webhook_disabled",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        ALL.into_iter().find(|k| k.code() == code)
    }

    /// Refused attempts anyone can repeat at will are counted per hour and
    /// source; this is how a count of them reads ("12 failed sign-ins").
    pub fn counted_label(self) -> Option<&'static str> {
        match self {
            EventKind::SignInFailed => Some("failed sign-ins"),
            EventKind::SignInThrottled => Some("sign-in attempts refused (too many failures)"),
            EventKind::TwoFactorFailed => Some("wrong two-factor codes"),
            EventKind::SecurityKeyFailed => Some("refused security key answers"),
            EventKind::PinFailed => Some("wrong PINs"),
            EventKind::ApiTokenCreateRefused => Some("API token requests refused (wrong username or password)"),
            EventKind::PasswordChangeFailed => Some("wrong current passwords on the Password page"),
            EventKind::TwoFactorReplayRefused => Some("reused two-factor codes refused"),
            EventKind::StepUpFailed => Some("wrong passwords when confirming it's you"),
            EventKind::TimeZoneChanged => Some("time zone changes"),
            EventKind::ReportsUnlocked => Some("unlocks of previous days' reports with the PIN"),
            EventKind::ApiTokenNetworkRefused => Some("API requests refused: the token is not allowed from that network"),
            _ => None,
        }
    }

    /// Routine or repeatable events: what the per-account cap may trim
    /// (the newest are kept). Sign-ins and every change to a password,
    /// factor, PIN, token or session are not noise: they stay until their
    /// retention age, whatever else happens.
    pub fn is_noise(self) -> bool {
        self.counted_label().is_some()
            || matches!(
                self,
                EventKind::SignedOut
                    | EventKind::SecondFactorRequested
                    | EventKind::PasswordResetRequested
                    | EventKind::EmailVerificationSent
                    | EventKind::ApiTokenExpiring
                    // One per network a token reaches: whoever holds a token
                    // can make many, so the cap may trim the oldest.
                    | EventKind::ApiTokenNewNetwork
            )
    }

    /// A refused attempt or a failure: logged as a warning.
    pub fn is_refusal(self) -> bool {
        matches!(
            self,
            EventKind::SignInFailed
                | EventKind::SignInThrottled
                | EventKind::TwoFactorFailed
                | EventKind::TwoFactorReplayRefused
                | EventKind::PasswordChangeFailed
                | EventKind::PinFailed
                | EventKind::PinLocked
                | EventKind::ApiTokenCreateRefused
                | EventKind::SecurityKeyFailed
                | EventKind::SecurityKeyCloneWarning
                | EventKind::StepUpFailed
                | EventKind::ApiTokenNetworkRefused
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::AccountCreated => "Account created",
            EventKind::SignedIn => "Signed in",
            EventKind::SignInFailed => "Failed sign-in attempt",
            EventKind::SignInThrottled => "Sign-in attempt refused: too many failures",
            EventKind::SignedOut => "Signed out",
            EventKind::SessionEnded => "Ended another session",
            EventKind::LoggedOutAllDevices => "Logged out of all devices",
            EventKind::TwoFactorEnabled => "Two-factor authentication enabled",
            EventKind::TwoFactorDisabled => "Two-factor authentication disabled",
            EventKind::RecoveryCodesRegenerated => "Recovery codes regenerated",
            EventKind::RecoveryCodeUsed => "Recovery code used",
            EventKind::TwoFactorFailed => "Wrong two-factor code",
            EventKind::TwoFactorReplayRefused => "Reused two-factor code refused",
            EventKind::SecondFactorRequested => "Password accepted; two-factor code requested",
            EventKind::PasswordChanged => "Password changed",
            EventKind::PasswordChangeFailed => "Password change refused: wrong current password",
            EventKind::PasswordResetRequested => "Password reset link sent by email",
            EventKind::PasswordReset => "Password reset with an email link",
            EventKind::EmailVerificationSent => "Email confirmation link sent",
            EventKind::EmailVerified => "Email address confirmed",
            EventKind::PinSet => "Protection PIN set",
            EventKind::PinChanged => "Protection PIN changed",
            EventKind::PinRemoved => "Protection PIN removed",
            EventKind::ReportsUnlocked => "Previous days' reports unlocked with the PIN",
            EventKind::PinFailed => "Wrong PIN",
            EventKind::PinLocked => "PIN locked for an hour after 10 wrong PINs",
            EventKind::TimeZoneChanged => "Time zone changed",
            EventKind::ApiTokenCreated => "API token created",
            EventKind::ApiTokenDeleted => "API token deleted",
            EventKind::ApiTokenCreateRefused => "API token refused: wrong username or password",
            EventKind::ApiTokenExpiring => "Emailed: an API token expires within 7 days",
            EventKind::SecurityKeyAdded => "Security key added",
            EventKind::SecurityKeyRemoved => "Security key removed",
            EventKind::SecurityKeyFailed => "Security key answer refused",
            EventKind::SecurityKeyCloneWarning => "Security key refused: its counter went backwards (it may have been copied)",
            EventKind::StepUpFailed => "Wrong password when confirming it's you",
            EventKind::ApiTokenNewNetwork => "API token used from a new network",
            EventKind::ApiTokenNetworkRefused => "API request refused: the token is not allowed from that network",
            EventKind::ApiTokenNetworksChanged => "Networks an API token may be used from changed",
            EventKind::ApiTokenRegenerated => "API token regenerated",
            EventKind::NewSignIn => "Sign-in from a new browser and a new network",
            EventKind::SignedInFromNewNetwork => "Signed in from a new network, in a browser signed in before",
            EventKind::SignInAlertsOn => "New-sign-in alerts turned on",
            EventKind::SignInAlertsOff => "New-sign-in alerts turned off",
            EventKind::SignInReportedNotYou => "Sign-in reported as not you: that session ended",
            EventKind::SessionRenamed => "Session renamed",
            EventKind::WebhookAdded => "Webhook added",
            EventKind::WebhookSecretRotated => "Webhook secret rotated",
            EventKind::WebhookDeleted => "Webhook deleted",
            EventKind::WebhookDisabled => "Webhook turned off after a day of failed deliveries",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_code_and_has_a_label() {
        for k in ALL {
            assert_eq!(EventKind::from_code(k.code()), Some(k));
            assert_ne!(k.label(), "Security event");
        }
        assert_eq!(EventKind::from_code("nope"), None);
        let mut codes: Vec<_> = ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL.len(), "every kind has its own code");
    }

    #[test]
    fn refused_attempts_count_per_account_kind_and_hour_whatever_the_source() {
        let a = Some(AccountId::new(7));
        let t = 1_800_000_000 - 1_800_000_000 % AGGREGATE_WINDOW_SECS;
        let k = aggregate_key;
        assert_eq!(k(a, EventKind::SignInFailed, t), k(a, EventKind::SignInFailed, t + 3599));
        assert_ne!(k(a, EventKind::SignInFailed, t), k(a, EventKind::SignInFailed, t + 3600));
        assert_ne!(k(a, EventKind::SignInFailed, t), k(a, EventKind::SignInThrottled, t));
        assert_ne!(k(a, EventKind::SignInFailed, t), k(None, EventKind::SignInFailed, t));
    }

    #[test]
    fn the_owners_history_is_never_noise() {
        for k in [
            EventKind::SignedIn,
            EventKind::PasswordChanged,
            EventKind::PasswordReset,
            EventKind::TwoFactorEnabled,
            EventKind::TwoFactorDisabled,
            EventKind::RecoveryCodesRegenerated,
            EventKind::RecoveryCodeUsed,
            EventKind::SecurityKeyAdded,
            EventKind::SecurityKeyRemoved,
            EventKind::PinSet,
            EventKind::PinChanged,
            EventKind::PinRemoved,
            EventKind::PinLocked,
            EventKind::ApiTokenCreated,
            EventKind::ApiTokenDeleted,
            EventKind::SessionEnded,
            EventKind::LoggedOutAllDevices,
            EventKind::SecurityKeyCloneWarning,
            EventKind::ApiTokenNetworksChanged,
            EventKind::ApiTokenRegenerated,
            EventKind::NewSignIn,
            EventKind::SignedInFromNewNetwork,
            EventKind::SignInAlertsOff,
            EventKind::SignInReportedNotYou,
        ] {
            assert!(!k.is_noise(), "{k:?}");
        }
        assert!(EventKind::TimeZoneChanged.is_noise() && EventKind::SignInFailed.is_noise());
    }

    #[test]
    fn a_counted_row_says_how_many_and_from_where() {
        let e = |kind, count| EventEntry {
            kind: Some(kind),
            ip: "203.0.113.9".into(),
            device: user_agent::parse(""),
            detail: String::new(),
            at: 0,
            first_at: 0,
            count,
            sources: 1,
        };
        assert_eq!(e(EventKind::SignInFailed, 12).label(), "12 failed sign-ins from 203.0.113.9");
        assert_eq!(EventEntry { sources: 30, ..e(EventKind::SignInFailed, 30) }.label(), "30 failed sign-ins from 30 addresses");
        assert_eq!(e(EventKind::SignInFailed, 1).label(), "Failed sign-in attempt");
        assert_eq!(e(EventKind::SignedIn, 3).label(), "Signed in");
    }
}
