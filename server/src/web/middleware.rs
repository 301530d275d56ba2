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
use proto::{ApiError, ErrorCode};
use rand::RngCore;
use std::net::{IpAddr, SocketAddr};

/// The client's address: the socket peer, unless that peer is the configured
/// trusted proxy, in which case the address it appended to `X-Forwarded-For`:
/// the last entry of the whole list. A proxy may extend the client's line or
/// add a line of its own, so every line counts, joined in order; an
/// unreadable last entry falls back to the peer, never to an earlier entry
/// (those are the client's to write). An entry may carry a port, as some
/// load balancers write it (`203.0.113.5:4711`, `[2001:db8::1]:4711`), and
/// an IPv4 peer seen through a dual-stack socket (`::ffff:10.0.0.5`) is that
/// IPv4 address, so it matches `WARDEN_TRUSTED_PROXY=10.0.0.5`.
pub fn client_ip<'a>(peer: IpAddr, trusted_proxy: Option<IpAddr>, xff: impl IntoIterator<Item = &'a str>) -> IpAddr {
    let peer = plain(peer);
    if Some(peer) == trusted_proxy.map(plain) {
        let last = xff.into_iter().flat_map(|line| line.split(',')).map(str::trim).filter(|e| !e.is_empty()).last();
        if let Some(ip) = last.and_then(forwarded_entry) {
            return plain(ip);
        }
    }
    peer
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn plain(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, with or without a port.
fn forwarded_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

pub async fn client(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    // A line that is not visible ASCII is unreadable, not skipped: skipping
    // it would make an earlier (client-written) entry the last one.
    let xff = req.headers().get_all("x-forwarded-for").iter().map(|v| v.to_str().unwrap_or("?"));
    let ip = client_ip(peer, state.config.trusted_proxy, xff);
    let user_agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    req.extensions_mut().insert(ClientMeta { ip: ip.to_string(), user_agent, session_name: None });
    next.run(req).await
}

/// Refuses state-changing requests unless the browser says they come from
/// our own pages: `Sec-Fetch-Site` when it is sent, else `Origin` against the
/// `Host` it was sent to. A request with neither is refused too: every
/// browser that matters sends one of them on a POST, and a legacy browser
/// that sends neither cannot tell us where the form was. Every refusal is
/// logged (target `security`).
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = h.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    match cross_site(site, origin, host) {
        None => next.run(req).await,
        Some(why) => {
            let ip = req.extensions().get::<ClientMeta>().map(|m| m.ip.as_str()).unwrap_or("unknown");
            tracing::warn!(
                target: "security",
                kind = "cross_site_refused",
                method = %req.method(),
                path = req.uri().path(),
                ip,
                sec_fetch_site = site.unwrap_or("-"),
                origin = origin.unwrap_or("-"),
                why,
                "state-changing request refused"
            );
            super::refusal(ApiError::new(ErrorCode::CrossSiteRefused, "Cross-site request refused: send it from Warden's own pages."))
        }
    }
}

/// Why a state-changing request is not from our own pages, or `None` when it is.
fn cross_site(site: Option<&str>, origin: Option<&str>, host: Option<&str>) -> Option<&'static str> {
    match (site, origin) {
        (Some("same-origin" | "none"), _) => None,
        (Some(_), _) => Some("sec-fetch-site says another site"),
        (None, Some(o)) => match (o.split_once("://"), host) {
            (Some((_, o_host)), Some(host)) if o_host == host => None,
            _ => Some("origin is another site"),
        },
        (None, None) => Some("neither sec-fetch-site nor origin"),
    }
}

/// Resolves the session cookie into the request's [`Actor`], once, and
/// holds every page to its gate (`app::gate::gate`, the one table of who
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
                return super::refusal(ApiError::internal());
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
            let mut res = local_redirect(&state, &to);
            if stale {
                cookies::append(res.headers_mut(), &cookies.clear());
            }
            return res;
        }
    }
    if let Some(a) = actor {
        // A named session's name goes with what it does (the mails say it).
        if let (Actor::Session { name: Some(name), .. }, Some(meta)) = (&a, req.extensions_mut().get_mut::<ClientMeta>()) {
            meta.session_name = Some(name.clone());
        }
        req.extensions_mut().insert(a);
    }
    let mut res = next.run(req).await;
    if stale && !res.headers().contains_key(header::SET_COOKIE) {
        cookies::append(res.headers_mut(), &cookies.clear());
    }
    res
}

