//! The step-up table (`domain::sensitive`), row by row, for an account with
//! no second factor, with the authenticator app, with a security key only,
//! and with both: what each sensitive change asks for, through the same
//! server functions the pages call, and the window a passed proof opens.
//!
//! Each row is tried with a request that, once past the step-up, fails
//! harmlessly (an empty name, an unknown id, no PIN to change), so the
//! answer tells whether the step-up let it through.

use crate::common::*;
use crate::security_keys::{add_key, SoftKey};
use crate::two_factor::{code, Now};
use domain::sensitive::Operation;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    NoSecondFactor,
    App,
    KeyOnly,
    AppAndKey,
}

impl Kind {
    fn has_second_factor(self) -> bool {
        self != Kind::NoSecondFactor
    }
}

/// A signed-in account of `kind` and what proves its second factor.
struct Subject {
    b: Browser,
    name: String,
    app_key: Option<String>,
    key: Option<SoftKey>,
}

async fn subject(app: &TestApp, name: &str, kind: Kind) -> Subject {
    let b = app.signed_in_user(name, PW, CHROME_WINDOWS).await;
    let mut s = Subject { b, name: name.to_owned(), app_key: None, key: None };
    if matches!(kind, Kind::KeyOnly | Kind::AppAndKey) {
        let mut key = SoftKey::new();
        add_key(&s.b, &mut key, "YubiKey").await;
        s.key = Some(key);
    }
    if matches!(kind, Kind::App | Kind::AppAndKey) {
        let second = second_factor(app, &mut s).await;
        let r = s.b.call("start_totp", &[("password", PW), ("code", &second.unwrap_or_default())]).await;
        assert!(r.status.is_success(), "start_totp: {}", r.body);
        let key = s.b.call("two_factor_status", &[]).await.json()["pending"]["key"].as_str().expect("pending").to_owned();
        let r = s.b.call("confirm_totp", &[("code", &code(&key, app.clock.now_secs()))]).await;
        assert!(r.status.is_success(), "confirm_totp: {}", r.body);
        s.app_key = Some(key);
    }
    // Whatever window setting it up opened is over.
    close_window(app);
    s
}

/// Lets the step-up window (and the last code's step) pass.
fn close_window(app: &TestApp) {
    app.clock.advance(app.warden.config().step_up.window_secs + 31);
}

/// A second factor for a change: the app's current code, else the key's
/// answer to a key check this session starts; `None` without one.
async fn second_factor(app: &TestApp, s: &mut Subject) -> Option<String> {
    if let Some(k) = &s.app_key {
        return Some(code(k, app.clock.now_secs()));
    }
    let key = s.key.as_mut()?;
    let r = s.b.call("start_key_check", &[]).await;
    assert!(r.status.is_success(), "start_key_check: {}", r.body);
    let options: String = serde_json::from_str(&r.body).expect("options");
    Some(key.assert_for(&options, PUBLIC_URL, None))
}

/// The row's request, with `proof` added, as its form sends it.
async fn attempt(s: &Subject, op: Operation, proof: &[(&str, &str)]) -> Resp {
    let mut fields: Vec<(&str, &str)> = proof.to_vec();
    let name = s.name.as_str();
    let (function, own): (&str, Vec<(&str, &str)>) = match op {
        Operation::AddSecurityKey => ("start_security_key", vec![("name", "")]),
        Operation::RemoveSecurityKey => ("remove_security_key", vec![("id", "999999")]),
        Operation::EnrolAuthenticatorApp => ("start_totp", vec![]),
        Operation::DisableAuthenticatorApp => ("disable_totp", vec![]),
        Operation::RegenerateRecoveryCodes => ("regenerate_recovery_codes", vec![]),
        Operation::SetPin => ("set_pin", vec![("pin", "12"), ("confirm_pin", "12")]),
        Operation::ChangePin => ("change_pin", vec![("pin", "40719"), ("confirm_pin", "40719")]),
        Operation::RemovePin => ("remove_pin", vec![]),
        Operation::CreateApiToken => ("create_api_token", vec![("name", ""), ("username", name), ("expiry", "30"), ("access", "read")]),
        Operation::LimitApiTokenNetworks => ("set_api_token_networks", vec![("id", "999999"), ("networks", ""), ("username", name)]),
        Operation::RegenerateApiToken => ("regenerate_api_token", vec![("id", "999999"), ("overlap", "1h"), ("username", name)]),
        Operation::EndSession => ("end_session", vec![("session_id", "0123456789abcdef0123456789abcdef")]),
        Operation::EndAllSessions => ("end_all_sessions", vec![]),
        Operation::TurnOffSignInAlerts => ("set_sign_in_alerts", vec![("on", "false")]),
        Operation::ManageWebhooks => ("rotate_webhook_secret", vec![("id", "999999")]),
    };
    fields.extend(own);
    s.b.call(function, &fields).await
}

