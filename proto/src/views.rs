//! What the pages show, as the server sends it. Times come as a [`Stamp`]:
//! machine-readable for `<time datetime>` and already worded for people.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    /// RFC 3339 with the account zone's offset, for `<time datetime>`.
    pub iso: String,
    /// "5 minutes ago" within a day, else `2026-11-28 21:48` on the
    /// account's clock.
    pub text: String,
    /// `2026-11-28 21:48` on the account's clock, however near.
    pub local: String,
    /// The exact time and its zone, for `title`:
    /// `2026-11-28 21:48 Europe/Berlin (UTC+01:00)`.
    pub exact: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
}

/// One session as Login Security shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub this_device: bool,
    pub browser: String,
    pub os: String,
    pub device: String,
    pub ip: String,
    pub started: Stamp,
    pub last_active: Stamp,
    pub ended: Option<Stamp>,
    pub end_reason: Option<String>,
    /// The name the owner gave it ("Work laptop").
    pub name: Option<String>,
}

/// One security event. A counted row (refused attempts of one kind from one
/// source within an hour) has `count > 1`, and `first` is its first attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub what: String,
    pub detail: String,
    pub ip: String,
    pub device: String,
    pub at: Stamp,
    pub count: i64,
    pub first: Option<Stamp>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionsView {
    pub active: Vec<SessionView>,
    pub ended: Vec<SessionView>,
    pub page: i64,
    pub has_older: bool,
    /// One page of security activity, newest first.
    pub events: Vec<EventView>,
    pub events_page: i64,
    pub events_has_older: bool,
    /// The account's IANA zone, which every time here is on.
    pub zone: String,
    /// Whether new-sign-in alerts are on.
    pub sign_in_alerts: bool,
    /// The mail log: every mail about the account in the last 90 days.
    pub mails: Vec<MailView>,
    /// Invite the owner to add a passkey (the account has none, and they
    /// did not say "Don't ask again").
    pub passkey_invite: bool,
}

/// One line of the mail log (the body is not kept).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MailView {
    pub subject: String,
    pub to: String,
    pub queued: Stamp,
    /// "Sent", "Sending" or "Could not be delivered".
    pub status: String,
}

/// The page a "This wasn't me" link opens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotMeView {
    /// "Chrome on Windows (desktop)".
    pub device: String,
    pub ip: String,
    pub signed_in: Stamp,
    /// When the link was first followed: that session ended then.
    pub followed: Stamp,
    pub expires: Stamp,
    pub ended_all: Option<Stamp>,
    pub reset_sent: Option<Stamp>,
    /// The account has a confirmed address a reset link can go to.
    pub can_reset: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorView {
    pub enabled_since: Option<Stamp>,
    pub recovery_codes_left: i64,
    /// Only while an enrolment waits for its first code.
    pub pending: Option<EnrolmentView>,
    /// Recovery codes just created by a plain form post (JavaScript off),
    /// shown once on the page it was redirected to.
    pub fresh_codes: Option<RecoveryCodes>,
}

/// Whether this session confirmed it is its owner minutes ago (the
/// step-up's window), and what a confirmation takes on this account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepUpView {
    /// Until when the window is open, if it is.
    pub confirmed_until: Option<Stamp>,
    /// Whole minutes left, rounded up ("Confirmed for 9 more minutes").
    pub minutes_left: Option<i64>,
    /// The window covers every change, the second factor included (or the
    /// account has none); otherwise only what takes the password alone.
    pub covers_all: bool,
    /// A full confirmation takes a second factor too.
    pub has_second_factor: bool,
    /// A security key can be that factor.
    pub security_key: bool,
    /// The authenticator app (or a recovery code) can be that factor.
    pub authenticator_app: bool,
    /// How long a confirmation lasts.
    pub window_minutes: i64,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentView {
    /// Inline SVG rendered on the server.
    pub qr_svg: String,
    /// The key in groups of four, for typing by hand.
    pub key: String,
}

impl fmt::Debug for EnrolmentView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnrolmentView(<hidden>)")
    }
}

/// What the second sign-in step can be answered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondStepView {
    pub security_key: bool,
    pub authenticator_app: bool,
    pub recovery_code: bool,
}

