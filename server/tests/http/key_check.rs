//! A security key as the second factor of a change that asks for one (the
//! PIN's settings, creating an API token): an account whose only second
//! factor is a key is asked for it, as an account with the authenticator
//! app is asked for a code. The key answers a check this session started;
//! the answer is single use and only this session's.

use crate::common::*;
use crate::security_keys::{add_key, SoftKey};
use reqwest::StatusCode;

const PW: &str = "correct horse battery";

on_both_backends!(a_key_only_account_proves_pin_changes_with_its_key_or_a_recovery_code, an_api_token_on_a_key_only_account_takes_the_key,);

async fn check_options(b: &Browser) -> String {
    let r = b.call("start_key_check", &[]).await;
    assert!(r.status.is_success(), "start_key_check: {} {}", r.status, r.body);
    serde_json::from_str(&r.body).expect("options string")
}

async fn pin_set(b: &Browser) -> bool {
    b.call("protection_status", &[]).await.json()["set_since"].is_object()
}

async fn a_key_only_account_proves_pin_changes_with_its_key_or_a_recovery_code(app: TestApp) {
    let b = app.signed_in_user("ulla", PW, CHROME_WINDOWS).await;
    // Without a second factor there is nothing to check a key against.
    let r = b.call("start_key_check", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let mut key = SoftKey::new();
    let added = add_key(&b, &mut key, "YubiKey 5").await;
    let recovery = added["recovery_codes"][0].as_str().expect("a code").to_owned();
    // Past the minutes in which adding the key spares asking again.
    app.clock.advance(app.warden.config().step_up.window_secs + 1);
    let s = b.call("protection_status", &[]).await.json();
    assert_eq!((s["two_factor_on"].as_bool(), s["security_key"].as_bool()), (Some(true), Some(true)), "{s}");
    let page = b.get("/account/security/protection?enable=1").await.body;
    assert!(page.contains("Use security key instead") && page.contains("Authentication code or recovery code"), "{page}");

    // The password alone no longer sets a PIN.
    let r = b.call("set_pin", &[("password", PW), ("pin", "2468"), ("confirm_pin", "2468")]).await;
    assert_eq!(r.json()["code"], "wrong_password_or_code", "{}", r.body);
    assert!(!pin_set(&b).await);

    // The key's answer to this session's check does.
    let answer = key.assert(&check_options(&b).await);
    let r = b.call("set_pin", &[("password", PW), ("code", &answer), ("pin", "2468"), ("confirm_pin", "2468")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(pin_set(&b).await);

    // Used once: the same answer again is refused and removes nothing.
    let r = b.call("remove_pin", &[("password", PW), ("code", &answer)]).await;
    assert_eq!(r.json()["code"], "key_challenge_expired", "{}", r.body);
    assert!(pin_set(&b).await);

    // Another session's check is not this one's.
    let other = app.browser(FIREFOX_ANDROID);
    other.sign_in("ulla", PW).await;
    let stolen = SoftKey::assert(&mut key, &check_options(&b).await);
    let r = other.call("finish_key_sign_in", &[("credential", &stolen), ("next", "")]).await;
    assert!(!r.status.is_success(), "a check's answer does not complete a sign-in: {}", r.body);
    let r = b.call("remove_pin", &[("password", "wrong"), ("code", &stolen)]).await;
    assert!(!r.status.is_success(), "{}", r.body);
    assert!(pin_set(&b).await);

    // A recovery code still serves.
    let r = b.call("remove_pin", &[("password", PW), ("code", &recovery)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(!pin_set(&b).await);
    let ev = b.sessions(0).await["events"].to_string();
    assert!(ev.contains("PIN removed") || ev.contains("PIN"), "{ev}");
}

async fn an_api_token_on_a_key_only_account_takes_the_key(app: TestApp) {
    let b = app.signed_in_user("vito", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    add_key(&b, &mut key, "YubiKey 5").await;
    app.clock.advance(app.warden.config().step_up.window_secs + 1);
    let s = b.call("api_tokens_status", &[]).await.json();
    assert_eq!((s["two_factor_on"].as_bool(), s["security_key"].as_bool()), (Some(true), Some(true)), "{s}");
    let fields = [("name", "nightly"), ("username", "vito"), ("password", PW), ("expiry", "30"), ("access", "read")];
    let page = b.get("/account/security/api-tokens").await.body;
    assert!(page.contains("Use security key instead"), "{page}");
    let r = b.call("create_api_token", &fields).await;
    assert_eq!(r.json()["code"], "wrong_password_or_code", "{}", r.body);

    // An answer from a key that is not on the account is refused.
    let mut stranger = SoftKey::new();
    stranger.id = key.id.clone();
    let forged = stranger.assert(&check_options(&b).await);
    let mut with_code = fields.to_vec();
    with_code.push(("code", &forged));
    let r = b.call("create_api_token", &with_code).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    assert_eq!(b.call("api_tokens_status", &[]).await.json()["tokens"].as_array().map(Vec::len), Some(0));

    let answer = key.assert(&check_options(&b).await);
    let mut with_code = fields.to_vec();
    with_code.push(("code", &answer));
    let r = b.call("create_api_token", &with_code).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(r.json()["token"].as_str().is_some_and(|t| t.starts_with("wdn_")), "{}", r.body);
}
