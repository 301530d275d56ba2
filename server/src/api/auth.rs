//! Who a REST request speaks for, and whether it may be served now.
//!
//! - **Bearer only** (RFC 6750): `Authorization: Bearer wdn_…`, looked up on
//!   every request by `warden.api_tokens().authenticate` (so a deleted
//!   token is refused on the next request, on every instance). Cookies are
//!   never read here. No header: 401 with `WWW-Authenticate: Bearer
//!   realm="warden"`; anything else wrong (malformed, bad checksum, unknown,
//!   expired, deleted): 401 with `error="invalid_token"`.
//! - **Guessing**: every refused token spends a unit of the client's
//!   budget (`LimitKind::ApiTokenIp`, its address and its /48 or /24;
//!   growing delays) before it is answered, and a token that opens spends
//!   nothing, so a burst of wrong tokens gets the free refusals and no
//!   more. An address this instance has seen waiting is refused before any
//!   lookup; one that began waiting on another instance is refused by the
//!   step that takes the rate (one Redis script for both), so the answer
//!   to a throttled address is 429 for every token, the right one too, on
//!   every instance. It fails open: a token cannot be guessed, and the API
//!   must not go down with the limiter's store (`ApiTokens::admit`).
//! - **Networks**: a token limited to networks (API Access Tokens tab) and
//!   presented from any other address is refused with 403 and the problem
//!   type `network-not-allowed`, recorded as a security event; its unit of
//!   the guessing budget is not given back. Every authenticated request
//!   records the network it came from (`domain::api_tokens::networks`).
//! - **Rate**: `quota` requests a minute per account, all its tokens
//!   together (GCRA through the limiter port, `LimitKind::Api`, failing
//!   open). While the server is busy — more than `busy_in_flight`
//!   authenticated API requests being served at once, counted by [`Load`]
//!   once their body has arrived, so a client that trickles a body holds
//!   nobody's quota down — the quota is `busy_quota`, and the headers say
//!   so; it comes back by itself when the load falls. Every authenticated
//!   answer carries `RateLimit-Policy`, `RateLimit`
//!   (draft-ietf-httpapi-ratelimit-headers) and
//!   `X-RateLimit-Limit/Remaining/Reset`; over it: 429 with `Retry-After`
//!   and the draft's problem type `quota-exceeded`, or, when it is the
//!   reduced quota of a busy server that refused it, 503 with
//!   `temporary-reduced-capacity`; both name the violated policy.

use super::problem::Problem;
use super::ApiState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::api_tokens::{ApiTokenId, Bearer};
use domain::limits::RateDecision;
use domain::{Actor, ClientMeta, ErrorCode};
use http::header::{self, HeaderMap, HeaderValue};
use std::sync::atomic::{AtomicUsize, Ordering};

/// API requests being served right now: the load the quota follows.
#[derive(Debug, Default)]
pub struct Load {
    in_flight: AtomicUsize,
}

/// One request counted while it lives.
pub struct InFlight<'a>(&'a Load);

impl Load {
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self)
    }
    /// Requests in flight, this one included.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What an authenticated request learned about its account's quota.
#[derive(Clone, Copy, Debug)]
pub struct Quota {
    pub limit: u32,
    pub decision: RateDecision,
}

impl Quota {
    fn write(&self, h: &mut HeaderMap) {
        let d = self.decision;
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        };
        set("ratelimit-policy", format!("\"account\";q={};w=60", self.limit));
        set("ratelimit", format!("\"account\";r={};t={}", d.remaining, d.reset_secs));
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", d.remaining.to_string());
        set("x-ratelimit-reset", d.reset_secs.to_string());
    }
}

fn unauthenticated(detail: &str, challenge: &str) -> Response {
    Problem::new(ErrorCode::InvalidToken, detail).with_header(header::WWW_AUTHENTICATE, challenge).into_response()
}

const INVALID_TOKEN: &str = r#"Bearer realm="warden", error="invalid_token""#;

/// The token a request presents: `Some(Ok(raw))`, `Some(Err(()))` for an
/// `Authorization` header that is not a bearer token, `None` for none.
pub(crate) fn presented(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = value.to_str().map_err(|_| ());
    Some(text.and_then(|t| {
        let (scheme, token) = t.trim().split_once(' ').ok_or(())?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token).ok_or(())
    }))
}