/// A security key or passkey on the Two-Factor Auth page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityKeyView {
    pub id: i64,
    pub name: String,
    pub added: Stamp,
    /// `None`: never used to sign in.
    pub last_used: Option<Stamp>,
    /// Registered as a passkey (discoverable, with user verification): it
    /// can also sign in without the password.
    pub passkey: bool,
}

/// A security key just added; with the recovery codes when it was the
/// account's first second factor (shown once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityKeyAdded {
    pub name: String,
    pub recovery_codes: Option<RecoveryCodes>,
}

/// Recovery codes, shown once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes(<{} hidden>)", self.0.len())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasswordView {
    /// Last changed or reset; `None` if unchanged since the account was made.
    pub changed: Option<Stamp>,
    pub created: Stamp,
}

/// The strength meter's reading. Holds no part of the password.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrengthView {
    /// 0 (very weak) to 4 (very strong).
    pub score: u8,
    pub label: String,
    pub reason: Option<String>,
    /// Whether the password would be accepted.
    pub acceptable: bool,
}

/// The reset page's view of its link: whose it is. `None` in its place when
/// the link is missing, used, superseded or expired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResetView {
    pub username: String,
    pub expires: Stamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub other_sessions_ended: u64,
}

/// The account's address while it is not verified yet, partly hidden
/// (`a…@example.com`); `None` in its place once it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnverifiedEmailView {
    pub email: String,
    /// When the account is removed if the address is still unconfirmed.
    pub removed_at: Stamp,
}

/// The verification page's view of its link: for which account and address.
/// `None` in its place when the link is missing, used, superseded or expired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyView {
    pub username: String,
    pub email: String,
    pub expires: Stamp,
}

/// The Protection tab and the PIN line on Reporting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProtectionView {
    pub set_since: Option<Stamp>,
    /// This session's unlock: when it ends, and that moment on the person's clock ("14:32").
    pub unlocked_until: Option<Stamp>,
    pub unlocked_until_clock: Option<String>,
    /// Seconds until the PIN takes another guess, while it is delayed or locked.
    pub wait_secs: Option<i64>,
    /// Whether changes ask for a second factor (2FA is on).
    pub two_factor_on: bool,
    /// Whether a security key can be that factor.
    pub security_key: bool,
    pub unlock_minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: i64,
    pub name: String,
    pub tracking_number: String,
    pub status: String,
}

/// What Reporting shows before any figure: no call data, so never gated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportsContextView {
    pub zone: String,
    /// The person's today, `YYYY-MM-DD`.
    pub today: String,
    pub campaigns: Vec<CampaignView>,
    pub pin: ProtectionView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TotalsView {
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub voicemail: i64,
    /// "82%", or "–" without calls.
    pub answer_rate: String,
    /// "3:12", or "–".
    pub average_duration: String,
    /// "$1,234.50".
    pub revenue: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// "Mon 23 Nov".
    pub label: String,
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub voicemail: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignTotalsView {
    pub id: i64,
    pub name: String,
    pub totals: TotalsView,
}

/// A report that passed the PIN gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub from: String,
    pub to: String,
    /// "Last 7 days · 22–28 Nov 2026".
    pub title: String,
    pub zone: String,
    pub totals: TotalsView,
    pub days: Vec<DayView>,
    pub campaigns: Vec<CampaignTotalsView>,
}

/// The time-zone page: the account's zone and every zone there is to choose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeZoneView {
    pub zone: String,
    pub zones: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_views_never_reach_debug_output() {
        let e = EnrolmentView { qr_svg: "<svg>KEY</svg>".into(), key: "ABCD EFGH".into() };
        assert!(!format!("{e:?}").contains("ABCD"));
        let c = RecoveryCodes(vec!["abcde-fghij".into(), "klmno-pqrst".into()]);
        assert_eq!(format!("{c:?}"), "RecoveryCodes(<2 hidden>)");
    }
}

/// The API Access Tokens tab: the live tokens, and whether the create form
/// asks for a 2FA code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiTokensView {
    pub tokens: Vec<ApiTokenView>,
    /// Whether creating asks for a second factor (2FA is on).
    pub two_factor_on: bool,
    /// Whether a security key can be that factor.
    pub security_key: bool,
    /// A token made by a plain form post (JavaScript off), shown on this
    /// page once: taken from the server's memory by this very request.
    pub fresh: Option<NewApiToken>,
    /// The account's API rate limit, and how much of it is used now.
    pub quota: ApiQuotaView,
}

