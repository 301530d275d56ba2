//! `GET /email/verify/open?token=…`, the link in an email verification mail.
//! Like the reset link (`reset_link.rs`): it trades the token for a
//! short-lived cookie and redirects (303) to a page whose URL holds no token,
//! with `Referrer-Policy: no-referrer`. Opening the link spends nothing, so a
//! mail scanner that follows it confirms nothing: the person presses Confirm.

use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::accounts::VerifyToken;
use http::header::{HeaderValue, REFERRER_POLICY};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    token: String,
}

pub async fn open(State(state): State<AppState>, Query(link): Query<Link>) -> Response {
    let warden = &state.ctx.warden;
    let cookies = &state.ctx.cookies;
    let open = match VerifyToken::parse(&link.token) {
        Some(token) => warden.accounts().verify_link(&token).await,
        None => Ok(None),
    };
    let set = match open {
        Ok(Some(open)) => cookies.set_verify(&link.token, open.cookie_max_age(warden.now())),
        Ok(None) => cookies.clear_verify(),
        Err(e) => {
            tracing::error!(error = %e, "could not check an email verification link");
            cookies.clear_verify()
        }
    };
    let mut res = Redirect::to(app::gate::paths::VERIFY_EMAIL).into_response();
    let h = res.headers_mut();
    app::ssr::cookies::append(h, &set);
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
