//! The links Warden mails: `GET /password/reset/open?token=…` (a password
//! reset) and `GET /email/verify/open?token=…` (confirming an address). Both
//! trade the token for a short-lived `HttpOnly` cookie and redirect (303) to
//! a page whose URL holds no token, so the token never sits in history, logs
//! of later requests, or a `Referer` (this response says `no-referrer`).
//! Opening a link spends nothing, so a mail scanner that follows it does no
//! harm: the token is spent only when the person sets the new password or
//! presses Confirm.

use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::accounts::VerifyToken;
use domain::passwords::ResetToken;
use http::header::{HeaderValue, REFERRER_POLICY};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    token: String,
}

pub async fn open_reset(State(state): State<AppState>, Query(link): Query<Link>) -> Response {
    let (warden, cookies) = (&state.ctx.warden, &state.ctx.cookies);
    let max_age = match ResetToken::parse(&link.token) {
        Some(token) => warden.passwords().reset_link(&token).await.map(|open| open.map(|o| o.cookie_max_age(warden.now()))),
        None => Ok(None),
    };
    let cookie = settle(max_age, "a password-reset link").map_or_else(|| cookies.clear_reset(), |age| cookies.set_reset(&link.token, age));
    swap_for_cookie(&cookie, app::gate::paths::RESET_PASSWORD)
}

pub async fn open_verify(State(state): State<AppState>, Query(link): Query<Link>) -> Response {
    let (warden, cookies) = (&state.ctx.warden, &state.ctx.cookies);
    let max_age = match VerifyToken::parse(&link.token) {
        Some(token) => warden.accounts().verify_link(&token).await.map(|open| open.map(|o| o.cookie_max_age(warden.now()))),
        None => Ok(None),
    };
    let cookie = settle(max_age, "an email verification link").map_or_else(|| cookies.clear_verify(), |age| cookies.set_verify(&link.token, age));
    swap_for_cookie(&cookie, app::gate::paths::VERIFY_EMAIL)
}

/// How long the link's cookie may live, when the link is open; a lookup that
/// failed is logged and treated as a closed link.
fn settle(max_age: domain::Result<Option<i64>>, what: &str) -> Option<i64> {
    max_age.unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not check {what}");
        None
    })
}

fn swap_for_cookie(cookie: &str, to: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    let h = res.headers_mut();
    app::ssr::cookies::append(h, cookie);
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
