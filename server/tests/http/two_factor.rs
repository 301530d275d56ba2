//! Two-factor authentication over HTTP. Codes are computed here with a
//! separate HOTP implementation (RFC 4226 §5.3), not Warden's.

use crate::common::*;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;

const PW: &str = "correct horse battery";

/// The code of `unix`'s 30 s step for a base32 key as the page shows it.
pub(crate) fn code(key_grouped: &str, unix: i64) -> String {
    let key = data_encoding::BASE32_NOPAD.decode(key_grouped.replace(' ', "").as_bytes()).expect("base32 key");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).expect("hmac");
    mac.update(&((unix / 30) as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0xf) as usize;
    let bin = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// Starts enrolment in `b` with the account's password; returns the key its QR code holds.
async fn start(b: &Browser) -> String {
    let r = b.call("start_totp", &[("password", PW)]).await;
    assert!(r.status.is_success(), "start_totp: {} {}", r.status, r.body);
    let s = b.call("two_factor_status", &[]).await.json();
    s["pending"]["key"].as_str().expect("key while pending").to_owned()
}

/// Signs up, signs in and turns 2FA on; returns the browser, the key and the recovery codes.
pub(crate) async fn with_2fa(app: &TestApp, name: &str) -> (Browser, String, Vec<String>) {
    let b = app.signed_in_user(name, PW, CHROME_WINDOWS).await;
    let key = start(&b).await;
    let r = b.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let codes: Vec<String> = serde_json::from_str(&r.body).expect("codes");
    app.clock.advance(30); // the next code belongs to the next step
    (b, key, codes)
}

pub(crate) trait Now {
    fn now_secs(&self) -> i64;
}
impl Now for domain::support::clock::ManualClock {
    fn now_secs(&self) -> i64 {
        domain::support::clock::Clock::now(self)
    }
}

on_both_backends!(
    enabling_needs_a_right_code_and_shows_the_secret_only_until_then,
    after_the_password_alone_nothing_of_the_account_is_reachable,
    a_code_replayed_at_the_same_instant_succeeds_once,
    a_recovery_code_works_once_and_regenerating_voids_the_old_ones,
    disabling_needs_the_password_and_a_code,
    wrong_codes_are_throttled_then_locked,
    an_unfinished_second_step_expires_and_shows_on_login_security,
    without_javascript_the_recovery_codes_are_shown_once_after_the_redirect,
    a_password_reset_neither_turns_off_nor_bypasses_two_factor,
    turning_two_factor_on_its_event_and_its_mail_commit_together_or_not_at_all,
    starting_enrolment_needs_the_current_password,
    a_pending_enrolment_belongs_to_the_session_that_started_it,
    enabling_can_sign_out_the_other_devices,
    disabling_can_sign_out_the_other_devices,
    regenerating_can_sign_out_the_other_devices_and_mails_the_owner,
    a_code_from_the_previous_step_works_only_in_the_first_seconds_of_the_next,
    a_password_left_without_its_second_step_mails_the_owner,
);

/// The change, its security event and the owner's mail are one transaction:
/// when the mail cannot be queued, 2FA stays off and no event claims it is on.
async fn turning_two_factor_on_its_event_and_its_mail_commit_together_or_not_at_all(app: TestApp) {
    let b = app.signed_in_user("tara", PW, CHROME_WINDOWS).await;
    let key = start(&b).await;
    let pool = app.warden.pool();
    sqlx::query("ALTER TABLE mail_queue RENAME TO mail_queue_away").execute(pool).await.expect("hide the queue");
    let r = b.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert!(!r.body.contains("mail_queue"), "internals stay in the log: {}", r.body);
    sqlx::query("ALTER TABLE mail_queue_away RENAME TO mail_queue").execute(pool).await.expect("bring it back");
    let s = b.call("two_factor_status", &[]).await.json();
    assert!(s["enabled_since"].is_null(), "2FA stayed off: {s}");
    assert_eq!(s["recovery_codes_left"], 0);
    let events = b.sessions(0).await["events"].to_string();
    assert!(!events.contains("Two-factor authentication enabled"), "{events}");
    // With the queue back, the same enrolment goes through, with its mail.
    let r = b.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let mails = app.wait_for_mails("tara@example.com", 1).await;
    assert!(mails[0].subject.contains("Two-factor authentication is on"), "{mails:?}");
}

async fn a_password_reset_neither_turns_off_nor_bypasses_two_factor(app: TestApp) {
    let (_, key, _) = with_2fa(&app, "vera").await;
    let enabled = app.wait_for_mails("vera@example.com", 1).await;
    assert!(enabled[0].subject.contains("Two-factor authentication is on"), "{enabled:?}");
    let b = app.browser(FIREFOX_ANDROID);
    b.call("request_password_reset", &[("email", "vera@example.com")]).await;
    let link = app.reset_link_path("vera@example.com", 2).await;
    b.get(&link).await;
    let new = "lantern orbit meadow 42";
    let r = b.call("complete_password_reset", &[("new_password", new), ("confirm_password", new)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let r = b.sign_in("vera", new).await;
    assert_eq!(r.location(), Some("/signin/2fa?next=/account/security/sessions"), "the second factor is still asked for");
    assert_eq!(b.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    let r = b.call("verify_second_factor", &[("code", &code(&key, app.clock.now_secs())), ("next", "")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(b.call("two_factor_status", &[]).await.json()["enabled_since"].is_object());
}

async fn without_javascript_the_recovery_codes_are_shown_once_after_the_redirect(app: TestApp) {
    let b = app.signed_in_user("abby", PW, CHROME_WINDOWS).await;
    let r = b.form("/account/security/2fa?enable=1", "start_totp", &[("password", PW)]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let page = b.get("/account/security/2fa?enable=1").await.body;
    assert!(page.contains("<svg"), "the QR code is in the server-rendered page");
    let key = b.call("two_factor_status", &[]).await.json()["pending"]["key"].as_str().expect("key").to_owned();
    let r = b.form("/account/security/2fa?enable=1", "confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/account/security/2fa"));
    let sealed = b.cookie("__Host-warden_flash").expect("sealed codes cookie");
    assert!(r.set_cookies().iter().any(|c| c.starts_with("__Host-warden_flash=") && c.contains("HttpOnly") && c.contains("Max-Age=300")));
    // Another session cannot open them, even with the cookie.
    let other = app.browser(CHROME_WINDOWS);
    other.sign_in("abby", PW).await;
    app.clock.advance(30);
    let r = other.call("verify_second_factor", &[("code", &code(&key, app.clock.now_secs())), ("next", "")]).await;
    assert!(r.status.is_success());
    other.set_header("cookie", &format!("__Host-warden_session={}; __Host-warden_flash={sealed}", other.cookie("__Host-warden_session").expect("s")));
    assert!(other.call("two_factor_status", &[]).await.json()["fresh_codes"].is_null());

    let page = b.get("/account/security/2fa").await.body;
    assert!(page.contains("Your recovery codes"), "shown after the redirect");
    assert_eq!(page.matches("<li><code>").count(), 10);
    assert!(b.cookie("__Host-warden_flash").is_none(), "and cleared");
    let page = b.get("/account/security/2fa").await.body;
    assert!(!page.contains("Your recovery codes"), "only once");
}

async fn enabling_needs_a_right_code_and_shows_the_secret_only_until_then(app: TestApp) {
    let b = app.signed_in_user("tina", PW, CHROME_WINDOWS).await;
    let s = b.call("two_factor_status", &[]).await.json();
    assert!(s["enabled_since"].is_null());
    assert!(b.call("start_totp", &[("password", PW)]).await.status.is_success());
    let s = b.call("two_factor_status", &[]).await.json();
    let svg = s["pending"]["qr_svg"].as_str().expect("qr");
    assert!(svg.contains("<svg"));
    let key = s["pending"]["key"].as_str().expect("key").to_owned();
    assert_eq!(key.replace(' ', "").len(), 32, "160-bit secret in base32");

    let now = app.clock.now_secs();
    let wrong = if code(&key, now) == "000000" { "111111" } else { "000000" };
    let r = b.call("confirm_totp", &[("code", wrong)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.call("two_factor_status", &[]).await.json()["enabled_since"].is_null(), "still off");
    // Until confirmed, signing in asks for nothing more.
    let other = app.browser(CHROME_WINDOWS);
    let r = other.sign_in("tina", PW).await;
    assert_eq!(r.location(), Some("/account/security/sessions"));

    let r = b.call("confirm_totp", &[("code", &code(&key, now))]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let codes: Vec<String> = serde_json::from_str(&r.body).expect("codes");
    assert_eq!(codes.len(), 10);
    let s = b.call("two_factor_status", &[]).await.json();
    assert!(s["enabled_since"]["text"].is_string());
    assert_eq!(s["recovery_codes_left"], 10);
    assert!(s["pending"].is_null(), "the secret is never sent again");
    assert!(!s.to_string().contains(&key.replace(' ', "")));
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("Two-factor authentication enabled"));
    assert!(events.contains("Wrong two-factor code"));
}

async fn after_the_password_alone_nothing_of_the_account_is_reachable(app: TestApp) {
    let (_, key, _) = with_2fa(&app, "uma").await;
    let b = app.browser(FIREFOX_ANDROID);
    let r = b.sign_in("uma", PW).await;
    assert_eq!(r.location(), Some("/signin/2fa?next=/account/security/sessions"));
    let pending_cookie = b.cookie("__Host-warden_session").expect("pending cookie");
    let every_account_function: [(&str, &[(&str, &str)]); 11] = [
        ("list_sessions", &[("page", "0")]),
        ("end_session", &[("session_id", "0000")]),
        ("end_all_sessions", &[]),
        ("two_factor_status", &[]),
        ("start_totp", &[("password", PW)]),
        ("confirm_totp", &[("code", "123456")]),
        ("disable_totp", &[("password", PW), ("code", "123456")]),
        ("regenerate_recovery_codes", &[("password", PW), ("code", "123456")]),
        ("password_status", &[]),
        ("password_strength", &[("password", "some candidate")]),
        (
            "change_password",
            &[("current_password", PW), ("new_password", "lantern orbit meadow 42"), ("confirm_password", "lantern orbit meadow 42")],
        ),
    ];
    for (f, fields) in every_account_function {
        let r = b.call(f, fields).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{f}: {}", r.body);
    }
    assert_eq!(b.call("current_user", &[]).await.body, "null", "not signed in as far as pages know");
    for page in
        ["/account/security/sessions", "/account/security/password", "/account/security/2fa", "/account/security/sessions/log-out-all", "/account"]
    {
        let r = b.get(page).await;
        assert_eq!(r.location(), Some("/signin/2fa"), "{page}");
    }
    assert_eq!(b.get("/signin/2fa").await.status, StatusCode::OK);

    let r = b.call("verify_second_factor", &[("code", &code(&key, app.clock.now_secs())), ("next", "/account/security/2fa")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/account/security/2fa"));
    assert_ne!(b.cookie("__Host-warden_session").expect("cookie"), pending_cookie, "a new token once fully signed in");
    assert_eq!(b.sessions(0).await["active"].as_array().map(Vec::len), Some(2));
    // The pending token opened only the second step and is dead now.
    let old = app.browser(FIREFOX_ANDROID);
    old.set_header("cookie", &format!("__Host-warden_session={pending_cookie}"));
    assert_eq!(old.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
}

async fn a_code_replayed_at_the_same_instant_succeeds_once(app: TestApp) {
    let (_, key, _) = with_2fa(&app, "vic").await;
    let one = app.browser(CHROME_WINDOWS);
    let two = app.browser(CHROME_WINDOWS);
    one.sign_in("vic", PW).await;
    two.sign_in("vic", PW).await;
    let c = code(&key, app.clock.now_secs());
    let fields = [("code", c.as_str()), ("next", "")];
    let (r1, r2) = tokio::join!(one.call("verify_second_factor", &fields), two.call("verify_second_factor", &fields));
    let ok = [&r1, &r2].iter().filter(|r| r.status.is_success()).count();
    assert_eq!(ok, 1, "{} {} / {} {}", r1.status, r1.body, r2.status, r2.body);
    // Replayed later within its window: still refused, and recorded.
    let three = app.browser(CHROME_WINDOWS);
    three.sign_in("vic", PW).await;
    app.clock.advance(10);
    assert_eq!(three.call("verify_second_factor", &[("code", &c), ("next", "")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An older code than the last accepted one is refused too.
    let older = code(&key, app.clock.now_secs() - 30);
    assert_eq!(three.call("verify_second_factor", &[("code", &older), ("next", "")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.clock.advance(30);
    let fresh = code(&key, app.clock.now_secs());
    assert!(three.call("verify_second_factor", &[("code", &fresh), ("next", "")]).await.status.is_success());
    let events = three.sessions(0).await["events"].to_string();
    assert!(events.to_lowercase().contains("reused two-factor code"), "{events}");
}

async fn a_recovery_code_works_once_and_regenerating_voids_the_old_ones(app: TestApp) {
    let (owner, key, codes) = with_2fa(&app, "wes").await;
    let b = app.browser(CHROME_WINDOWS);
    b.sign_in("wes", PW).await;
    let r = b.call("verify_second_factor", &[("code", &codes[0].to_uppercase()), ("next", "")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let c = app.browser(CHROME_WINDOWS);
    c.sign_in("wes", PW).await;
    assert_eq!(c.call("verify_second_factor", &[("code", &codes[0]), ("next", "")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(owner.call("two_factor_status", &[]).await.json()["recovery_codes_left"], 9);
    let mails = app.wait_for_mails("wes@example.com", 2).await;
    assert_eq!(mails.len(), 2, "one for turning 2FA on, one for the recovery code: {mails:?}");
    assert_eq!(mails[1].subject, "A recovery code was used on your Warden account");

    let r = owner.call("regenerate_recovery_codes", &[("password", PW), ("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let fresh: Vec<String> = serde_json::from_str(&r.body).expect("codes");
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|f| !codes.contains(f)));
    app.clock.advance(60); // past the throttle delay of the refused code above
    assert_eq!(
        c.call("verify_second_factor", &[("code", &codes[1]), ("next", "")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "old codes are void"
    );
    app.clock.advance(60);
    assert!(c.call("verify_second_factor", &[("code", &fresh[0]), ("next", "")]).await.status.is_success());
}

async fn disabling_needs_the_password_and_a_code(app: TestApp) {
    let (b, key, _) = with_2fa(&app, "xena").await;
    let now = app.clock.now_secs();
    let r = b.call("disable_totp", &[("password", "not my password"), ("code", &code(&key, now))]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b.call("disable_totp", &[("password", PW), ("code", "123 456")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.call("two_factor_status", &[]).await.json()["enabled_since"].is_object(), "still on");
    assert_eq!(app.mails_to("xena@example.com").await.len(), 1, "only the mail about turning it on");
    app.clock.advance(20);
    let r = b.call("disable_totp", &[("password", PW), ("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(b.call("two_factor_status", &[]).await.json()["enabled_since"].is_null());
    let mails = app.mails_to("xena@example.com").await;
    assert_eq!(mails.last().map(|m| m.subject.as_str()), Some("Two-factor authentication is off for your Warden account"));
    assert!(mails[1].text.contains("127.0.0.1") && mails[1].text.contains(&format!("{PUBLIC_URL}/account/security/sessions")));
    let r = app.browser(CHROME_WINDOWS).sign_in("xena", PW).await;
    assert_eq!(r.location(), Some("/account/security/sessions"), "password only again");
}

async fn wrong_codes_are_throttled_then_locked(app: TestApp) {
    let (_, key, _) = with_2fa(&app, "yuri").await;
    let b = app.browser(CHROME_WINDOWS);
    b.sign_in("yuri", PW).await;
    let right = code(&key, app.clock.now_secs());
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        assert_eq!(b.call("verify_second_factor", &[("code", wrong), ("next", "")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = b.call("verify_second_factor", &[("code", &right), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right code waits");
    app.clock.advance(2);
    assert!(b.call("verify_second_factor", &[("code", &right), ("next", "")]).await.status.is_success());
}

async fn an_unfinished_second_step_expires_and_shows_on_login_security(app: TestApp) {
    let (owner, key, _) = with_2fa(&app, "zoe").await;
    let intruder = app.browser(FIREFOX_ANDROID);
    intruder.sign_in("zoe", PW).await;
    let window_ends = app.clock.now_secs() + 300;
    app.clock.advance(301);
    owner.sessions(0).await; // the owner's own last-active moves once a minute
    let before = app.every_session_row().await;
    let s = owner.sessions(0).await;
    assert_eq!(s["active"].as_array().map(Vec::len), Some(1), "the pending sign-in never counted as active");
    let ended = s["ended"].as_array().expect("ended").iter().find(|e| e["end_reason"] == "Two-factor step not completed").cloned();
    let ended = ended.unwrap_or_else(|| panic!("{}", s["ended"]));
    assert_eq!(
        ended["ended"]["iso"].as_str(),
        Some(domain::support::time_fmt::iso(window_ends, &domain::support::zone::Zone::utc()).as_str()),
        "when its window ended"
    );
    // The owner also sees that the password was right: time to change it.
    assert!(s["events"].to_string().contains("Password accepted; two-factor code requested"));
    assert_eq!(app.every_session_row().await, before, "showing it wrote nothing");
    // The retention sweep writes it down as the page showed it.
    assert_eq!(app.warden.sweep().await.expect("sweep").sessions_lapsed, 1);
    let id = ended["id"].as_str().expect("id");
    assert_eq!(app.session_end(id).await, (Some(window_ends), Some("second_factor_not_completed".into())));
    assert_eq!(owner.sessions(0).await["ended"], s["ended"]);
    let r = intruder.call("verify_second_factor", &[("code", &code(&key, app.clock.now_secs())), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

const SESSION: &str = "__Host-warden_session";

/// A second browser of the account, fully signed in (with a code when 2FA
/// is on); the clock moves on a step so the next code is a new one.
async fn another_device(app: &TestApp, name: &str, key: Option<&str>) -> Browser {
    let b = app.browser(FIREFOX_ANDROID);
    b.sign_in(name, PW).await;
    if let Some(key) = key {
        let r = b.call("verify_second_factor", &[("code", &code(key, app.clock.now_secs())), ("next", "")]).await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
        app.clock.advance(30);
    }
    assert!(b.call("list_sessions", &[("page", "0")]).await.status.is_success());
    b
}

/// `b` was signed out: its next call is refused as not signed in.
async fn assert_signed_out(b: &Browser, what: &str) {
    let r = b.call("list_sessions", &[("page", "0")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.body);
    assert_eq!(r.json()["code"], "not_signed_in", "{what}");
}

/// `b` kept its token and its session: `old_cookie` still works.
async fn assert_kept_its_token(b: &Browser, old_cookie: &str) {
    assert_eq!(b.cookie(SESSION).as_deref(), Some(old_cookie), "no new token when nobody else was signed out");
    assert!(b.call("list_sessions", &[("page", "0")]).await.status.is_success());
}

/// `b` carries on under a new token; the old one opens nothing.
async fn assert_renewed(app: &TestApp, b: &Browser, old_cookie: &str) {
    let new = b.cookie(SESSION).expect("cookie");
    assert_ne!(new, old_cookie, "this session got a new token");
    let list = b.sessions(0).await;
    assert_eq!(list["active"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["ended"][0]["end_reason"], "Two-factor settings changed", "{}", list["ended"]);
    let stale = app.browser(CHROME_WINDOWS);
    stale.set_header("cookie", &format!("{SESSION}={old_cookie}"));
    assert_eq!(stale.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
}

/// A session thief (or a minute at an unlocked screen) must not be able to
/// plant a second factor: starting enrolment asks for the password, and
/// wrong ones count against the account's two-factor budget.
async fn starting_enrolment_needs_the_current_password(app: TestApp) {
    let b = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let r = b.call("start_totp", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a cookie alone starts nothing: {}", r.body);
    assert_eq!(r.json()["code"], "confirmation_required");
    let r = b.call("start_totp", &[("password", "not my password")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "wrong_current_password");
    let s = b.call("two_factor_status", &[]).await.json();
    assert!(s["pending"].is_null(), "no secret was made: {s}");
    // Without JavaScript, the form post is refused the same way.
    let r = b.form("/account/security/2fa?enable=1", "start_totp", &[("password", "still not it")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(!b.get("/account/security/2fa?enable=1").await.body.contains(r#"class="qr""#), "no QR code");
    assert!(b.call("two_factor_status", &[]).await.json()["pending"].is_null());
    // The form cannot be used to guess the password: after five wrong ones
    // (the account's one budget for passwords typed in a session) even the
    // right one waits.
    for guess in ["a third guess", "a fourth guess", "a fifth guess"] {
        let r = b.call("start_totp", &[("password", guess)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = b.call("start_totp", &[("password", PW)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(b.call("two_factor_status", &[]).await.json()["pending"].is_null());
    app.clock.advance(2);
    let key = start(&b).await;
    assert_eq!(key.replace(' ', "").len(), 32);
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("wrong password"), "the owner sees the failed attempts: {events}");
}

/// The secret of an enrolment is shown to, and confirmed by, only the
/// session that started it; another session sees no enrolment at all.
async fn a_pending_enrolment_belongs_to_the_session_that_started_it(app: TestApp) {
    let a = app.signed_in_user("quinn", PW, CHROME_WINDOWS).await;
    let b = another_device(&app, "quinn", None).await;
    let key = start(&a).await;
    let bare = key.replace(' ', "");

    let s = b.call("two_factor_status", &[]).await.json();
    assert!(s["pending"].is_null(), "session B sees no pending enrolment: {s}");
    assert!(!s.to_string().contains(&bare));
    let page = b.get("/account/security/2fa?enable=1").await.body;
    assert!(!page.contains(r#"class="qr""#) && !page.contains(&key), "nor its QR code or key on the page");
    let r = b.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "enrolment_not_started");
    let s = a.call("two_factor_status", &[]).await.json();
    assert!(s["enabled_since"].is_null(), "2FA is still off: {s}");
    assert_eq!(s["pending"]["key"], key.as_str(), "and A's enrolment still waits for A");

    // B starting its own replaces A's: A's secret is good for nothing now.
    let key_b = start(&b).await;
    assert_ne!(key_b, key);
    assert!(a.call("two_factor_status", &[]).await.json()["pending"].is_null());
    let r = a.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // An enrolment whose session ended is useless, even to the same browser signing in again.
    b.call("sign_out", &[]).await;
    assert!(b.cookie(SESSION).is_none(), "signed out");
    b.sign_in("quinn", PW).await;
    assert!(b.call("two_factor_status", &[]).await.json()["pending"].is_null());
    let r = b.call("confirm_totp", &[("code", &code(&key_b, app.clock.now_secs()))]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(a.call("two_factor_status", &[]).await.json()["enabled_since"].is_null(), "still off");

    // A new start in that session works as usual.
    let key_c = start(&b).await;
    let r = b.call("confirm_totp", &[("code", &code(&key_c, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(a.call("two_factor_status", &[]).await.json()["enabled_since"].is_object());
}

async fn enabling_can_sign_out_the_other_devices(app: TestApp) {
    // The box ticked: the phone is signed out, this browser carries on under a new token.
    let a = app.signed_in_user("rosa", PW, CHROME_WINDOWS).await;
    let phone = another_device(&app, "rosa", None).await;
    let key = start(&a).await;
    let old = a.cookie(SESSION).expect("cookie");
    let r = a.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs())), ("sign_out_others", "on")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(serde_json::from_str::<Vec<String>>(&r.body).expect("codes").len(), 10);
    assert_signed_out(&phone, "the other device").await;
    assert_renewed(&app, &a, &old).await;
    assert!(a.call("two_factor_status", &[]).await.json()["enabled_since"].is_object());
    let events = a.sessions(0).await["events"].to_string();
    assert!(events.contains("1 other session signed out"), "{events}");

    // The box left empty: the other device stays signed in.
    let b = app.signed_in_user("sami", PW, CHROME_WINDOWS).await;
    let phone = another_device(&app, "sami", None).await;
    let key = start(&b).await;
    let old = b.cookie(SESSION).expect("cookie");
    let r = b.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(phone.call("list_sessions", &[("page", "0")]).await.status.is_success(), "the phone stays signed in");
    assert_kept_its_token(&b, &old).await;

    // Without JavaScript: the form's checkbox, the new token and the codes after the redirect.
    let c = app.signed_in_user("tomas", PW, CHROME_WINDOWS).await;
    let phone = another_device(&app, "tomas", None).await;
    let key = start(&c).await;
    let old = c.cookie(SESSION).expect("cookie");
    let r = c.form("/account/security/2fa?enable=1", "confirm_totp", &[("code", &code(&key, app.clock.now_secs())), ("sign_out_others", "on")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_signed_out(&phone, "the other device, form post").await;
    assert_renewed(&app, &c, &old).await;
    let page = c.get("/account/security/2fa").await.body;
    assert_eq!(page.matches("<li><code>").count(), 10, "the codes survive the new token");
}

async fn disabling_can_sign_out_the_other_devices(app: TestApp) {
    let (a, key, _) = with_2fa(&app, "uwe").await;
    let phone = another_device(&app, "uwe", Some(&key)).await;
    let old = a.cookie(SESSION).expect("cookie");
    let r = a.call("disable_totp", &[("password", PW), ("code", &code(&key, app.clock.now_secs())), ("sign_out_others", "on")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_signed_out(&phone, "the other device").await;
    assert_renewed(&app, &a, &old).await;
    assert!(a.call("two_factor_status", &[]).await.json()["enabled_since"].is_null());

    let (b, key, _) = with_2fa(&app, "vanja").await;
    let phone = another_device(&app, "vanja", Some(&key)).await;
    let old = b.cookie(SESSION).expect("cookie");
    let r = b.call("disable_totp", &[("password", PW), ("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(phone.call("list_sessions", &[("page", "0")]).await.status.is_success(), "the phone stays signed in");
    assert_kept_its_token(&b, &old).await;
}

async fn regenerating_can_sign_out_the_other_devices_and_mails_the_owner(app: TestApp) {
    let (a, key, _) = with_2fa(&app, "wim").await;
    let phone = another_device(&app, "wim", Some(&key)).await;
    assert_eq!(app.mails_to("wim@example.com").await.len(), 1, "the mail about turning 2FA on");

    // Box empty: new codes, the phone stays, and the owner hears of it.
    let old = a.cookie(SESSION).expect("cookie");
    let r = a.call("regenerate_recovery_codes", &[("password", PW), ("code", &code(&key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(phone.call("list_sessions", &[("page", "0")]).await.status.is_success(), "the phone stays signed in");
    assert_kept_its_token(&a, &old).await;
    let mails = app.mails_to("wim@example.com").await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1].subject, "New recovery codes were made for your Warden account");
    for part in [&mails[1].text, &mails[1].html] {
        assert!(part.contains("127.0.0.1") && part.contains("Chrome"), "when, device and IP: {part}");
        assert!(part.contains(&format!("{PUBLIC_URL}/account/security/sessions")));
    }

    // Box ticked: the phone is signed out.
    app.clock.advance(30);
    let r = a.call("regenerate_recovery_codes", &[("password", PW), ("code", &code(&key, app.clock.now_secs())), ("sign_out_others", "on")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(serde_json::from_str::<Vec<String>>(&r.body).expect("codes").len(), 10);
    assert_signed_out(&phone, "the other device").await;
    assert_renewed(&app, &a, &old).await;
    assert_eq!(app.mails_to("wim@example.com").await.len(), 3);
}

/// A code from the step before is taken only in the first seconds of the
/// next one (for a phone a little behind, or a code typed as it changed),
/// so a code lives about 40 seconds, not 60.
async fn a_code_from_the_previous_step_works_only_in_the_first_seconds_of_the_next(app: TestApp) {
    let (_, key, _) = with_2fa(&app, "ivo").await; // the clock stands at the start of a step
    let b = app.browser(CHROME_WINDOWS);
    b.sign_in("ivo", PW).await;
    app.clock.advance(25);
    let late = code(&key, app.clock.now_secs());
    app.clock.advance(15); // 10 s into the next step: too late
    let r = b.call("verify_second_factor", &[("code", &late), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "wrong_code");
    app.clock.advance(15);
    let in_time = code(&key, app.clock.now_secs());
    app.clock.advance(14); // 9 s into the next step: still taken
    let r = b.call("verify_second_factor", &[("code", &in_time), ("next", "")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
}

/// What the owner finds in their mailbox: (subject, text) of every mail the
/// worker has delivered to `dir` so far.
fn delivered(dir: &std::path::Path, to: &str) -> Vec<(String, String)> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir).expect("outbox").map(|e| e.expect("entry").path()).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
        .iter()
        .filter_map(|f| {
            let raw = std::fs::read(f).expect("read");
            let m = mail_parser::MessageParser::default().parse(&raw).expect("message");
            let rcpt = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned();
            (rcpt == to).then(|| (m.subject().unwrap_or_default().to_owned(), m.body_text(0).map(|t| t.into_owned()).unwrap_or_default()))
        })
        .collect()
}

/// A right password whose two-factor step is never finished tells the
/// owner, once its window has passed: someone may know the password.
/// Signing out of the waiting step cancels nothing; finishing it does.
async fn a_password_left_without_its_second_step_mails_the_owner(app: TestApp) {
    let (_, key, _) = with_2fa(&app, "nell").await;
    let dir = std::env::temp_dir().join(format!("warden-outbox-{}", domain::support::random::public_id()));
    let worker =
        server::mail::MailWorker::new(app.warden.clone(), server::mail::Transport::outbox(dir.clone()).expect("outbox"), "Warden <w@warden.example>")
            .expect("worker");
    let to = "nell@example.com";
    let not_finished = |mails: &[(String, String)]| mails.iter().filter(|(s, _)| s.contains("two-factor step was not completed")).count();

    // The owner signs in and finishes the step in time.
    let owner = app.browser(FIREFOX_ANDROID);
    owner.sign_in("nell", PW).await;
    app.clock.advance(20);
    let r = owner.call("verify_second_factor", &[("code", &code(&key, app.clock.now_secs())), ("next", "")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    // Someone else gets the password right, stops at the code, and signs out of the step.
    let thief = app.browser(CHROME_WINDOWS);
    thief.sign_in("nell", PW).await;
    let tried_at = app.clock.now_secs();
    thief.call("sign_out", &[]).await;

    worker.run_once().await;
    assert_eq!(not_finished(&delivered(&dir, to)), 0, "nothing yet: the step may still be under way");
    app.clock.advance(299);
    worker.run_once().await;
    assert_eq!(not_finished(&delivered(&dir, to)), 0, "still inside the five-minute window");
    app.clock.advance(1);
    worker.run_once().await;
    let mails = delivered(&dir, to);
    assert_eq!(not_finished(&mails), 1, "one notice, for the unfinished sign-in only: {mails:?}");
    let (subject, text) = mails.iter().find(|(s, _)| s.contains("two-factor step was not completed")).expect("notice");
    assert_eq!(subject, "Your Warden password was entered, but the two-factor step was not completed");
    assert!(text.contains(&domain::support::time_fmt::display(tried_at, &domain::support::zone::Zone::utc())), "when: {text}");
    assert!(text.contains("127.0.0.1") && text.contains("Chrome 120.0 on Windows"), "from where: {text}");
    assert!(text.contains("change your password") && text.contains(&format!("{PUBLIC_URL}/account/security/password")), "what to do: {text}");
    app.clock.advance(3600);
    worker.run_once().await;
    assert_eq!(not_finished(&delivered(&dir, to)), 1, "and only once");
    let _ = std::fs::remove_dir_all(&dir);
}

on_both_backends!(after_the_second_step_next_is_still_only_a_local_path);

/// The open redirect of the review (F1) through the second step: `next`
/// is carried to `/signin/2fa` already made safe, and checked again there.
async fn after_the_second_step_next_is_still_only_a_local_path(app: TestApp) {
    let (b, key, _) = with_2fa(&app, "ines").await;
    let r = b.call("sign_in", &[("login", "ines"), ("password", PW), ("next", "/%09/evil.example")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/signin/2fa?next=/account/security/sessions"));
    let r = b.form("/signin/2fa", "verify_second_factor", &[("code", &code(&key, app.clock.now_secs())), ("next", "/\t/evil.example")]).await;
    assert_eq!(r.location(), Some("/account/security/sessions"));
}
