//! Calls as CSV (RFC 4180: fields with a comma, quote or line break are
//! quoted, quotes doubled, lines end in CRLF), for a spreadsheet.
//!
//! Campaign names and tags are text people typed, and a spreadsheet runs a
//! cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
//! before one) as a formula. Such a cell gets a leading `'`, as OWASP's
//! "CSV Injection" advice says. The caller's number is E.164 (`+` and
//! digits, which no spreadsheet runs as anything but a number) and is
//! written as it is; anything else in that column is guarded like text.

use super::days::Zone;
use super::store::CallRow;

/// The first line, CRLF included.
pub fn header() -> &'static str {
    "call_id,started_at,utc_offset,campaign,caller,duration_secs,outcome,revenue,tags\r\n"
}

/// One call, CRLF included: its start on the zone's clocks
/// (`YYYY-MM-DD HH:MM:SS`) beside that moment's offset (`UTC+01:00`,
/// so a repeated hour at the end of daylight saving stays unambiguous), and
/// revenue in units with two decimals (`12.50`, empty when none).
pub fn line(row: &CallRow, zone: &Zone) -> String {
    let (local, offset) = match zone.zoned(row.started_at) {
        Some(z) => (z.strftime("%Y-%m-%d %H:%M:%S").to_string(), z.strftime("UTC%:z").to_string()),
        None => (String::new(), String::new()),
    };
    let cells = [
        row.id.to_string(),
        local,
        // `UTC-05:00`, not `-05:00`, which a spreadsheet reads as a negative time.
        offset,
        text(&row.campaign_name),
        if is_e164(&row.caller) { row.caller.clone() } else { text(&row.caller) },
        row.duration_secs.to_string(),
        row.outcome.code().to_owned(),
        row.revenue_cents.map(money).unwrap_or_default(),
        text(&row.tags.join(",")),
    ];
    let mut out = cells.join(",");
    out.push_str("\r\n");
    out
}

/// Cents as units with two decimals: 1250 → `12.50`, -5 → `-0.05`.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A cell of text a person typed: defused, then quoted as RFC 4180 needs.
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        quote(&format!("'{s}"))
    } else {
        quote(s)
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reporting::entities::Outcome;

    fn row(campaign: &str, tags: &[&str]) -> CallRow {
        CallRow {
            id: 42,
            campaign_id: 1,
            campaign_name: campaign.to_owned(),
            caller: "+14155550100".to_owned(),
            // 2026-07-01 12:00:00 UTC
            started_at: 1_782_907_200,
            duration_secs: 95,
            outcome: Outcome::Answered,
            revenue_cents: Some(1250),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    /// The cells of one line, read back as RFC 4180 says.
    fn parse(line: &str) -> Vec<String> {
        let body = line.strip_suffix("\r\n").expect("CRLF");
        let (mut cells, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, body.chars().peekable());
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => cells.push(std::mem::take(&mut cell)),
                _ => cell.push(c),
            }
        }
        cells.push(cell);
        cells
    }

    #[test]
    fn a_line_has_the_headers_columns_on_the_zones_clocks() {
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let line = line(&row("Spring Sale", &["sale", "new-caller"]), &berlin);
        assert!(header().ends_with("\r\n") && line.ends_with("\r\n"));
        let cells = parse(&line);
        assert_eq!(cells.len(), header().trim_end().split(',').count());
        assert_eq!(cells, ["42", "2026-07-01 14:00:00", "UTC+02:00", "Spring Sale", "+14155550100", "95", "answered", "12.50", "sale,new-caller"]);
        let ny = Zone::parse("America/New_York").expect("zone");
        let cells = parse(&super::line(&row("x", &[]), &ny));
        assert_eq!((cells[1].as_str(), cells[2].as_str(), cells[8].as_str()), ("2026-07-01 08:00:00", "UTC-04:00", ""));
    }

    #[test]
    fn the_repeated_hour_keeps_its_offset() {
        // 2026-10-25: Berlin's clocks go back from 03:00 to 02:00; 02:30 happens twice.
        let berlin = Zone::parse("Europe/Berlin").expect("zone");
        let mut first = row("x", &[]);
        first.started_at = 1_792_888_200; // 00:30 UTC
        let mut second = row("x", &[]);
        second.started_at = first.started_at + 3600;
        let (a, b) = (parse(&line(&first, &berlin)), parse(&line(&second, &berlin)));
        assert_eq!((a[1].as_str(), a[2].as_str()), ("2026-10-25 02:30:00", "UTC+02:00"));
        assert_eq!((b[1].as_str(), b[2].as_str()), ("2026-10-25 02:30:00", "UTC+01:00"));
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        let line = line(&row("Sale, \"big\"\none", &[]), &Zone::utc());
        assert!(line.contains(",\"Sale, \"\"big\"\"\none\","), "{line}");
        assert_eq!(parse(&line)[3], "Sale, \"big\"\none");
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        for evil in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            let cells = parse(&line(&row(evil, &[evil]), &Zone::utc()));
            assert_eq!(cells[3], format!("'{evil}"), "campaign {evil:?}");
            assert!(cells[8].starts_with('\''), "tags {evil:?}");
        }
        let mut odd = row("ok", &[]);
        odd.caller = "=cmd|' /C calc'!A0".to_owned();
        assert_eq!(parse(&line(&odd, &Zone::utc()))[4], "'=cmd|' /C calc'!A0", "a caller that is not E.164 is text");
        assert_eq!(parse(&line(&row("a=b", &[]), &Zone::utc()))[3], "a=b", "only the first character matters");
    }

    #[test]
    fn revenue_has_two_decimals_or_nothing() {
        assert_eq!(
            (money(1250), money(5), money(0), money(-5), money(100_000)),
            ("12.50".into(), "0.05".into(), "0.00".into(), "-0.05".into(), "1000.00".into())
        );
        let mut none = row("x", &[]);
        none.revenue_cents = None;
        assert_eq!(parse(&line(&none, &Zone::utc()))[7], "");
    }
}
