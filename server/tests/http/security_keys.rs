//! Security keys (WebAuthn) over HTTP, with a software authenticator written
//! here from the specification (W3C WebAuthn Level 2 §6.1 authenticator
//! data, §6.5.4 "none" attestation; COSE ES256 keys, RFC 8152), signing with
//! P-256 ECDSA, not with anything of Warden's or of its verifier's.

use crate::common::*;
use base64::Engine as _;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PW: &str = "correct horse battery";
/// The origin the browser would report: the configured public URL.
const ORIGIN: &str = PUBLIC_URL;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Minimal CBOR (RFC 8949) for the few shapes an attestation object needs.
fn cbor_head(major: u8, n: usize) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=255 => vec![m | 24, n as u8],
        _ => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
    }
}
fn cbor_int(i: i64) -> Vec<u8> {
    if i >= 0 {
        cbor_head(0, i as usize)
    } else {
        cbor_head(1, (-1 - i) as usize)
    }
}
fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut v = cbor_head(2, b.len());
    v.extend_from_slice(b);
    v
}
fn cbor_text(s: &str) -> Vec<u8> {
    let mut v = cbor_head(3, s.len());
    v.extend_from_slice(s.as_bytes());
    v
}

/// A security key in software: one ES256 credential and its signature counter.
pub(crate) struct SoftKey {
    pub(crate) id: Vec<u8>,
    key: SigningKey,
    pub counter: u32,
    /// Kept on the authenticator (discoverable): it answers a request that
    /// names no key, with the user handle it was registered under.
    pub resident: bool,
    /// The user handle it was registered under.
    pub user_handle: Option<Vec<u8>>,
    /// Whether it verifies its user (PIN or biometric) when it answers.
    pub uv: bool,
}

impl SoftKey {
    pub(crate) fn new() -> Self {
        SoftKey {
            id: rand::random::<[u8; 32]>().to_vec(),
            key: SigningKey::random(&mut rand::rngs::OsRng),
            counter: 0,
            resident: false,
            user_handle: None,
            uv: true,
        }
    }

    /// A passkey: a resident credential, with user verification.
    pub(crate) fn passkey() -> Self {
        SoftKey { resident: true, ..SoftKey::new() }
    }

    fn cose_public_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut v = cbor_head(5, 5);
        v.extend(cbor_int(1)); // kty: EC2
        v.extend(cbor_int(2));
        v.extend(cbor_int(3)); // alg: ES256
        v.extend(cbor_int(-7));
        v.extend(cbor_int(-1)); // crv: P-256
        v.extend(cbor_int(1));
        v.extend(cbor_int(-2));
        v.extend(cbor_bytes(point.x().expect("x")));
        v.extend(cbor_int(-3));
        v.extend(cbor_bytes(point.y().expect("y")));
        v
    }

    /// Authenticator data: RP id hash, flags (user present, user verified
    /// when it does, attested credential data on registration), counter,
    /// and on registration the attested credential.
    fn auth_data(&self, rp_id: &str, with_credential: bool) -> Vec<u8> {
        let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
        let (up, uv, at) = (0x01, if self.uv { 0x04 } else { 0 }, if with_credential { 0x40 } else { 0 });
        d.push(up | uv | at);
        d.extend_from_slice(&self.counter.to_be_bytes());
        if with_credential {
            d.extend_from_slice(&[0u8; 16]); // AAGUID
            d.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
            d.extend_from_slice(&self.id);
            d.extend(self.cose_public_key());
        }
        d
    }

    /// The browser's answer to `navigator.credentials.create(options)` on `origin`.
    pub(crate) fn register(&mut self, options: &str, origin: &str) -> String {
        let o: Value = serde_json::from_str(options).expect("creation options JSON");
        let challenge = o["publicKey"]["challenge"].as_str().expect("challenge");
        let rp_id = o["publicKey"]["rp"]["id"].as_str().expect("rp id");
        self.user_handle = o["publicKey"]["user"]["id"].as_str().and_then(|h| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).ok());
        let client_data = json!({"type": "webauthn.create", "challenge": challenge, "origin": origin, "crossOrigin": false}).to_string();
        let mut att = cbor_head(5, 3);
        att.extend(cbor_text("fmt"));
        att.extend(cbor_text("none"));
        att.extend(cbor_text("attStmt"));
        att.extend(cbor_head(5, 0));
        att.extend(cbor_text("authData"));
        att.extend(cbor_bytes(&self.auth_data(rp_id, true)));
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {"attestationObject": b64(&att), "clientDataJSON": b64(client_data.as_bytes()), "transports": ["usb"]},
            "extensions": {"credProps": {"rk": self.resident}},
        })
        .to_string()
    }

    /// The browser's answer to `navigator.credentials.get(options)` on
    /// `origin`, signed for `rp_id` (the one the options name, unless a test
    /// says otherwise), with the counter moved forward first.
    pub(crate) fn assert_for(&mut self, options: &str, origin: &str, rp_id: Option<&str>) -> String {
        let o: Value = serde_json::from_str(options).expect("request options JSON");
        let challenge = o["publicKey"]["challenge"].as_str().expect("challenge");
        let rp_id = rp_id.unwrap_or_else(|| o["publicKey"]["rpId"].as_str().expect("rp id"));
        let allowed: Vec<&str> = o["publicKey"]["allowCredentials"].as_array().expect("allowed").iter().filter_map(|c| c["id"].as_str()).collect();
        if allowed.is_empty() {
            assert!(self.resident, "only a discoverable credential answers options that name no key: {options}");
        } else {
            assert!(allowed.contains(&b64(&self.id).as_str()), "the options allow this key: {options}");
        }
        self.counter += 1;
        let client_data = json!({"type": "webauthn.get", "challenge": challenge, "origin": origin, "crossOrigin": false}).to_string();
        let auth_data = self.auth_data(rp_id, false);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let sig: Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(client_data.as_bytes()),
                "signature": b64(sig.to_der().as_bytes()),
                "userHandle": self.user_handle.as_deref().filter(|_| self.resident).map(b64),
            },
            "extensions": {},
        })
        .to_string()
    }

    pub(crate) fn assert(&mut self, options: &str) -> String {
        self.assert_for(options, ORIGIN, None)
    }
}

