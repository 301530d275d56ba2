//! The Protection PIN's policy.
//!
//! A PIN is 4 to 8 digits. Four is the floor people accept for a code they
//! type often; eight keeps it a PIN rather than a second password. The space
//! is small (10^4 to 10^8), so the real protection is the per-account
//! throttle and lock on wrong PINs; this policy only refuses the PINs an
//! attacker tries first: one digit repeated, straight runs up or down, the
//! 20 most common four-digit PINs (DataGenetics' analysis of 3.4 million
//! PINs), for four digits a year (1900–2099) or a date (MMDD or DDMM: the
//! most chosen PINs after those, by the same analysis), and any run of
//! digits taken from the username.

use crate::support::secret::Secret;

pub const MIN_DIGITS: usize = 4;
pub const MAX_DIGITS: usize = 8;

/// The most common four-digit PINs, most common first (DataGenetics, 2012).
const COMMON: [&str; 20] = [
    "1234", "1111", "0000", "1212", "7777", "1004", "2000", "4444", "2222", "6969", "9999", "3333", "5555", "6666", "1122", "1313", "8888", "4321",
    "2001", "1010",
];

/// Why a PIN is refused; each says its reason to the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinRefusal {
    NotDigits,
    Length,
    Mismatch,
    OneDigit,
    StraightRun,
    Common,
    YearOrDate,
    InUsername,
}

impl PinRefusal {
    pub fn message(self) -> String {
        match self {
            PinRefusal::NotDigits => "A PIN is digits only.".into(),
            PinRefusal::Length => format!("A PIN has {MIN_DIGITS} to {MAX_DIGITS} digits."),
            PinRefusal::Mismatch => "The two PINs are not the same.".into(),
            PinRefusal::OneDigit => "A PIN of one digit repeated is the first one anyone tries.".into(),
            PinRefusal::StraightRun => "A straight run of digits (like 1234 or 9876) is among the first ones anyone tries.".into(),
            PinRefusal::Common => "That is one of the most common PINs: choose another.".into(),
            PinRefusal::YearOrDate => "A year or a date (like 1987 or 0514) is among the first PINs anyone tries: choose another.".into(),
            PinRefusal::InUsername => "A PIN taken from your username is easy to guess.".into(),
        }
    }
}

/// A PIN that passed the policy; only [`NewPin::parse`] makes one.
pub struct NewPin(Secret);

impl std::fmt::Debug for NewPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPin(<hidden>)")
    }
}

impl NewPin {
    pub fn parse(pin: &Secret, confirm: &Secret, username: &str) -> Result<NewPin, PinRefusal> {
        let p = pin.expose();
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinRefusal::NotDigits);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&p.len()) {
            return Err(PinRefusal::Length);
        }
        if !bool::from(subtle::ConstantTimeEq::ct_eq(p.as_bytes(), confirm.expose().as_bytes())) {
            return Err(PinRefusal::Mismatch);
        }
        let d = p.as_bytes();
        if d.iter().all(|&b| b == d[0]) {
            return Err(PinRefusal::OneDigit);
        }
        let steps: Vec<i16> = d.windows(2).map(|w| i16::from(w[1]) - i16::from(w[0])).collect();
        if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
            return Err(PinRefusal::StraightRun);
        }
        if COMMON.contains(&p) {
            return Err(PinRefusal::Common);
        }
        let digit_runs = username.split(|c: char| !c.is_ascii_digit()).filter(|r| !r.is_empty());
        if digit_runs.into_iter().any(|run| run.contains(p) || (run.len() >= MIN_DIGITS && p.contains(run))) {
            return Err(PinRefusal::InUsername);
        }
        if p.len() == 4 && year_or_date(p) {
            return Err(PinRefusal::YearOrDate);
        }
        Ok(NewPin(pin.clone()))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

/// A four-digit year 1900–2099, or a day of the year written MMDD or DDMM.
fn year_or_date(p: &str) -> bool {
    let (Ok(a), Ok(b)) = (p[..2].parse::<u32>(), p[2..].parse::<u32>()) else { return false };
    let is_date = |month: u32, day: u32| {
        let days = match month {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => 0,
        };
        (1..=days).contains(&day)
    };
    a == 19 || a == 20 || is_date(a, b) || is_date(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_digit_years_and_dates_are_refused() {
        for pin in ["1987", "2024", "1900", "2099", "0514", "1405", "1231", "3112", "0229", "2902"] {
            assert_eq!(parse(pin, "ana").err(), Some(PinRefusal::YearOrDate), "{pin}");
        }
        for pin in ["3857", "1357", "0231", "3102", "4071", "2160"] {
            assert!(parse(pin, "ana").is_ok(), "{pin}");
        }
        assert!(parse("19870514", "ana").is_ok(), "longer PINs are not read as dates");
    }

    fn parse(pin: &str, username: &str) -> Result<NewPin, PinRefusal> {
        NewPin::parse(&Secret::new(pin), &Secret::new(pin), username)
    }

    #[test]
    fn four_to_eight_digits_only() {
        assert_eq!(parse("385", "ana").err(), Some(PinRefusal::Length));
        assert_eq!(parse("385172946", "ana").err(), Some(PinRefusal::Length));
        assert_eq!(parse("38a7", "ana").err(), Some(PinRefusal::NotDigits));
        assert_eq!(parse("３８５７", "ana").err(), Some(PinRefusal::NotDigits), "full-width digits are not digits here");
        assert!(parse("3857", "ana").is_ok());
        assert!(parse("38571946", "ana").is_ok());
    }

    #[test]
    fn trivial_pins_are_refused_with_their_reason() {
        for (pin, why) in [
            ("0000", PinRefusal::OneDigit),
            ("77777777", PinRefusal::OneDigit),
            ("1234", PinRefusal::StraightRun),
            ("3456789", PinRefusal::StraightRun),
            ("9876", PinRefusal::StraightRun),
            ("6543210", PinRefusal::StraightRun),
            ("1212", PinRefusal::Common),
            ("6969", PinRefusal::Common),
            ("2001", PinRefusal::Common),
        ] {
            assert_eq!(parse(pin, "ana").err(), Some(why), "{pin}");
        }
        // Near misses are fine: not a straight run, not in the list.
        assert!(parse("1235", "ana").is_ok());
        assert!(parse("1357", "ana").is_ok());
    }

    #[test]
    fn digits_from_the_username_are_refused() {
        assert_eq!(parse("1985", "bob1985").err(), Some(PinRefusal::InUsername));
        assert_eq!(parse("9852", "x19852y").err(), Some(PinRefusal::InUsername));
        assert_eq!(parse("19852046", "bob1985").err(), Some(PinRefusal::InUsername), "the username's year inside a longer PIN");
        assert!(parse("4071", "bob1985").is_ok());
    }

    #[test]
    fn the_confirmation_must_match_and_debug_hides_the_pin() {
        let r = NewPin::parse(&Secret::new("3857"), &Secret::new("3858"), "ana");
        assert_eq!(r.err(), Some(PinRefusal::Mismatch));
        let pin = parse("3857", "ana").expect("a fine PIN");
        assert!(!format!("{pin:?}").contains("3857"));
    }
}
