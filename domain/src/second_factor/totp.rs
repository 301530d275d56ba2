//! Time-based one-time passwords from an authenticator app: the shared secret,
//! its enrolment (otpauth URI and QR code) and code verification. TOTP is
//! RFC 6238 over HOTP (RFC 4226) with HMAC-SHA-1, 6 digits and a 30-second
//! step: the defaults every authenticator app understands. NIST SP 800-63B
//! §5.1.4.2 (single-factor OTP device, used here as a second factor).
//!
//! Secrets are 160 bits from the OS CSPRNG, the length RFC 4226 §4 (R6)
//! recommends.
//!
//! Window: a code is accepted during its own 30-second step and, for a short
//! grace at the start of the next step (the first 10 seconds by default), as
//! the previous step's code: that covers a phone clock a little behind the
//! server and a code typed just as it changed. It is never accepted for a
//! future step. So a code lives at most 30 s plus the grace (about 40 s, not
//! the 60 s a whole previous step would give; ASVS 6.5.5), and at most two
//! codes are valid at any moment, a 1-in-500,000 chance per guess; the caller
//! throttles guesses.
//!
//! Replay: NIST requires that an OTP be accepted only once. The caller stores
//! the step of the last accepted code and passes it in; only strictly later
//! steps verify, so a code is good once, and after a newer code has been used
//! an older one (still inside the window) is refused too.
//!
//! Time is a parameter (Unix seconds); nothing here reads the clock.

use crate::error::{Error, Result};
use data_encoding::BASE32_NOPAD;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use qrcode::render::svg;
use qrcode::QrCode;
use rand::rngs::OsRng;
use rand::RngCore;
use std::fmt;
use subtle::ConstantTimeEq;

/// Seconds per time step (RFC 6238 §4.1 X, the recommended default).
pub const STEP_SECS: i64 = 30;
/// Digits per code; what the otpauth URI announces.
pub const DIGITS: u32 = 6;
/// How long into a step the previous step's code is still accepted, by
/// default (`TwoFactorConfig::previous_step_grace_secs`).
pub const DEFAULT_GRACE_SECS: i64 = 10;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// RFC 4226 R6 requires at least 128 bits; secrets from elsewhere may be longer.
const MIN_SECRET_BYTES: usize = 16;
const MAX_SECRET_BYTES: usize = 64;

/// The shared TOTP key. Never printed; `base32` is the one way out for display.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    pub fn generate() -> Self {
        let mut b = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut b);
        TotpSecret(b)
    }

    /// A secret read back from storage; refuses lengths no secret of ours has.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&bytes.len()) {
            return Err(Error::internal(format!("totp: secret of {} bytes", bytes.len())));
        }
        Ok(TotpSecret(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding: what authenticator apps accept.
    pub fn base32(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }

    /// The base32 form in groups of four, easier to type by hand from the
    /// setup page; apps ignore the spaces.
    pub fn base32_grouped(&self) -> String {
        let b = self.base32();
        let groups: Vec<&str> = b
            .as_bytes()
            .chunks(4)
            // base32 is ASCII, so every chunk is valid UTF-8
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        groups.join(" ")
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<hidden>)")
    }
}

/// RFC 3986 unreserved characters stay; everything else in a label or query
/// value is percent-encoded (a space becomes %20, which apps expect, not `+`).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The Key URI Format of Google Authenticator, understood by every app:
/// `otpauth://totp/ISSUER:account?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
/// The issuer appears twice on purpose: the label prefix for older apps, the
/// parameter for newer ones.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = utf8_percent_encode(issuer, URI_COMPONENT).to_string();
    let account = utf8_percent_encode(account, URI_COMPONENT);
    format!("otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}", secret.base32())
}

