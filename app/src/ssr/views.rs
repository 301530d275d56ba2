//! Domain values into the wire views (`proto::views`) of the server
//! functions, once for every page; the REST door has its own shapes (`server::api`).

use domain::events::{EventEntry, EventPage};
use domain::passwords::PasswordStatus;
use domain::second_factor::TwoFactorStatus;
use domain::sessions::{SessionEntry, SessionList};
use domain::support::time_fmt;
use domain::support::zone::Zone;
use proto::views::*;

/// The clock a page's times are told on: the account's zone, and the
/// moment "5 minutes ago" counts from.
pub struct Times {
    zone: Zone,
    now: i64,
}

impl Times {
    pub fn new(zone: Zone, now: i64) -> Self {
        Times { zone, now }
    }

    /// `t` for people: "5 minutes ago" within a day either way, else the
    /// local date and time; the exact time and zone for `title`, the
    /// offset time for `datetime`.
    pub fn stamp(&self, t: i64) -> Stamp {
        Stamp {
            iso: time_fmt::iso(t, &self.zone),
            text: time_fmt::relative(t, self.now).unwrap_or_else(|| time_fmt::local(t, &self.zone)),
            local: time_fmt::local(t, &self.zone),
            exact: time_fmt::display(t, &self.zone),
        }
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn zone(&self) -> &Zone {
        &self.zone
    }
}

pub fn session(s: SessionEntry, t: &Times) -> SessionView {
    SessionView {
        this_device: s.current,
        browser: s.device.browser,
        os: s.device.os,
        device: s.device.device.label().into(),
        ip: s.ip,
        started: t.stamp(s.started_at),
        last_active: t.stamp(s.last_active_at),
        ended: s.ended_at.map(|x| t.stamp(x)),
        end_reason: s.end_reason.map(|r| r.label().to_string()),
        name: s.name,
        id: s.id.as_str().to_owned(),
    }
}

pub fn event(e: EventEntry, t: &Times) -> EventView {
    EventView {
        what: e.label(),
        device: format!("{} on {}", e.device.browser, e.device.os),
        first: (e.count > 1).then(|| t.stamp(e.first_at)),
        count: e.count,
        detail: e.detail,
        ip: e.ip,
        at: t.stamp(e.at),
    }
}

/// A mail log line.
pub fn mail(m: domain::alerts::LoggedMail, t: &Times) -> MailView {
    let status = match (m.sent_at, m.failed_at) {
        (Some(_), _) => "Sent",
        (None, Some(_)) => "Could not be delivered",
        (None, None) => "Sending",
    };
    MailView { subject: m.subject, to: m.to_addr, queued: t.stamp(m.created_at), status: status.into() }
}

/// The page of a "This wasn't me" link.
pub fn not_me(n: domain::alerts::NotMe, now: i64) -> NotMeView {
    let t = Times::new(n.zone, now);
    NotMeView {
        device: format!("{} on {} ({})", n.device.browser, n.device.os, n.device.device.label().to_lowercase()),
        ip: n.ip,
        signed_in: t.stamp(n.signed_in_at),
        followed: t.stamp(n.followed_at),
        expires: t.stamp(n.expires_at),
        ended_all: n.ended_all_at.map(|x| t.stamp(x)),
        reset_sent: n.reset_sent_at.map(|x| t.stamp(x)),
        can_reset: n.can_reset,
    }
}

/// Login Security: sessions, activity, the alert switch and the mail log.
pub fn sessions(
    list: SessionList,
    events: EventPage,
    alerts: bool,
    mails: Vec<domain::alerts::LoggedMail>,
    passkey_invite: bool,
    t: &Times,
) -> SessionsView {
    SessionsView {
        active: list.active.into_iter().map(|s| session(s, t)).collect(),
        ended: list.ended.into_iter().map(|s| session(s, t)).collect(),
        page: list.page,
        has_older: list.has_older,
        events: events.entries.into_iter().map(|e| event(e, t)).collect(),
        events_page: events.page,
        events_has_older: events.has_older,
        zone: t.zone().name().to_owned(),
        sign_in_alerts: alerts,
        mails: mails.into_iter().map(|m| mail(m, t)).collect(),
        passkey_invite,
    }
}

pub fn two_factor(s: TwoFactorStatus, fresh_codes: Option<RecoveryCodes>, t: &Times) -> TwoFactorView {
    TwoFactorView {
        fresh_codes,
        enabled_since: s.app_enabled_since.map(|x| t.stamp(x)),
        recovery_codes_left: s.recovery_codes_left,
        pending: s.pending.map(|e| EnrolmentView { qr_svg: e.qr_svg.expose().to_owned(), key: e.key_grouped.expose().to_owned() }),
    }
}

pub fn password(s: PasswordStatus, t: &Times) -> PasswordView {
    PasswordView { changed: s.changed_at.map(|c| t.stamp(c)), created: t.stamp(s.created_at) }
}

pub fn security_key(k: domain::second_factor::KeyEntry, t: &Times) -> SecurityKeyView {
    SecurityKeyView { id: k.id, name: k.name, added: t.stamp(k.added_at), last_used: k.last_used_at.map(|x| t.stamp(x)), passkey: k.passkey }
}

pub fn recovery_codes(codes: Vec<domain::Secret>) -> RecoveryCodes {
    RecoveryCodes(codes.iter().map(|c| c.expose().to_owned()).collect())
}

pub fn protection(s: &domain::protection::PinStatus, t: &Times) -> ProtectionView {
    ProtectionView {
        set_since: s.set_since.map(|x| t.stamp(x)),
        unlocked_until: s.unlocked_until.map(|x| t.stamp(x)),
        unlocked_until_clock: s.unlocked_until.map(|u| t.zone().clock(u)),
        wait_secs: s.wait_secs,
        two_factor_on: s.two_factor_on,
        security_key: s.security_key,
        unlock_minutes: s.unlock_minutes,
    }
}

pub fn reports_context(c: domain::reporting::ReportsContext, now: i64) -> ReportsContextView {
    let t = Times::new(c.zone.clone(), now);
    ReportsContextView {
        pin: protection(&c.pin, &t),
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

pub fn api_token(tok: domain::api_tokens::TokenEntry, t: &Times) -> ApiTokenView {
    ApiTokenView {
        id: tok.id.get(),
        name: tok.name,
        prefix: tok.prefix,
        access: tok.access.label().to_owned(),
        sessions: tok.sessions_scope,
        created: t.stamp(tok.created_at),
        expires: tok.expires_at.map(|x| t.stamp(x)),
        expired: tok.expired,
        last_used: tok.last_used.map(|u| LastUsedView { at: t.stamp(u.at), ip: u.ip, device: format!("{} on {}", u.device.browser, u.device.os) }),
        usage: tok.usage.iter().map(usage_day).collect(),
        networks: tok
            .networks
            .into_iter()
            .map(|n| proto::views::TokenNetworkView {
                device: format!("{} on {}", n.device.browser, n.device.os),
                ip: n.ip,
                network: n.network,
                first_seen: t.stamp(n.first_seen),
                last_seen: t.stamp(n.last_seen),
            })
            .collect(),
        allowed_networks: tok.allowed.ranges(),
        previous: tok.previous.map(|p| proto::views::PreviousSecretView { prefix: p.prefix, until: t.stamp(p.until) }),
        regenerated: tok.regenerated_at.map(|x| t.stamp(x)),
    }
}

pub fn usage_day(d: &domain::api_tokens::usage::DayUsage) -> UsageDayView {
    let date = time_fmt::iso(domain::api_tokens::usage::day_start(d.day), &Zone::utc()).chars().take(10).collect();
    UsageDayView { date, requests: d.requests, limited: d.limited }
}

/// A token just made: its text, for the one time it is shown.
pub fn new_api_token(c: &domain::api_tokens::Created, t: &Times) -> NewApiToken {
    NewApiToken {
        id: c.id.get(),
        name: c.name.clone(),
        prefix: c.prefix.clone(),
        token: c.token.expose().to_owned(),
        access: c.access.label().to_owned(),
        sessions: c.sessions_scope,
        expires: c.expires_at.map(|x| t.stamp(x)),
        regenerated: c.regenerated,
        previous_until: c.previous_until.map(|x| t.stamp(x)),
    }
}

pub fn step_up(s: &domain::step_up::StepUpStatus, t: &Times) -> proto::views::StepUpView {
    use domain::sensitive::Operation;
    proto::views::StepUpView {
        confirmed_until: s.confirmed_until.map(|u| t.stamp(u)),
        minutes_left: s.confirmed_until.map(|u| ((u - t.now()).max(0) + 59) / 60),
        covers_all: s.covers(Operation::SetPin),
        has_second_factor: s.has_second_factor,
        security_key: s.security_key,
        authenticator_app: s.authenticator_app,
        window_minutes: s.window_secs / 60,
    }
}

/// Login Security's webhooks section.
pub fn webhooks(list: (Vec<domain::webhooks::EndpointEntry>, Vec<domain::webhooks::DeliveryEntry>), allow_private: bool, t: &Times) -> WebhooksView {
    let (endpoints, deliveries) = list;
    WebhooksView {
        endpoints: endpoints
            .into_iter()
            .map(|e| WebhookView {
                id: e.id,
                topics: e.topics.iter().map(|t| t.label().to_owned()).collect(),
                added: t.stamp(e.created_at),
                status: match (e.disabled_at, e.failing_since) {
                    (Some(at), _) => format!("Turned off {} after a day of failed deliveries", t.stamp(at).text),
                    (None, Some(since)) => format!("Failing since {}", t.stamp(since).text),
                    (None, None) => "Active".to_owned(),
                },
                enabled: e.disabled_at.is_none(),
                old_secret_until: e.previous_until.map(|u| t.stamp(u)),
                url: e.url,
            })
            .collect(),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                endpoint_id: d.endpoint_id,
                status: match (d.delivered_at, d.failed_at, d.last_error.as_deref()) {
                    (Some(_), _, _) => format!("Delivered ({})", d.last_status.unwrap_or(200)),
                    (None, Some(_), e) => format!("Failed: {}", e.unwrap_or("gave up")),
                    (None, None, Some(e)) => format!("Retrying {} ({e})", t.stamp(d.next_attempt_at).text),
                    (None, None, None) => "Waiting".to_owned(),
                },
                message_id: d.message_id,
                event_type: d.event_type,
                at: t.stamp(d.created_at),
                attempts: d.attempts,
            })
            .collect(),
        topics: domain::webhooks::Topic::ALL.iter().map(|t| (t.code().to_owned(), t.label().to_owned())).collect(),
        allow_private,
        fresh_secret: None,
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
