//! Signing in under attack, as the owner and an attacker see it: the
//! account lock and the device cookie that keeps the owner out of it,
//! refused attempts counted in one row, the activity list's pages and
//! retention, and security events in the application log.

use crate::common::*;
use reqwest::StatusCode;
use std::sync::{Mutex, Once};

const PW: &str = "correct horse battery";
const NEW_PW: &str = "lantern orbit meadow 42";
const DEVICE: &str = "__Host-warden_device";

async fn attempt(b: &Browser, login: &str, password: &str) -> StatusCode {
    b.call("sign_in", &[("login", login), ("password", password), ("next", "")]).await.status
}

/// An attacker drives `login` into its lock from a fresh browser (the test
/// clock stands still, so it stays locked) and returns that browser.
async fn lock(app: &TestApp, login: &str, right_password: &str) -> Browser {
    let attacker = app.browser(FIREFOX_ANDROID);
    for _ in 0..5 {
        assert_eq!(attempt(&attacker, login, "guess guess guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(&attacker, login, right_password).await, StatusCode::TOO_MANY_REQUESTS, "locked, even for the right password");
    attacker
}

fn whats(s: &serde_json::Value) -> Vec<String> {
    s["events"].as_array().expect("events").iter().map(|e| e["what"].as_str().unwrap_or("").to_owned()).collect()
}

on_both_backends!(
    an_attacker_cannot_lock_out_a_browser_that_signed_in_before,
    ending_sessions_from_elsewhere_revokes_their_device_cookies,
    a_password_reset_revokes_every_device_cookie,
);

async fn an_attacker_cannot_lock_out_a_browser_that_signed_in_before(app: TestApp) {
    let owner = app.signed_in_user("olga", PW, CHROME_WINDOWS).await;
    owner.call("sign_out", &[]).await;
    let attacker = lock(&app, "olga", PW).await;
    // The owner's browser, which signed in before, still gets in...
    owner.sign_in("olga@example.com", PW).await;
    // ...while the attacker stays locked out, the right password included:
    // the owner's success did not give the attacker a fresh set of guesses.
    assert_eq!(attempt(&attacker, "olga", PW).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(&app.browser(CHROME_WINDOWS), "olga", PW).await, StatusCode::TOO_MANY_REQUESTS);

    // What let it in: a long-lived device cookie, set at its first sign-in.
    let token = owner.cookie(DEVICE).expect("a device cookie after signing in");
    assert!(token.len() >= 43, "at least 256 bits, base64url");
    let r = owner.sign_in("olga", PW).await;
    let set = r.set_cookies().into_iter().find(|c| c.starts_with(&format!("{DEVICE}="))).expect("the device cookie again");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    assert_eq!(owner.cookie(DEVICE), Some(token.clone()), "the same device, remembered");
    assert!(!owner.sessions(0).await.to_string().contains(&token), "the token is only in the cookie");
    owner.call("sign_out", &[]).await;
    assert_eq!(owner.cookie(DEVICE), Some(token.clone()), "signing out keeps the device cookie");

    // A forged or garbage device cookie is no exemption, nor is another account's.
    let last_changed = format!("{}{}", &token[..42], if token.ends_with('A') { 'B' } else { 'A' });
    for forged in ["garbage".to_owned(), "A".repeat(43), format!("{token}x"), last_changed] {
        let b = app.browser(CHROME_WINDOWS);
        b.set_header("cookie", &format!("{DEVICE}={forged}"));
        assert_eq!(attempt(&b, "olga", PW).await, StatusCode::TOO_MANY_REQUESTS, "{forged}");
    }
    let other = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    other.call("sign_out", &[]).await;
    assert_eq!(attempt(&other, "olga", PW).await, StatusCode::TOO_MANY_REQUESTS);
    // One browser holds a device for each account it signed in to.
    other.sign_in("pia", PW).await;
    assert_ne!(other.cookie(DEVICE), Some(token.clone()));

    // A stolen device cookie buys few guesses: after its free failures the
    // device stops counting as known, and the account's lock applies.
    for _ in 0..5 {
        assert_eq!(attempt(&owner, "olga", "guess guess guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt(&owner, "olga", PW).await, StatusCode::TOO_MANY_REQUESTS);
}

async fn ending_sessions_from_elsewhere_revokes_their_device_cookies(app: TestApp) {
    let laptop = app.signed_in_user("quentin", PW, CHROME_WINDOWS).await;
    // Someone who stole the password signs in on their own browser.
    let thief = app.browser(FIREFOX_ANDROID);
    thief.sign_in("quentin", PW).await;
    // The owner changes it and signs the other sessions out: the thief's
    // device cookie goes with its session; the laptop keeps its own.
    let r = laptop
        .call("change_password", &[("current_password", PW), ("new_password", NEW_PW), ("confirm_password", NEW_PW), ("sign_out_others", "on")])
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    lock(&app, "quentin", NEW_PW).await;
    laptop.call("sign_out", &[]).await;
    laptop.sign_in("quentin", NEW_PW).await;
    assert_eq!(attempt(&thief, "quentin", NEW_PW).await, StatusCode::TOO_MANY_REQUESTS);
    assert!(thief.cookie(DEVICE).is_some(), "still in the thief's browser, but worth nothing");

    // "Log out of all devices" revokes every device cookie of the account,
    // this browser's included.
    let r = laptop.call("end_all_sessions", &[("password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(laptop.cookie(DEVICE).is_some());
    assert_eq!(attempt(&laptop, "quentin", NEW_PW).await, StatusCode::TOO_MANY_REQUESTS);
}

async fn a_password_reset_revokes_every_device_cookie(app: TestApp) {
    // A browser that signed in with a stolen password holds a device cookie.
    let thief = app.signed_in_user("vera", PW, FIREFOX_ANDROID).await;
    let owner = app.browser(CHROME_WINDOWS);
    assert!(owner.call("request_password_reset", &[("email", "vera@example.com")]).await.status.is_success());
    let link = app.reset_link_path("vera@example.com", 1).await;
    owner.get(&link).await;
    let r = owner.call("complete_password_reset", &[("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    lock(&app, "vera", NEW_PW).await;
    assert_eq!(attempt(&thief, "vera", NEW_PW).await, StatusCode::TOO_MANY_REQUESTS, "the thief's browser lost its budget with the reset");
}

/// Behind a trusted reverse proxy: the proxy's `X-Forwarded-For` names the client.
fn trust_loopback(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

on_both_backends!(trust_loopback => refused_attempts_are_counted_in_one_row_and_real_events_stay_in_sight, the_security_log_gets_each_event_without_secrets);

async fn refused_attempts_are_counted_in_one_row_and_real_events_stay_in_sight(app: TestApp) {
    let owner = app.signed_in_user("rosa", PW, CHROME_WINDOWS).await;
    let attacker = app.browser(FIREFOX_ANDROID);
    attacker.set_header("x-forwarded-for", "203.0.113.9");
    for _ in 0..5 {
        assert_eq!(attempt(&attacker, "rosa", "guess guess guess").await, StatusCode::UNAUTHORIZED);
    }
    for _ in 0..50 {
        assert_eq!(attempt(&attacker, "rosa", "guess guess guess").await, StatusCode::TOO_MANY_REQUESTS);
    }
    for _ in 0..3 {
        assert_eq!(attempt(&attacker, "nobody-by-that-name", "guess guess guess").await, StatusCode::UNAUTHORIZED);
    }
    let s = owner.sessions(0).await;
    let w = whats(&s);
    assert_eq!(
        w,
        [
            "50 sign-in attempts refused (too many failures) from 203.0.113.9",
            "5 failed sign-ins from 203.0.113.9",
            "Signed in",
            "Email address confirmed",
            "Account created"
        ],
        "one row per kind and source, and the owner's own events stay in sight"
    );
    let row = &s["events"][0];
    assert_eq!((row["count"].as_i64(), row["ip"].as_str()), (Some(50), Some("203.0.113.9")));
    assert!(row["first"]["iso"].is_string());
    let page = owner.get("/account/security/sessions").await.body;
    assert!(page.contains("50 sign-in attempts refused (too many failures) from 203.0.113.9"), "{page}");
    // Attempts on no account count the same way, in a row of no account.
    let counts: Vec<i64> =
        sqlx::query_scalar("SELECT count FROM security_events WHERE account_id IS NULL").fetch_all(app.warden.pool()).await.expect("read");
    assert_eq!(counts, [3]);

    // The next hour counts into a new row.
    app.clock.advance(3600);
    assert_eq!(attempt(&attacker, "rosa", "guess guess guess").await, StatusCode::UNAUTHORIZED);
    owner.sign_in("rosa", PW).await;
    let w = whats(&owner.sessions(0).await);
    assert_eq!(&w[..3], ["Signed in", "Failed sign-in attempt", "50 sign-in attempts refused (too many failures) from 203.0.113.9"]);
    assert_eq!(w.len(), 7, "{w:?}");
}

/// Captures every `security` line of this test binary (the server runs on
/// other threads, so a global subscriber).
fn security_log() -> &'static Mutex<Vec<u8>> {
    static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());
    static INIT: Once = Once::new();
    struct Sink;
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            LOG.lock().expect("log").extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    INIT.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new("security=info"))
            .with_writer(|| Sink)
            .try_init();
    });
    &LOG
}

async fn the_security_log_gets_each_event_without_secrets(app: TestApp) {
    let log = security_log();
    let ip = if app.backend == "sqlite" { "203.0.113.71" } else { "203.0.113.72" };
    app.signed_in_user("uma", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    b.set_header("x-forwarded-for", ip);
    let typed = "my-own-secret-guess-7";
    assert_eq!(attempt(&b, "uma", typed).await, StatusCode::UNAUTHORIZED);
    assert_eq!(b.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    b.sign_in("uma", PW).await;
    let token = b.cookie("__Host-warden_session").expect("session");
    let device = b.cookie(DEVICE).unwrap_or_else(|| typed.to_owned());

    let text = String::from_utf8_lossy(&log.lock().expect("log")).into_owned();
    let mine: Vec<&str> = text.lines().filter(|l| l.contains(ip)).collect();
    assert!(mine.iter().any(|l| l.contains("WARN") && l.contains("sign_in_failed")), "{mine:#?}");
    assert!(mine.iter().any(|l| l.contains("signed_in") && l.contains("account=")), "{mine:#?}");
    assert!(mine.iter().any(|l| l.contains("not_signed_in") && l.contains("/_fn/list_sessions")), "{mine:#?}");
    for secret in [typed, PW, &token, &device] {
        assert!(!text.contains(secret), "a secret in the log: {text}");
    }
}

on_both_backends!(the_activity_list_pages_back_to_the_first_event);

async fn the_activity_list_pages_back_to_the_first_event(app: TestApp) {
    let b = app.signed_in_user("sven", PW, CHROME_WINDOWS).await;
    for _ in 0..12 {
        app.clock.advance(1);
        b.sign_in("sven", PW).await;
    }
    let p0 = b.sessions(0).await;
    assert_eq!((p0["events"].as_array().map(Vec::len), &p0["events_has_older"]), (Some(20), &serde_json::json!(true)));
    let r = b.call("list_sessions", &[("page", "0"), ("activity", "1")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let p1 = r.json();
    assert_eq!((p1["events_page"].as_i64(), &p1["events_has_older"]), (Some(1), &serde_json::json!(false)));
    let older = whats(&p1);
    // Account created, email address confirmed, signed in, then 12 times signed out and in again: 27 in all.
    assert_eq!(older.len(), 27 - 20);
    assert_eq!(older.last().map(String::as_str), Some("Account created"));
    assert!(p0["events"][19]["at"]["iso"].as_str() >= p1["events"][0]["at"]["iso"].as_str(), "newest first");
    // The same pages without JavaScript: plain links.
    let html = b.get("/account/security/sessions").await.body;
    assert!(html.contains("Older activity") && html.contains("activity=1"), "{html}");
    assert!(!html.contains("Account created"));
    let html = b.get("/account/security/sessions?activity=1").await.body;
    assert!(html.contains("Account created") && html.contains("Newer activity"), "{html}");
}

fn small_caps(c: &mut server::config::Config) {
    c.events.per_account_cap = 10;
    c.events.anonymous_cap = 2;
}

on_both_backends!(small_caps => retention_removes_old_and_surplus_events);

async fn retention_removes_old_and_surplus_events(app: TestApp) {
    let b = app.signed_in_user("tove", PW, CHROME_WINDOWS).await;
    let anonymous = || async {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE account_id IS NULL").fetch_one(app.warden.pool()).await.expect("count");
        n
    };
    for _ in 0..3 {
        assert_eq!(attempt(&app.browser(CHROME_WINDOWS), "nobody-by-that-name", "guess guess guess").await, StatusCode::UNAUTHORIZED);
        app.clock.advance(3600);
    }
    assert_eq!(anonymous().await, 3, "one row per hour");
    app.clock.advance(401 * 86_400);
    b.sign_in("tove", PW).await;
    let swept = app.warden.sweep().await.expect("sweep");
    assert!(swept.events >= 3 + 2, "{swept:?}");
    // Past 400 days an account's events are gone; those of no account went after 30.
    let w = whats(&b.sessions(0).await);
    assert!(!w.iter().any(|e| e == "Account created"), "{w:?}");
    assert_eq!(anonymous().await, 0);
    // At most the newest ten (in this test's configuration) are kept.
    for _ in 0..3 {
        attempt(&app.browser(CHROME_WINDOWS), "nobody-by-that-name", "guess guess guess").await;
        app.clock.advance(3600);
    }
    for _ in 0..8 {
        app.clock.advance(1);
        b.sign_in("tove", PW).await;
    }
    let before = b.sessions(0).await;
    app.warden.sweep().await.expect("sweep");
    let after = b.sessions(0).await;
    let (was, is) = (whats(&before), whats(&after));
    let signed_in = |w: &Vec<String>| w.iter().filter(|e| *e == "Signed in").count();
    assert_eq!(signed_in(&is), signed_in(&was), "sign-ins are the owner's history: the cap never takes them: {is:?}");
    assert!(is.iter().filter(|e| *e != "Signed in").count() <= 10, "noise is kept to the newest ten: {is:?}");
    assert_eq!(after["events"][0], before["events"][0], "the newest stay");
    assert_eq!(anonymous().await, 2);
}
