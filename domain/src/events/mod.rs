//! Security events: every sign-in attempt and every change to how an account
//! is reached, kept so the owner can see them on Login Security.

pub mod store;

use crate::actor::{AccountId, ClientMeta};
use crate::support::user_agent::{self, Device};
use crate::Result;

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

/// An event as the owner reads it.
#[derive(Clone, Debug)]
pub struct EventEntry {
    pub kind: Option<EventKind>,
    pub ip: String,
    pub device: Device,
    pub detail: String,
    pub at: i64,
}

impl EventEntry {
    pub fn label(&self) -> &'static str {
        self.kind.map_or("Security event", EventKind::label)
    }
}

/// Records `event` through `db`: the pool, or the transaction of the change
/// it describes, so both commit together.
pub async fn record<'c, E>(db: E, account: Option<AccountId>, event: &Event, meta: &ClientMeta, at: i64) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    store::insert(db, account, event.kind.code(), meta, &event.detail, at).await
}

/// The newest events of an account, newest first.
pub async fn recent(db: &sqlx::AnyPool, account: AccountId, limit: i64) -> Result<Vec<EventEntry>> {
    let rows = store::recent(db, account, limit.clamp(1, 200)).await?;
    Ok(rows
        .into_iter()
        .map(|r| EventEntry { kind: EventKind::from_code(&r.kind), device: user_agent::parse(&r.user_agent), ip: r.ip, detail: r.detail, at: r.at })
        .collect())
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
}

const ALL: [EventKind; 20] = [
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
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        ALL.into_iter().find(|k| k.code() == code)
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
    }
}