fn code_of(r: &Resp) -> String {
    serde_json::from_str::<serde_json::Value>(&r.body).ok().and_then(|v| v["code"].as_str().map(str::to_owned)).unwrap_or_default()
}

/// Whether the step-up let the request through (whatever came after it).
fn passed(r: &Resp) -> bool {
    !matches!(
        code_of(r).as_str(),
        "confirmation_required"
            | "wrong_password_or_code"
            | "wrong_current_password"
            | "invalid_credentials"
            | "throttled"
            | "wrong_code"
            | "key_not_accepted"
            | "key_challenge_expired"
    ) && r.status != StatusCode::TOO_MANY_REQUESTS
}

/// Tries every row on a fresh account of `kind`, the changes that end
/// something last.
async fn every_row(app: &TestApp, kind: Kind, name: &str) {
    let mut s = subject(app, name, kind).await;
    // Turning the app off changes the account: it goes last but one.
    let mut order: Vec<Operation> =
        Operation::ALL.into_iter().filter(|op| !matches!(op, Operation::DisableAuthenticatorApp | Operation::EndAllSessions)).collect();
    order.extend([Operation::DisableAuthenticatorApp, Operation::EndAllSessions]);
    assert_eq!(order.len(), Operation::ALL.len());
    let mut kind = kind;
    for op in order {
        let all = domain::sensitive::rule(op).factors == domain::sensitive::Factors::All;
        let needs_second = all && kind.has_second_factor();
        let every_time = domain::sensitive::rule(op).password_every_time;

        // Nothing: refused, and nothing asked is a password.
        let r = attempt(&s, op, &[]).await;
        assert_eq!(code_of(&r), "confirmation_required", "{kind:?} {op:?} without anything: {}", r.body);
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // The password alone.
        let r = attempt(&s, op, &[("password", PW)]).await;
        if needs_second {
            assert_eq!(code_of(&r), "wrong_password_or_code", "{kind:?} {op:?}: the password alone is not enough: {}", r.body);
            // A wrong second factor is refused too.
            let r = attempt(&s, op, &[("password", PW), ("code", "000000")]).await;
            assert!(!passed(&r), "{kind:?} {op:?} with a wrong code: {}", r.body);
            // The password and a second factor.
            let second = second_factor(app, &mut s).await.expect("a second factor");
            let r = attempt(&s, op, &[("password", PW), ("code", &second)]).await;
            assert!(passed(&r), "{kind:?} {op:?} with both factors: {}", r.body);
        } else {
            assert!(passed(&r), "{kind:?} {op:?} takes the password alone: {}", r.body);
        }
        if op == Operation::EndAllSessions {
            assert!(s.b.call("list_sessions", &[("page", "0")]).await.status == StatusCode::UNAUTHORIZED, "{kind:?}: every session ended");
            break;
        }
        if op == Operation::DisableAuthenticatorApp {
            kind = match kind {
                Kind::App => Kind::NoSecondFactor,
                Kind::AppAndKey => Kind::KeyOnly,
                k => k,
            };
            s.app_key = None;
        }

        // Within the window nothing is asked again, but the token form's password.
        let r = attempt(&s, op, &[]).await;
        if every_time {
            assert_eq!(code_of(&r), "confirmation_required", "{kind:?} {op:?} asks for the password every time: {}", r.body);
            let r = attempt(&s, op, &[("password", PW)]).await;
            assert!(passed(&r), "{kind:?} {op:?}: within the window the password is enough: {}", r.body);
        } else {
            assert!(passed(&r), "{kind:?} {op:?} within the window: {}", r.body);
        }
        close_window(app);
    }
}

on_both_backends!(
    every_row_of_the_step_up_table_on_an_account_without_a_second_factor,
    every_row_of_the_step_up_table_with_the_authenticator_app,
    every_row_of_the_step_up_table_with_a_security_key_only,
    every_row_of_the_step_up_table_with_the_app_and_a_key,
    ending_sessions_opens_only_a_password_window_on_an_account_with_a_second_factor,
    the_window_is_shown_lasts_ten_minutes_and_ends_with_the_session,
    a_right_password_never_gives_back_the_second_factor_budget,
);

async fn every_row_of_the_step_up_table_on_an_account_without_a_second_factor(app: TestApp) {
    every_row(&app, Kind::NoSecondFactor, "nora").await;
}

async fn every_row_of_the_step_up_table_with_the_authenticator_app(app: TestApp) {
    every_row(&app, Kind::App, "abel").await;
}

async fn every_row_of_the_step_up_table_with_a_security_key_only(app: TestApp) {
    every_row(&app, Kind::KeyOnly, "kim").await;
}

