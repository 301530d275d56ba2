//! Server-side plumbing for server functions and pages: the shared service,
//! the request's client data and actor (resolved once by the server's
//! session layer), and [`serve`], the one helper every server function runs
//! through (gate, actor, error contract).

pub mod cookies;
pub mod views;

use crate::gate::Gate;
use cookies::Cookies;
use domain::{Actor, ClientMeta, Warden};
use http::header::{HeaderValue, ACCEPT, RETRY_AFTER, SET_COOKIE};
use http::request::Parts;
use http::StatusCode;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use proto::ApiError;
use std::future::Future;
use std::sync::Arc;

/// What every server function can reach; provided per request by the server.
#[derive(Clone)]
pub struct Ctx {
    pub warden: Arc<Warden>,
    pub cookies: Cookies,
    pub api_quota: ApiQuota,
}

/// The REST API's per-account rate limit, as the server is configured and
/// loaded right now (the REST door admits by the same rule).
#[derive(Clone)]
pub struct ApiQuota {
    /// Requests a minute per account while the server is not busy.
    pub normal: u32,
    /// The quota the next API request would get, and whether it is the
    /// busy one.
    pub now: Arc<dyn Fn() -> (u32, bool) + Send + Sync>,
}

/// The CSP nonce the server chose for this response.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

pub fn provide_request_nonce() {
    if let Some(n) = use_context::<Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned()) {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// One server-function call: the service, the caller and where they are.
pub struct Call {
    pub warden: Arc<Warden>,
    pub cookies: Cookies,
    pub api_quota: ApiQuota,
    pub meta: ClientMeta,
    actor: Option<Actor>,
}

impl Call {
    /// The caller, as the gate let it in.
    pub fn actor(&self) -> domain::Result<&Actor> {
        self.actor.as_ref().ok_or_else(domain::Error::not_signed_in)
    }
    /// The caller, when there is one (for functions open to guests too).
    pub fn actor_if_any(&self) -> Option<&Actor> {
        self.actor.as_ref()
    }
    /// The clock this caller's times are shown on: the account's zone (UTC
    /// for a guest), from now.
    pub fn times(&self) -> views::Times {
        views::Times::new(self.actor.as_ref().map_or_else(domain::support::zone::Zone::utc, Actor::zone), self.warden.now())
    }
    /// The clock of `account`'s times, for a page a guest opens from that
    /// account's mail (a reset or verification link).
    pub async fn times_of(&self, account: domain::AccountId) -> domain::Result<views::Times> {
        Ok(views::Times::new(self.warden.accounts().time_zone(account).await?, self.warden.now()))
    }
    /// [`safe_next`] against this deployment's public origin.
    pub fn safe_next(&self, next: &str) -> String {
        safe_next(self.warden.public_url(), next)
    }
}

/// The step-up for `op` (the table in `domain::sensitive`): this session's
/// window, or the proof the form carried (the password, for a new API
/// token the username too, and a second factor when the account has one).
pub async fn confirm(
    c: &Call,
    op: domain::sensitive::Operation,
    password: Option<proto::Password>,
    username: Option<&str>,
    second_factor: Option<&str>,
) -> domain::Result<domain::sensitive::Confirmed> {
    let password: Option<domain::Secret> = password.map(Into::into);
    let proof = domain::step_up::Proof { password: password.as_ref(), username, second_factor };
    c.warden.step_up().require(c.actor()?, op, &proof, &c.meta).await
}

/// Adds a header to the response (after the body's own).
pub fn set_header(name: &'static str, value: &'static str) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.insert_header(http::HeaderName::from_static(name), HeaderValue::from_static(value));
    }
}

/// Whether this request is a navigation from this site (or typed, or a
/// bookmark): what may spend one-time state shown on a page. A link from
/// another site (`Sec-Fetch-Site: cross-site`) must not burn it. A browser
/// that sends no fetch metadata is believed.
pub fn own_navigation() -> bool {
    match parts().and_then(|p| p.headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).map(str::to_owned)) {
        None => true,
        Some(site) => site == "same-origin" || site == "none",
    }
}

/// Runs a server function's body behind `gate`: the request's actor must
/// fit it, and a refusal becomes the wire error with its status (and
/// `Retry-After`). Every server function that reads or changes anything goes
/// through here, so none can forget the gate or the mapping (`current_user`
/// only reads the actor the session layer already resolved).
pub async fn serve<T, F, Fut>(gate: Gate, body: F) -> Result<T, ApiError>
where
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = domain::Result<T>>,
{
    let Some(ctx) = use_context::<Ctx>() else {
        tracing::error!("server context missing");
        return Err(fail(ApiError::internal()));
    };
    let p = parts();
    let actor = p.as_ref().and_then(|p| p.extensions.get::<Actor>().cloned());
    let meta = p.as_ref().and_then(|p| p.extensions.get::<ClientMeta>().cloned()).unwrap_or(ClientMeta {
        ip: "unknown".into(),
        user_agent: String::new(),
        session_name: None,
    });
    let admitted = match gate {
        Gate::Public | Gate::GuestOnly => true,
        Gate::SignedIn => matches!(actor, Some(Actor::Session { .. })),
        Gate::SecondStep => matches!(actor, Some(Actor::PendingSecondFactor { .. })),
    };
    let (ip, account) = (meta.ip.clone(), actor.as_ref().and_then(|a| a.any_browser_session()).map(|(a, _)| a));
    let refused = |e: ApiError| {
        log_refusal(&e, &ip, account, p.as_ref().map_or("", |p| p.uri.path()));
        fail(e)
    };
    if !admitted {
        return Err(refused(ApiError::not_signed_in()));
    }
    body(Call { warden: ctx.warden, cookies: ctx.cookies, api_quota: ctx.api_quota, meta, actor }).await.map_err(|e| refused(ApiError::from(e)))
}

