//! Session lifecycle rules: how long a session lives and why it ended.
//!
//! Lifetimes follow NIST SP 800-63B §7.2 for AAL1/AAL2 by default: an idle
//! timeout (no request for that long) and an absolute lifetime (however busy),
//! both enforced on the server. "Last active" is written at most once a minute
//! per session, so a busy page does not turn every request into a write.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    pub idle_secs: i64,
    pub absolute_secs: i64,
    /// How stale "last active" may get before a request refreshes it.
    pub touch_every_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes { idle_secs: 30 * 60, absolute_secs: 12 * 3600, touch_every_secs: 60 }
    }
}

impl Lifetimes {
    /// When a session started at `created` and last seen at `last_active`
    /// stops being valid.
    pub fn expires_at(&self, created: i64, last_active: i64) -> i64 {
        (last_active + self.idle_secs).min(created + self.absolute_secs)
    }
    pub fn is_expired(&self, created: i64, last_active: i64, now: i64) -> bool {
        now >= self.expires_at(created, last_active)
    }
    pub fn needs_touch(&self, last_active: i64, now: i64) -> bool {
        now - last_active >= self.touch_every_secs
    }
}

/// When a session still marked active has in fact lapsed, without another
/// request to notice it: a pending sign-in at the end of its second-factor
/// window, any other at [`Lifetimes::expires_at`]. Reads compute this (a
/// view never writes); the retention sweep and the paths that end sessions
/// write it down.
#[derive(Clone, Copy, Debug)]
pub struct Lapse {
    pub lifetimes: Lifetimes,
    pub second_factor_window_secs: i64,
}

impl Lapse {
    /// When and why a session has lapsed by `now`, if it has.
    pub fn lapsed(&self, created: i64, last_active: i64, second_factor_pending: bool, now: i64) -> Option<(i64, EndReason)> {
        let window_ends = created + self.second_factor_window_secs;
        if second_factor_pending && now >= window_ends {
            Some((window_ends, EndReason::SecondFactorNotCompleted))
        } else if self.lifetimes.is_expired(created, last_active, now) {
            Some((self.lifetimes.expires_at(created, last_active), EndReason::Expired))
        } else {
            None
        }
    }
}

/// Why a session ended, as the owner reads it on Login Security.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    SignedOut,
    LoggedOutAllDevices,
    EndedFromAnotherSession,
    Expired,
    PasswordChanged,
    SecondFactorNotCompleted,
    /// "Sign out of other devices" when 2FA was turned on or off, or
    /// recovery codes were regenerated.
    TwoFactorChanged,
    /// The owner followed "This wasn't me" in the alert about its sign-in.
    ReportedNotYou,
}

impl EndReason {
    pub fn code(self) -> &'static str {
        match self {
            EndReason::SignedOut => "signed_out",
            EndReason::LoggedOutAllDevices => "logged_out_all",
            EndReason::EndedFromAnotherSession => "ended_elsewhere",
            EndReason::Expired => "expired",
            EndReason::PasswordChanged => "password_changed",
            EndReason::SecondFactorNotCompleted => "second_factor_not_completed",
            EndReason::TwoFactorChanged => "two_factor_changed",
            EndReason::ReportedNotYou => "reported_not_you",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        [
            Self::SignedOut,
            Self::LoggedOutAllDevices,
            Self::EndedFromAnotherSession,
            Self::Expired,
            Self::PasswordChanged,
            Self::SecondFactorNotCompleted,
            Self::TwoFactorChanged,
            Self::ReportedNotYou,
        ]
        .into_iter()
        .find(|r| r.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            EndReason::SignedOut => "Signed out",
            EndReason::LoggedOutAllDevices => "Logged out of all devices",
            EndReason::EndedFromAnotherSession => "Ended from another session",
            EndReason::Expired => "Expired",
            EndReason::PasswordChanged => "Password changed",
            EndReason::SecondFactorNotCompleted => "Two-factor step not completed",
            EndReason::TwoFactorChanged => "Two-factor settings changed",
            EndReason::ReportedNotYou => "You said this sign-in wasn't you",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const L: Lifetimes = Lifetimes { idle_secs: 1800, absolute_secs: 43200, touch_every_secs: 60 };

    #[test]
    fn idle_sessions_expire_after_the_idle_timeout() {
        assert!(!L.is_expired(0, 100, 100 + 1799));
        assert!(L.is_expired(0, 100, 100 + 1800));
    }

    #[test]
    fn busy_sessions_still_expire_at_the_absolute_lifetime() {
        let created = 0;
        let last = 43_000; // active a moment ago
        assert!(!L.is_expired(created, last, 43_199));
        assert!(L.is_expired(created, last, 43_200));
        assert_eq!(L.expires_at(created, last), 43_200);
    }

    #[test]
    fn last_active_is_written_at_most_once_a_minute() {
        assert!(!L.needs_touch(1000, 1059));
        assert!(L.needs_touch(1000, 1060));
    }

    #[test]
    fn a_pending_sign_in_lapses_at_the_end_of_its_second_factor_window() {
        let lapse = Lapse { lifetimes: L, second_factor_window_secs: 300 };
        assert_eq!(lapse.lapsed(1000, 1000, true, 1299), None);
        assert_eq!(lapse.lapsed(1000, 1000, true, 1300), Some((1300, EndReason::SecondFactorNotCompleted)));
        // Long after, it still ended when its window did, for that reason.
        assert_eq!(lapse.lapsed(1000, 1000, true, 90_000), Some((1300, EndReason::SecondFactorNotCompleted)));
        assert_eq!(lapse.lapsed(1000, 1000, false, 1300), None, "a full session has no such window");
        assert_eq!(lapse.lapsed(1000, 1000, false, 2800), Some((2800, EndReason::Expired)));
    }

    #[test]
    fn reasons_round_trip_through_their_codes() {
        for r in [
            EndReason::SignedOut,
            EndReason::LoggedOutAllDevices,
            EndReason::EndedFromAnotherSession,
            EndReason::Expired,
            EndReason::PasswordChanged,
            EndReason::SecondFactorNotCompleted,
            EndReason::TwoFactorChanged,
        ] {
            assert_eq!(EndReason::from_code(r.code()), Some(r));
        }
        assert_eq!(EndReason::from_code("nope"), None);
    }
}
