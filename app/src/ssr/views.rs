//! Domain values into the wire views (`proto::views`), once, for every door.

use domain::events::{EventEntry, EventPage};
use domain::passwords::PasswordStatus;
use domain::sessions::{SessionEntry, SessionList};
use domain::support::time_fmt;
use domain::two_factor::TwoFactorStatus;
use proto::views::*;

pub fn stamp(t: i64) -> Stamp {
    Stamp { iso: time_fmt::iso(t), text: time_fmt::display(t) }
}

pub fn session(s: SessionEntry) -> SessionView {
    SessionView {
        this_device: s.current,
        browser: s.device.browser,
        os: s.device.os,
        device: s.device.device.label().into(),
        ip: s.ip,
        started: stamp(s.started_at),
        last_active: stamp(s.last_active_at),
        ended: s.ended_at.map(stamp),
        end_reason: s.end_reason.map(|r| r.label().to_string()),
        id: s.id.as_str().to_owned(),
    }
}

pub fn event(e: EventEntry) -> EventView {
    EventView {
        what: e.label(),
        device: format!("{} on {}", e.device.browser, e.device.os),
        first: (e.count > 1).then(|| stamp(e.first_at)),
        count: e.count,
        detail: e.detail,
        ip: e.ip,
        at: stamp(e.at),
    }
}

pub fn sessions(list: SessionList, events: EventPage) -> SessionsView {
    SessionsView {
        active: list.active.into_iter().map(session).collect(),
        ended: list.ended.into_iter().map(session).collect(),
        page: list.page,
        has_older: list.has_older,
        events: events.entries.into_iter().map(event).collect(),
        events_page: events.page,
        events_has_older: events.has_older,
    }
}

pub fn two_factor(s: TwoFactorStatus, fresh_codes: Option<RecoveryCodes>) -> TwoFactorView {
    TwoFactorView {
        fresh_codes,
        enabled_since: s.enabled_since.map(stamp),
        recovery_codes_left: s.recovery_codes_left,
        pending: s.pending.map(|e| EnrolmentView { qr_svg: e.qr_svg.expose().to_owned(), key: e.key_grouped.expose().to_owned() }),
    }
}

pub fn password(s: PasswordStatus) -> PasswordView {
    PasswordView { changed: s.changed_at.map(stamp), created: stamp(s.created_at) }
}

pub fn recovery_codes(codes: Vec<domain::Secret>) -> RecoveryCodes {
    RecoveryCodes(codes.iter().map(|c| c.expose().to_owned()).collect())
}

pub fn protection(s: &domain::protection::PinStatus, zone: &domain::reporting::days::Zone) -> ProtectionView {
    ProtectionView {
        set_since: s.set_since.map(stamp),
        unlocked_until: s.unlocked_until.map(stamp),
        unlocked_until_clock: s.unlocked_until.map(|u| zone.clock(u)),
        wait_secs: s.wait_secs,
        two_factor_on: s.two_factor_on,
        unlock_minutes: s.unlock_minutes,
    }
}

pub fn reports_context(c: domain::reporting::ReportsContext) -> ReportsContextView {
    ReportsContextView {
        pin: protection(&c.pin, &c.zone),
        zone: c.zone.name().to_owned(),
        today: c.today.to_string(),
        campaigns: c
            .campaigns
            .into_iter()
            .map(|r| CampaignView { id: r.id, name: r.name, tracking_number: r.tracking_number, status: r.status.code().to_owned() })
            .collect(),
    }
}

/// `1234567` cents as "$12,345.67".
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

pub fn totals(t: &domain::reporting::store::Totals) -> TotalsView {
    TotalsView {
        calls: t.calls,
        answered: t.answered,
        missed: t.missed,
        voicemail: t.voicemail,
        answer_rate: t.answer_rate_percent().map_or_else(|| "–".to_owned(), |p| format!("{p:.0}%")),
        average_duration: t.average_duration_secs().map_or_else(|| "–".to_owned(), |s| format!("{}:{:02}", s / 60, s % 60)),
        revenue: money(t.revenue_cents),
    }
}

fn range_title(range: &domain::reporting::RangeChoice, from: domain::jiff::civil::Date, to: domain::jiff::civil::Date) -> String {
    use domain::reporting::RangeChoice::*;
    let day = |d: domain::jiff::civil::Date| d.strftime("%a %-d %b %Y").to_string();
    let name = match range {
        Today => "Today",
        Yesterday => "Yesterday",
        Last7 => "Last 7 days",
        Last30 => "Last 30 days",
        Custom { .. } => "Custom range",
    };
    if from == to {
        format!("{name} · {}", day(from))
    } else {
        format!("{name} · {} – {}", day(from), day(to))
    }
}

pub fn report(range: &domain::reporting::RangeChoice, r: domain::reporting::ReportResult) -> ReportView {
    ReportView {
        title: range_title(range, r.from, r.to),
        from: r.from.to_string(),
        to: r.to.to_string(),
        zone: r.zone.name().to_owned(),
        totals: totals(&r.report.totals),
        days: r
            .report
            .days
            .iter()
            .map(|d| DayView {
                date: d.date.to_string(),
                label: d.date.strftime("%a %-d %b").to_string(),
                calls: d.totals.calls,
                answered: d.totals.answered,
                missed: d.totals.missed,
                voicemail: d.totals.voicemail,
            })
            .collect(),
        campaigns: r.report.campaigns.iter().map(|c| CampaignTotalsView { id: c.id, name: c.name.clone(), totals: totals(&c.totals) }).collect(),
    }
}

pub fn api_token(t: domain::api_tokens::TokenEntry) -> ApiTokenView {
    ApiTokenView {
        id: t.id.get(),
        name: t.name,
        prefix: t.prefix,
        access: t.access.label().to_owned(),
        created: stamp(t.created_at),
        expires: t.expires_at.map(stamp),
        expired: t.expired,
        last_used: t.last_used.map(|u| LastUsedView { at: stamp(u.at), ip: u.ip, device: format!("{} on {}", u.device.browser, u.device.os) }),
        usage: t.usage.iter().map(usage_day).collect(),
    }
}

pub fn usage_day(d: &domain::api_tokens::usage::DayUsage) -> UsageDayView {
    let date = time_fmt::iso(domain::api_tokens::usage::day_start(d.day)).chars().take(10).collect();
    UsageDayView { date, requests: d.requests, limited: d.limited }
}

/// A token just made: its text, for the one time it is shown.
pub fn new_api_token(c: &domain::api_tokens::Created) -> NewApiToken {
    NewApiToken {
        id: c.id.get(),
        name: c.name.clone(),
        prefix: c.prefix.clone(),
        token: c.token.expose().to_owned(),
        access: c.access.label().to_owned(),
        expires: c.expires_at.map(stamp),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn money_reads_like_money() {
        assert_eq!(super::money(0), "$0.00");
        assert_eq!(super::money(5), "$0.05");
        assert_eq!(super::money(123_456_789), "$1,234,567.89");
        assert_eq!(super::money(-1050), "-$10.50");
    }
}