/// A plain form post that fails is sent back to its page with the error in
/// the URL (`?__path=…&__err=…`, the framework's way), and the page shows
/// whatever that URL says. So that a link cannot put words in a form's
/// mouth, the redirect that carries an error also sets a short-lived cookie
/// with its digest, and a page is only rendered with an error this browser
/// was just sent; any other `__path`/`__err` is taken off the URL with a
/// redirect (before anything renders, so the hydrated page never sees it).
pub async fn own_form_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cookies = &state.ctx.cookies;
    if req.method() == Method::GET {
        if let Some((clean, carried)) = split_form_error(req.uri().path(), req.uri().query()) {
            let held = cookies::from_request(req.headers(), |h| cookies.read_form_error(h));
            let vouched = matches!((&carried, &held), (Some(c), Some(h)) if form_error_digest(c) == *h);
            let mut res = if vouched { next.run(req).await } else { local_redirect(&state, &clean) };
            if held.is_some() {
                cookies::append(res.headers_mut(), &cookies.clear_form_error());
            }
            return res;
        }
        return next.run(req).await;
    }
    let mut res = next.run(req).await;
    let carried = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).and_then(|loc| {
        let query = loc.split_once('?').map(|(_, q)| q.split('#').next().unwrap_or(q))?;
        split_form_error("", Some(query)).and_then(|(_, c)| c)
    });
    if let Some(c) = carried {
        cookies::append(res.headers_mut(), &cookies.set_form_error(&form_error_digest(&c)));
    }
    res
}

/// Every redirect of the cookie door's layers: to a path of this site only
/// (`app::ssr::safe_next`, the one rule for it), never to whatever a
/// request spelled. A request path such as `//evil.example/x` would
/// otherwise become a `Location` that browsers read as another host.
fn local_redirect(state: &AppState, to: &str) -> Response {
    Redirect::to(&app::ssr::safe_next(state.ctx.warden.public_url(), to)).into_response()
}

/// The page's URL without the framework's error fields, and those fields
/// (`__path`, `__err`) when both are there; `None` when neither is.
fn split_form_error(path: &str, query: Option<&str>) -> Option<(String, Option<(String, String)>)> {
    let query = query?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let is_error_field = |k: &str| k == "__path" || k == "__err";
    if !pairs.iter().any(|(k, _)| is_error_field(k)) {
        return None;
    }
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let carried = field("__path").zip(field("__err"));
    let rest: Vec<_> = pairs.iter().filter(|(k, _)| !is_error_field(k)).collect();
    let mut clean = path.to_owned();
    if !rest.is_empty() {
        clean.push('?');
        clean.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(rest).finish());
    }
    Some((clean, carried))
}