/// Adds `key` named `name` in `b`; returns the finish answer's JSON.
pub(crate) async fn add_key(b: &Browser, key: &mut SoftKey, name: &str) -> Value {
    let r = b.call("start_security_key", &[("name", name), ("password", PW)]).await;
    assert!(r.status.is_success(), "start_security_key: {} {}", r.status, r.body);
    let options: String = serde_json::from_str(&r.body).expect("options string");
    let r = b.call("finish_security_key", &[("credential", &key.register(&options, ORIGIN))]).await;
    assert!(r.status.is_success(), "finish_security_key: {} {}", r.status, r.body);
    r.json()
}

/// Signs `login` in with the password in a fresh browser, up to the second step.
async fn pending(app: &TestApp, login: &str) -> Browser {
    let b = app.browser(FIREFOX_ANDROID);
    let r = b.sign_in(login, PW).await;
    assert_eq!(r.location(), Some("/signin/2fa?next=/account/security/sessions"), "a key asks for the second step");
    b
}

async fn key_options(b: &Browser) -> String {
    let r = b.call("start_key_sign_in", &[]).await;
    assert!(r.status.is_success(), "start_key_sign_in: {} {}", r.status, r.body);
    serde_json::from_str(&r.body).expect("options string")
}

async fn finish(b: &Browser, answer: &str) -> Resp {
    b.call("finish_key_sign_in", &[("credential", answer), ("next", "")]).await
}

async fn events(b: &Browser) -> String {
    b.sessions(0).await["events"].to_string()
}

const PASSKEY_COOKIE: &str = "__Host-warden_passkey";

/// Adds `key` as a passkey named `name` in `b`; returns the creation options.
async fn add_passkey(b: &Browser, key: &mut SoftKey, name: &str) -> Value {
    let r = b.call("start_security_key", &[("name", name), ("password", PW), ("passkey", "true")]).await;
    assert!(r.status.is_success(), "start_security_key: {} {}", r.status, r.body);
    let options: String = serde_json::from_str(&r.body).expect("options string");
    let r = b.call("finish_security_key", &[("credential", &key.register(&options, ORIGIN))]).await;
    assert!(r.status.is_success(), "finish_security_key: {} {}", r.status, r.body);
    serde_json::from_str(&options).expect("options JSON")
}

/// A passwordless sign-in's options, started in `b` (which gets the cookie).
async fn passkey_options(b: &Browser) -> String {
    let r = b.call("start_passkey_sign_in", &[]).await;
    assert!(r.status.is_success(), "start_passkey_sign_in: {} {}", r.status, r.body);
    serde_json::from_str(&r.body).expect("options string")
}

async fn finish_passkey(b: &Browser, answer: &str) -> Resp {
    b.call("finish_passkey_sign_in", &[("credential", answer), ("next", "")]).await
}

/// Whether `b` holds a full session (the account's pages open).
async fn fully_signed_in(b: &Browser) -> bool {
    b.call("list_sessions", &[("page", "0")]).await.status.is_success()
}

