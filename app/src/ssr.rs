//! Server-side plumbing for server functions and pages: the shared service,
//! the request's client data and session (resolved once by the server's
//! middleware), cookies, and HTTP status for errors.

use crate::error::AppError;
use domain::cookie::SessionCookie;
use domain::session::{ClientMeta, CurrentSession};
use domain::Warden;
use http::header::{HeaderValue, ACCEPT, RETRY_AFTER, SET_COOKIE};
use http::request::Parts;
use http::StatusCode;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::sync::Arc;

/// What every server function can reach; provided per request by the server.
#[derive(Clone)]
pub struct Ctx {
    pub warden: Arc<Warden>,
    pub cookie: SessionCookie,
}

/// The CSP nonce the server chose for this response.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub fn provide_request_nonce() {
    if let Some(n) = use_context::<Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

pub fn ctx() -> Result<Ctx, AppError> {
    use_context::<Ctx>().ok_or_else(|| {
        tracing::error!("server context missing");
        AppError::Internal
    })
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

pub fn client_meta() -> ClientMeta {
    parts()
        .and_then(|p| p.extensions.get::<ClientMeta>().cloned())
        .unwrap_or(ClientMeta { ip: "unknown".into(), user_agent: String::new() })
}

pub fn current_session() -> Option<CurrentSession> {
    parts().and_then(|p| p.extensions.get::<CurrentSession>().cloned())
}

/// A sign-in that has passed the password but not the second factor. The
/// server's middleware keeps it apart from [`CurrentSession`], so it opens
/// nothing but the two-factor step.
#[derive(Clone, Debug)]
pub struct PendingSignIn(pub CurrentSession);

pub fn pending_sign_in() -> Option<CurrentSession> {
    parts().and_then(|p| p.extensions.get::<PendingSignIn>().map(|p| p.0.clone()))
}

/// The signed-in session, or `NotSignedIn` (with a 401 for API callers).
pub fn require_session() -> Result<CurrentSession, AppError> {
    current_session().ok_or_else(|| fail(AppError::NotSignedIn))
}

pub fn set_cookie(value: String) {
    if let (Some(res), Ok(v)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&value)) {
        res.append_header(SET_COOKIE, v);
    }
}

/// A cookie of this request, by name.
pub fn request_cookie(read: impl Fn(&str) -> Option<&str>) -> Option<String> {
    let parts = parts()?;
    parts.headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| read(v).map(str::to_owned))
}

/// A plain form post (JavaScript off) is answered with a redirect carrying
/// the error; a fetch from the hydrated page gets a status that says what
/// went wrong.
pub fn is_plain_form_post() -> bool {
    parts()
        .and_then(|p| p.headers.get(ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html")))
        .unwrap_or(false)
}

pub fn fail(e: impl Into<AppError>) -> AppError {
    let e = e.into();
    if !is_plain_form_post() {
        if let Some(res) = use_context::<ResponseOptions>() {
            let status = match &e {
                AppError::InvalidCredentials | AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
                AppError::Throttled(secs) => {
                    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                        res.insert_header(RETRY_AFTER, v);
                    }
                    StatusCode::TOO_MANY_REQUESTS
                }
                AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Request(_) => StatusCode::BAD_REQUEST,
                AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            res.set_status(status);
        }
    }
    e
}

/// Only local paths: `next` must never send a person to another site.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") && !next.contains(['\r', '\n']);
    if ok {
        next
    } else {
        "/account/security/sessions"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(super::safe_next("/account/security/sessions?page=2"), "/account/security/sessions?page=2");
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "", "javascript:alert(1)"] {
            assert_eq!(super::safe_next(bad), "/account/security/sessions", "{bad}");
        }
    }
}
