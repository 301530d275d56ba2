//! The new-password policy and the strength estimate behind the meter
//! (NIST SP 800-63B §3.1.1.2, OWASP ASVS 5.0 V6).
//!
//! A new password is checked, in this order, and the first failing rule wins:
//! 1. length: 8..=256 code points, at most 1024 bytes ([`check_length`]);
//! 2. not the current password;
//! 3. no context-specific words: the username, the first part of the email
//!    address (each only when at least 3 characters long) or the service name;
//! 4. not in the list of common and breached passwords shipped in
//!    `domain/data/common-passwords.txt.gz` (see `domain/data/README.md`);
//! 5. not very weak by zxcvbn (score 0 or 1).
//!
//! No composition rules, no trimming, no truncation: the password is checked
//! exactly as typed. Each refusal is an [`Error::Refused`] with its own code
//! and a message that says what to change.

use crate::error::{Error, ErrorCode, Result};
use crate::support::secret::Secret;
use std::io::Read as _;
use std::sync::LazyLock;

/// The service's own name: a password containing it is refused.
pub const PRODUCT_NAME: &str = "warden";

pub const MIN_CHARS: usize = 8;
/// Far above the 64 that NIST asks us to allow; long passphrases are welcome.
pub const MAX_CHARS: usize = 256;
/// A hard ceiling on what reaches the hasher, whatever the characters.
pub const MAX_BYTES: usize = 1024;

/// Rule 1, the length: counted in code points, bounded in bytes.
pub fn check_length(password: &Secret) -> Result<()> {
    let p = password.expose();
    let chars = p.chars().count();
    if chars < MIN_CHARS {
        return Err(Error::refused(ErrorCode::PasswordTooShort, format!("Use at least {MIN_CHARS} characters for your password.")));
    }
    if chars > MAX_CHARS || p.len() > MAX_BYTES {
        return Err(Error::refused(ErrorCode::PasswordTooLong, format!("Use at most {MAX_CHARS} characters for your password.")));
    }
    Ok(())
}

/// The strength estimator sees at most this many characters. zxcvbn's cost grows steeply with length: measured on random
/// characters, release build, about 4-35 ms at 64 characters but 25-210 ms at
/// 100 (zxcvbn 3.x's own cap), and 5-10 times that in a debug build. A password
/// whose first 64 characters are very weak is refused, whatever follows; the
/// whole password, up to 256 characters, still goes through every other rule.
const ESTIMATE_CHARS: usize = 64;

/// The lowest zxcvbn score (0..=4) a new password may have.
const MIN_SCORE: u8 = 2;

/// The labels of the meter, by score.
const LABELS: [&str; 5] = ["Very weak", "Weak", "Fair", "Strong", "Very strong"];

/// Who is choosing the password: words from here may not appear in it.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicyContext<'a> {
    pub username: &'a str,
    pub email: &'a str,
    /// When changing a password: the one in use now, which may not be reused.
    pub current_password: Option<&'a str>,
}

impl PolicyContext<'_> {
    /// The part of the email address before the last `@` (all of it if none).
    fn email_local(&self) -> &str {
        let email = self.email.trim();
        email.rsplit_once('@').map_or(email, |(local, _)| local)
    }
}

/// The strength shown by the meter. Holds no part of the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strength {
    /// 0..=4, as zxcvbn's score; at most 1 when the policy refuses the password.
    pub score: u8,
    /// "Very weak", "Weak", "Fair", "Strong" or "Very strong".
    pub label: &'static str,
    /// Why it is refused, or how to make it stronger; `None` when strong.
    pub reason: Option<String>,
    /// Whether [`check`] accepts it.
    pub acceptable: bool,
}

// ---------------------------------------------------------------------------
// The list of common passwords

static COMMON_GZ: &[u8] = include_bytes!("../../data/common-passwords.txt.gz");

