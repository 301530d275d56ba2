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

/// One plain address (`name@example.com`), as the mailer parses it, in
/// lower case; whether it receives mail is proven by the mail we send, not
/// by a regex. A display name (`Ann <ann@example.com>`), a group, a comment,
/// quotes or anything after the address is refused: what is stored is
/// exactly where mail goes, and one mailbox cannot pose as many addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        let bad = || Error::refused(ErrorCode::InvalidEmail, "Enter a valid email address, like name@example.com.");
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '"' | '\\');
        if s.len() > 254 || s.chars().any(forbidden) {
            return Err(bad());
        }
        let address: lettre::Address = s.parse().map_err(|_| bad())?;
        let (local, domain) = (address.user(), address.domain());
        if local.len() > 64
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || address.to_string() != s
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
    #[test]
    fn an_address_is_one_plain_address_never_a_display_name_or_a_list() {
        for bad in [
            "victim<acc_1@example.com>",
            "Victim <acc_1@example.com>",
            "\"victim\"@example.com",
            "ann@example.com, bob@example.com",
            "ann@example.com;bob@example.com",
            "ann(comment)@example.com",
            "ann@[127.0.0.1]",
            "undisclosed:;",
            "ann@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Email::parse(" Ann.Lee+warden@Example.COM ").map(|e| e.0).ok().as_deref(), Some("ann.lee+warden@example.com"));
    }
}