fn form_error_digest((path, err): &(String, String)) -> String {
    domain::support::random::token_hash(&format!("{path}\n{err}"))
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
/// When the public URL is `https://`, browsers are told to come back over
/// HTTPS only, for a year, subdomains included (ASVS 3.4.1).
pub async fn security_headers(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
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
    if state.ctx.warden.public_url().starts_with("https://") {
        set("strict-transport-security", "max-age=31536000; includeSubDomains");
    }
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

/// Says why a public URL is unsafe to mail links to, if it is: reset links
/// are bearer tokens and must not travel over plain HTTP, except to this
/// machine in development.
pub fn public_url_warning(public_url: &str) -> Option<String> {
    let url = url::Url::parse(public_url).ok()?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    (url.scheme() == "http" && !loopback)
        .then(|| format!("WARDEN_PUBLIC_URL is {public_url}: reset links and session cookies would travel unencrypted; use https:// in production"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_the_trusted_proxy() {
        let peer = ip("10.0.0.5");
        let spoofed = ["6.6.6.6"];
        assert_eq!(client_ip(peer, None, spoofed), peer);
        assert_eq!(client_ip(peer, Some(ip("10.0.0.9")), spoofed), peer);
        // Behind the proxy, the address the proxy appended (the last one) counts,
        // not what the client put in front of it.
        assert_eq!(client_ip(peer, Some(peer), ["6.6.6.6, 203.0.113.7"]), ip("203.0.113.7"));
    }

    #[test]
    fn forwarded_for_counts_every_header_line_not_only_the_first() {
        let peer = ip("10.0.0.5");
        // The client sent its own line; the proxy added the real address as a second line.
        assert_eq!(client_ip(peer, Some(peer), ["6.6.6.6", "203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(client_ip(peer, Some(peer), ["6.6.6.6, 7.7.7.7", "2001:db8::1"]), ip("2001:db8::1"));
        // An unreadable last entry is the peer's word against nothing: the peer counts.
        assert_eq!(client_ip(peer, Some(peer), ["6.6.6.6", "?"]), peer);
        assert_eq!(client_ip(peer, Some(peer), ["6.6.6.6", "unknown"]), peer);
    }

    #[test]
    fn a_forwarded_entry_with_a_port_and_a_proxy_seen_through_a_dual_stack_socket_still_count() {
        let proxy = ip("10.0.0.5");
        assert_eq!(client_ip(proxy, Some(proxy), ["203.0.113.7:4711"]), ip("203.0.113.7"));
        assert_eq!(client_ip(proxy, Some(proxy), ["[2001:db8::1]:4711"]), ip("2001:db8::1"));
        assert_eq!(client_ip(ip("::ffff:10.0.0.5"), Some(proxy), ["203.0.113.7"]), ip("203.0.113.7"));
        assert_eq!(client_ip(ip("::ffff:10.0.0.5"), Some(ip("::ffff:10.0.0.5")), ["::ffff:203.0.113.7"]), ip("203.0.113.7"));
        // Not the proxy: the mapped peer is just the client, as IPv4.
        assert_eq!(client_ip(ip("::ffff:198.51.100.2"), Some(proxy), ["203.0.113.7"]), ip("198.51.100.2"));
    }

    #[test]
    fn a_request_with_neither_fetch_metadata_nor_origin_is_cross_site() {
        assert_eq!(cross_site(Some("same-origin"), None, None), None);
        assert_eq!(cross_site(None, Some("https://warden.example"), Some("warden.example")), None);
        assert!(cross_site(Some("cross-site"), Some("https://warden.example"), Some("warden.example")).is_some());
        assert!(cross_site(None, Some("https://evil.example"), Some("warden.example")).is_some());
        assert!(cross_site(None, None, Some("warden.example")).is_some());
    }

    /// Collects what a tracing subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_cross_site_refusal_is_logged_for_security() {
        use tower::ServiceExt;
        let out = Captured::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || sink.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = axum::Router::new()
            .route("/_fn/end_all_sessions", axum::routing::post(|| async { "done" }))
            .layer(axum::middleware::from_fn(same_origin_only));
        for origin in [Some("https://evil.example"), None] {
            let mut req = http::Request::post("/_fn/end_all_sessions").header(header::HOST, "warden.example");
            if let Some(o) = origin {
                req = req.header(header::ORIGIN, o);
            }
            let res = app.clone().oneshot(req.body(Body::empty()).expect("request")).await.expect("response");
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            // In the error contract, as every other refusal.
            let body = axum::body::to_bytes(res.into_body(), 4096).await.expect("body");
            let e: ApiError = serde_json::from_slice(&body).expect("the error contract");
            assert_eq!(e.code, ErrorCode::CrossSiteRefused);
        }
        let log = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("security") && l.contains("cross_site_refused")).collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(lines[0].contains("/_fn/end_all_sessions") && lines[0].contains("evil.example"), "{log}");
        assert!(lines[1].contains("neither sec-fetch-site nor origin"), "{log}");
    }

    #[test]
    fn form_error_fields_come_off_the_url_and_the_rest_stays() {
        let (clean, carried) = split_form_error("/signin", Some("next=%2Faccount&__path=%2F_fn%2Fsign_in&__err=abc")).expect("has fields");
        assert_eq!(clean, "/signin?next=%2Faccount");
        assert_eq!(carried, Some(("/_fn/sign_in".to_owned(), "abc".to_owned())));
        assert_eq!(split_form_error("/signin", Some("__err=abc")).expect("has fields"), ("/signin".to_owned(), None));
        assert_eq!(split_form_error("/signin", Some("next=%2F")), None);
        assert_eq!(split_form_error("/signin", None), None);
    }

    #[test]
    fn plain_http_public_urls_are_flagged_unless_loopback() {
        assert!(public_url_warning("http://warden.example").is_some());
        assert!(public_url_warning("http://10.1.2.3:3000").is_some());
        assert_eq!(public_url_warning("https://warden.example"), None);
        assert_eq!(public_url_warning("http://127.0.0.1:3000"), None);
        assert_eq!(public_url_warning("http://localhost:3000"), None);
        assert_eq!(public_url_warning("http://[::1]:3000"), None);
    }
}