/// The list, kept compact: every entry concatenated into one string (no
/// separators), plus where each starts; entry `i` is
/// `text[offsets[i]..offsets[i + 1]]`. Entries are lower-case, distinct and
/// sorted by bytes, so a lookup is a binary search. About 2.6 MB in all.
struct CommonList {
    text: Box<str>,
    offsets: Vec<u32>,
}

impl CommonList {
    fn load() -> Self {
        let mut raw = String::new();
        // The data is embedded at compile time; a test decompresses it, so a
        // failure here is a broken build, not a run-time condition.
        flate2::read::GzDecoder::new(COMMON_GZ).read_to_string(&mut raw).expect("the embedded common-password list is valid gzip-compressed UTF-8");
        // Already lower-case and sorted when shipped; normalise anyway, so a
        // regenerated file can never silently break the binary search.
        let raw = raw.to_lowercase();
        let mut lines: Vec<&str> = raw.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.is_empty()).collect();
        lines.sort_unstable();
        lines.dedup();

        let total: usize = lines.iter().map(|l| l.len()).sum();
        let mut text = String::with_capacity(total);
        let mut offsets = Vec::with_capacity(lines.len() + 1);
        for line in &lines {
            offsets.push(offset(text.len()));
            text.push_str(line);
        }
        offsets.push(offset(text.len()));
        CommonList { text: text.into_boxed_str(), offsets }
    }

    fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    fn entry(&self, i: usize) -> &str {
        &self.text[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    fn contains(&self, lowercase: &str) -> bool {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.entry(mid).as_bytes().cmp(lowercase.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).expect("the common-password list is far below 4 GiB")
}

static COMMON: LazyLock<CommonList> = LazyLock::new(CommonList::load);

/// Loads the list of common passwords now (tens of milliseconds), so the first
/// sign-up does not pay for it. The server calls this at start.
pub fn warm_up() {
    LazyLock::force(&COMMON);
}

/// Whether the password is in the list of common and breached passwords,
/// ignoring case.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(&password.to_lowercase())
}

// ---------------------------------------------------------------------------
// The policy

/// Checks a new password against the whole policy; the error says what to change.
pub fn check(password: &Secret, ctx: &PolicyContext) -> Result<()> {
    rules_before_estimate(password, ctx)?;
    let estimate = estimate(password, ctx);
    if score_of(&estimate) < MIN_SCORE {
        return Err(Error::refused(ErrorCode::PasswordTooWeak, weak_message(&estimate)));
    }
    Ok(())
}

/// The estimate for a strength meter, consistent with [`check`]: a password
/// that `check` refuses is never shown as better than "Weak".
pub fn strength(password: &Secret, ctx: &PolicyContext) -> Strength {
    let estimate = estimate(password, ctx);
    let score = score_of(&estimate);
    let refusal = match rules_before_estimate(password, ctx) {
        Err(e) => Some(e.to_string()),
        Ok(()) if score < MIN_SCORE => Some(weak_message(&estimate)),
        Ok(()) => None,
    };
    match refusal {
        Some(reason) => {
            let score = score.min(1);
            Strength { score, label: label(score), reason: Some(reason), acceptable: false }
        }
        None => {
            let reason = if score < 3 { top_suggestion(&estimate) } else { None };
            Strength { score, label: label(score), reason, acceptable: true }
        }
    }
}

/// Rules 1 to 4: everything but the estimate.
fn rules_before_estimate(password: &Secret, ctx: &PolicyContext) -> Result<()> {
    check_length(password)?;
    let p = password.expose();
    if ctx.current_password == Some(p) {
        return Err(invalid(ErrorCode::PasswordReused, "Your new password must be different from your current one."));
    }
    let lower = p.to_lowercase();
    if contains_word(&lower, ctx.username) {
        return Err(invalid(ErrorCode::PasswordContainsUsername, "Don't use your username in your password."));
    }
    if contains_word(&lower, ctx.email_local()) {
        return Err(invalid(ErrorCode::PasswordContainsEmail, "Don't use the first part of your email address in your password."));
    }
    if lower.contains(PRODUCT_NAME) {
        return Err(invalid(ErrorCode::PasswordContainsServiceName, "Don't use the name of this service in your password."));
    }
    if COMMON.contains(&lower) {
        return Err(invalid(
            ErrorCode::PasswordInBreachList,
            "This password is too common: it appears in lists of leaked passwords. Choose another one.",
        ));
    }
    Ok(())
}

/// Whether `lower_password` contains `word`, ignoring case; words shorter than
/// 3 characters are ignored (they would refuse too much by chance).
fn contains_word(lower_password: &str, word: &str) -> bool {
    let word = word.trim();
    word.chars().count() >= 3 && lower_password.contains(&word.to_lowercase())
}

fn invalid(code: ErrorCode, message: &'static str) -> Error {
    Error::refused(code, message)
}

/// zxcvbn's estimate, told the user's own words.
fn estimate(password: &Secret, ctx: &PolicyContext) -> zxcvbn::Entropy {
    // Only the first ESTIMATE_CHARS (64) characters: zxcvbn is slow on long
    // input (3.x caps at 100 itself, which still costs up to ~0.2 s).
    let p = password.expose();
    let head = match p.char_indices().nth(ESTIMATE_CHARS) {
        Some((end, _)) => &p[..end],
        None => p,
    };
    let inputs: Vec<&str> = [ctx.username.trim(), ctx.email_local(), PRODUCT_NAME].into_iter().filter(|s| !s.is_empty()).collect();
    zxcvbn::zxcvbn(head, &inputs)
}

fn score_of(estimate: &zxcvbn::Entropy) -> u8 {
    u8::from(estimate.score()).min(4)
}

fn label(score: u8) -> &'static str {
    LABELS[usize::from(score.min(4))]
}

