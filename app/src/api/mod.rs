//! Server functions: the pages' door into `domain`. Each body reads the
//! session, calls one domain operation and maps its error.

pub mod password;
pub mod two_factor;

use crate::error::AppError;
use crate::secret::Password;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
}

/// One session as Login Security shows it; times are already formatted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub this_device: bool,
    pub browser: String,
    pub os: String,
    pub device: String,
    pub ip: String,
    pub started: Stamp,
    pub last_active: Stamp,
    pub ended: Option<Stamp>,
    pub end_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub what: String,
    pub detail: String,
    pub ip: String,
    pub device: String,
    pub at: Stamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionsView {
    pub active: Vec<SessionView>,
    pub ended: Vec<SessionView>,
    pub page: i64,
    pub has_older: bool,
    pub events: Vec<EventView>,
}

#[cfg(feature = "ssr")]
pub(crate) fn stamp(t: i64) -> Stamp {
    Stamp { iso: domain::time_fmt::iso(t), text: domain::time_fmt::display(t) }
}

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    username: String,
    password: Password,
    confirm_password: Password,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let form = domain::warden::SignUpForm {
        email,
        username,
        password: password.into(),
        confirm_password: confirm_password.into(),
    };
    c.warden.sign_up(form, &client_meta()).await.map_err(fail)?;
    leptos_axum::redirect("/signin?reason=signed_up");
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(login: String, password: Password, next: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let meta = client_meta();
    let previous = current_session().or_else(pending_sign_in);
    let session = c.warden.sign_in(&login, &password.into(), &meta, previous.as_ref()).await.map_err(fail)?;
    set_cookie(c.cookie.set(session.token.expose()));
    if session.second_factor_required {
        leptos_axum::redirect(&format!("/signin/2fa?next={}", crate::url::encode(safe_next(&next))));
    } else {
        leptos_axum::redirect(safe_next(&next));
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    if let Some(cur) = current_session().or_else(pending_sign_in) {
        c.warden.sign_out(&cur, &client_meta()).await.map_err(fail)?;
    }
    set_cookie(c.cookie.clear());
    leptos_axum::redirect("/signin?reason=signed_out");
    Ok(())
}

#[server(prefix = "/api", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    Ok(crate::ssr::current_session().map(|s| UserView { username: s.username }))
}

#[server(prefix = "/api", endpoint = "list_sessions")]
pub async fn list_sessions(page: i64) -> Result<SessionsView, AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    let list = c.warden.sessions(&cur, page).await.map_err(fail)?;
    let events = c.warden.recent_events(&cur, 20).await.map_err(fail)?;
    let view = |s: domain::warden::SessionRow| SessionView {
        this_device: s.current,
        browser: s.device.browser,
        os: s.device.os,
        device: s.device.device.label().into(),
        ip: s.ip,
        started: stamp(s.started_at),
        last_active: stamp(s.last_active_at),
        ended: s.ended_at.map(stamp),
        end_reason: s.end_reason.map(|r| r.label().to_string()),
        id: s.id,
    };
    Ok(SessionsView {
        active: list.active.into_iter().map(view).collect(),
        ended: list.ended.into_iter().map(view).collect(),
        page: list.page,
        has_older: list.has_older,
        events: events
            .into_iter()
            .map(|e| EventView {
                what: domain::events::EventKind::label_for(&e.kind).into(),
                detail: e.detail,
                ip: e.ip,
                device: format!("{} on {}", e.device.browser, e.device.os),
                at: stamp(e.at),
            })
            .collect(),
    })
}

#[server(prefix = "/api", endpoint = "end_session")]
pub async fn end_session(session_id: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    c.warden.end_session(&cur, &session_id, &client_meta()).await.map_err(fail)
}

#[server(prefix = "/api", endpoint = "end_all_sessions")]
pub async fn end_all_sessions() -> Result<(), AppError> {
    use crate::ssr::*;
    let c = ctx()?;
    let cur = require_session()?;
    c.warden.end_all_sessions(&cur, &client_meta()).await.map_err(fail)?;
    set_cookie(c.cookie.clear());
    leptos_axum::redirect("/signin?reason=logged_out_all");
    Ok(())
}
