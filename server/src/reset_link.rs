//! `GET /password/reset/open?token=…`, the link in a password-reset mail.
//! It trades the token for a short-lived cookie and redirects to a page whose
//! URL holds no token, so the token never sits in history, logs of later
//! requests, or a `Referer` (this response says `no-referrer`). Opening the
//! link spends nothing: the token is spent only when the new password is set.

use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::header::{HeaderValue, REFERRER_POLICY, SET_COOKIE};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    token: String,
}

pub async fn open(State(state): State<AppState>, Query(link): Query<Link>) -> Response {
    let warden = &state.ctx.warden;
    let cookie = &state.ctx.cookie;
    let set = match warden.reset_link(&link.token).await {
        Ok(Some(open)) => cookie.set_reset(&link.token, open.cookie_max_age(warden.now())),
        Ok(None) => cookie.clear_reset(),
        Err(e) => {
            tracing::error!(error = %e, "could not check a password-reset link");
            cookie.clear_reset()
        }
    };
    let mut res = Redirect::to("/password/reset").into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&set) {
        h.append(SET_COOKIE, v);
    }
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
