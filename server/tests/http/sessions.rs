//! Warden over HTTP, as a browser or an attacker sees it. Every scenario runs
//! on SQLite and, when `WARDEN_TEST_POSTGRES_URL` is set, on PostgreSQL.

use crate::common::*;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";

on_both_backends!(
    signing_in_sets_a_host_only_secure_cookie_and_lists_this_device,
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    account_pages_and_functions_need_a_session,
    ending_another_session_signs_that_browser_out_on_its_next_request,
    logging_out_of_all_devices_ends_every_session_at_the_same_moment,
    another_accounts_session_cannot_be_ended_by_guessing_its_id,
    cross_site_posts_are_refused_and_change_nothing,
    repeated_failures_slow_down_sign_in_for_that_account_only,
    idle_sessions_expire_and_show_as_expired,
    last_active_is_written_at_most_once_a_minute,
    every_sign_in_starts_a_new_session,
    ended_sessions_are_listed_fifty_at_a_time,
    sign_up_rejects_bad_input_and_taken_names,
    forms_work_without_javascript,
    viewing_login_security_writes_nothing_yet_shows_a_lapsed_session_as_expired,
    ending_all_sessions_leaves_a_lapsed_one_expired,
    sessions_from_before_device_labels_were_stored_show_the_same_device,
);

fn now(app: &TestApp) -> i64 {
    domain::support::clock::Clock::now(&app.clock)
}

/// The id of `owner`'s other active session (not this device).
async fn other_session_id(owner: &Browser) -> String {
    let s = owner.sessions(0).await;
    let other = s["active"].as_array().expect("active").iter().find(|e| e["this_device"] == false).cloned().expect("another session");
    other["id"].as_str().expect("id").to_owned()
}

