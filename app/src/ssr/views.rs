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
