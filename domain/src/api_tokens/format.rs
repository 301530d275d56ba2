//! What an API token looks like: `wdn_` + 30 base62 characters from the
//! operating system's CSPRNG (30 × log2 62 ≈ 178.6 bits) + a 6-character
//! base62 CRC32 of those 30, left-padded with `0` — GitHub's scheme
//! (<https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/>).
//!
//! - The fixed `wdn_` prefix lets secret scanners (and people) recognise a
//!   Warden token in a commit or a paste.
//! - The checksum lets a typo or a truncated paste be refused here, without
//!   a database lookup. It is no secret and no signature: anyone can compute
//!   it, it only tells a mistake from a candidate.
//! - The first 8 characters after `wdn_` are the token's *prefix*: stored in
//!   the clear, shown in the list and in logs, so a token can be told apart
//!   without its secret. What stays unknown is still 22 characters (≈ 131
//!   bits), above the 128 the security baseline asks.

use crate::support::random::token_hash;
use crate::support::secret::Secret;
use rand::rngs::OsRng;
use rand::RngCore;
use std::fmt;

/// What every Warden API token starts with.
pub const TOKEN_PREFIX: &str = "wdn_";
/// Random base62 characters after `wdn_`.
pub const RANDOM_LEN: usize = 30;
/// The CRC32 of the random part, in base62.
pub const CHECKSUM_LEN: usize = 6;
/// The whole token: `wdn_` + random + checksum.
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// How many characters after `wdn_` identify a token in the list and in logs.
pub const PREFIX_LEN: usize = 8;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a Warden API token. Said to the caller only as
/// `invalid_token`; the reason is for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Not `wdn_…`: another service's token, or no token at all.
    NotAWardenToken,
    /// Too short or too long: a truncated (or doubled) paste.
    WrongLength,
    /// A character outside base62.
    BadCharacter,
    /// The checksum does not match: a typo.
    BadChecksum,
}

impl Malformed {
    pub fn message(self) -> &'static str {
        match self {
            Malformed::NotAWardenToken => "This is not a Warden API token: they start with wdn_.",
            Malformed::WrongLength | Malformed::BadCharacter | Malformed::BadChecksum => {
                "This API token is mistyped or incomplete: copy the whole token again."
            }
        }
    }
}

/// A Warden API token in plain text. Exists once, when it is made (to be
/// shown to its owner), or when a request presents it; only its SHA-256 is
/// stored. `Debug` prints `<hidden>`.
#[derive(Clone)]
pub struct ApiToken(Secret);

impl ApiToken {
    /// A new token from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let random = random_base62(RANDOM_LEN);
        let token = format!("{TOKEN_PREFIX}{random}{}", checksum(&random));
        ApiToken(Secret::new(token))
    }

    /// What a request presented, if it can be a Warden token: the right
    /// prefix, length, alphabet and checksum. Surrounding whitespace (a
    /// pasted newline) is ignored.
    pub fn parse(raw: &str) -> Result<Self, Malformed> {
        let raw = raw.trim();
        let rest = raw.strip_prefix(TOKEN_PREFIX).ok_or(Malformed::NotAWardenToken)?;
        if rest.len() != RANDOM_LEN + CHECKSUM_LEN {
            return Err(Malformed::WrongLength);
        }
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Malformed::BadCharacter);
        }
        let (random, sum) = rest.split_at(RANDOM_LEN);
        if checksum(random) != sum {
            return Err(Malformed::BadChecksum);
        }
        Ok(ApiToken(Secret::new(raw)))
    }

    /// The only way to the token's text: to show it once, or to send it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// What is stored and looked up: the SHA-256 (hex) of the whole token.
    pub fn hash(&self) -> String {
        token_hash(self.0.expose())
    }

    /// The first 8 characters after `wdn_`: the token's name in the list and in logs.
    pub fn prefix(&self) -> &str {
        let t = self.0.expose();
        t.get(TOKEN_PREFIX.len()..TOKEN_PREFIX.len() + PREFIX_LEN).unwrap_or_default()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<hidden>)")
    }
}

/// `n` characters, each uniform over base62: bytes ≥ 248 (= 4 × 62) are
/// thrown away, so `% 62` favours no character.
fn random_base62(n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        OsRng.fill_bytes(&mut buf);
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == n {
                break;
            }
            out.push(char::from(BASE62[usize::from(b % 62)]));
        }
    }
    out
}

