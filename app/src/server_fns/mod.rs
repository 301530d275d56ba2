//! Server functions: the pages' door into `domain`, at `/_fn/<name>`. Each
//! body is one [`serve`](crate::ssr::serve) call: gate, actor, one domain
//! operation, and the error contract.

pub mod alerts;
pub mod api_tokens;
pub mod email;
pub mod password;
pub mod protection;
pub mod reports;
pub mod security_keys;
pub mod two_factor;
pub mod webhooks;

use leptos::prelude::*;
pub use proto::views::{SessionView, SessionsView, StepUpView, UserView};
use proto::{ApiError, Password};

#[server(prefix = "/_fn", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    username: String,
    password: Password,
    confirm_password: Password,
    // The browser's IANA zone, filled in by the page once JavaScript runs.
    time_zone: Option<String>,
) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let form = domain::accounts::SignUpForm { email, username, password: password.into(), confirm_password: confirm_password.into(), time_zone };
        c.warden.accounts().sign_up(form, &c.meta).await?;
        leptos_axum::redirect("/signin?reason=signed_up");
        Ok(())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "sign_in")]
pub async fn sign_in(login: String, password: Password, next: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        let password: domain::Secret = password.into();
        let device = device_cookie(&c);
        let signed_in = c.warden.sign_in().sign_in(&login, &password, &c.meta, c.actor_if_any(), &device).await?;
        set_cookie(c.cookies.set(signed_in.session.token.expose()));
        set_device_cookie(&c, signed_in.device_cookie.as_ref());
        if signed_in.session.second_factor_required {
            leptos_axum::redirect(&format!("/signin/2fa?next={}", crate::url::encode(&c.safe_next(&next))));
        } else {
            leptos_axum::redirect(&c.safe_next(&next));
        }
        Ok(())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::Public, |c| async move {
        if let Some(actor) = c.actor_if_any() {
            c.warden.sessions().sign_out(actor, &c.meta).await?;
        }
        set_cookie(c.cookies.clear());
        // ASVS 14.3.1: nothing of the session stays in the browser.
        set_header("clear-site-data", "\"cache\", \"storage\"");
        leptos_axum::redirect("/signin?reason=signed_out");
        Ok(())
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, ApiError> {
    Ok(crate::ssr::signed_in_username().map(|username| UserView { username }))
}

/// The device cookie this browser brought, if any.
#[cfg(feature = "ssr")]
pub(crate) fn device_cookie(c: &crate::ssr::Call) -> domain::sign_in::DeviceCookie {
    domain::sign_in::DeviceCookie::parse(crate::ssr::request_cookie(|h| c.cookies.read_device(h)).as_deref())
}

/// Hands a completed sign-in (second step, key, passkey) to the browser:
/// its session cookie, the device cookie, then on to `next` if it is ours.
#[cfg(feature = "ssr")]
pub(crate) fn finish_sign_in(c: &crate::ssr::Call, signed_in: &domain::sign_in::SignedIn, next: &str) {
    crate::ssr::set_cookie(c.cookies.set(signed_in.session.token.expose()));
    set_device_cookie(c, signed_in.device_cookie.as_ref());
    leptos_axum::redirect(&c.safe_next(next));
}

/// Sets the device cookie a completed sign-in returned.
#[cfg(feature = "ssr")]
pub(crate) fn set_device_cookie(c: &crate::ssr::Call, device: Option<&domain::sign_in::DeviceCookie>) {
    if let Some(d) = device.filter(|d| !d.is_empty()) {
        crate::ssr::set_cookie(c.cookies.set_device(&d.value(), c.warden.config().sign_in.device_max_age_secs));
    }
}

/// Login Security: sessions (`page` of the ended ones) and security
/// activity (`activity`, its page; 0 when left out).
#[server(prefix = "/_fn", endpoint = "list_sessions")]
pub async fn list_sessions(page: i64, activity: Option<i64>) -> Result<SessionsView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let actor = c.actor()?;
        let list = c.warden.sessions().list(actor, page).await?;
        let events = c.warden.events().page(actor, activity.unwrap_or(0)).await?;
        let alerts = c.warden.alerts();
        let invite = c.warden.security_keys().invite_to_passkey(actor).await?;
        Ok(views::sessions(list, events, alerts.enabled(actor).await?, alerts.mail_log(actor).await?, invite, &c.times()))
    })
    .await
}

/// Ends another session of this account, after the step-up (the password:
/// ASVS 7.5.2 asks for one factor), or within this session's window.
#[server(prefix = "/_fn", endpoint = "end_session")]
pub async fn end_session(session_id: String, password: Option<Password>) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::EndSession, password, None, None).await?;
        c.warden.sessions().end_other(c.actor()?, Some(&confirmed), &domain::SessionId::new(session_id), &c.meta).await
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "end_all_sessions")]
pub async fn end_all_sessions(
    // An HTML checkbox: sent (as "on") only when ticked.
    also_delete_api_tokens: Option<String>,
    password: Option<Password>,
) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::EndAllSessions, password, None, None).await?;
        c.warden.sessions().end_all(c.actor()?, &confirmed, also_delete_api_tokens.is_some(), &c.meta).await?;
        set_cookie(c.cookies.clear());
        set_header("clear-site-data", "\"cache\", \"storage\"");
        leptos_axum::redirect("/signin?reason=logged_out_all");
        Ok(())
    })
    .await
}

/// Whether this session confirmed it is its owner in the last minutes, and
/// what a confirmation takes on this account.
#[server(prefix = "/_fn", endpoint = "step_up_status")]
pub async fn step_up_status() -> Result<StepUpView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { Ok(views::step_up(&c.warden.step_up().status(c.actor()?).await?, &c.times())) }).await
}

/// "Confirm it's you": the password, and a second factor when the account
/// has one; opens this session's window for the changes that ask for it.
#[server(prefix = "/_fn", endpoint = "confirm_identity")]
pub async fn confirm_identity(password: Password, code: Option<String>) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let password: domain::Secret = password.into();
        let proof = domain::step_up::Proof { password: Some(&password), username: None, second_factor: code.as_deref() };
        c.warden.step_up().confirm(c.actor()?, &proof, &c.meta).await?;
        Ok(())
    })
    .await
}
