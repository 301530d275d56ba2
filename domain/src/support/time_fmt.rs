//! How times are shown to a person: on the clock of their account's zone, to
//! the minute. Pages show the short local form (or "5 minutes ago" for the
//! last and next day) with the exact form in `title`; mail and anything
//! stored as text name the zone, since they are read away from the page.

use super::zone::Zone;

/// `2026-11-28 21:48`, on `zone`'s clock.
pub fn local(at: i64, zone: &Zone) -> String {
    zone.zoned(at).map(|z| z.strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| String::from("—"))
}

/// `2026-11-28 21:48 Europe/Berlin (UTC+01:00)`, or `2026-11-28 20:48 UTC`:
/// the time and the zone it is on, for mail and `title`.
pub fn display(at: i64, zone: &Zone) -> String {
    let Some(z) = zone.zoned(at) else { return String::from("—") };
    let clock = z.strftime("%Y-%m-%d %H:%M");
    if zone.name() == "UTC" {
        format!("{clock} UTC")
    } else {
        format!("{clock} {} (UTC{})", zone.name(), z.strftime("%:z"))
    }
}

/// Machine-readable form for `<time datetime=…>`, with the zone's offset.
pub fn iso(at: i64, zone: &Zone) -> String {
    match zone.zoned(at) {
        Some(z) if zone.name() == "UTC" => z.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(z) => z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        None => String::new(),
    }
}

/// "just now", "5 minutes ago", "in 3 hours": `at` seen from `now`, when
/// it is within a day either way; `None` further off, where the date says
/// more than a count of hours.
pub fn relative(at: i64, now: i64) -> Option<String> {
    const DAY: i64 = 24 * 3600;
    let d = now - at;
    if d.abs() >= DAY {
        return None;
    }
    let (n, unit) = match d.abs() {
        s if s < 60 => return Some(if d >= 0 { "just now".into() } else { "in less than a minute".into() }),
        s if s < 3600 => (s / 60, "minute"),
        s => (s / 3600, "hour"),
    };
    let amount = if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    Some(if d >= 0 { format!("{amount} ago") } else { format!("in {amount}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_on_the_accounts_clock_and_name_its_zone() {
        let utc = Zone::utc();
        assert_eq!(display(1_700_000_000, &utc), "2023-11-14 22:13 UTC");
        assert_eq!(iso(1_700_000_000, &utc), "2023-11-14T22:13:20Z");
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        assert_eq!(local(1_700_000_000, &berlin), "2023-11-14 23:13");
        assert_eq!(display(1_700_000_000, &berlin), "2023-11-14 23:13 Europe/Berlin (UTC+01:00)");
        assert_eq!(iso(1_700_000_000, &berlin), "2023-11-14T23:13:20+01:00");
        // Summer time, and a zone west of Greenwich the day before.
        assert_eq!(display(1_782_000_000, &berlin), "2026-06-21 02:00 Europe/Berlin (UTC+02:00)");
        let la = Zone::parse("America/Los_Angeles").expect("zone");
        assert_eq!(display(1_782_000_000, &la), "2026-06-20 17:00 America/Los_Angeles (UTC-07:00)");
        let kolkata = Zone::parse("Asia/Kolkata").expect("zone");
        assert_eq!(local(1_700_000_000, &kolkata), "2023-11-15 03:43");
    }

    #[test]
    fn recent_and_coming_times_read_as_a_count() {
        let now = 1_700_000_000;
        assert_eq!(relative(now - 10, now).as_deref(), Some("just now"));
        assert_eq!(relative(now - 60, now).as_deref(), Some("1 minute ago"));
        assert_eq!(relative(now - 150, now).as_deref(), Some("2 minutes ago"));
        assert_eq!(relative(now - 3 * 3600 - 5, now).as_deref(), Some("3 hours ago"));
        assert_eq!(relative(now + 30 * 60, now).as_deref(), Some("in 30 minutes"));
        assert_eq!(relative(now + 20, now).as_deref(), Some("in less than a minute"));
        assert_eq!(relative(now - 24 * 3600, now), None);
        assert_eq!(relative(now + 2 * 24 * 3600, now), None);
    }
}
