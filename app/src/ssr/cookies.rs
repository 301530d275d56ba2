//! Every cookie Warden sets or reads, built and parsed here and nowhere
//! else: the session, the recovery-code flash, the reset link's token, the
//! email verification link's token, the form-error digest, the device cookie
//! and the passwordless sign-in's browser binding.
//! All are `__Host-` prefixed (so no subdomain can plant or read them),
//! `HttpOnly`, `Secure`, `SameSite=Lax`, `Path=/`. Without TLS in local
//! development `Secure` can be turned off; the `__Host-` prefix then has to
//! go too, because browsers refuse it on a non-secure cookie.

use http::header::{HeaderMap, HeaderValue, COOKIE, SET_COOKIE};

#[derive(Clone, Debug)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    /// `__Host-` only where browsers accept it: on a `Secure` cookie.
    fn pick(&self, host_prefixed: &'static str) -> &'static str {
        if self.secure {
            host_prefixed
        } else {
            host_prefixed.trim_start_matches("__Host-")
        }
    }

    pub fn name(&self) -> &'static str {
        self.pick("__Host-warden_session")
    }

    fn attributes(&self) -> &'static str {
        if self.secure {
            "; Path=/; HttpOnly; Secure; SameSite=Lax"
        } else {
            "; Path=/; HttpOnly; SameSite=Lax"
        }
    }

    /// A session cookie in the browser's sense (no `Max-Age`): the server
    /// enforces idle and absolute lifetimes, the browser forgets it on exit.
    pub fn set(&self, token: &str) -> String {
        format!("{}={}{}", self.name(), token, self.attributes())
    }

    pub fn clear(&self) -> String {
        format!("{}={}; Max-Age=0", self.name(), self.attributes())
    }

    /// The token from a `Cookie` request header, if present.
    pub fn read<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.name())
    }

    /// The one-time cookie that carries sealed recovery codes from a plain
    /// form post to the page that shows them; gone after five minutes.
    pub fn flash_name(&self) -> &'static str {
        self.pick("__Host-warden_flash")
    }

    pub fn set_flash(&self, sealed: &str) -> String {
        format!("{}={}{}; Max-Age=300", self.flash_name(), sealed, self.attributes())
    }

    pub fn clear_flash(&self) -> String {
        format!("{}={}; Max-Age=0", self.flash_name(), self.attributes())
    }

    pub fn read_flash<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.flash_name())
    }

    /// A webhook secret on its way to the page that shows it once, when
    /// JavaScript is off: sealed to this session, five minutes at most.
    pub fn webhook_flash_name(&self) -> &'static str {
        self.pick("__Host-warden_webhook_flash")
    }

    pub fn set_webhook_flash(&self, sealed: &str) -> String {
        format!("{}={}{}; Max-Age=300", self.webhook_flash_name(), sealed, self.attributes())
    }

    pub fn clear_webhook_flash(&self) -> String {
        format!("{}={}; Max-Age=0", self.webhook_flash_name(), self.attributes())
    }

    pub fn read_webhook_flash<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.webhook_flash_name())
    }
}

/// A cookie of a request, by its reader (`|h| cookies.read(h)`).
pub fn from_request(headers: &HeaderMap, read: impl Fn(&str) -> Option<&str>) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| read(v).map(str::to_owned))
}

/// Adds a `Set-Cookie` to a response's headers.
pub fn append(headers: &mut HeaderMap, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(SET_COOKIE, v);
    }
}

fn read_named<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && !v.is_empty()).then_some(v)
    })
}

impl Cookies {
    /// Holds a password-reset token between opening the emailed link and
    /// setting the new password, so the page's URL never carries it.
    pub fn reset_name(&self) -> &'static str {
        self.pick("__Host-warden_reset")
    }

    pub fn set_reset(&self, token: &str, max_age_secs: i64) -> String {
        format!("{}={}{}; Max-Age={}", self.reset_name(), token, self.attributes(), max_age_secs.max(1))
    }

    pub fn clear_reset(&self) -> String {
        format!("{}={}; Max-Age=0", self.reset_name(), self.attributes())
    }

    pub fn read_reset<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.reset_name())
    }

    /// Holds an email verification token between opening the emailed link
    /// and pressing Confirm, so the page's URL never carries it.
    pub fn verify_name(&self) -> &'static str {
        self.pick("__Host-warden_verify")
    }

    pub fn set_verify(&self, token: &str, max_age_secs: i64) -> String {
        format!("{}={}{}; Max-Age={}", self.verify_name(), token, self.attributes(), max_age_secs.max(1))
    }

    pub fn clear_verify(&self) -> String {
        format!("{}={}; Max-Age=0", self.verify_name(), self.attributes())
    }

    pub fn read_verify<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.verify_name())
    }
}