/// The place every authenticated API request passes, once, knowing its
/// token and whether the rate limit refused it: the per-token usage
/// counter of the API Tokens tab (in memory; flushed every minute).
fn on_authenticated_request(state: &ApiState, token: ApiTokenId, limited: bool) {
    state.warden.api_tokens().record(token, limited);
}

/// Resolves the bearer token into the request's [`Actor`], applies the
/// per-IP guessing budget and the per-account rate, and puts the rate
/// headers on the answer.
pub async fn bearer(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let meta =
        req.extensions().get::<ClientMeta>().cloned().unwrap_or(ClientMeta { ip: "unknown".into(), user_agent: String::new(), session_name: None });
    let raw = match presented(req.headers()) {
        None => {
            return unauthenticated(
                "This request needs an API token: send it as Authorization: Bearer wdn_… (create one on the API Access Tokens tab).",
                r#"Bearer realm="warden""#,
            )
        }
        Some(Err(())) => None,
        Some(Ok(raw)) => Some(raw.to_owned()),
    };
    let warden = &state.warden;
    // `GET /account` reads the token's account with the token, in the same
    // statement: one database round trip for the whole request. Refusals
    // spend the address's budget (see `ApiTokens::admit`).
    let read_account = req.method() == axum::http::Method::GET && matches!(req.uri().path(), "/account" | "/api/v1/account");
    let admitted = warden.api_tokens().admit(raw.as_deref(), &meta, read_account, state.limits.refused_tokens).await;
    let (bearer, overview): (Bearer, Option<domain::overview::Overview>) = match admitted {
        Ok(b) => b,
        Err(e) if e.code() == ErrorCode::InvalidToken => {
            tracing::info!(target: "security", code = "invalid_token", ip = %meta.ip, path = req.uri().path(), "api token refused");
            return unauthenticated(&e.to_string(), INVALID_TOKEN);
        }
        Err(e) if e.code() == ErrorCode::NetworkNotAllowed => {
            tracing::info!(target: "security", code = "network_not_allowed", ip = %meta.ip, path = req.uri().path(), "api token refused");
            return Problem::from(e).into_response();
        }
        Err(e) => return Problem::from(e).into_response(),
    };

    // The body arrives (bounded by the body limit and the read timeout)
    // before the request counts as load.
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => return super::json::unreadable_body(&e).into_response(),
    };
    let mut req = Request::from_parts(parts, Body::from(bytes));
    let _in_flight = state.load.enter();
    let (limit, busy) = state.limits.quota_at(state.load.in_flight());
    let decision = match warden.api_tokens().take_quota(bearer.account, limit, &meta, state.limits.refused_tokens).await {
        Ok(d) => d,
        Err(e) => return Problem::from(e).into_response(),
    };
    let quota = Quota { limit, decision };
    on_authenticated_request(&state, bearer.token, !decision.allowed);
    let mut res = if decision.allowed {
        req.extensions_mut().insert(Actor::ApiToken(bearer));
        if let Some(o) = overview {
            req.extensions_mut().insert(o);
        }
        next.run(req).await
    } else {
        let wait = decision.retry_after_secs;
        let detail = match busy {
            false => format!("This account made more than {limit} API requests in a minute. Try again in {wait} seconds."),
            true => format!(
                "The server is busy: until it is not, this account may make {limit} API requests a minute instead of {}, and it made them. \
                 Try again in {wait} seconds.",
                state.limits.quota
            ),
        };
        Problem::over_quota(busy, "account", detail, wait).into_response()
    };
    quota.write(res.headers_mut());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).expect("header"));
        h
    }

    #[test]
    fn only_a_bearer_scheme_presents_a_token() {
        assert_eq!(presented(&HeaderMap::new()), None);
        assert_eq!(presented(&headers("Bearer wdn_abc")), Some(Ok("wdn_abc")));
        assert_eq!(presented(&headers("bearer   wdn_abc ")), Some(Ok("wdn_abc")));
        assert_eq!(presented(&headers("Basic dXNlcjpwdw==")), Some(Err(())));
        assert_eq!(presented(&headers("Bearer")), Some(Err(())));
        assert_eq!(presented(&headers("wdn_abc")), Some(Err(())));
    }

    #[test]
    fn the_load_counts_requests_while_they_live() {
        let load = Load::default();
        let a = load.enter();
        let b = load.enter();
        assert_eq!(load.in_flight(), 2);
        drop(a);
        assert_eq!(load.in_flight(), 1);
        drop(b);
        assert_eq!(load.in_flight(), 0);
    }
}