/// The CRC32 (IEEE) of `random`, in base62, left-padded with `0` to 6
/// characters (62^6 > 2^32, so it always fits).
fn checksum(random: &str) -> String {
    let mut crc = flate2::Crc::new();
    crc.update(random.as_bytes());
    let mut n = u64::from(crc.sum());
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_wdn_30_random_and_a_6_character_checksum_and_parses_back() {
        let t = ApiToken::generate();
        let s = t.expose().to_owned();
        assert_eq!(s.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 40);
        assert!(s.starts_with("wdn_") && s[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{s}");
        let back = ApiToken::parse(&s).expect("a new token parses");
        assert_eq!(back.hash(), t.hash());
        assert_eq!(t.prefix(), &s[4..12]);
        assert_eq!(t.hash().len(), 64);
        assert_ne!(t.hash(), s);
        assert_ne!(ApiToken::generate().expose(), s, "tokens differ");
        // A pasted newline is no reason to refuse.
        assert_eq!(ApiToken::parse(&format!(" {s}\n")).map(|t| t.hash()), Ok(back.hash()));
    }

    #[test]
    fn the_random_part_carries_at_least_178_bits() {
        let bits = RANDOM_LEN as f64 * 62f64.log2();
        assert!(bits >= 178.0, "{bits}");
        // What the list shows leaves more than 128 bits unknown.
        assert!((RANDOM_LEN - PREFIX_LEN) as f64 * 62f64.log2() > 128.0);
        // Every base62 character turns up, and no other: the draw is over the whole alphabet.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let t = ApiToken::generate();
            seen.extend(t.expose()[4..4 + RANDOM_LEN].bytes());
        }
        assert_eq!(seen.len(), 62);
    }

    #[test]
    fn the_checksum_is_the_crc32_of_the_random_part_in_base62() {
        // CRC32("123456789") = 0xCBF43926, the standard check value: "3jZRME" in this base62 ("0-9A-Za-z").
        assert_eq!(checksum("123456789"), "3jZRME");
        // Small sums are left-padded.
        assert_eq!(checksum("").len(), CHECKSUM_LEN);
        assert_eq!(checksum(""), "000000", "CRC32 of nothing is 0");
    }

    #[test]
    fn a_one_character_typo_is_refused_without_a_lookup() {
        let s = ApiToken::generate().expose().to_owned();
        for i in 4..s.len() {
            let mut typo = s.clone().into_bytes();
            typo[i] = if typo[i] == b'a' { b'b' } else { b'a' };
            let typo = String::from_utf8(typo).expect("ascii");
            assert_eq!(ApiToken::parse(&typo).map(|t| t.hash()), Err(Malformed::BadChecksum), "position {i}");
        }
        // Two neighbours swapped.
        let mut swapped = s.clone().into_bytes();
        let i = (4..s.len() - 1).find(|&i| swapped[i] != swapped[i + 1]).expect("two different neighbours");
        swapped.swap(i, i + 1);
        assert_eq!(ApiToken::parse(&String::from_utf8(swapped).expect("ascii")).map(|t| t.hash()), Err(Malformed::BadChecksum));
    }

    #[test]
    fn a_truncated_or_doubled_paste_is_refused() {
        let s = ApiToken::generate().expose().to_owned();
        for cut in [s.len() - 1, s.len() - 6, 12, 4] {
            assert_eq!(ApiToken::parse(&s[..cut]).map(|t| t.hash()), Err(Malformed::WrongLength), "cut at {cut}");
        }
        assert_eq!(ApiToken::parse(&format!("{s}x")).map(|t| t.hash()), Err(Malformed::WrongLength));
        assert_eq!(ApiToken::parse(&format!("{s}{s}")).map(|t| t.hash()), Err(Malformed::WrongLength));
    }

    #[test]
    fn another_prefix_or_alphabet_is_refused() {
        let s = ApiToken::generate().expose().to_owned();
        for other in [format!("ghp_{}", &s[4..]), format!("WDN_{}", &s[4..]), format!("wdn{}", &s[4..]), s[4..].to_owned(), String::new()] {
            assert_eq!(ApiToken::parse(&other).map(|t| t.hash()), Err(Malformed::NotAWardenToken), "{other}");
        }
        let bad = format!("wdn_{}-{}", &s[4..20], &s[21..]);
        assert_eq!(ApiToken::parse(&bad).map(|t| t.hash()), Err(Malformed::BadCharacter));
        // Non-ASCII of the right byte length is refused, not sliced mid-character.
        let wide = format!("wdn_é{}", &s[6..]);
        assert_eq!(ApiToken::parse(&wide).map(|t| t.hash()), Err(Malformed::BadCharacter));
        assert!(Malformed::NotAWardenToken.message().contains("wdn_"));
    }

    #[test]
    fn the_token_never_reaches_debug_output() {
        let t = ApiToken::generate();
        assert_eq!(format!("{t:?}"), "ApiToken(<hidden>)");
        assert!(!format!("{t:?}").contains(t.prefix()));
    }
}