impl Cookies {
    /// Holds a "This wasn't me" link's token after the link was followed,
    /// for the page's two offers, so the page's URL never carries it.
    pub fn not_me_name(&self) -> &'static str {
        self.pick("__Host-warden_not_me")
    }

    pub fn set_not_me(&self, token: &str, max_age_secs: i64) -> String {
        format!("{}={}{}; Max-Age={}", self.not_me_name(), token, self.attributes(), max_age_secs.max(1))
    }

    pub fn clear_not_me(&self) -> String {
        format!("{}={}; Max-Age=0", self.not_me_name(), self.attributes())
    }

    pub fn read_not_me<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.not_me_name())
    }
}

impl Cookies {
    /// Vouches for the error a plain form post was sent back with: the
    /// framework carries it in the page's URL (`?__path=…&__err=…`), which
    /// anyone can write into a link, so the page only shows it when this
    /// browser holds the digest the server set with that very redirect.
    /// Gone after a minute, and cleared once shown.
    pub fn form_error_name(&self) -> &'static str {
        self.pick("__Host-warden_form_error")
    }

    pub fn set_form_error(&self, digest: &str) -> String {
        format!("{}={}{}; Max-Age=60", self.form_error_name(), digest, self.attributes())
    }

    pub fn clear_form_error(&self) -> String {
        format!("{}={}; Max-Age=0", self.form_error_name(), self.attributes())
    }

    pub fn read_form_error<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.form_error_name())
    }
}

impl Cookies {
    /// The device cookie: the tokens of the accounts this browser completed
    /// a sign-in to (see `domain::sessions::devices`). Long-lived on purpose,
    /// and outlives signing out: it only lets its browser keep its own
    /// sign-in budget, and the server revokes it with the sessions.
    pub fn device_name(&self) -> &'static str {
        self.pick("__Host-warden_device")
    }

    pub fn set_device(&self, value: &str, max_age_secs: i64) -> String {
        format!("{}={}{}; Max-Age={}", self.device_name(), value, self.attributes(), max_age_secs.max(1))
    }

    pub fn read_device<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.device_name())
    }
}

impl Cookies {
    /// Binds a passwordless sign-in's challenge to the browser that asked
    /// for it (a guest has no session to bind it to): a random value whose
    /// hash keys the challenge. Lives as long as the challenge.
    pub fn passkey_name(&self) -> &'static str {
        self.pick("__Host-warden_passkey")
    }

    pub fn set_passkey(&self, value: &str, max_age_secs: i64) -> String {
        format!("{}={}{}; Max-Age={}", self.passkey_name(), value, self.attributes(), max_age_secs.max(1))
    }

    pub fn clear_passkey(&self) -> String {
        format!("{}={}; Max-Age=0", self.passkey_name(), self.attributes())
    }

    pub fn read_passkey<'a>(&self, cookie_header: &'a str) -> Option<&'a str> {
        read_named(cookie_header, self.passkey_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn secure_cookie_has_every_attribute() {
        let c = Cookies { secure: true };
        let s = c.set("abc");
        assert!(s.starts_with("__Host-warden_session=abc;"));
        for a in ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"] {
            assert!(s.contains(a), "{a} missing in {s}");
        }
        assert!(!s.contains("Domain"));
        assert_eq!(c.read("x=1; __Host-warden_session=abc; y=2"), Some("abc"));
        assert_eq!(c.read("warden_session=abc"), None);
        assert!(c.clear().contains("Max-Age=0"));
    }

    #[test]
    fn the_device_cookie_is_long_lived_and_named_like_the_session_cookie() {
        let c = Cookies { secure: true };
        let s = c.set_device("a.b", 365 * 86_400);
        assert!(s.starts_with("__Host-warden_device=a.b;"), "{s}");
        for a in ["Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=31536000"] {
            assert!(s.contains(a), "{a} missing in {s}");
        }
        assert_eq!(c.read_device("__Host-warden_session=x; __Host-warden_device=a.b"), Some("a.b"));
        let plain = Cookies { secure: false };
        assert!(plain.set_device("t", 60).starts_with("warden_device=t;"));
        assert!(!plain.set_device("t", 60).contains("Secure"));
    }

    #[test]
    fn the_passkey_cookie_lives_as_long_as_its_challenge() {
        let c = Cookies { secure: true };
        let s = c.set_passkey("v", 300);
        assert!(s.starts_with("__Host-warden_passkey=v;"), "{s}");
        for a in ["Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=300"] {
            assert!(s.contains(a), "{a} missing in {s}");
        }
        assert_eq!(c.read_passkey("__Host-warden_session=x; __Host-warden_passkey=v"), Some("v"));
        assert!(c.clear_passkey().contains("Max-Age=0"));
    }
}
