//! The mail Warden sends an account's owner: the reset link, and a notice
//! after each change to how the account is reached. Every link starts with the
//! configured public address, never with anything a request said about itself.

use super::{html_escape, Mail};
use crate::actor::ClientMeta;
use crate::support::zone::Zone;
use crate::support::{time_fmt, user_agent};
use std::borrow::Cow;

/// A notice to the account's owner about a change: "`what` at <time> from
/// <device>", under `subject`. Built into a mail when its change commits.
/// `what` is usually a fixed sentence; a change that names what it made (an
/// API token's name, access and expiry) builds its own.
#[derive(Clone, Debug)]
pub struct Notice {
    pub to: String,
    pub subject: &'static str,
    pub what: Cow<'static, str>,
}

impl Notice {
    pub fn to_mail(&self, public_url: &str, h: &Happened) -> Mail {
        account_changed(&self.to, public_url, self.subject, &self.what, h)
    }
}

/// A notice's facts: what happened, when, and from where.
pub struct Happened<'a> {
    pub at: i64,
    pub meta: &'a ClientMeta,
    /// The account's zone: the clock the time is told on, and named.
    pub zone: &'a Zone,
}

impl Happened<'_> {
    /// The browser, and a named session's name: "your session \"Work
    /// laptop\" (Chrome on Windows)".
    fn device(&self) -> String {
        let d = user_agent::parse(&self.meta.user_agent);
        match &self.meta.session_name {
            Some(name) => format!("your session \"{name}\" ({} on {})", d.browser, d.os),
            None => format!("{} on {}", d.browser, d.os),
        }
    }
}

/// The last line of every mail: a copied mail cannot be listed, so the
/// owner can check any mail that claims to be ours.
pub const MAIL_LOG_LINE: &str =
    "Every mail we send about your account's security is listed under Login Security → Mails. If this one is not, it did not come from us.";

fn mail(to: &str, subject: &str, paragraphs: &[String], link: Option<(&str, &str)>) -> Mail {
    let mut text = String::new();
    let mut html = String::from("<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;max-width:36em\">");
    for (i, p) in paragraphs.iter().enumerate() {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", html_escape(p)));
        if i == 0 {
            if let Some((label, url)) = link {
                text.push_str(&format!("{label}:\n{url}\n\n"));
                html.push_str(&format!(
                    "<p><a href=\"{u}\">{l}</a></p><p style=\"font-size:small;color:#555\">{u}</p>",
                    u = html_escape(url),
                    l = html_escape(label)
                ));
            }
        }
    }
    text.push_str("— Warden, your account's Security centre\n\n");
    text.push_str(MAIL_LOG_LINE);
    text.push('\n');
    html.push_str("<p style=\"color:#555\">— Warden, your account's Security centre</p>");
    html.push_str(&format!("<p style=\"font-size:small;color:#555\">{}</p></body></html>", html_escape(MAIL_LOG_LINE)));
    Mail { to: to.to_owned(), subject: subject.to_owned(), text, html }
}

/// The reset link itself. It holds the token, so it travels only in this mail.
pub fn reset_link(to: &str, username: &str, url: &str, valid_minutes: i64, h: &Happened) -> Mail {
    mail(
        to,
        "Reset your Warden password",
        &[
            format!(
                "Someone asked to reset the password of the Warden account \"{username}\". If it was you, \
                 open the link below within {valid_minutes} minutes and choose a new password. The link works once."
            ),
            format!("Asked for at {} from {} (IP address {}).", time_fmt::display(h.at, h.zone), h.device(), h.meta.ip),
            "If you did not ask for this, ignore this email: your password stays as it is, and nobody can use \
             the link without access to your mailbox."
                .to_owned(),
        ],
        Some(("Choose a new password", url)),
    )
}

