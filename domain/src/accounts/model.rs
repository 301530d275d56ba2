//! Who an account is: a username and an email address, parsed once at the edge.

use crate::error::{Error, ErrorCode, Result};

/// 3–32 characters of `a–z 0–9 . _ -`, stored lower-case so "Alice" and
/// "alice" cannot be two people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        let n = s.chars().count();
        if !(3..=32).contains(&n) {
            return Err(Error::refused(ErrorCode::InvalidUsername, "Choose a username of 3 to 32 characters."));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return Err(Error::refused(ErrorCode::InvalidUsername, "A username may use letters, digits, dots, dashes and underscores."));
        }
        Ok(Username(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A syntactically plausible address; whether it receives mail is proven
/// by the mail we send, not by a regex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        let bad = || Error::refused(ErrorCode::InvalidEmail, "Enter a valid email address, like name@example.com.");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains('@')
        {
            return Err(bad());
        }
        Ok(Email(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn usernames_are_folded_and_bounded() {
        assert_eq!(Username::parse(" Alice ").map(|u| u.0).ok(), Some("alice".into()));
        assert!(Username::parse("al").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("al@ice").is_err());
    }
    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("Ann@Example.com").map(|e| e.0 == "ann@example.com").unwrap_or(false));
        for bad in ["", "ann", "ann@", "@example.com", "ann@localhost", "a b@example.com", "ann@.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