/// The URI as a QR code, an inline SVG of about 200 px with the quiet zone the
/// QR standard asks for, black on white so every camera reads it.
pub fn qr_svg(uri: &str) -> Result<String> {
    let code = QrCode::new(uri.as_bytes()).map_err(|e| Error::internal(format!("qr code: {e}")))?;
    let image = code
        .render::<svg::Color>()
        .quiet_zone(true) // before min_dimensions, which counts it
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Inline in HTML: drop the XML prologue and name the image for screen readers.
    let start = image.find("<svg").ok_or_else(|| Error::internal("qr code: renderer gave no <svg>"))?;
    let body = &image[start + "<svg".len()..];
    Ok(format!(r#"<svg role="img" aria-label="QR code for your authenticator app"{body}"#))
}

/// The code for `unix` (RFC 6238 §4.2: HOTP at the counter `unix / 30`),
/// computed by `totp-rs` with HMAC-SHA-1, zero-padded to `digits`.
pub fn code_at(secret_bytes: &[u8], digits: u32, unix: u64) -> String {
    // Unchecked: the length rules are ours (`TotpSecret::from_bytes`), and the
    // RFC's own test key is shorter than totp-rs's 128-bit minimum allows.
    totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, digits as usize, 0, STEP_SECS as u64, secret_bytes.to_vec()).generate(unix)
}

/// The time step `now` falls in.
pub fn step_of(now: i64) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// Checks `code` against the current step and, during the first
/// `grace_secs` of it, the one before; refuses any step not strictly after
/// `last_used_step`. Returns the accepted step, which the caller must store
/// as the new `last_used_step` before reporting success.
pub fn verify(secret: &TotpSecret, code: &str, now: i64, last_used_step: Option<i64>, grace_secs: i64) -> Option<i64> {
    // Apps show "123 456"; people copy it with the space.
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_of(now);
    let into_step = now - current * STEP_SECS;
    let steps_back = i64::from(into_step < grace_secs.clamp(0, STEP_SECS));
    // Newest first: should a code match two steps, recording the later one
    // closes the window sooner.
    (0..=steps_back).map(|back| current - back).filter(|&step| step >= 0 && last_used_step.is_none_or(|last| step > last)).find(|&step| {
        let expected = code_at(secret.as_bytes(), DIGITS, (step * STEP_SECS) as u64);
        bool::from(expected.as_bytes().ct_eq(typed.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const G: i64 = DEFAULT_GRACE_SECS;

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(RFC_SECRET.to_vec()).expect("secret")
    }

    fn code(s: &TotpSecret, unix: i64) -> String {
        code_at(s.as_bytes(), DIGITS, unix as u64)
    }

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, want) in vectors {
            assert_eq!(code_at(RFC_SECRET, 8, t), want, "T = {t}");
        }
        // six digits are the last six of the eight
        assert_eq!(code_at(RFC_SECRET, 6, 59), "287082");
    }

    #[test]
    fn current_and_previous_step_are_accepted_nothing_else() {
        let s = secret();
        let now = 1_234_567_890;
        let step = step_of(now);
        assert_eq!(verify(&s, &code(&s, now), now, None, G), Some(step));
        assert_eq!(verify(&s, &code(&s, now - 30), now, None, G), Some(step - 1));
        assert_eq!(verify(&s, &code(&s, now - 60), now, None, G), None, "two steps back");
        assert_eq!(verify(&s, &code(&s, now + 30), now, None, G), None, "next step");
    }

    #[test]
    fn the_previous_step_counts_only_in_the_first_seconds_of_the_next() {
        let s = secret();
        let start = step_of(1_234_567_890) * STEP_SECS;
        let old = code(&s, start - 1);
        for into in 0..G {
            assert_eq!(verify(&s, &old, start + into, None, G), Some(step_of(start) - 1), "{into} s into the step");
        }
        for into in G..STEP_SECS {
            assert_eq!(verify(&s, &old, start + into, None, G), None, "{into} s into the step");
        }
        // the current step's code is good for the whole step
        let now = code(&s, start);
        assert!((0..STEP_SECS).all(|into| verify(&s, &now, start + into, None, G) == Some(step_of(start))));
        // no grace: the current step only
        assert_eq!(verify(&s, &old, start, None, 0), None);
        // a grace longer than a step is a whole step, never two
        assert_eq!(verify(&s, &code(&s, start - STEP_SECS - 1), start, None, 1000), None);
    }

    #[test]
    fn a_code_lives_at_most_a_step_and_the_grace() {
        let s = secret();
        let first = step_of(1_234_567_890) * STEP_SECS;
        let c = code(&s, first);
        let accepted: Vec<i64> = (first - 60..first + 120).filter(|&t| verify(&s, &c, t, None, G).is_some()).collect();
        assert_eq!(accepted.first(), Some(&first), "never before its step");
        assert_eq!(accepted.last(), Some(&(first + STEP_SECS + G - 1)));
        assert_eq!(accepted.len() as i64, STEP_SECS + G, "{accepted:?}");
    }

    #[test]
    fn a_code_is_accepted_once() {
        let s = secret();
        let now = 1_234_567_890;
        let c = code(&s, now);
        let used = verify(&s, &c, now, None, G).expect("first use");
        assert_eq!(verify(&s, &c, now, Some(used), G), None);
        assert_eq!(verify(&s, &c, now + 5, Some(used), G), None);
        // the next step's code is fine afterwards
        assert_eq!(verify(&s, &code(&s, now + 30), now + 30, Some(used), G), Some(used + 1));
    }

    #[test]
    fn an_older_code_is_refused_after_a_newer_one() {
        let s = secret();
        let now = 1_234_567_890;
        let used = verify(&s, &code(&s, now), now, None, G).expect("current");
        // still inside the window, but older than what was last used
        assert_eq!(verify(&s, &code(&s, now - 30), now, Some(used), G), None);
    }

    #[test]
    fn only_six_ascii_digits_are_considered() {
        let s = secret();
        let now = 1_234_567_890;
        let c = code(&s, now);
        let spaced = format!("{} {}", &c[..3], &c[3..]);
        assert!(verify(&s, &spaced, now, None, G).is_some());
        assert!(verify(&s, &format!(" {c} "), now, None, G).is_some());
        assert!(verify(&s, &c[..5], now, None, G).is_none());
        assert!(verify(&s, &format!("{c}0"), now, None, G).is_none());
        assert!(verify(&s, "12a456", now, None, G).is_none());
        assert!(verify(&s, "", now, None, G).is_none());
        // full-width digits are digits to Unicode, not to us
        assert!(verify(&s, "１２３４５６", now, None, G).is_none());
        // the eight-digit code contains the six-digit one; it is still refused
        assert!(verify(&s, &code_at(s.as_bytes(), 8, now as u64), now, None, G).is_none());
    }

    #[test]
    fn secrets_are_160_random_bits_and_base32_round_trips() {
        let a = TotpSecret::generate();
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a, TotpSecret::generate());
        let b32 = a.base32();
        assert_eq!(b32.len(), 32, "160 bits are 32 base32 characters, no padding");
        assert!(!b32.contains('='));
        assert_eq!(BASE32_NOPAD.decode(b32.as_bytes()).expect("decode"), a.as_bytes());
        assert_eq!(secret().base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(secret().base32_grouped(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        assert_eq!(a.base32_grouped().replace(' ', ""), b32);
        assert!(TotpSecret::from_bytes(vec![0; 10]).is_err());
        assert!(TotpSecret::from_bytes(vec![0; 65]).is_err());
    }

    #[test]
    fn otpauth_uri_has_the_key_uri_format() {
        let uri = otpauth_uri(&secret(), "Warden Demo", "alice@example.com");
        assert_eq!(
            uri,
            "otpauth://totp/Warden%20Demo:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Warden%20Demo&algorithm=SHA1&digits=6&period=30"
        );
        // a colon or ampersand in a name cannot break the structure
        let odd = otpauth_uri(&secret(), "A&B", "x:y?z");
        assert!(odd.starts_with("otpauth://totp/A%26B:x%3Ay%3Fz?secret="), "{odd}");
    }

    #[test]
    fn qr_code_is_an_inline_svg() {
        let svg = qr_svg(&otpauth_uri(&secret(), "Warden", "alice")).expect("svg");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("<path") || svg.contains("<rect"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r##"fill="#000000""##));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let s = secret();
        let d = format!("{s:?}");
        assert_eq!(d, "TotpSecret(<hidden>)");
        assert!(!d.contains(&s.base32()));
        assert!(!d.contains("49, 50"), "no byte list either");
    }
}