on_both_backends!(
    a_key_is_added_with_the_password_listed_and_mailed_and_the_first_comes_with_recovery_codes,
    with_a_key_signing_in_asks_for_it_and_a_replayed_answer_is_refused,
    an_answer_to_another_challenge_or_for_another_session_is_refused,
    a_counter_that_goes_backwards_is_refused_and_flagged,
    an_answer_signed_for_another_origin_or_site_is_refused,
    a_challenge_expires_after_five_minutes,
    with_only_a_key_a_recovery_code_still_signs_in,
    with_the_app_and_a_key_either_answers_and_turning_the_app_off_keeps_the_codes,
    removing_a_key_needs_the_password_and_mails_the_owner,
    a_passkey_is_added_discoverable_with_user_verification_under_one_handle_per_account,
    a_passkey_signs_in_without_the_password_to_a_full_session,
    a_replayed_or_cloned_passkey_answer_is_refused,
    a_passkey_answer_without_user_verification_is_refused_and_counts_against_the_second_factor_budget,
    a_plain_security_key_or_an_unknown_credential_cannot_sign_in_without_the_password,
    a_passkey_challenge_belongs_to_the_browser_that_asked_and_expires,
    a_passkey_still_answers_the_second_step_after_the_password,
    starting_passwordless_sign_ins_is_limited_per_address,
);

