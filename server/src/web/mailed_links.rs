//! The links Warden mails: `GET /password/reset/open?token=…` (a password
//! reset), `GET /email/verify/open?token=…` (confirming an address) and
//! `GET /wasnt-me/open?token=…` ("This wasn't me" in a new-sign-in alert).
//! Each trades the token for a short-lived `HttpOnly` cookie and redirects
//! (303) to a page whose URL holds no token, so the token never sits in
//! history, logs of later requests, or a `Referer` (this response says
//! `no-referrer`). Opening the first two spends nothing, so a mail scanner
//! that follows them does no harm: the token is spent only when the person
//! sets the new password or presses Confirm. "This wasn't me" acts when it
//! is opened (the owner asked for speed), and does only what cannot hurt
//! the owner: it ends the one session the alert is about.

use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use domain::accounts::VerifyToken;
use domain::alerts::NotMeToken;
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

pub async fn open_not_me(State(state): State<AppState>, meta: Option<Extension<domain::ClientMeta>>, Query(link): Query<Link>) -> Response {
    let (warden, cookies) = (&state.ctx.warden, &state.ctx.cookies);
    let meta =
        meta.map(|Extension(m)| m).unwrap_or_else(|| domain::ClientMeta { ip: "unknown".into(), user_agent: String::new(), session_name: None });
    let followed = match NotMeToken::parse(&link.token) {
        Some(token) => match warden.alerts().follow(&token, &meta).await {
            Ok(page) => Ok(Some(page)),
            Err(e) if e.code() == domain::ErrorCode::AlertLinkInvalid => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    };
    let again = matches!(&followed, Ok(Some(p)) if !p.acted_now);
    let max_age = followed.map(|f| f.map(|p| p.expires_at - warden.now()));
    let cookie = settle(max_age, "a \"This wasn't me\" link").map_or_else(|| cookies.clear_not_me(), |age| cookies.set_not_me(&link.token, age));
    // A second click acts no more, and the page says it was done before.
    let to = if again { format!("{}?again=1", app::gate::paths::NOT_ME) } else { app::gate::paths::NOT_ME.to_owned() };
    swap_for_cookie(&cookie, &to)
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