/// Authorization refusals go to the application log, target `security`
/// (ASVS 16.3.2): who (account id, client IP), where, and which code. A
/// missing session is routine (an expired tab), so it is `info`; asking for
/// something that is not yours, or that does not exist, is a `warn`.
fn log_refusal(e: &ApiError, ip: &str, account: Option<domain::AccountId>, path: &str) {
    use proto::ErrorCode;
    let (code, account) = (e.code.as_str(), account.map(domain::AccountId::get));
    match e.code {
        ErrorCode::NotSignedIn => tracing::info!(target: "security", code, account, ip, path, "request refused"),
        ErrorCode::NotFound | ErrorCode::Forbidden | ErrorCode::CrossSiteRefused => {
            tracing::warn!(target: "security", code, account, ip, path, "request refused")
        }
        _ => {}
    }
}

/// The signed-in username, for the header; `None` for guests.
pub fn signed_in_username() -> Option<String> {
    parts().and_then(|p| p.extensions.get::<Actor>().and_then(|a| a.username().map(str::to_owned)))
}

/// A cookie of this request, by its reader (`|h| cookies.read_reset(h)`).
pub fn request_cookie(read: impl Fn(&str) -> Option<&str>) -> Option<String> {
    cookies::from_request(&parts()?.headers, read)
}

pub fn set_cookie(value: String) {
    if let (Some(res), Ok(v)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&value)) {
        res.append_header(SET_COOKIE, v);
    }
}

/// A plain form post (JavaScript off) is answered with a redirect carrying
/// the error; a fetch from the hydrated page gets a status that says what
/// went wrong.
pub fn is_plain_form_post() -> bool {
    parts().and_then(|p| p.headers.get(ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))).unwrap_or(false)
}

/// Sets the response status for `e` (the error contract's one mapping).
fn fail(e: ApiError) -> ApiError {
    if !is_plain_form_post() {
        if let Some(res) = use_context::<ResponseOptions>() {
            if let Some(secs) = e.retry_after {
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    res.insert_header(RETRY_AFTER, v);
                }
            }
            res.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
    }
    e
}

/// Where to go after signing in: `next` when it is a path on this site,
/// else Login Security. `next` is resolved against the configured public
/// origin and only a same-origin path (with its query) comes back,
/// re-serialised; control characters, whitespace and backslashes anywhere,
/// typed or percent-encoded, refuse it outright: browsers strip or
/// reinterpret them (`/\t/evil.example` becomes `//evil.example`), and a
/// control character would not even fit in a `Location` header.
pub fn safe_next(public_url: &str, next: &str) -> String {
    local_path(public_url, next).unwrap_or_else(|| crate::gate::paths::SESSIONS.to_owned())
}

fn local_path(public_url: &str, next: &str) -> Option<String> {
    let suspicious = |s: &str| s.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let decoded = url::form_urlencoded::parse(format!("x={}", next.replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.into_owned())?;
    if next.len() > 2048 || suspicious(next) || suspicious(&decoded) {
        return None;
    }
    if !next.starts_with('/') || next.starts_with("//") || decoded.starts_with("//") {
        return None;
    }
    let base = url::Url::parse(public_url).ok()?;
    let joined = base.join(next).ok()?;
    if joined.origin() != base.origin() || !joined.username().is_empty() || joined.password().is_some() {
        return None;
    }
    let mut out = joined.path().to_owned();
    if out.starts_with("//") {
        return None;
    }
    if let Some(q) = joined.query() {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    const SITE: &str = "https://warden.example";
    const HOME: &str = "/account/security/sessions";

    #[test]
    fn next_keeps_paths_of_this_site() {
        assert_eq!(super::safe_next(SITE, "/account/security/sessions?page=2"), "/account/security/sessions?page=2");
        assert_eq!(super::safe_next(SITE, "/account/security/2fa"), "/account/security/2fa");
        // Re-serialised: dot segments are resolved, not passed on.
        assert_eq!(super::safe_next(SITE, "/account/../account/security/password"), "/account/security/password");
    }

    #[test]
    fn next_never_leaves_the_site() {
        for bad in [
            "https://evil.example",
            "https:evil.example",
            "https:/evil.example",
            "//evil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/\u{b}/evil.example",
            "/%0B/evil.example",
            "/ /evil.example",
            "/\u{1}x",
            "/\r\nSet-Cookie: a=b",
            "/%2F/evil.example",
            "/\u{a0}/evil.example",
            "",
            "javascript:alert(1)",
            "evil.example",
        ] {
            assert_eq!(super::safe_next(SITE, bad), HOME, "{bad:?}");
        }
    }
}
