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
            _ => "Security event",
        }
    }
}
