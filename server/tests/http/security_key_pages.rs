//! The pages of security keys as the server renders them, which is what a
//! browser without JavaScript gets: adding a key and using one need
//! JavaScript (WebAuthn has no form post) and say so, while the list, the
//! removal and the other second-step methods keep working as plain pages.

use crate::common::*;
use crate::security_keys::{add_key, SoftKey};
use reqwest::StatusCode;

const PW: &str = "correct horse battery";

on_both_backends!(
    without_javascript_the_key_method_says_what_it_needs_and_the_rest_works,
    the_second_step_offers_the_key_first_and_only_the_methods_the_account_has,
    adding_or_removing_a_key_signs_out_the_other_devices_when_asked,
);

async fn without_javascript_the_key_method_says_what_it_needs_and_the_rest_works(app: TestApp) {
    let b = app.signed_in_user("nora", PW, CHROME_WINDOWS).await;
    let page = b.get("/account/security/2fa").await.body;
    assert!(page.contains("Security keys and passkeys"), "{page}");
    assert!(page.contains("No security keys yet."), "{page}");
    assert!(page.contains("Adding a security key needs a browser with JavaScript turned on"), "{page}");
    let button = page.split("Add security key</button>").next().and_then(|s| s.rsplit("<button").next()).unwrap_or_default();
    assert!(button.contains("disabled"), "the add button is disabled before the page is live: {button}");
    assert!(page.contains("Two-factor authentication is off."), "{page}");

    add_key(&b, &mut SoftKey::new(), "YubiKey <5>").await;
    let page = b.get("/account/security/2fa").await.body;
    assert!(page.contains("YubiKey &lt;5&gt;") && !page.contains("YubiKey <5>"), "the name is escaped: {page}");
    assert!(page.contains("Never used to sign in"), "{page}");
    assert!(page.contains("Two-factor authentication is on"), "{page}");
    assert!(page.contains("Recovery codes left: 10"), "{page}");
    assert!(!page.contains("Two-factor authentication is off."), "{page}");

    // Removing is a plain form post, the password asked again.
    let id = b.call("security_keys", &[]).await.json()[0]["id"].as_i64().expect("id").to_string();
    let r = b.form("/account/security/2fa", "remove_security_key", &[("id", &id), ("password", "wrong")]).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    assert_eq!(b.call("security_keys", &[]).await.json().as_array().map(Vec::len), Some(1), "a wrong password removes nothing");
    let r = b.form("/account/security/2fa", "remove_security_key", &[("id", &id), ("password", PW)]).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let page = b.get("/account/security/2fa").await.body;
    assert!(page.contains("No security keys yet.") && page.contains("Two-factor authentication is off."), "{page}");

    let guest = app.browser(FIREFOX_ANDROID);
    let page = guest.get("/signin").await.body;
    assert!(page.contains("Sign in with a passkey"), "{page}");
    assert!(page.contains("Passkeys need a browser with JavaScript turned on."), "{page}");
}

async fn the_second_step_offers_the_key_first_and_only_the_methods_the_account_has(app: TestApp) {
    let owner = app.signed_in_user("olga", PW, CHROME_WINDOWS).await;
    let added = add_key(&owner, &mut SoftKey::new(), "YubiKey 5").await;
    let code = added["recovery_codes"][0].as_str().expect("a code").to_owned();

    let b = app.browser(FIREFOX_ANDROID);
    b.sign_in("olga", PW).await;
    let page = b.get("/signin/2fa?next=/account/security/password").await.body;
    assert!(page.contains("Use security key"), "the key comes first: {page}");
    assert!(page.contains("A security key needs a browser with JavaScript turned on."), "{page}");
    assert!(page.contains("/signin/2fa?method=recovery&amp;next=/account/security/password"), "{page}");
    assert!(!page.contains("method=app"), "no authenticator app on this account: {page}");
    assert!(!page.contains("Six-digit code"), "{page}");
    // Asking for a method the account does not have shows the key.
    let page = b.get("/signin/2fa?method=app").await.body;
    assert!(page.contains("Use security key") && !page.contains("Six-digit code"), "{page}");

    let page = b.get("/signin/2fa?method=recovery&next=/account/security/password").await.body;
    assert!(page.contains("Recovery code") && page.contains("Use your security key instead"), "{page}");
    let r = b.form("/signin/2fa?method=recovery", "verify_second_factor", &[("code", &code), ("next", "/account/security/password")]).await;
    assert_eq!(r.location(), Some("/account/security/password"), "{} {}", r.status, r.body);
}

async fn adding_or_removing_a_key_signs_out_the_other_devices_when_asked(app: TestApp) {
    let b = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("pia", PW).await;
    let signed_in = |r: Resp| r.status.is_success();
    // Without the box ticked the phone stays signed in.
    let mut yubikey = SoftKey::new();
    add_key(&b, &mut yubikey, "YubiKey 5").await;
    assert!(signed_in(phone.call("list_sessions", &[("page", "0")]).await));

    // Ticked: the phone is signed out, this browser carries on (a new token).
    let r = b.call("start_security_key", &[("name", "Backup"), ("password", PW)]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    let answer = SoftKey::new().register(&options, PUBLIC_URL);
    let r = b.call("finish_security_key", &[("credential", &answer), ("sign_out_others", "on")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(phone.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    assert!(signed_in(b.call("list_sessions", &[("page", "0")]).await));

    // The phone signs in again, with the key; removing a key with the box
    // ticked signs it out once more.
    phone.sign_in("pia", PW).await;
    let r = phone.call("start_key_sign_in", &[]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    let r = phone.call("finish_key_sign_in", &[("credential", &yubikey.assert(&options)), ("next", "")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(signed_in(phone.call("list_sessions", &[("page", "0")]).await));
    let keys = b.call("security_keys", &[]).await.json();
    let id = keys[1]["id"].as_i64().expect("id").to_string();
    let r = b.form("/account/security/2fa", "remove_security_key", &[("id", &id), ("password", PW), ("sign_out_others", "on")]).await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    assert_eq!(phone.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    assert!(signed_in(b.call("list_sessions", &[("page", "0")]).await));
    let ev = b.sessions(0).await["events"].to_string();
    assert!(ev.contains("Backup; 1 other session signed out"), "{ev}");
}
