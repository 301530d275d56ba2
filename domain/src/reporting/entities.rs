//! What Reporting counts: campaigns (a name and the tracking number people
//! call) and their calls; here, the rules their values follow (the tables
//! and queries are in `store.rs`).

/// A phone number in E.164: `+`, a country code that does not start with 0,
/// and at most 15 digits in all. Spaces, dashes, dots and brackets people
/// type are dropped; anything else is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct E164(String);

impl E164 {
    pub fn parse(typed: &str) -> Option<E164> {
        let t = typed.trim();
        let rest = t.strip_prefix('+')?;
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return None,
            }
        }
        let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
        ok.then(|| E164(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A campaign's name: 1 to 80 characters, no control characters, trimmed.
/// Unique per account regardless of case (the key is [`CampaignName::key`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignName(String);

impl CampaignName {
    pub fn parse(typed: &str) -> Option<CampaignName> {
        let t = typed.trim();
        let n = t.chars().count();
        ((1..=80).contains(&n) && !t.chars().any(char::is_control)).then(|| CampaignName(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness is checked on: the name in lower case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CampaignStatus {
    Active,
    Paused,
}

impl CampaignStatus {
    pub fn code(self) -> &'static str {
        match self {
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        [CampaignStatus::Active, CampaignStatus::Paused].into_iter().find(|s| s.code() == code)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Missed,
    Voicemail,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Missed => "missed",
            Outcome::Voicemail => "voicemail",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        [Outcome::Answered, Outcome::Missed, Outcome::Voicemail].into_iter().find(|o| o.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_and_caller_numbers_are_e164() {
        assert_eq!(E164::parse(" +1 (415) 555-0100 ").map(|n| n.0), Some("+14155550100".into()));
        assert_eq!(E164::parse("+49 30 901820").map(|n| n.0), Some("+4930901820".into()));
        for bad in ["4155550100", "+0415555010", "+1415555010012345", "+1 415 555 01a0", "+", "+1234567", "++14155550100"] {
            assert_eq!(E164::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn campaign_names_are_trimmed_bounded_and_unique_regardless_of_case() {
        assert_eq!(CampaignName::parse("  Spring Sale ").map(|n| n.key()), Some("spring sale".into()));
        assert_eq!(CampaignName::parse("Spring Sale").map(|n| n.key()), CampaignName::parse("SPRING sale").map(|n| n.key()));
        assert_eq!(CampaignName::parse("   "), None);
        assert_eq!(CampaignName::parse("a\u{0}b"), None);
        assert!(CampaignName::parse(&"x".repeat(80)).is_some());
        assert_eq!(CampaignName::parse(&"x".repeat(81)), None);
    }

    #[test]
    fn statuses_and_outcomes_round_trip_through_their_codes() {
        for s in [CampaignStatus::Active, CampaignStatus::Paused] {
            assert_eq!(CampaignStatus::from_code(s.code()), Some(s));
        }
        for o in [Outcome::Answered, Outcome::Missed, Outcome::Voicemail] {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
        }
        assert_eq!(Outcome::from_code("busy"), None);
    }
}