/// The link that verifies an address. It holds the token, so it travels only
/// in this mail.
pub fn verify_link(to: &str, username: &str, url: &str, valid_hours: i64, h: &Happened) -> Mail {
    mail(
        to,
        "Confirm your email address for Warden",
        &[
            format!(
                "Someone gave this address for the Warden account \"{username}\". If it was you, open the link below \
                 within {valid_hours} hours and confirm: from then on, password-reset links and security notices of \
                 that account come here. The link works once."
            ),
            format!("Asked for at {} from {} (IP address {}).", time_fmt::display(h.at, h.zone), h.device(), h.meta.ip),
            "If it was not you, ignore this email: the address stays unconfirmed, and that account sends nothing \
             more to it unless someone asks for a new link."
                .to_owned(),
        ],
        Some(("Confirm this email address", url)),
    )
}

/// To the owner of a verified address, when someone signs up with it (or
/// asks to have it confirmed for another account). Says nothing to the one
/// who tried: their answer is the same as for a new address.
pub fn sign_up_attempt(to: &str, username: &str, public_url: &str, h: &Happened) -> Mail {
    let sign_in = format!("{public_url}/signin");
    mail(
        to,
        "Someone tried to sign up to Warden with your address",
        &[
            format!(
                "Someone tried to create a Warden account with this email address, or to confirm it for another \
                 account, at {} from {} (IP address {}). This address already belongs to your account \"{username}\", \
                 so it was not confirmed for anyone else.",
                time_fmt::display(h.at, h.zone),
                h.device(),
                h.meta.ip
            ),
            format!(
                "If it was you, sign in to \"{username}\" instead; if you forgot the password, reset it at \
                 {public_url}/password/forgot. If it was not you, there is nothing to do."
            ),
        ],
        Some(("Sign in to Warden", &sign_in)),
    )
}

/// After something changed: what, when, from where, and where to look.
pub fn account_changed(to: &str, public_url: &str, subject: &str, what: &str, h: &Happened) -> Mail {
    let sessions = format!("{public_url}/account/security/sessions");
    mail(
        to,
        subject,
        &[
            format!("{what} at {} from {} (IP address {}).", time_fmt::display(h.at, h.zone), h.device(), h.meta.ip),
            format!(
                "If this was you, there is nothing to do. If it was not, reset your password at once at \
                 {public_url}/password/forgot, then check every session and event on Login Security."
            ),
        ],
        Some(("Review your sessions on Login Security", &sessions)),
    )
}

/// The subject of [`api_token_expiring`].
pub const API_TOKEN_EXPIRING: &str = "A Warden API token expires soon";
/// The subject of [`api_token_expiring`] on the token's last day.
pub const API_TOKEN_EXPIRES_WITHIN_A_DAY: &str = "A Warden API token expires within a day";

/// Sent once, by the retention sweep, when a token expires within 7 days:
/// which token, when, and where to make its successor.
pub fn api_token_expiring(to: &str, public_url: &str, token: (i64, &str, &str), expires_at: i64, zone: &Zone, last_day: bool) -> Mail {
    let (id, name, prefix) = token;
    // Straight to regenerating this very token: a new secret under the
    // same name renews it for its whole lifetime again.
    let regenerate = format!("{public_url}/account/security/api-tokens?regenerate={id}");
    let (subject, when) = match last_day {
        true => (API_TOKEN_EXPIRES_WITHIN_A_DAY, "within a day, at"),
        false => (API_TOKEN_EXPIRING, "at"),
    };
    mail(
        to,
        subject,
        &[
            format!(
                "Your Warden API token \"{name}\" (wdn_{prefix}…) expires {when} {}. From then on, every request made with it \
                 is refused.",
                time_fmt::display(expires_at, zone)
            ),
            "If a script or service still uses it, regenerate it: it keeps its name, access and networks, gets a new secret \
             and its whole lifetime again, and the old secret can keep working for an hour or a day while you put the new one \
             in its place. If nothing uses it, there is nothing to do."
                .to_owned(),
        ],
        Some(("Regenerate this token", &regenerate)),
    )
}

