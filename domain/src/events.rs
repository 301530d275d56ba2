//! Security events: every sign-in attempt and every change to how an account
//! is reached, kept so the owner can see them.

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
}

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
        }
    }
    pub fn label_for(code: &str) -> &'static str {
        match code {
            "account_created" => "Account created",
            "signed_in" => "Signed in",
            "sign_in_failed" => "Failed sign-in attempt",
            "sign_in_throttled" => "Sign-in attempt refused: too many failures",
            "signed_out" => "Signed out",
            "session_ended" => "Ended another session",
            "logged_out_all_devices" => "Logged out of all devices",
            "two_factor_enabled" => "Two-factor authentication enabled",
            "two_factor_disabled" => "Two-factor authentication disabled",
            "recovery_codes_regenerated" => "Recovery codes regenerated",
            "recovery_code_used" => "Recovery code used",
            "two_factor_failed" => "Wrong two-factor code",
            "two_factor_replay_refused" => "Reused two-factor code refused",
            "second_factor_requested" => "Password accepted; two-factor code requested",
            "password_changed" => "Password changed",
            "password_change_failed" => "Password change refused: wrong current password",
            "password_reset_requested" => "Password reset link sent by email",
            "password_reset" => "Password reset with an email link",
            _ => "Security event",
        }
    }
}
