//! What every request passes through: who the client is, whether a
//! state-changing request comes from our own pages, which session it carries,
//! which pages need one, and the security headers on every response.

use crate::AppState;
use app::gate::{gate, paths, Gate};
use app::ssr::cookies;
use app::ssr::CspNonce;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::{Actor, ClientMeta, SessionToken};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};
use rand::RngCore;
use std::net::{IpAddr, SocketAddr};

/// The client's address: the socket peer, unless that peer is the configured
/// trusted proxy, in which case the address it appended to `X-Forwarded-For`.
pub fn client_ip(peer: IpAddr, trusted_proxy: Option<IpAddr>, xff: Option<&str>) -> IpAddr {
    if Some(peer) == trusted_proxy {
        if let Some(ip) = xff.and_then(|v| v.rsplit(',').next()).and_then(|s| s.trim().parse().ok()) {
            return ip;
        }
    }
    peer
}

pub async fn client(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let xff = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = client_ip(peer, state.config.trusted_proxy, xff);
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    req.extensions_mut().insert(ClientMeta { ip: ip.to_string(), user_agent });
    next.run(req).await
}

/// Refuses state-changing requests that a browser says come from another
/// site. `Sec-Fetch-Site` when the browser sends it, else `Origin` against
/// the `Host` it was sent to. Requests with neither come from non-browser
/// clients, which hold no victim's cookie.
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let allowed = match (site, origin) {
        (Some(s), _) => s == "same-origin" || s == "none",
        (None, Some(o)) => match (o.split_once("://"), host) {
            (Some((_, o_host)), Some(host)) => o_host == host,
            _ => false,
        },
        (None, None) => true,
    };
    if allowed {
        next.run(req).await
    } else {
        (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
    }
}

/// Resolves the session cookie into the request's [`Actor`], once, and
/// holds every page to its gate (`app::routes::gate`, the one table of who
/// may see what). A cookie that no longer names a valid session is cleared.
/// Static assets skip all of it: they cost no database query.
pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/pkg/") {
        return next.run(req).await;
    }
    let cookies = &state.ctx.cookies;
    let token = cookies::from_request(req.headers(), |h| cookies.read(h));
    let actor = match token.as_deref().and_then(SessionToken::parse) {
        Some(t) => match state.ctx.warden.sessions().authenticate(&t).await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response();
            }
        },
        None => None,
    };
    let stale = token.is_some() && actor.is_none();
    if req.method() == Method::GET {
        let pending = matches!(actor, Some(Actor::PendingSecondFactor { .. }));
        let signed_in = matches!(actor, Some(Actor::Session { .. }));
        let redirect = match gate(req.uri().path()) {
            Gate::Public => None,
            Gate::GuestOnly => signed_in.then(|| paths::SESSIONS.to_owned()),
            Gate::SecondStep if pending => None,
            Gate::SecondStep => Some(if signed_in { paths::SESSIONS } else { paths::SIGN_IN }.to_owned()),
            Gate::SignedIn if signed_in => None,
            Gate::SignedIn if pending => Some(paths::SECOND_STEP.to_owned()),
            Gate::SignedIn => {
                let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let reason = if stale { "&reason=session_ended" } else { "" };
                Some(format!("{}?next={}{reason}", paths::SIGN_IN, app::url::encode(next)))
            }
        };
        if let Some(to) = redirect {
            let mut res = Redirect::to(&to).into_response();
            if stale {
                cookies::append(res.headers_mut(), &cookies.clear());
            }
            return res;
        }
    }
    if let Some(a) = actor {
        req.extensions_mut().insert(a);
    }
    let mut res = next.run(req).await;
    if stale && !res.headers().contains_key(header::SET_COOKIE) {
        cookies::append(res.headers_mut(), &cookies.clear());
    }
    res
}

/// Server functions answer a malformed request (missing fields, wrong types)
/// with a generic 500 before our code runs; it is the client's mistake, so
/// say 400.
pub async fn malformed_is_bad_request(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR || !res.headers().contains_key("serverfnerror") {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    // The framework's own refusals use the error contract too: its code says the status.
    if let Ok(e) = serde_json::from_slice::<proto::ApiError>(&bytes) {
        parts.status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A fresh CSP nonce per response; the page shell puts it on its scripts.
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = STANDARD.encode(bytes);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let is_asset = req.uri().path().starts_with("/pkg/");
    let mut res: Response<Body> = next.run(req).await;
    let too_large = res.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let own_referrer_policy = res.headers().contains_key("referrer-policy");
    let h = res.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    );
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set("content-security-policy", &csp);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    // A handler may ask for less (the reset link says `no-referrer`).
    if !own_referrer_policy {
        set("referrer-policy", "same-origin");
    }
    set("cross-origin-opener-policy", "same-origin");
    set("permissions-policy", "camera=(), microphone=(), geolocation=()");
    if !is_asset {
        set("cache-control", "no-store");
    }
    // A refused oversized body was never read: say the connection ends here,
    // so no client sends its next request down a connection we are closing.
    if too_large {
        set("connection", "close");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_the_trusted_proxy() {
        let peer: IpAddr = "10.0.0.5".parse().expect("ip");
        let spoofed = Some("6.6.6.6");
        assert_eq!(client_ip(peer, None, spoofed), peer);
        assert_eq!(client_ip(peer, Some("10.0.0.9".parse().expect("ip")), spoofed), peer);
        // Behind the proxy, the address the proxy appended (the last one) counts,
        // not what the client put in front of it.
        assert_eq!(client_ip(peer, Some(peer), Some("6.6.6.6, 203.0.113.7")), "203.0.113.7".parse::<IpAddr>().expect("ip"));
    }
}