/// The REST API's rate limit for this account, as the API's own
/// `RateLimit` headers would say it now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiQuotaView {
    /// Requests a minute in force now (all the account's tokens together).
    pub limit: u32,
    /// The usual quota; `limit` is lower while the server is busy.
    pub normal: u32,
    /// The server is under heavy load: `limit` is the reduced quota.
    pub busy: bool,
    /// Of `limit`, how many this minute's requests used.
    pub used: u32,
    /// Seconds until the whole quota is back (0: it is).
    pub full_in_secs: i64,
}

/// One live token. Never its text: only its prefix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    /// The first 8 characters after `wdn_`.
    pub prefix: String,
    /// "Read only", "Read and write".
    pub access: String,
    /// May list and end the account's browser sessions.
    pub sessions: bool,
    pub created: Stamp,
    /// `None`: never expires.
    pub expires: Option<Stamp>,
    pub expired: bool,
    pub last_used: Option<LastUsedView>,
    /// Requests per UTC day over the last 30 days, oldest first.
    pub usage: Vec<UsageDayView>,
    /// The newest networks it was used from (at most five), newest first.
    pub networks: Vec<TokenNetworkView>,
    /// The CIDR ranges it may be used from; empty: any network.
    pub allowed_networks: Vec<String>,
    /// The secret the last regeneration replaced, while it still works.
    pub previous: Option<PreviousSecretView>,
    /// When the current secret was made, if a regeneration made it.
    pub regenerated: Option<Stamp>,
}

/// An old secret still working after a regeneration (an overlap).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviousSecretView {
    /// Its first 8 characters after `wdn_`.
    pub prefix: String,
    pub until: Stamp,
}

/// A network an API token was used from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenNetworkView {
    /// The last address seen from it.
    pub ip: String,
    /// `203.0.113.7`, or an IPv6 `/64`.
    pub network: String,
    /// "curl on Linux".
    pub device: String,
    pub first_seen: Stamp,
    pub last_seen: Stamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastUsedView {
    pub at: Stamp,
    pub ip: String,
    /// "Firefox on Linux".
    pub device: String,
}

/// One UTC day of a token's usage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageDayView {
    /// `2026-11-29`.
    pub date: String,
    pub requests: i64,
    /// Of `requests`, those refused by the rate limit (429).
    pub limited: i64,
}

/// A token just made, with its text: shown once. `Debug` hides the token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub token: String,
    pub access: String,
    /// May list and end the account's browser sessions.
    pub sessions: bool,
    pub expires: Option<Stamp>,
    /// A regenerated token: whether it was, and until when its old secret
    /// still works (`None` with `regenerated`: it stopped at once).
    pub regenerated: bool,
    pub previous_until: Option<Stamp>,
}

impl fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("token", &"<hidden>")
            .finish()
    }
}

/// Security-event webhooks on Login Security.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhooksView {
    pub endpoints: Vec<WebhookView>,
    /// The newest deliveries of every endpoint, newest first.
    pub deliveries: Vec<DeliveryView>,
    /// What an endpoint can choose: (code, label).
    pub topics: Vec<(String, String)>,
    /// `http://` and private addresses are allowed (on premises).
    pub allow_private: bool,
    /// A secret just made by a plain form post (JavaScript off), shown
    /// once on this page.
    pub fresh_secret: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    /// The labels of the events it chose.
    pub topics: Vec<String>,
    pub added: Stamp,
    /// "Active", "Failing since …" or "Turned off …".
    pub status: String,
    pub enabled: bool,
    /// During a rotation, the old secret signs too until then.
    pub old_secret_until: Option<Stamp>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub endpoint_id: i64,
    pub message_id: String,
    pub event_type: String,
    pub at: Stamp,
    pub attempts: i64,
    /// "Delivered (200)", "Retrying (answered 500)", "Failed (…)", "Waiting".
    pub status: String,
}

/// A webhook's secret, shown once (new, or rotated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookSecretView {
    pub id: i64,
    pub secret: String,
}