/// The subject of [`new_sign_in`].
pub const NEW_SIGN_IN: &str = "New sign-in to your Warden account";

/// After a sign-in from a browser that had not signed in to the account and
/// from a network it had not used in 90 days: what signed in, when and from
/// where, and the "This wasn't me" link (`wasnt_me_url`, which holds its
/// token, so it travels only in this mail). The link asks for nothing, and
/// the mail says so: a copy that asks for a password is not ours.
pub fn new_sign_in(to: &str, public_url: &str, wasnt_me_url: &str, session_name: Option<&str>, h: &Happened) -> Mail {
    let d = user_agent::parse(&h.meta.user_agent);
    let named = session_name.map(|n| format!(" (you named it \"{n}\")")).unwrap_or_default();
    mail(
        to,
        NEW_SIGN_IN,
        &[
            format!(
                "Someone signed in to your Warden account at {} with {} on {} ({}){named}, from IP address {}. \
                 That browser had not signed in to your account before, and the address is on a network your account \
                 has not signed in from in the last 90 days.",
                time_fmt::display(h.at, h.zone),
                d.browser,
                d.os,
                d.device.label().to_lowercase(),
                h.meta.ip
            ),
            "If this was you, there is nothing to do. If it was not, press \"This wasn't me\" above: it ends that session \
             at once and forgets that browser, then offers to end every session and delete all API tokens, and to mail you \
             a password-reset link. The link works once, for 7 days."
                .to_owned(),
            format!(
                "The link never asks for your password or a code: a page that does is not ours. You can turn these alerts \
                 off on Login Security ({public_url}/account/security/sessions)."
            ),
        ],
        Some(("This wasn't me", wasnt_me_url)),
    )
}

/// The subject of [`second_step_not_completed`].
pub const SECOND_STEP_NOT_COMPLETED: &str = "Your Warden password was entered, but the two-factor step was not completed";

