//! `GET /password/reset/open?token=…`, the link in a password-reset mail.
//! It trades the token for a short-lived cookie and redirects to a page whose
//! URL holds no token, so the token never sits in history, logs of later
//! requests, or a `Referer` (this response says `no-referrer`). Opening the
//! link spends nothing: the token is spent only when the new password is set.

use crate::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::passwords::ResetToken;
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
    let open = match ResetToken::parse(&link.token) {
        Some(token) => warden.passwords().reset_link(&token).await,
        None => Ok(None),
    };
    let set = match open {
        Ok(Some(open)) => cookies.set_reset(&link.token, open.cookie_max_age(warden.now())),
        Ok(None) => cookies.clear_reset(),
        Err(e) => {
            tracing::error!(error = %e, "could not check a password-reset link");
            cookies.clear_reset()
        }
    };
    let mut res = Redirect::to(app::gate::paths::RESET_PASSWORD).into_response();
    let h = res.headers_mut();
    app::ssr::cookies::append(h, &set);
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