async fn signing_in_sets_a_host_only_secure_cookie_and_lists_this_device(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    b.call("sign_up", &[("email", "ann@example.com"), ("username", "Ann"), ("password", PW), ("confirm_password", PW)]).await;
    let r = b.sign_in("ann", PW).await;
    let cookie = r.set_cookies().into_iter().find(|c| c.starts_with("__Host-warden_session=")).expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
    let token = b.cookie("__Host-warden_session").expect("kept");
    assert!(token.len() >= 43, "at least 256 bits, base64url");

    let s = b.sessions(0).await;
    let active = s["active"].as_array().expect("active");
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["this_device"], true);
    assert_eq!(active[0]["browser"], "Chrome 120.0");
    assert!(active[0]["os"].as_str().unwrap_or("").starts_with("Windows"));
    assert_eq!(active[0]["device"], "Desktop");
    assert_eq!(active[0]["ip"], "127.0.0.1");

    // The page itself is rendered on the server with the data in it.
    let page = b.get("/account/security/sessions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("This device"), "{}", page.body);
    assert!(page.body.contains("Chrome 120.0"));
    assert!(page.body.contains("Log out of all devices"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let csp = page.header("content-security-policy").expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"));
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("nonce");
    assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "hydration script carries the nonce");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(page.header("referrer-policy").is_some());
    // The token is only in the cookie: never in the page.
    assert!(!page.body.contains(&token));
}

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(app: TestApp) {
    app.signed_in_user("bob", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    let mut known = vec![];
    let mut unknown = vec![];
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let r1 = b.call("sign_in", &[("login", "bob"), ("password", "wrong password"), ("next", "")]).await;
        known.push(t.elapsed());
        let t = std::time::Instant::now();
        let r2 = b.call("sign_in", &[("login", "nobody-here"), ("password", "wrong password"), ("next", "")]).await;
        unknown.push(t.elapsed());
        assert_eq!(r1.status, StatusCode::UNAUTHORIZED);
        assert_eq!((r1.status, &r1.body), (r2.status, &r2.body));
        assert!(r1.body.contains("\"invalid_credentials\""));
        assert!(b.cookie("__Host-warden_session").is_none());
    }
    known.sort();
    unknown.sort();
    // An unknown user costs a full password hash too (dummy hash), so the
    // median times are of the same order.
    assert!(unknown[1] * 3 > known[1], "unknown {:?} vs known {:?}", unknown, known);
}

async fn account_pages_and_functions_need_a_session(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    let r = b.get("/account/security/sessions").await;
    assert!(r.status.is_redirection());
    assert_eq!(r.location(), Some("/signin?next=/account/security/sessions"));
    let r = b.call("list_sessions", &[("page", "0")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = b.call("end_all_sessions", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A forged cookie is no better than none.
    b.set_header("cookie", "__Host-warden_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let r = b.get("/account/security/sessions").await;
    assert!(r.status.is_redirection());
}

async fn ending_another_session_signs_that_browser_out_on_its_next_request(app: TestApp) {
    let first = app.signed_in_user("carol", PW, CHROME_WINDOWS).await;
    let second = app.browser(FIREFOX_ANDROID);
    second.sign_in("carol@example.com", PW).await;

    let s = first.sessions(0).await;
    let active = s["active"].as_array().expect("active");
    assert_eq!(active.len(), 2);
    assert_eq!(active[0]["this_device"], true, "this device comes first");
    let other = &active[1];
    assert_eq!(other["device"], "Mobile");
    assert!(other["browser"].as_str().unwrap_or("").starts_with("Firefox"));
    let other_id = other["id"].as_str().expect("id").to_owned();

    // The current session cannot be ended from the list; it has Sign out.
    let mine = active[0]["id"].as_str().expect("id");
    let r = first.call("end_session", &[("session_id", mine), ("password", PW)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = first.call("end_session", &[("session_id", &other_id)]).await;
    assert!(r.status.is_success(), "within minutes of confirming, not asked again: {} {}", r.status, r.body);
    // Ending it twice is "not found", not a second success.
    let r = first.call("end_session", &[("session_id", &other_id)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = second.get("/account/security/sessions").await;
    assert!(r.status.is_redirection());
    assert!(r.location().unwrap_or("").contains("reason=session_ended"));
    assert!(second.cookie("__Host-warden_session").is_none(), "the dead cookie is cleared");
    assert_eq!(second.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);

    let s = first.sessions(0).await;
    assert_eq!(s["active"].as_array().map(Vec::len), Some(1));
    let ended = &s["ended"][0];
    assert_eq!(ended["id"], other_id.as_str());
    assert_eq!(ended["end_reason"], "Ended from another session");
    assert!(ended["ended"]["text"].as_str().is_some());
}

async fn logging_out_of_all_devices_ends_every_session_at_the_same_moment(app: TestApp) {
    let first = app.signed_in_user("dave", PW, CHROME_WINDOWS).await;
    let second = app.browser(FIREFOX_ANDROID);
    second.sign_in("dave", PW).await;
    app.clock.advance(5);

    let r = first.call("end_all_sessions", &[]).await;
    assert_eq!(r.json()["code"], "confirmation_required", "the password first (ASVS 7.5.2): {}", r.body);
    let r = first.call("end_all_sessions", &[("password", "not it")]).await;
    assert_eq!(r.json()["code"], "wrong_current_password", "{}", r.body);
    let r = first.call("end_all_sessions", &[("password", PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/signin?reason=logged_out_all"));
    assert!(first.cookie("__Host-warden_session").is_none());

    for b in [&first, &second] {
        let r = b.get("/account/security/sessions").await;
        assert!(r.status.is_redirection(), "signed out everywhere");
    }
    first.sign_in("dave", PW).await;
    let s = first.sessions(0).await;
    let ended = s["ended"].as_array().expect("ended");
    assert_eq!(ended.len(), 2);
    assert!(ended.iter().all(|e| e["end_reason"] == "Logged out of all devices"));
    assert_eq!(ended[0]["ended"], ended[1]["ended"], "one moment for all");
    let events = s["events"].as_array().expect("events");
    assert!(events.iter().any(|e| e["what"] == "Logged out of all devices"));
}

async fn another_accounts_session_cannot_be_ended_by_guessing_its_id(app: TestApp) {
    let alice = app.signed_in_user("alice", PW, CHROME_WINDOWS).await;
    let mallory = app.signed_in_user("mallory", PW, CHROME_WINDOWS).await;
    let alice_id = alice.sessions(0).await["active"][0]["id"].as_str().expect("id").to_owned();
    let r = mallory.call("end_session", &[("session_id", &alice_id), ("password", PW)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("already ended or does not exist"));
    assert_eq!(alice.sessions(0).await["active"].as_array().map(Vec::len), Some(1));
    let r = mallory.call("end_session", &[("session_id", "0000")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Mallory's own list shows nothing of Alice's.
    let s = mallory.sessions(0).await;
    assert!(!s.to_string().contains(&alice_id));
}

async fn cross_site_posts_are_refused_and_change_nothing(app: TestApp) {
    let victim = app.signed_in_user("erin", PW, CHROME_WINDOWS).await;
    victim.set_header("sec-fetch-site", "cross-site");
    let r = victim.call("end_all_sessions", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let victim2 = app.browser(CHROME_WINDOWS);
    victim2.sign_in("erin", PW).await;
    // A sibling subdomain is same-site but not same-origin: refused too.
    victim2.set_header("sec-fetch-site", "same-site");
    assert_eq!(victim2.call("end_all_sessions", &[]).await.status, StatusCode::FORBIDDEN);
    // An older browser without Sec-Fetch-Site: the Origin header decides.
    let raw = reqwest::Client::new()
        .post(app.url("/_fn/end_all_sessions"))
        .header("origin", "https://evil.example")
        .header("cookie", format!("__Host-warden_session={}", victim2.cookie("__Host-warden_session").expect("cookie")))
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status(), StatusCode::FORBIDDEN);
    victim2.set_header("sec-fetch-site", "same-origin");
    let s = victim2.sessions(0).await;
    assert_eq!(s["active"].as_array().map(Vec::len), Some(2), "nothing ended");
}

async fn repeated_failures_slow_down_sign_in_for_that_account_only(app: TestApp) {
    app.signed_in_user("frank", PW, CHROME_WINDOWS).await;
    app.signed_in_user("grace", PW, CHROME_WINDOWS).await;
    let attacker = app.browser(CHROME_WINDOWS);
    for _ in 0..5 {
        let r = attacker.call("sign_in", &[("login", "frank"), ("password", "guess guess"), ("next", "")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The clock stands still: the next attempt must wait, even with the right password.
    let r = attacker.call("sign_in", &[("login", "frank"), ("password", PW), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
    // The address is a login of its own: the throttle tells nobody that the
    // two are one account (it has five guesses of its own, as any login).
    let r = attacker.call("sign_in", &[("login", "frank@example.com"), ("password", "guess guess"), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Another account is not affected.
    app.browser(CHROME_WINDOWS).sign_in("grace", PW).await;
    // The delay is short: the owner gets in once it passes.
    app.clock.advance(2);
    app.browser(CHROME_WINDOWS).sign_in("frank", PW).await;
    let owner = app.browser(CHROME_WINDOWS);
    owner.sign_in("frank", PW).await;
    let s = owner.sessions(0).await;
    let events: Vec<String> = s["events"].as_array().expect("events").iter().map(|e| e["what"].as_str().unwrap_or("").to_owned()).collect();
    // Refused attempts from one address count into one row per hour.
    assert!(events.iter().any(|e| e == "6 failed sign-ins from 127.0.0.1"), "{events:?}");
    assert!(events.iter().any(|e| e.starts_with("Sign-in attempt refused")), "{events:?}");
}

async fn idle_sessions_expire_and_show_as_expired(app: TestApp) {
    let b = app.signed_in_user("heidi", PW, CHROME_WINDOWS).await;
    let old = app.browser(FIREFOX_ANDROID);
    old.sign_in("heidi", PW).await;
    app.clock.advance(29 * 60);
    assert_eq!(b.sessions(0).await["active"].as_array().map(Vec::len), Some(2), "29 idle minutes are fine");
    app.clock.advance(2 * 60); // old: 31 minutes idle; b was active 2 minutes ago
    let s = b.sessions(0).await;
    assert_eq!(s["active"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["ended"][0]["end_reason"], "Expired");
    let r = old.get("/account/security/sessions").await;
    assert!(r.status.is_redirection());
}

async fn last_active_is_written_at_most_once_a_minute(app: TestApp) {
    let b = app.signed_in_user("ivan", PW, CHROME_WINDOWS).await;
    let first = b.sessions(0).await["active"][0]["last_active"]["iso"].clone();
    app.clock.advance(30);
    assert_eq!(b.sessions(0).await["active"][0]["last_active"]["iso"], first);
    app.clock.advance(31);
    assert_ne!(b.sessions(0).await["active"][0]["last_active"]["iso"], first);
}

async fn every_sign_in_starts_a_new_session(app: TestApp) {
    let b = app.signed_in_user("judy", PW, CHROME_WINDOWS).await;
    let before = b.cookie("__Host-warden_session").expect("cookie");
    b.sign_in("judy", PW).await;
    let after = b.cookie("__Host-warden_session").expect("cookie");
    assert_ne!(before, after);
    let s = b.sessions(0).await;
    assert_eq!(s["active"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["ended"][0]["end_reason"], "Signed out");
    // The old token is dead.
    let stale = app.browser(CHROME_WINDOWS);
    stale.set_header("cookie", &format!("__Host-warden_session={before}"));
    assert!(stale.get("/account/security/sessions").await.status.is_redirection());
}

async fn ended_sessions_are_listed_fifty_at_a_time(app: TestApp) {
    let b = app.signed_in_user("ken", PW, CHROME_WINDOWS).await;
    for _ in 0..52 {
        app.clock.advance(1);
        b.sign_in("ken", PW).await;
    }
    let p0 = b.sessions(0).await;
    assert_eq!(p0["ended"].as_array().map(Vec::len), Some(50));
    assert_eq!(p0["has_older"], true);
    let p1 = b.sessions(1).await;
    assert_eq!(p1["ended"].as_array().map(Vec::len), Some(2));
    assert_eq!(p1["has_older"], false);
    // newest first
    assert!(p0["ended"][0]["ended"]["iso"].as_str() > p1["ended"][0]["ended"]["iso"].as_str());
    let html = b.get("/account/security/sessions").await.body;
    assert!(html.contains("Older sessions"));
}

async fn sign_up_rejects_bad_input_and_taken_names(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    let up = |email: &'static str, user: &'static str, pw: &'static str, confirm: &'static str| {
        let b = &b;
        async move { b.call("sign_up", &[("email", email), ("username", user), ("password", pw), ("confirm_password", confirm)]).await }
    };
    let r = up("x@example.com", "xavier", "short", "short").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at least 8 characters"));
    let r = up("x@example.com", "xavier", PW, "another one").await;
    assert!(r.body.contains("do not match"));
    let r = up("not-an-email", "xavier", PW, PW).await;
    assert!(r.body.contains("valid email"));
    assert!(up("x@example.com", "xavier", PW, PW).await.status.is_success());
    let r = up("y@example.com", "XAVIER", PW, PW).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("username is taken"));
    // A registered address is not refused: that would tell anyone which
    // addresses have accounts (see sign_up.rs).
    let r = up("X@Example.com", "yvonne", PW, PW).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    // Wrong types and missing fields are a clear 400, not a crash.
    let r = b.call("sign_up", &[("email", "z@example.com")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let s = app.signed_in_user("zed", PW, CHROME_WINDOWS).await;
    let r = s.call("list_sessions", &[("page", "not-a-number")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // An oversized body is refused before it is read.
    let big = "a".repeat(200 * 1024);
    let r = b.call("sign_up", &[("email", "big@example.com"), ("username", "big"), ("password", &big), ("confirm_password", &big)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers.get("connection").and_then(|v| v.to_str().ok()), Some("close"), "the unread connection is not reused");
    assert!(r.headers.contains_key("content-security-policy"), "refusals carry the security headers too");
    let r = b.call("sign_in", &[("login", "big"), ("password", PW), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "nothing was created");
}

async fn forms_work_without_javascript(app: TestApp) {
    app.signed_in_user("liam", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    // Wrong password: back to the form with the error, shown in the HTML.
    let r = b.form("/signin", "sign_in", &[("login", "liam"), ("password", "nope nope nope"), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let back = r.location().expect("location").to_owned();
    assert!(back.contains("/signin"), "{back}");
    let page = b.get(back.trim_start_matches(&format!("http://{}", app.addr))).await;
    assert!(page.body.contains("Invalid username or password."), "{}", page.body);
    // Right password: redirected where it was going, signed in.
    let r = b
        .form("/signin?next=/account/security/sessions", "sign_in", &[("login", "liam"), ("password", PW), ("next", "/account/security/sessions")])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/account/security/sessions"));
    let page = b.get("/account/security/sessions").await;
    assert!(page.body.contains("This device"));
    // `next` cannot send anyone off-site.
    let r = b.form("/signin", "sign_in", &[("login", "liam"), ("password", PW), ("next", "//evil.example/")]).await;
    assert_eq!(r.location(), Some("/account/security/sessions"));
    // Log out of all devices, confirmed on its own page.
    let confirm = b.get("/account/security/sessions/log-out-all").await;
    assert!(confirm.body.contains("Change your password first"), "{}", confirm.body);
    let r = b.form("/account/security/sessions/log-out-all", "end_all_sessions", &[("password", PW)]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/signin?reason=logged_out_all"));
    let page = b.get("/signin?reason=logged_out_all").await;
    assert!(page.body.contains("You have been logged out of all devices"));
}

/// Behind a trusted reverse proxy: the proxy's `X-Forwarded-For` names the client.
fn trust_loopback(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

on_both_backends!(trust_loopback => one_client_ip_guessing_many_accounts_is_slowed_down);

async fn one_client_ip_guessing_many_accounts_is_slowed_down(app: TestApp) {
    let owner = app.browser(CHROME_WINDOWS);
    owner.set_header("x-forwarded-for", "198.51.100.1");
    owner.call("sign_up", &[("email", "pat@example.com"), ("username", "pat"), ("password", PW), ("confirm_password", PW)]).await;
    let sprayer = app.browser(CHROME_WINDOWS);
    // The client may prepend anything; the proxy appends the real address last.
    sprayer.set_header("x-forwarded-for", "198.51.100.1, 203.0.113.9");
    for i in 0..20 {
        let r = sprayer.call("sign_in", &[("login", &format!("user{i}")), ("password", "Password1!"), ("next", "")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = sprayer.call("sign_in", &[("login", "pat"), ("password", PW), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the spraying address must wait");
    // The owner, from another address, is not affected.
    owner.sign_in("pat", PW).await;
    let s = owner.sessions(0).await;
    assert_eq!(s["active"][0]["ip"], "198.51.100.1");
}

on_both_backends!(forwarded_for_is_ignored_without_a_trusted_proxy);

async fn forwarded_for_is_ignored_without_a_trusted_proxy(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    b.set_header("x-forwarded-for", "6.6.6.6");
    b.call("sign_up", &[("email", "quinn@example.com"), ("username", "quinn"), ("password", PW), ("confirm_password", PW)]).await;
    b.sign_in("quinn", PW).await;
    assert_eq!(b.sessions(0).await["active"][0]["ip"], "127.0.0.1");
}

/// The Login Security page, its server function and the REST list are
/// reads: however often they are viewed, no row of `sessions` changes. A
/// session that lapsed meanwhile is still shown as ended, when and why it
/// did; the retention sweep writes that down, and the page stays the same.
async fn viewing_login_security_writes_nothing_yet_shows_a_lapsed_session_as_expired(app: TestApp) {
    let (owner, token) = crate::api::user_with_token(&app, "nora").await;
    let api = crate::api::Api::new(&app);
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("nora", PW).await;
    let phone_lapses_at = now(&app) + 30 * 60;
    let phone_id = other_session_id(&owner).await;
    app.clock.advance(20 * 60);
    owner.sessions(0).await;
    app.clock.advance(11 * 60); // the phone: 31 minutes without a request
                                // The owner's own "last active", once a minute, is the one write a
                                // signed-in request makes; it happens on this first request.
    owner.sessions(0).await;

    let before = app.every_session_row().await;
    let mut views = vec![];
    for _ in 0..5 {
        let page = owner.get("/account/security/sessions").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Expired"), "{}", page.body);
        views.push(owner.sessions(0).await);
        owner.sessions(1).await;
        let r = api.get("/api/v1/sessions", &token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rest = r.json();
        assert_eq!(rest["active"].as_array().map(Vec::len), Some(1), "{rest}");
        let ended = &rest["ended"][0];
        assert_eq!((ended["id"].as_str(), ended["end_reason"].as_str()), (Some(phone_id.as_str()), Some("expired")), "{rest}");
        assert_eq!(ended["ended_at"].as_i64(), Some(phone_lapses_at), "{rest}");
    }
    assert_eq!(app.every_session_row().await, before, "viewing the sessions wrote to them");
    assert_eq!(app.session_end(&phone_id).await, (None, None), "the table still has it active");

    let s = &views[0];
    assert_eq!(s["active"].as_array().map(Vec::len), Some(1), "{s}");
    assert_eq!(s["active"][0]["this_device"], true);
    let ended = &s["ended"][0];
    assert_eq!((ended["id"].as_str(), ended["end_reason"].as_str()), (Some(phone_id.as_str()), Some("Expired")), "{s}");
    assert_eq!(ended["ended"]["iso"].as_str(), Some(domain::support::time_fmt::iso(phone_lapses_at, &domain::support::zone::Zone::utc()).as_str()));
    assert_eq!(ended["browser"].as_str().map(|b| b.starts_with("Firefox")), Some(true), "{s}");

    let swept = app.warden.sweep().await.expect("sweep");
    assert_eq!(swept.sessions_lapsed, 1);
    assert_eq!(app.session_end(&phone_id).await, (Some(phone_lapses_at), Some("expired".into())));
    assert_eq!(owner.sessions(0).await["ended"], s["ended"], "the page shows the same before and after the sweep");
    assert_eq!(app.warden.sweep().await.expect("sweep").sessions_lapsed, 0, "nothing left to settle");
    assert!(phone.get("/account/security/sessions").await.status.is_redirection(), "the phone is signed out");
}

/// A session that had lapsed ended then, as it expired: "Log out of all
/// devices" later does not relabel it, nor count it.
async fn ending_all_sessions_leaves_a_lapsed_one_expired(app: TestApp) {
    let owner = app.signed_in_user("olive", PW, CHROME_WINDOWS).await;
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("olive", PW).await;
    let phone_lapses_at = now(&app) + 30 * 60;
    let phone_id = other_session_id(&owner).await;
    app.clock.advance(20 * 60);
    owner.sessions(0).await;
    app.clock.advance(11 * 60);
    let r = owner.call("end_all_sessions", &[("password", PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    owner.sign_in("olive", PW).await;
    let s = owner.sessions(0).await;
    let ended = s["ended"].as_array().expect("ended");
    assert_eq!(ended.len(), 2, "{s}");
    let phone_entry = ended.iter().find(|e| e["id"] == phone_id.as_str()).expect("the phone's session");
    assert_eq!(phone_entry["end_reason"], "Expired");
    assert_eq!(
        phone_entry["ended"]["iso"].as_str(),
        Some(domain::support::time_fmt::iso(phone_lapses_at, &domain::support::zone::Zone::utc()).as_str())
    );
    assert!(ended.iter().any(|e| e["end_reason"] == "Logged out of all devices"));
    assert_eq!(app.session_end(&phone_id).await, (Some(phone_lapses_at), Some("expired".into())));
    let events = s["events"].to_string();
    assert!(events.contains("1 sessions ended"), "only the live one counts: {events}");
}

/// Device labels are stored when a session starts; a session from before
/// that (no labels) or labelled by an older parser shows its device as the
/// header says, not blank and not the stale label.
async fn sessions_from_before_device_labels_were_stored_show_the_same_device(app: TestApp) {
    let owner = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("pia", PW).await;
    let labels = |s: &serde_json::Value| -> Vec<(String, String, String)> {
        s["active"].as_array().expect("active").iter().map(|e| (e["browser"].to_string(), e["os"].to_string(), e["device"].to_string())).collect()
    };
    let fresh = labels(&owner.sessions(0).await);
    assert_eq!(fresh.len(), 2);
    assert!(fresh[0].0.contains("Chrome 120.0") && fresh[1].0.contains("Firefox"), "{fresh:?}");
    let pool = app.warden.pool();
    let stored: Vec<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT device_browser, device_parser FROM sessions").fetch_all(pool).await.expect("rows");
    assert!(
        stored.iter().all(|(b, v)| b.is_some() && *v == Some(domain::support::user_agent::PARSER_VERSION)),
        "parsed once, at sign-in: {stored:?}"
    );
    sqlx::query("UPDATE sessions SET device_browser = NULL, device_os = NULL, device_type = NULL, device_parser = NULL")
        .execute(pool)
        .await
        .expect("as before migration 0014");
    assert_eq!(labels(&owner.sessions(0).await), fresh);
    sqlx::query("UPDATE sessions SET device_browser = 'Stale browser', device_os = 'Stale OS', device_type = 'other', device_parser = 0")
        .execute(pool)
        .await
        .expect("as labelled by an older parser");
    assert_eq!(labels(&owner.sessions(0).await), fresh);
}