/// Held back for a pending sign-in and sent only if its second step is not
/// completed within `window_minutes`: whoever typed the password may not be
/// the owner.
pub fn second_step_not_completed(to: &str, public_url: &str, window_minutes: i64, h: &Happened) -> Mail {
    let sessions = format!("{public_url}/account/security/sessions");
    mail(
        to,
        SECOND_STEP_NOT_COMPLETED,
        &[
            format!(
                "Your password was entered to sign in to your Warden account at {} from {} (IP address {}), \
                 but the two-factor step was not completed within {window_minutes} minutes.",
                time_fmt::display(h.at, h.zone),
                h.device(),
                h.meta.ip
            ),
            format!(
                "If this was you, there is nothing to do. If it was not, someone knows your password: \
                 change your password at once at {public_url}/account/security/password (or reset it at \
                 {public_url}/password/forgot), then check every session and event on Login Security. \
                 Your two-factor authentication kept them out."
            ),
        ],
        Some(("Review your sessions on Login Security", &sessions)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ClientMeta {
        ClientMeta {
            ip: "203.0.113.9".into(),
            user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36".into(),
            session_name: None,
        }
    }

    #[test]
    fn a_change_notice_says_when_from_where_and_points_to_login_security() {
        let m = meta();
        let mail = account_changed(
            "a@example.com",
            "https://warden.example",
            "Your password was changed",
            "Your password was changed",
            &Happened { at: 1_700_000_000, meta: &m, zone: &Zone::parse("Asia/Tokyo").expect("zone") },
        );
        for part in [&mail.text, &mail.html] {
            // On the owner's clock, and saying which one.
            assert!(part.contains("2023-11-15 07:13 Asia/Tokyo (UTC+09:00)"), "{part}");
            assert!(part.contains("203.0.113.9"));
            assert!(part.contains("Chrome"));
            assert!(part.contains("https://warden.example/account/security/sessions"));
        }
    }

    #[test]
    fn an_unfinished_second_step_says_when_from_where_and_to_change_the_password() {
        let m = meta();
        let mail =
            second_step_not_completed("a@example.com", "https://warden.example", 5, &Happened { at: 1_700_000_000, meta: &m, zone: &Zone::utc() });
        assert_eq!(mail.subject, SECOND_STEP_NOT_COMPLETED);
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("2023-11-14 22:13 UTC") && part.contains("203.0.113.9") && part.contains("Chrome"), "{part}");
            assert!(part.contains("within 5 minutes"), "{part}");
            assert!(part.contains("change your password") && part.contains("https://warden.example/account/security/password"), "{part}");
        }
    }

    #[test]
    fn an_expiry_warning_names_the_token_its_expiry_and_links_to_regenerating_it() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let mail = api_token_expiring("a@example.com", "https://warden.example", (42, "CI <deploy>", "abcdefgh"), 1_700_000_000, &berlin, false);
        assert_eq!(mail.subject, API_TOKEN_EXPIRING);
        let last = api_token_expiring("a@example.com", "https://warden.example", (42, "CI <deploy>", "abcdefgh"), 1_700_000_000, &berlin, true);
        assert_eq!(last.subject, API_TOKEN_EXPIRES_WITHIN_A_DAY);
        assert!(last.text.contains("expires within a day, at 2023-11-14 23:13"), "{}", last.text);
        assert!(
            mail.text.contains("\"CI <deploy>\" (wdn_abcdefgh…)") && mail.text.contains("2023-11-14 23:13 Europe/Berlin (UTC+01:00)"),
            "{}",
            mail.text
        );
        assert!(mail.html.contains("CI &lt;deploy&gt;"));
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("https://warden.example/account/security/api-tokens?regenerate=42"), "{part}");
            assert!(part.contains("Regenerate this token"), "{part}");
        }
    }

    #[test]
    fn a_named_sessions_change_says_its_name() {
        let m = ClientMeta { session_name: Some("Work laptop".into()), ..meta() };
        let mail = account_changed("a@example.com", "https://w.example", "s", "The PIN was set", &Happened { at: 0, meta: &m, zone: &Zone::utc() });
        assert!(mail.text.contains("The PIN was set at 1970-01-01 00:00 UTC from your session \"Work laptop\" (Chrome"), "{}", mail.text);
    }

    #[test]
    fn every_mail_ends_with_where_to_check_it() {
        let m = meta();
        let h = Happened { at: 0, meta: &m, zone: &Zone::utc() };
        let zone = Zone::utc();
        let all = [
            reset_link("a@example.com", "bob", "https://w.example/x", 30, &h),
            verify_link("a@example.com", "bob", "https://w.example/x", 24, &h),
            sign_up_attempt("a@example.com", "bob", "https://w.example", &h),
            account_changed("a@example.com", "https://w.example", "s", "w", &h),
            api_token_expiring("a@example.com", "https://w.example", (1, "n", "abcdefgh"), 0, &zone, false),
            second_step_not_completed("a@example.com", "https://w.example", 5, &h),
            new_sign_in("a@example.com", "https://w.example", "https://w.example/wasnt-me/open?token=t", None, &h),
        ];
        for mail in all {
            assert!(mail.text.trim_end().ends_with(MAIL_LOG_LINE), "{}", mail.text);
            assert!(mail.html.contains("listed under Login Security → Mails. If this one is not, it did not come from us."), "{}", mail.subject);
        }
    }

    #[test]
    fn the_html_part_escapes_what_a_person_typed() {
        let m = meta();
        let mail = reset_link(
            "a@example.com",
            "bob",
            "https://w.example/password/reset/open?token=x&y",
            30,
            &Happened { at: 0, meta: &m, zone: &Zone::utc() },
        );
        assert!(mail.html.contains("&quot;bob&quot;"));
        assert!(mail.html.contains("token=x&amp;y"));
        assert!(mail.text.contains("https://w.example/password/reset/open?token=x&y"));
    }
}