async fn a_key_is_added_with_the_password_listed_and_mailed_and_the_first_comes_with_recovery_codes(app: TestApp) {
    let b = app.signed_in_user("kira", PW, CHROME_WINDOWS).await;
    let r = b.call("start_security_key", &[("name", "YubiKey 5"), ("password", "not the password")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "wrong_current_password");
    let r = b.call("start_security_key", &[("name", "   "), ("password", PW)]).await;
    assert_eq!(r.json()["code"], "invalid_key_name", "{}", r.body);
    // Finishing what was never started changes nothing.
    let mut yubikey = SoftKey::new();
    let r = b
        .call(
            "finish_security_key",
            &[("credential", &yubikey.register(r#"{"publicKey":{"challenge":"AAAA","rp":{"id":"warden.example"}}}"#, ORIGIN))],
        )
        .await;
    assert_eq!(r.json()["code"], "key_challenge_expired", "{}", r.body);

    let added = add_key(&b, &mut yubikey, " YubiKey 5 ").await;
    assert_eq!(added["name"], "YubiKey 5");
    let codes = added["recovery_codes"].as_array().expect("the first second factor comes with recovery codes");
    assert_eq!(codes.len(), 10);
    assert_eq!(b.call("two_factor_status", &[]).await.json()["recovery_codes_left"], 10);

    let added = add_key(&b, &mut SoftKey::new(), "Phone").await;
    assert!(added["recovery_codes"].is_null(), "only the first key makes codes: {added}");
    assert_eq!(b.call("two_factor_status", &[]).await.json()["recovery_codes_left"], 10, "the codes stay");

    // The same key again is not a second key: the registered ones are
    // excluded, and an answer from one of them is refused.
    let r = b.call("start_security_key", &[("name", "Again"), ("password", PW)]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    let excluded = serde_json::from_str::<Value>(&options).expect("json")["publicKey"]["excludeCredentials"].to_string();
    assert!(excluded.contains(&b64(&yubikey.id)), "the registered keys are excluded: {excluded}");
    let r = b.call("finish_security_key", &[("credential", &yubikey.register(&options, ORIGIN))]).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    // Nor can another account claim it: credential ids are unique.
    let other = app.signed_in_user("kurt", PW, CHROME_WINDOWS).await;
    let r = other.call("start_security_key", &[("name", "Mine now"), ("password", PW)]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    let r = other.call("finish_security_key", &[("credential", &yubikey.register(&options, ORIGIN))]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["code"], "key_already_registered");
    assert_eq!(other.call("security_keys", &[]).await.json(), json!([]));

    let keys = b.call("security_keys", &[]).await.json();
    let names: Vec<&str> = keys.as_array().expect("list").iter().filter_map(|k| k["name"].as_str()).collect();
    assert_eq!(names, ["YubiKey 5", "Phone"]);
    assert!(keys[0]["added"]["text"].is_string() && keys[0]["last_used"].is_null(), "{keys}");

    let mails = app.wait_for_mails("kira@example.com", 2).await;
    assert!(mails.iter().all(|m| m.subject == "A security key was added to your Warden account"), "{mails:?}");
    assert!(mails[0].text.contains("YubiKey 5") && mails[1].text.contains("Phone"), "{mails:?}");
    let ev = events(&b).await;
    assert!(ev.contains("Security key added"), "{ev}");
    assert!(ev.contains("wrong password when trying to add a security key"), "{ev}");
}

async fn with_a_key_signing_in_asks_for_it_and_a_replayed_answer_is_refused(app: TestApp) {
    let owner = app.signed_in_user("lena", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    add_key(&owner, &mut key, "YubiKey 5").await;

    let b = pending(&app, "lena").await;
    let pending_cookie = b.cookie("__Host-warden_session").expect("pending cookie");
    assert_eq!(b.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED, "the password alone reaches nothing");
    assert_eq!(b.call("security_keys", &[]).await.status, StatusCode::UNAUTHORIZED);
    let methods = b.call("second_step_methods", &[]).await.json();
    assert_eq!(methods, json!({"security_key": true, "authenticator_app": false, "recovery_code": true}));
    let answer = key.assert(&key_options(&b).await);
    let r = finish(&b, &answer).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/account/security/sessions"));
    assert_ne!(b.cookie("__Host-warden_session").expect("cookie"), pending_cookie, "a new token once fully signed in");
    assert!(b.call("list_sessions", &[("page", "0")]).await.status.is_success());
    let keys = owner.call("security_keys", &[]).await.json();
    assert!(keys[0]["last_used"]["text"].is_string(), "the use is shown: {keys}");
    assert!(events(&owner).await.contains(r#"with the security key \"YubiKey 5\""#));

    // The same answer again, from another pending sign-in: its challenge
    // was used up, and a new one is not what it signed.
    let c = pending(&app, "lena").await;
    let r = finish(&c, &answer).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "key_challenge_expired");
    key_options(&c).await;
    let r = finish(&c, &answer).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    assert_eq!(c.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED, "still only the second step");
    // And the key itself still works there.
    let r = finish(&c, &key.assert(&key_options(&c).await)).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
}

async fn an_answer_to_another_challenge_or_for_another_session_is_refused(app: TestApp) {
    let owner = app.signed_in_user("mona", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    add_key(&owner, &mut key, "YubiKey 5").await;

    let b = pending(&app, "mona").await;
    let first = key_options(&b).await;
    let second = key_options(&b).await;
    let r = finish(&b, &key.assert(&first)).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "an older challenge is no longer answerable: {}", r.body);

    // A challenge given to one sign-in is no use to another.
    let b = pending(&app, "mona").await;
    let other = pending(&app, "mona").await;
    let options = key_options(&b).await;
    let r = finish(&other, &key.assert(&options)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(other.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    let _ = second;
    let r = finish(&b, &key.assert(&options)).await;
    assert!(r.status.is_success(), "the right session still can: {} {}", r.status, r.body);
    let ev = events(&owner).await;
    assert!(ev.contains("2 refused security key answers"), "both refusals are recorded: {ev}");
}

async fn a_counter_that_goes_backwards_is_refused_and_flagged(app: TestApp) {
    let owner = app.signed_in_user("nina", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    add_key(&owner, &mut key, "YubiKey 5").await;
    let b = pending(&app, "nina").await;
    key.counter = 40;
    assert!(finish(&b, &key.assert(&key_options(&b).await)).await.status.is_success());

    // A copy of the key, whose counter is behind the original's.
    let c = pending(&app, "nina").await;
    key.counter = 10;
    let r = finish(&c, &key.assert(&key_options(&c).await)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "key_not_accepted");
    assert_eq!(c.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    // The same counter again is no better.
    key.counter = 40;
    let r = finish(&c, &key.assert(&key_options(&c).await)).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    let ev = events(&owner).await;
    assert!(ev.contains("its counter went backwards"), "{ev}");
    // Forward again, it is accepted.
    key.counter = 50;
    assert!(finish(&c, &key.assert(&key_options(&c).await)).await.status.is_success());
}

async fn an_answer_signed_for_another_origin_or_site_is_refused(app: TestApp) {
    let owner = app.signed_in_user("olga", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    // Registering from a look-alike origin fails.
    let r = owner.call("start_security_key", &[("name", "YubiKey 5"), ("password", PW)]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    let r = owner.call("finish_security_key", &[("credential", &key.register(&options, "https://warden.example.evil.test"))]).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    assert_eq!(owner.call("security_keys", &[]).await.json(), json!([]));

    add_key(&owner, &mut key, "YubiKey 5").await;
    let b = pending(&app, "olga").await;
    // The request's Host names the test server, yet only the configured
    // public URL counts as the origin.
    let host_origin = format!("http://{}", app.addr);
    let r = finish(&b, &key.assert_for(&key_options(&b).await, &host_origin, None)).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    let r = finish(&b, &key.assert_for(&key_options(&b).await, "https://evil.example", None)).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    // Signed for another site's RP id (a phishing page's relay).
    let r = finish(&b, &key.assert_for(&key_options(&b).await, ORIGIN, Some("evil.example"))).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    assert_eq!(b.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    assert!(events(&owner).await.contains("signed for another site"));
}

async fn a_challenge_expires_after_five_minutes(app: TestApp) {
    let owner = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    let r = owner.call("start_security_key", &[("name", "YubiKey 5"), ("password", PW)]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    app.clock.advance(5 * 60 + 1);
    let r = owner.call("finish_security_key", &[("credential", &key.register(&options, ORIGIN))]).await;
    assert_eq!(r.json()["code"], "key_challenge_expired", "{}", r.body);

    add_key(&owner, &mut key, "YubiKey 5").await;
    let b = pending(&app, "pia").await;
    let options = key_options(&b).await;
    app.clock.advance(5 * 60 + 1);
    // The pending sign-in's own window (five minutes) ends with it.
    let r = finish(&b, &key.assert(&options)).await;
    assert_eq!(r.json()["code"], "not_signed_in", "{}", r.body);
    assert_eq!(b.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
}

async fn with_only_a_key_a_recovery_code_still_signs_in(app: TestApp) {
    let owner = app.signed_in_user("rita", PW, CHROME_WINDOWS).await;
    let added = add_key(&owner, &mut SoftKey::new(), "YubiKey 5").await;
    let code = added["recovery_codes"][0].as_str().expect("a code").to_owned();
    let b = pending(&app, "rita").await;
    let r = b.call("verify_second_factor", &[("code", "123456"), ("next", "")]).await;
    assert_eq!(r.json()["code"], "wrong_code", "no authenticator app to check a six-digit code: {}", r.body);
    let r = b.call("verify_second_factor", &[("code", &code), ("next", "")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(b.call("list_sessions", &[("page", "0")]).await.status.is_success());
    assert_eq!(owner.call("two_factor_status", &[]).await.json()["recovery_codes_left"], 9);
}

async fn removing_a_key_needs_the_password_and_mails_the_owner(app: TestApp) {
    let owner = app.signed_in_user("sara", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    add_key(&owner, &mut key, "YubiKey 5").await;
    let id = owner.call("security_keys", &[]).await.json()[0]["id"].as_i64().expect("id");

    let r = owner.call("remove_security_key", &[("id", &id.to_string()), ("password", "wrong")]).await;
    assert_eq!(r.json()["code"], "wrong_current_password", "{}", r.body);
    assert_eq!(owner.call("security_keys", &[]).await.json().as_array().map(Vec::len), Some(1));
    // Another account cannot remove it.
    let other = app.signed_in_user("tess", PW, CHROME_WINDOWS).await;
    let r = other.call("remove_security_key", &[("id", &id.to_string()), ("password", PW)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let (credential_id,): (String,) =
        sqlx::query_as("SELECT credential_id FROM webauthn_credentials WHERE id = $1").bind(id).fetch_one(app.warden.pool()).await.expect("key");
    let r = owner.call("remove_security_key", &[("id", &id.to_string()), ("password", PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    // The answer names the removed credential, for the page to tell the browser (the Signal API).
    assert_eq!(r.json(), json!(credential_id));
    assert_eq!(owner.call("security_keys", &[]).await.json(), json!([]));
    let mails = app.wait_for_mails("sara@example.com", 2).await;
    assert_eq!(mails[1].subject, "A security key was removed from your Warden account");
    assert!(mails[1].text.contains("YubiKey 5"), "{mails:?}");
    assert!(events(&owner).await.contains("Security key removed"));
    // The last second factor gone, so are its recovery codes, and signing
    // in asks for the password only.
    assert_eq!(owner.call("two_factor_status", &[]).await.json()["recovery_codes_left"], 0);
    let b = app.browser(FIREFOX_ANDROID);
    assert_eq!(b.sign_in("sara", PW).await.location(), Some("/account/security/sessions"));
}

async fn with_the_app_and_a_key_either_answers_and_turning_the_app_off_keeps_the_codes(app: TestApp) {
    use crate::two_factor::{code, with_2fa, Now};
    let (owner, app_key, _) = with_2fa(&app, "vera").await;
    let mut key = SoftKey::new();
    let added = add_key(&owner, &mut key, "Phone").await;
    assert!(added["recovery_codes"].is_null(), "the app's recovery codes stay: {added}");

    let b = pending(&app, "vera").await;
    let methods = b.call("second_step_methods", &[]).await.json();
    assert_eq!(methods, json!({"security_key": true, "authenticator_app": true, "recovery_code": true}));
    let r = b.call("verify_second_factor", &[("code", &code(&app_key, app.clock.now_secs())), ("next", "")]).await;
    assert!(r.status.is_success(), "the app's code answers the same step: {} {}", r.status, r.body);
    let c = pending(&app, "vera").await;
    assert!(finish(&c, &key.assert(&key_options(&c).await)).await.status.is_success(), "and so does the key");

    app.clock.advance(30);
    let r = owner.call("disable_totp", &[("password", PW), ("code", &code(&app_key, app.clock.now_secs()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(owner.call("two_factor_status", &[]).await.json()["recovery_codes_left"], 10, "the key still needs its recovery codes");
    let d = pending(&app, "vera").await;
    let methods = d.call("second_step_methods", &[]).await.json();
    assert_eq!(methods, json!({"security_key": true, "authenticator_app": false, "recovery_code": true}));
}

async fn a_passkey_is_added_discoverable_with_user_verification_under_one_handle_per_account(app: TestApp) {
    let owner = app.signed_in_user("uma", PW, CHROME_WINDOWS).await;
    let options = add_passkey(&owner, &mut SoftKey::passkey(), "Phone").await;
    let selection = &options["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{options}");
    assert_eq!(selection["requireResidentKey"], true, "{options}");
    assert_eq!(selection["userVerification"], "required", "{options}");
    // The account's passkeys share one user handle (an authenticator keeps
    // one credential per site and handle); plain keys get throwaway ones.
    let again = add_passkey(&owner, &mut SoftKey::passkey(), "Laptop").await;
    assert_eq!(again["publicKey"]["user"]["id"], options["publicKey"]["user"]["id"]);
    let r = owner.call("start_security_key", &[("name", "YubiKey 5"), ("password", PW)]).await;
    let plain: Value = serde_json::from_str(&serde_json::from_str::<String>(&r.body).expect("options")).expect("JSON");
    assert_ne!(plain["publicKey"]["user"]["id"], options["publicKey"]["user"]["id"]);
    assert_ne!(plain["publicKey"]["authenticatorSelection"]["residentKey"], "required", "{plain}");
    let r = owner.call("finish_security_key", &[("credential", &SoftKey::new().register(&serde_json::to_string(&plain).expect("s"), ORIGIN))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let other = app.signed_in_user("ulf", PW, CHROME_WINDOWS).await;
    let theirs = add_passkey(&other, &mut SoftKey::passkey(), "Phone").await;
    assert_ne!(theirs["publicKey"]["user"]["id"], options["publicKey"]["user"]["id"], "one handle per account");

    let keys = owner.call("security_keys", &[]).await.json();
    let listed: Vec<(&str, bool)> =
        keys.as_array().expect("list").iter().map(|k| (k["name"].as_str().unwrap_or(""), k["passkey"].as_bool().unwrap_or(false))).collect();
    assert_eq!(listed, [("Phone", true), ("Laptop", true), ("YubiKey 5", false)]);
    let mails = app.wait_for_mails("uma@example.com", 3).await;
    assert_eq!(mails[0].subject, "A passkey was added to your Warden account");
    assert!(mails[0].text.contains("Phone") && mails[0].text.contains("without your password"), "{mails:?}");
    assert_eq!(mails[2].subject, "A security key was added to your Warden account");
    assert!(events(&owner).await.contains("Phone (passkey)"));

    // An authenticator that says it did not keep the credential makes no passkey.
    let r = owner.call("start_security_key", &[("name", "Old key"), ("password", PW), ("passkey", "true")]).await;
    let options: String = serde_json::from_str(&r.body).expect("options");
    let r = owner.call("finish_security_key", &[("credential", &SoftKey::new().register(&options, ORIGIN))]).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    assert_eq!(owner.call("security_keys", &[]).await.json().as_array().map(Vec::len), Some(3));
}

async fn a_passkey_signs_in_without_the_password_to_a_full_session(app: TestApp) {
    let b = app.signed_in_user("vic", PW, CHROME_WINDOWS).await;
    let mut phone = SoftKey::passkey();
    add_passkey(&b, &mut phone, "Phone").await;
    let r = b.call("sign_out", &[]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(!fully_signed_in(&b).await);

    let r = b.call("start_passkey_sign_in", &[]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let cookie = r.set_cookies().into_iter().find(|c| c.starts_with(PASSKEY_COOKIE)).expect("the challenge is bound by a cookie");
    for a in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=300"] {
        assert!(cookie.contains(a), "{a} missing in {cookie}");
    }
    let options: String = serde_json::from_str(&r.body).expect("options");
    let o: Value = serde_json::from_str(&options).expect("JSON");
    assert_eq!(o["publicKey"]["allowCredentials"], json!([]), "no key is named: the authenticator offers its passkeys");
    assert_eq!(o["publicKey"]["userVerification"], "required", "{o}");
    assert_eq!(o["publicKey"]["rpId"], "warden.example");
    assert!(o.get("mediation").is_none(), "a button starts it, not autofill: {o}");

    let r = b.call("finish_passkey_sign_in", &[("credential", &phone.assert(&options)), ("next", "/account/security/2fa")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/account/security/2fa"));
    let set = r.set_cookies();
    assert!(set.iter().any(|c| c.starts_with("__Host-warden_session=")), "{set:?}");
    assert!(set.iter().any(|c| c.starts_with("__Host-warden_device=")), "remembered as after any full sign-in: {set:?}");
    assert!(b.cookie(PASSKEY_COOKIE).is_none(), "the challenge cookie is spent");
    // A full session straight away: no second step.
    assert!(fully_signed_in(&b).await);
    assert_eq!(b.get("/account/security/sessions").await.status, StatusCode::OK);
    assert_eq!(b.call("current_user", &[]).await.json()["username"], "vic");
    let ev = events(&b).await;
    assert!(ev.contains(r#"with the passkey \"Phone\", without a password"#), "{ev}");
    let keys = b.call("security_keys", &[]).await.json();
    assert!(keys[0]["last_used"]["text"].is_string(), "the use is shown: {keys}");

    // In a browser signed in as someone else, that session ends (nothing
    // is carried over), as with a password.
    let c = app.signed_in_user("wes", PW, FIREFOX_ANDROID).await;
    let options = passkey_options(&c).await;
    let r = c.call("finish_passkey_sign_in", &[("credential", &phone.assert(&options)), ("next", "https://evil.example/")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/account/security/sessions"), "an unsafe next goes to Login Security");
    assert_eq!(c.call("current_user", &[]).await.json()["username"], "vic");
    let wes = app.browser(CHROME_WINDOWS);
    wes.sign_in("wes", PW).await;
    assert!(events(&wes).await.contains("Signed out"), "wes's session there was ended");
}

async fn a_replayed_or_cloned_passkey_answer_is_refused(app: TestApp) {
    let owner = app.signed_in_user("xena", PW, CHROME_WINDOWS).await;
    let mut phone = SoftKey::passkey();
    add_passkey(&owner, &mut phone, "Phone").await;
    let b = app.browser(FIREFOX_ANDROID);
    let options = passkey_options(&b).await;
    let answer = phone.assert(&options);
    assert!(finish_passkey(&b, &answer).await.status.is_success());

    // The same answer again: its challenge was used up, with the cookie or without.
    let c = app.browser(FIREFOX_ANDROID);
    let r = finish_passkey(&c, &answer).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["code"], "key_challenge_expired");
    passkey_options(&c).await;
    let r = finish_passkey(&c, &answer).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "a new challenge is not what it signed: {}", r.body);
    assert!(!fully_signed_in(&c).await);

    // A copy of the passkey whose counter is behind: refused and flagged.
    phone.counter = 40;
    assert!(finish_passkey(&c, &phone.assert(&passkey_options(&c).await)).await.status.is_success());
    let d = app.browser(FIREFOX_ANDROID);
    phone.counter = 10;
    let r = finish_passkey(&d, &phone.assert(&passkey_options(&d).await)).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    assert!(!fully_signed_in(&d).await);
    let ev = events(&owner).await;
    assert!(ev.contains("its counter went backwards"), "{ev}");
    assert!(ev.contains("answered another challenge"), "{ev}");
}

async fn a_passkey_answer_without_user_verification_is_refused_and_counts_against_the_second_factor_budget(app: TestApp) {
    let owner = app.signed_in_user("yara", PW, CHROME_WINDOWS).await;
    let mut phone = SoftKey::passkey();
    add_passkey(&owner, &mut phone, "Phone").await;
    // Touched, but no PIN or biometric: one factor only.
    phone.uv = false;
    let b = app.browser(FIREFOX_ANDROID);
    for _ in 0..3 {
        let r = finish_passkey(&b, &phone.assert(&passkey_options(&b).await)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["code"], "key_not_accepted");
        assert!(!fully_signed_in(&b).await);
    }
    assert!(events(&owner).await.contains("without user verification"));
    // The account's second-factor budget is spent: even a right answer waits.
    phone.uv = true;
    let r = finish_passkey(&b, &phone.assert(&passkey_options(&b).await)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(!fully_signed_in(&b).await);
    app.clock.advance(3);
    let r = finish_passkey(&b, &phone.assert(&passkey_options(&b).await)).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(fully_signed_in(&b).await);
}

async fn a_plain_security_key_or_an_unknown_credential_cannot_sign_in_without_the_password(app: TestApp) {
    let owner = app.signed_in_user("zoe", PW, CHROME_WINDOWS).await;
    let mut yubikey = SoftKey::new();
    add_key(&owner, &mut yubikey, "YubiKey 5").await;
    // Even if it answered a request naming no key (with the handle it was
    // registered under), a plain key is not a passkey.
    yubikey.resident = true;
    let b = app.browser(FIREFOX_ANDROID);
    let plain = finish_passkey(&b, &yubikey.assert(&passkey_options(&b).await)).await;
    assert_eq!(plain.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", plain.body);
    assert_eq!(plain.json()["code"], "passkey_not_recognised");
    assert!(!fully_signed_in(&b).await);
    // A passkey nobody registered gets the very same answer: it says nothing
    // of which keys or accounts exist.
    let mut stranger = SoftKey::passkey();
    stranger.user_handle = Some(vec![7; 16]);
    let unknown = finish_passkey(&b, &stranger.assert(&passkey_options(&b).await)).await;
    assert_eq!((unknown.status, unknown.json()), (plain.status, plain.json()));
    assert!(!fully_signed_in(&b).await);
    // The plain key still answers the second step.
    let c = pending(&app, "zoe").await;
    yubikey.resident = false;
    let options = key_options(&c).await;
    let o: Value = serde_json::from_str(&options).expect("JSON");
    assert_eq!(o["publicKey"]["hints"], json!(["security-key"]), "with no passkey, an external key is hinted: {o}");
    assert!(finish(&c, &yubikey.assert(&options)).await.status.is_success());

    // A passkey whose authenticator names another user handle than its
    // account's is not that account's passkey.
    let mut phone = SoftKey::passkey();
    add_passkey(&owner, &mut phone, "Phone").await;
    let handle = phone.user_handle.clone();
    phone.user_handle = Some(vec![9; 16]);
    let r = finish_passkey(&b, &phone.assert(&passkey_options(&b).await)).await;
    assert_eq!(r.json()["code"], "passkey_not_recognised", "{}", r.body);
    assert!(!fully_signed_in(&b).await);
    assert!(events(&owner).await.contains("answered for another user"));
    // A plain key that names the account's passkey handle is still no
    // passkey: only keys registered as passkeys count.
    yubikey.resident = true;
    yubikey.user_handle = handle;
    let r = finish_passkey(&b, &yubikey.assert(&passkey_options(&b).await)).await;
    assert_eq!(r.json()["code"], "passkey_not_recognised", "{}", r.body);
    assert!(!fully_signed_in(&b).await);
}

async fn a_passkey_challenge_belongs_to_the_browser_that_asked_and_expires(app: TestApp) {
    let owner = app.signed_in_user("ada", PW, CHROME_WINDOWS).await;
    let mut phone = SoftKey::passkey();
    add_passkey(&owner, &mut phone, "Phone").await;
    let asked = app.browser(FIREFOX_ANDROID);
    let answer = phone.assert(&passkey_options(&asked).await);
    // Another browser without a challenge of its own.
    let other = app.browser(FIREFOX_ANDROID);
    let r = finish_passkey(&other, &answer).await;
    assert_eq!(r.json()["code"], "key_challenge_expired", "{}", r.body);
    // Another browser with one: the answer did not sign that.
    passkey_options(&other).await;
    let r = finish_passkey(&other, &answer).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    // A made-up cookie is no better.
    other.set_header("cookie", &format!("{PASSKEY_COOKIE}=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    let r = finish_passkey(&other, &answer).await;
    assert_eq!(r.json()["code"], "key_challenge_expired", "{}", r.body);
    assert!(!fully_signed_in(&other).await);
    // The browser that asked still can.
    let r = finish_passkey(&asked, &answer).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);

    // Five minutes on, the challenge is gone.
    let late = app.browser(FIREFOX_ANDROID);
    let options = passkey_options(&late).await;
    app.clock.advance(5 * 60 + 1);
    let r = finish_passkey(&late, &phone.assert(&options)).await;
    assert_eq!(r.json()["code"], "key_challenge_expired", "{}", r.body);
    assert!(!fully_signed_in(&late).await);
}

async fn a_passkey_still_answers_the_second_step_after_the_password(app: TestApp) {
    let owner = app.signed_in_user("bea", PW, CHROME_WINDOWS).await;
    let mut phone = SoftKey::passkey();
    add_passkey(&owner, &mut phone, "Phone").await;
    let b = pending(&app, "bea").await;
    let methods = b.call("second_step_methods", &[]).await.json();
    assert_eq!(methods, json!({"security_key": true, "authenticator_app": false, "recovery_code": true}));
    let options = key_options(&b).await;
    let o: Value = serde_json::from_str(&options).expect("JSON");
    assert_eq!(o["publicKey"]["userVerification"], "preferred", "a passkey is held to its user verification, so the browser asks: {o}");
    assert!(o["publicKey"].get("hints").is_none(), "not only external keys: {o}");
    // Without it, the passkey's answer is refused here too.
    phone.uv = false;
    let r = finish(&b, &phone.assert(&options)).await;
    assert_eq!(r.json()["code"], "key_not_accepted", "{}", r.body);
    phone.uv = true;
    let r = finish(&b, &phone.assert(&key_options(&b).await)).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(fully_signed_in(&b).await);
    assert!(events(&owner).await.contains(r#"with the security key \"Phone\""#));
}

async fn starting_passwordless_sign_ins_is_limited_per_address(app: TestApp) {
    // Each start makes the server hold a challenge for five minutes.
    let budget = app.warden.config().sign_in.passkey_start_ip_backoff.free_failures;
    for _ in 0..budget {
        passkey_options(&app.browser(FIREFOX_ANDROID)).await;
    }
    let r = app.browser(FIREFOX_ANDROID).call("start_passkey_sign_in", &[]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    app.clock.advance(5 * 60 + 1);
    passkey_options(&app.browser(FIREFOX_ANDROID)).await;
}