/// "Why, and what to do" from zxcvbn's feedback, for a refused password.
fn weak_message(estimate: &zxcvbn::Entropy) -> String {
    let warning = estimate.feedback().and_then(|f| f.warning()).map(|w| w.to_string());
    match (warning, top_suggestion(estimate)) {
        (Some(w), Some(s)) => format!("This password is too easy to guess. {w} {s}"),
        (Some(w), None) => format!("This password is too easy to guess. {w}"),
        (None, Some(s)) => format!("This password is too easy to guess. {s}"),
        (None, None) => "This password is too easy to guess. Add more words or characters.".to_owned(),
    }
}

fn top_suggestion(estimate: &zxcvbn::Entropy) -> Option<String> {
    estimate.feedback().and_then(|f| f.suggestions().first()).map(|s| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> PolicyContext<'static> {
        PolicyContext { username: "alice", email: "alice.liddell@example.com", current_password: None }
    }

    fn refusal(password: &str, ctx: &PolicyContext) -> String {
        match check(&Secret::new(password), ctx) {
            Err(Error::Refused { message, .. }) => message.into_owned(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn length_counts_code_points_within_a_byte_bound() {
        assert!(check_length(&Secret::new("ääääääää")).is_ok());
        assert_eq!(check_length(&Secret::new("äääääää")).map_err(|e| e.code()).err(), Some(ErrorCode::PasswordTooShort));
        assert!(check_length(&Secret::new("a".repeat(64))).is_ok());
        assert_eq!(check_length(&Secret::new("a".repeat(MAX_CHARS + 1))).map_err(|e| e.code()).err(), Some(ErrorCode::PasswordTooLong));
        // four-byte characters count once each, and the longest allowed still fits the byte bound
        assert!(check_length(&Secret::new("😀".repeat(MAX_CHARS))).is_ok());
        const { assert!(MAX_CHARS * 4 <= MAX_BYTES) };
    }

    #[test]
    fn each_refusal_has_its_own_code() {
        let code = |p: &str| check(&Secret::new(p), &alice()).map_err(|e| e.code()).err();
        assert_eq!(code("password123"), Some(ErrorCode::PasswordInBreachList));
        assert_eq!(code("alice-walks-far-away"), Some(ErrorCode::PasswordContainsUsername));
        assert_eq!(code("my warden key 2024!"), Some(ErrorCode::PasswordContainsServiceName));
        assert_eq!(code("short"), Some(ErrorCode::PasswordTooShort));
        assert_eq!(code("lantern orbit meadow 42"), None);
    }

    #[test]
    fn the_list_is_large_sorted_and_found_ignoring_case() {
        let list = &*COMMON;
        assert!(list.len() >= 100_000, "{} entries", list.len());
        assert!((1..list.len()).all(|i| list.entry(i - 1).as_bytes() < list.entry(i).as_bytes()));
        for p in ["password123", "iloveyou1", "qwerty123", "letmein1"] {
            assert!(is_common(p), "{p}");
        }
        assert!(is_common("PassWord123"));
        assert!(is_common("ILOVEYOU1"));
        // the first and the last entries are reachable by the binary search
        assert!(is_common(list.entry(0)));
        assert!(is_common(list.entry(list.len() - 1)));
        warm_up();
    }

    #[test]
    fn a_random_passphrase_is_not_common() {
        assert!(!is_common("plinth-marmalade-osprey-ventricle"));
        assert!(!is_common("password1234567890password"));
        assert!(!is_common(""));
    }

    #[test]
    fn a_common_password_is_refused_ignoring_case() {
        let ctx = alice();
        for p in ["password123", "PASSWORD123", "iloveyou1"] {
            assert_eq!(refusal(p, &ctx), "This password is too common: it appears in lists of leaked passwords. Choose another one.");
        }
    }

    #[test]
    fn the_username_is_refused_ignoring_case_when_3_or_more_characters() {
        let ctx = PolicyContext { username: "Mallory", email: "m@example.com", current_password: None };
        assert_eq!(refusal("tidal MALLORY orchard", &ctx), "Don't use your username in your password.");
        assert_eq!(refusal("tidalmalloryorchard", &ctx), "Don't use your username in your password.");
        // a two-character username is not a word to avoid
        let short = PolicyContext { username: "jo", email: "x@example.com", current_password: None };
        assert!(check(&Secret::new("banjo tidal orchard"), &short).is_ok());
    }

    #[test]
    fn the_email_local_part_is_refused_ignoring_case() {
        let ctx = PolicyContext { username: "zed", email: "Quixote@example.com", current_password: None };
        assert_eq!(refusal("windmills quixote tilting", &ctx), "Don't use the first part of your email address in your password.");
        // the domain is not the local part
        assert!(check(&Secret::new("windmills example tilting"), &ctx).is_ok());
        let short = PolicyContext { username: "zed", email: "qx@example.com", current_password: None };
        assert!(check(&Secret::new("windmills qx tilting"), &short).is_ok());
    }

    #[test]
    fn the_service_name_is_refused_ignoring_case() {
        assert_eq!(refusal("orchard WaRdEn tidal moss", &alice()), "Don't use the name of this service in your password.");
    }

    #[test]
    fn the_current_password_may_not_be_reused() {
        let ctx = PolicyContext { current_password: Some("tidal orchard moss"), ..alice() };
        assert_eq!(refusal("tidal orchard moss", &ctx), "Your new password must be different from your current one.");
        // compared exactly as typed
        assert!(check(&Secret::new("Tidal orchard moss"), &ctx).is_ok());
    }

    #[test]
    fn seven_code_points_are_refused_and_eight_accepted() {
        let ctx = alice();
        let seven = "ö7Ωz€q!";
        // 11 bytes: a byte count would wrongly let it through
        assert_eq!((seven.chars().count(), seven.len()), (7, 11));
        assert_eq!(refusal(seven, &ctx), "Use at least 8 characters for your password.");
        assert!(check(&Secret::new(format!("{seven}ß")), &ctx).is_ok());
        assert!(check(&Secret::new("x".repeat(257)), &ctx).is_err());
    }

    #[test]
    fn a_very_weak_password_not_in_the_list_is_refused_with_zxcvbn_reason() {
        let ctx = alice();
        for p in ["zzzzzzzzzzzzzzzz", "ababababababab", "zxcvbnmasdfg"] {
            assert!(!is_common(p), "{p} must not be in the list for this test");
            let m = refusal(p, &ctx);
            assert!(m.starts_with("This password is too easy to guess. "), "{p}: {m}");
            assert!(m.len() > "This password is too easy to guess. ".len(), "{p}: {m}");
        }
        assert_eq!(
            refusal("zzzzzzzzzzzzzzzz", &ctx),
            "This password is too easy to guess. Repeats like \"aaa\" are easy to guess. \
             Add another word or two. Uncommon words are better."
        );
    }

    #[test]
    fn the_test_suites_passwords_are_acceptable() {
        for name in ["alice", "bob", "ann", "pat", "quinn", "frank", "liam", "xavier"] {
            let email = format!("{name}@example.com");
            let ctx = PolicyContext { username: name, email: &email, current_password: None };
            for p in ["correct horse battery staple", "correct horse battery"] {
                let s = strength(&Secret::new(p), &ctx);
                assert!(s.acceptable, "{p} for {name}: {s:?}");
                assert!(check(&Secret::new(p), &ctx).is_ok(), "{p} for {name}");
            }
        }
    }

    #[test]
    fn strength_labels_weak_and_strong() {
        let ctx = alice();
        let strong = strength(&Secret::new("correct horse battery staple"), &ctx);
        assert_eq!(strong.score, 4, "{strong:?}");
        assert_eq!(strong.label, "Very strong");
        assert_eq!(strong.reason, None);
        assert!(strong.acceptable);

        let weak = strength(&Secret::new("zzzzzzzzzzzzzzzz"), &ctx);
        assert!(weak.score <= 1 && !weak.acceptable, "{weak:?}");
        assert!(weak.label == "Very weak" || weak.label == "Weak");
        assert!(weak.reason.as_deref().is_some_and(|r| r.starts_with("This password is too easy")));

        // a refusal by another rule caps the score, whatever zxcvbn thinks
        let listed = strength(&Secret::new("password123"), &ctx);
        assert!(listed.score <= 1 && !listed.acceptable, "{listed:?}");
        assert!(listed.reason.as_deref().is_some_and(|r| r.starts_with("This password is too common")));
        let mine = strength(&Secret::new("alice plinth marmalade osprey"), &ctx);
        assert_eq!((mine.score, mine.label, mine.acceptable), (1, "Weak", false));
        assert_eq!(mine.reason.as_deref(), Some("Don't use your username in your password."));
        let short = strength(&Secret::new("x7#Q"), &ctx);
        assert!(!short.acceptable && short.score <= 1);

        // acceptable but middling: says how to improve
        let fair = strength(&Secret::new("1qaz2wsx3edc4rfv5tgb"), &ctx);
        assert_eq!((fair.score, fair.label, fair.acceptable), (2, "Fair", true), "{fair:?}");
        assert_eq!(fair.reason.as_deref(), Some("Add another word or two. Uncommon words are better."));
    }

    #[test]
    fn long_passwords_are_handled_in_full() {
        let ctx = alice();
        let p: String = "quartz plinth marmalade osprey ventricle ".chars().cycle().take(MAX_CHARS).collect();
        assert_eq!(p.chars().count(), 256);
        assert!(check(&Secret::new(p.clone()), &ctx).is_ok());
        assert!(strength(&Secret::new(p.clone()), &ctx).acceptable);
        // every rule but the estimate sees the whole password: a word past the
        // estimator's first 64 characters is still caught
        let tail = format!("{}warden", &p[..250]);
        assert_eq!(refusal(&tail, &ctx), "Don't use the name of this service in your password.");
    }
}