async fn every_row_of_the_step_up_table_with_the_app_and_a_key(app: TestApp) {
    every_row(&app, Kind::AppAndKey, "bea").await;
}

async fn ending_sessions_opens_only_a_password_window_on_an_account_with_a_second_factor(app: TestApp) {
    let mut s = subject(&app, "ezra", Kind::KeyOnly).await;
    let r = s.b.call("confirm_identity", &[("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let status = s.b.call("step_up_status", &[]).await.json();
    assert_eq!(status["covers_all"], false, "{status}");
    assert!(status["confirmed_until"].is_object(), "{status}");
    assert!(passed(&attempt(&s, Operation::EndSession, &[]).await), "ending a session is covered");
    // The key-only account's key is not given up to the password alone
    // (the review's G2): not removed, no passkey added, no app enrolled.
    for op in [Operation::RemoveSecurityKey, Operation::AddSecurityKey, Operation::EnrolAuthenticatorApp, Operation::SetPin] {
        let r = attempt(&s, op, &[("password", PW)]).await;
        assert_eq!(code_of(&r), "wrong_password_or_code", "{op:?}: {}", r.body);
    }
    let keys = s.b.call("security_keys", &[]).await.json();
    let id = keys[0]["id"].as_i64().expect("the key").to_string();
    let r = s.b.call("remove_security_key", &[("id", &id), ("password", PW)]).await;
    assert_eq!(code_of(&r), "wrong_password_or_code", "{}", r.body);
    assert_eq!(s.b.call("security_keys", &[]).await.json().as_array().map(Vec::len), Some(1), "the key stays");
    // With the key it goes, and the window now covers everything.
    let answer = second_factor(&app, &mut s).await.expect("answer");
    let r = s.b.call("remove_security_key", &[("id", &id), ("password", PW), ("code", &answer)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(s.b.call("step_up_status", &[]).await.json()["covers_all"], true);
}

async fn the_window_is_shown_lasts_ten_minutes_and_ends_with_the_session(app: TestApp) {
    let b = app.signed_in_user("wyn", PW, CHROME_WINDOWS).await;
    let status = b.call("step_up_status", &[]).await.json();
    assert!(status["confirmed_until"].is_null(), "a new session is not confirmed: {status}");
    assert_eq!(status["window_minutes"], 10);
    assert!(b.call("confirm_identity", &[("password", PW)]).await.status.is_success());
    app.clock.advance(60);
    let status = b.call("step_up_status", &[]).await.json();
    assert_eq!(status["minutes_left"], 9, "Confirmed for 9 more minutes: {status}");
    let page = b.get("/account/security/protection?enable=1").await;
    assert!(
        page.body.contains("Confirmed it&#x27;s you for 9 more minutes") || page.body.contains("Confirmed it's you for 9 more minutes"),
        "the page says so"
    );
    app.clock.advance(9 * 60 + 1);
    assert!(b.call("step_up_status", &[]).await.json()["confirmed_until"].is_null(), "over after ten minutes");
    // Signing out ends it with the session: the next session starts unconfirmed.
    assert!(b.call("confirm_identity", &[("password", PW)]).await.status.is_success());
    b.call("sign_out", &[]).await;
    b.sign_in("wyn", PW).await;
    assert!(b.call("step_up_status", &[]).await.json()["confirmed_until"].is_null());
    // And another session of the account never shares it.
    assert!(b.call("confirm_identity", &[("password", PW)]).await.status.is_success());
    let other = app.browser(FIREFOX_ANDROID);
    other.sign_in("wyn", PW).await;
    assert!(other.call("step_up_status", &[]).await.json()["confirmed_until"].is_null());
}

async fn a_right_password_never_gives_back_the_second_factor_budget(app: TestApp) {
    let mut s = subject(&app, "gil", Kind::App).await;
    let free = app.warden.config().two_factor.backoff.free_failures;
    // Wrong codes, each with the right password: the review's attack C.
    for _ in 0..free {
        let r = s.b.call("disable_totp", &[("password", PW), ("code", "000000")]).await;
        assert_eq!(code_of(&r), "wrong_code", "{}", r.body);
    }
    // A right password elsewhere (confirming it's you, or starting to add a
    // key, which asks for the second factor too) does not reset it.
    assert!(s.b.call("confirm_identity", &[("password", PW)]).await.status.is_success());
    let r = s.b.call("start_security_key", &[("name", "x"), ("password", PW)]).await;
    assert_eq!(code_of(&r), "wrong_password_or_code", "{}", r.body);
    let r = s.b.call("disable_totp", &[("password", PW), ("code", "000000")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    let right = second_factor(&app, &mut s).await.expect("code");
    assert_eq!(
        s.b.call("disable_totp", &[("password", PW), ("code", &right)]).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code waits"
    );
}
