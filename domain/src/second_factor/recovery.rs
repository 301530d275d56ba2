//! Recovery codes: single-use look-up secrets for when the authenticator app
//! is lost (NIST SP 800-63B §5.1.2). Each code carries at least 50 bits from
//! the OS CSPRNG: far above the 20-bit floor of §5.1.2.1, and with argon2id
//! hashes a stolen table is not worth brute-forcing. Below 112 bits NIST still
//! expects rate limiting, so the caller throttles attempts as for passwords.
//!
//! Codes are 12 characters from a 31-symbol alphabet with the look-alikes
//! removed (no 0/o, 1/i/l), shown as `xxxx-xxxx-xxxx`:
//! log2(31^12) ≈ 59.4 bits.
//!
//! This module only makes and normalises codes. The caller hashes the
//! `normalize`d form with `crate::credentials::Hasher`, stores only the hashes,
//! and marks a code used once it is spent. Beside each hash it stores a
//! 16-bit [`lookup`] hint, so a typed code is checked against one hash
//! (argon2id is slow on purpose: ten of them per guess would be a gift to
//! whoever wants the hasher busy), and every guess costs exactly one hash,
//! matched or not, so the time says nothing about the codes left. 16 bits of
//! a 59-bit secret leave 2^43 argon2id hashes per code to a stolen table.

use crate::support::secret::Secret;
use rand::rngs::OsRng;
use rand::Rng;
use std::collections::HashSet;

/// Digits and lower-case letters without 0, 1, i, l, o.
pub const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters per code, without the dashes.
pub const CODE_LEN: usize = 12;
/// Characters between dashes in the displayed form.
const GROUP: usize = 4;
/// How many codes a person is given at a time.
pub const DEFAULT_COUNT: usize = 10;

/// `n` distinct codes in display form (`xxxx-xxxx-xxxx`).
pub fn generate_codes(n: usize) -> Vec<Secret> {
    // Collisions are ~2^-59 per pair; the set only makes distinctness a
    // guarantee rather than a likelihood.
    let mut seen = HashSet::with_capacity(n);
    let mut codes = Vec::with_capacity(n);
    while codes.len() < n {
        let raw = one_code();
        if seen.insert(raw.clone()) {
            codes.push(Secret::new(display(&raw)));
        }
    }
    codes
}

fn one_code() -> String {
    // gen_range samples uniformly (rejection, not modulo), so every symbol
    // carries the full log2(31) bits.
    (0..CODE_LEN).map(|_| char::from(ALPHABET[OsRng.gen_range(0..ALPHABET.len())])).collect()
}

fn display(raw: &str) -> String {
    let groups: Vec<&str> = raw
        .as_bytes()
        .chunks(GROUP)
        // the alphabet is ASCII, so every chunk is valid UTF-8
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    groups.join("-")
}

/// What a person typed, in the canonical form that is hashed and compared:
/// lower case, spaces and dashes dropped. `None` when it cannot be a code, so
/// no hash is computed for garbage.
pub fn normalize(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_lowercase()).collect();
    let ok = s.len() == CODE_LEN && s.bytes().all(|b| ALPHABET.contains(&b));
    ok.then_some(s)
}

/// The lookup hint of a normalised code: 16 bits of its SHA-256, in hex.
pub fn lookup(normal: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(normal.as_bytes());
    format!("{:02x}{:02x}", d[0], d[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_hint_is_16_bits_the_same_for_what_people_type() {
        let a = lookup(&normalize("abcd-2345-wxyz").expect("code"));
        assert_eq!(a, lookup(&normalize("ABCD 2345 WXYZ").expect("code")));
        assert_eq!(a.len(), 4);
        assert_ne!(a, lookup(&normalize("abcd-2345-wxy2").expect("code")));
    }

    #[test]
    fn codes_carry_at_least_50_bits() {
        let bits = CODE_LEN as f64 * (ALPHABET.len() as f64).log2();
        assert!(bits >= 50.0, "{bits} bits");
        assert_eq!(ALPHABET.len(), 31);
        let distinct: HashSet<u8> = ALPHABET.iter().copied().collect();
        assert_eq!(distinct.len(), ALPHABET.len());
        for ambiguous in b"01ilo" {
            assert!(!ALPHABET.contains(ambiguous));
        }
    }

    #[test]
    fn ten_distinct_codes_in_display_form() {
        let codes = generate_codes(DEFAULT_COUNT);
        assert_eq!(codes.len(), 10);
        let distinct: HashSet<&str> = codes.iter().map(|c| c.expose()).collect();
        assert_eq!(distinct.len(), 10);
        for c in &codes {
            let c = c.expose();
            assert_eq!(c.len(), 14, "{c}");
            let parts: Vec<&str> = c.split('-').collect();
            assert_eq!(parts.len(), 3, "{c}");
            assert!(parts.iter().all(|p| p.len() == 4 && p.bytes().all(|b| ALPHABET.contains(&b))));
            assert!(normalize(c).is_some());
        }
        assert!(generate_codes(0).is_empty());
    }

    #[test]
    fn normalize_accepts_what_people_type() {
        let want = Some("abcd2345wxyz".to_owned());
        assert_eq!(normalize("abcd-2345-wxyz"), want);
        assert_eq!(normalize("abcd2345wxyz"), want);
        assert_eq!(normalize("ABCD-2345-WXYZ"), want);
        assert_eq!(normalize(" abcd 2345 wxyz "), want);
    }

    #[test]
    fn normalize_rejects_what_cannot_be_a_code() {
        assert_eq!(normalize("abcd-2345-wxy"), None, "too short");
        assert_eq!(normalize("abcd-2345-wxyz2"), None, "too long");
        assert_eq!(normalize("abcd-2345-wxy0"), None, "0 is not in the alphabet");
        assert_eq!(normalize("abcd-2345-wxyl"), None, "l is not in the alphabet");
        assert_eq!(normalize("abcd_2345_wxyz"), None, "underscores are not separators");
        assert_eq!(normalize("abcd-2345-wxyé"), None);
        assert_eq!(normalize(""), None);
    }
}
