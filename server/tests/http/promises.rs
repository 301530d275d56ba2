//! The 2026-12-06 review's other findings, each as the attacker or the
//! owner would meet it: redirects that leave the site, tokens that outlive
//! a reset or fight the owner, idempotent replays, an activity that can be
//! erased, slow connections, loose addresses, throttles that link logins,
//! one-time state burned by a link, and what sign-out leaves behind.

use crate::api::{actor, assert_problem, here, token_with, Api, PW};
use crate::common::*;
use domain::api_tokens::{Access, Expiry};
use domain::events::EventKind;
use reqwest::StatusCode;
use serde_json::json;

fn code_of(r: &Resp) -> String {
    serde_json::from_str::<serde_json::Value>(&r.body).ok().and_then(|v| v["code"].as_str().map(str::to_owned)).unwrap_or_default()
}

on_both_backends!(
    no_redirect_of_the_cookie_door_leaves_the_site,
    a_reset_deletes_the_api_tokens_unless_the_person_keeps_them,
    a_data_token_neither_sees_nor_ends_browser_sessions,
    a_sessions_token_ends_a_session_and_leaves_the_device_cookie,
    a_token_revokes_itself_and_the_owner_is_told,
    anyone_holding_a_token_revokes_it_and_the_answer_says_nothing,
    a_replay_checks_the_scope_first_and_an_abandoned_claim_expires_in_minutes,
    changing_the_time_zone_again_and_again_cannot_bury_the_activity,
    the_cap_trims_only_noise_never_the_owners_history,
    an_address_with_a_display_name_is_refused_at_sign_up,
    a_throttled_username_does_not_throttle_its_email,
    a_passkey_alone_is_two_factor_authentication_in_the_api,
    unconfirmed_accounts_are_removed_after_seven_days,
    sign_out_and_log_out_of_all_devices_clear_the_site_data,
    a_link_from_another_site_does_not_burn_the_new_token,
    the_strength_meter_is_rate_limited,
    the_csv_export_streams,
    browser_only_changes_refuse_an_api_token,
);
on_both_backends!(|c| c.max_calls_per_account = 3 => calls_per_account_are_capped);
on_both_backends!(|c| c.trusted_proxy = Some(std::net::IpAddr::from([127, 0, 0, 1])) => refusals_from_many_addresses_fold_into_one_row);

async fn no_redirect_of_the_cookie_door_leaves_the_site(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    for path in [
        "//evil.example/x?__err=1",
        "//evil.example/x?__path=x",
        "///evil.example/x?__err=1",
        "/%2F/evil.example?__err=1",
        "/\\evil.example?__err=1",
        "//evil.example/account/security/sessions?__err=1",
    ] {
        let r = b.get(path).await;
        let to = r.location().unwrap_or_default().to_owned();
        assert!(to.starts_with('/') && !to.starts_with("//") && !to.contains('\\'), "{path}: Location {to:?}");
        assert!(!to.contains("evil.example") || to.starts_with("/signin?next="), "{path}: Location {to:?}");
    }
}

async fn reset(app: &TestApp, b: &Browser, email: &str, fields: &[(&str, &str)]) -> Resp {
    let before = app.mails_to(email).await.len();
    b.call("request_password_reset", &[("email", email)]).await;
    let link = app.reset_link_path(email, before + 1).await;
    b.get(&link).await;
    let new = "an entirely new passphrase 9";
    let mut all = vec![("new_password", new), ("confirm_password", new)];
    all.extend_from_slice(fields);
    b.call("complete_password_reset", &all).await
}

async fn a_reset_deletes_the_api_tokens_unless_the_person_keeps_them(app: TestApp) {
    let api = Api::new(&app);
    let owner = app.signed_in_user("rhea", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &owner, "rhea", "ci", Access::ReadWrite, Expiry::Never).await;
    // The form offers the choice, ticked: the tokens go.
    let guest = app.browser(FIREFOX_ANDROID);
    let r = reset(&app, &guest, "rhea@example.com", &[("api_tokens_choice", "1"), ("delete_api_tokens", "on")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::UNAUTHORIZED, "a reset ends the tokens too");
    let mail = app.mails_to("rhea@example.com").await.into_iter().rev().find(|m| m.subject.contains("was reset")).expect("notice");
    assert!(mail.text.contains("1 API token was deleted"), "{}", mail.text);
    // Unticked, they stay, and the mail says so.
    let b = app.browser(CHROME_WINDOWS);
    b.sign_in("rhea", "an entirely new passphrase 9").await;
    let a = actor(&app, &b).await;
    let form = TokenForm { expiry: Expiry::Days30, ..TokenForm::new("ci2", "rhea", "an entirely new passphrase 9") };
    let token = create_token(&app, &a, &form, &here()).await.expect("token").token.expose().to_owned();
    app.clock.advance(3600);
    let r = reset(&app, &guest, "rhea@example.com", &[("api_tokens_choice", "1")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::OK, "kept when the person unticked it");
    let mail = app.mails_to("rhea@example.com").await.into_iter().rev().find(|m| m.subject.contains("was reset")).expect("notice");
    assert!(mail.text.contains("API tokens were kept"), "{}", mail.text);
    // A caller that offers no choice gets the safe side.
    app.clock.advance(3600);
    let r = reset(&app, &guest, "rhea@example.com", &[]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::UNAUTHORIZED);
}

async fn a_data_token_neither_sees_nor_ends_browser_sessions(app: TestApp) {
    let api = Api::new(&app);
    let owner = app.signed_in_user("dana", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &owner, "dana", "rw", Access::ReadWrite, Expiry::Never).await;
    let r = api.get("/api/v1/sessions", &token).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "insufficient_scope");
    let id = owner.sessions(0).await["active"][0]["id"].as_str().expect("id").to_owned();
    let r = api.delete(&format!("/api/v1/sessions/{id}"), &token).await;
    assert_problem(&r, StatusCode::FORBIDDEN, "insufficient_scope");
    assert!(owner.call("list_sessions", &[("page", "0")]).await.status.is_success(), "the owner's browser stays signed in");
}

async fn a_sessions_token_ends_a_session_and_leaves_the_device_cookie(app: TestApp) {
    let api = Api::new(&app);
    let owner = app.signed_in_user("seth", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &owner).await;
    let form = TokenForm { sessions_scope: true, access: Access::Read, ..TokenForm::new("watch", "seth", PW) };
    let made = create_token(&app, &a, &form, &here()).await.expect("token");
    assert!(made.sessions_scope);
    let token = made.token.expose().to_owned();
    let listed = owner.call("api_tokens_status", &[]).await.json();
    assert_eq!(listed["tokens"][0]["sessions"], true, "the scope is shown in the list: {listed}");
    let other = app.browser(FIREFOX_ANDROID);
    other.sign_in("seth", PW).await;
    let device = other.cookie("__Host-warden_device").expect("device cookie");
    let sessions = api.get("/api/v1/sessions", &token).await;
    assert_eq!(sessions.status, StatusCode::OK, "{}", sessions.body);
    let victim = sessions.json()["active"]
        .as_array()
        .expect("active")
        .iter()
        .find(|s| s["browser"].as_str().is_some_and(|b| b.contains("Firefox")))
        .and_then(|s| s["id"].as_str())
        .expect("firefox session")
        .to_owned();
    assert_eq!(api.delete(&format!("/api/v1/sessions/{victim}"), &token).await.status, StatusCode::NO_CONTENT);
    assert_eq!(other.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    // The browser keeps its own sign-in budget: its device cookie works.
    let rows: Vec<(Option<i64>,)> = sqlx::query_as("SELECT revoked_at FROM device_cookies WHERE account_id = $1")
        .bind(a.account().expect("a").get())
        .fetch_all(app.warden.pool())
        .await
        .expect("rows");
    assert!(rows.iter().all(|(r,)| r.is_none()), "no device cookie revoked by a token: {rows:?}");
    assert!(other.cookie("__Host-warden_device").as_deref() == Some(device.as_str()));
}

async fn a_token_revokes_itself_and_the_owner_is_told(app: TestApp) {
    let api = Api::new(&app);
    let owner = app.signed_in_user("tove", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &owner, "tove", "leaked", Access::Read, Expiry::Never).await;
    let r = api.send("DELETE", "/api/v1/token", &[("authorization", &format!("Bearer {token}"))], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::UNAUTHORIZED, "dead from the next request on");
    let mail = app.wait_for_mails("tove@example.com", 2).await;
    assert!(mail.iter().any(|m| m.subject.contains("revoked") && m.text.contains("leaked")), "{mail:?}");
    let events = owner.sessions(0).await["events"].to_string();
    assert!(events.contains("by the token itself"), "{events}");
    api.check_contract().await;
}

async fn anyone_holding_a_token_revokes_it_and_the_answer_says_nothing(app: TestApp) {
    let api = Api::new(&app);
    let owner = app.signed_in_user("rune", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &owner, "rune", "published by mistake", Access::ReadWrite, Expiry::Never).await;
    let other = token_with(&app, &owner, "rune", "still wanted", Access::Read, Expiry::Days30).await;
    let mails_before = app.mails_to("rune@example.com").await.len();
    let revoke = |t: &str| api.send("POST", "/api/v1/tokens/revoke", &[], Some(("application/json", json!({ "token": t }).to_string())));

    // No credential: the token in the body is the proof.
    let r = revoke(&token).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::ACCEPTED, ""));
    assert_problem(&api.get("/api/v1/account", &token).await, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(api.get("/api/v1/account", &other).await.status, StatusCode::OK, "only the presented token goes");
    let mail = app.wait_for_mails("rune@example.com", mails_before + 1).await;
    let revoked = mail.iter().filter(|m| m.subject.contains("revoked")).collect::<Vec<_>>();
    assert_eq!(revoked.len(), 1, "{mail:?}");
    assert!(revoked[0].text.contains("published by mistake") && revoked[0].text.contains("revocation address"), "{}", revoked[0].text);
    assert!(!revoked[0].text.contains(&token), "the mail never carries the token");
    let events = owner.sessions(0).await["events"].to_string();
    assert!(events.contains("revoked by someone who presented it"), "{events}");

    // The same answer, and nothing else happens, for the same token again,
    // for a well-formed token nobody holds, and for text that is no token.
    let unknown = domain::api_tokens::ApiToken::generate().expose().to_owned();
    for presented in [token.as_str(), unknown.as_str(), "wdn_not-a-token", "hello"] {
        let r = revoke(presented).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::ACCEPTED, ""), "{presented}");
    }
    assert_eq!(app.mails_to("rune@example.com").await.len(), mails_before + 1, "no mail for what was no live token");
    assert_eq!(api.get("/api/v1/account", &other).await.status, StatusCode::OK);

    // A body that is not {"token": "…"} is refused, and changes nothing.
    let send = |body: &str| api.send("POST", "/api/v1/tokens/revoke", &[], Some(("application/json", body.to_owned())));
    assert_problem(&send(&json!({ "token": other, "also": 1 }).to_string()).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_problem(&send(r#"{"token": 12}"#).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_problem(&send("{}").await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_problem(&send(&json!({ "token": "x".repeat(201) }).to_string()).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_problem(&send("token=abc").await, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(api.get("/api/v1/account", &other).await.status, StatusCode::OK);
    api.check_contract().await;
}

async fn a_replay_checks_the_scope_first_and_an_abandoned_claim_expires_in_minutes(app: TestApp) {
    let api = Api::new(&app);
    let owner = app.signed_in_user("ida", PW, CHROME_WINDOWS).await;
    let rw = token_with(&app, &owner, "ida", "rw", Access::ReadWrite, Expiry::Days30).await;
    let ro = token_with(&app, &owner, "ida", "ro", Access::Read, Expiry::Days30).await;
    let body = json!({"name": "Spring", "tracking_number": "+15550100001"});
    let key = [("idempotency-key", "k-1")];
    let first = api.json("POST", "/api/v1/campaigns", &rw, &body, &key).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let replay = api.json("POST", "/api/v1/campaigns", &ro, &body, &key).await;
    assert_problem(&replay, StatusCode::FORBIDDEN, "insufficient_scope");
    assert!(replay.header("idempotent-replayed").is_none());
    // A claim whose client went away: held for minutes, not a day.
    let account = actor(&app, &owner).await.account().expect("account");
    let body2 = json!({"name": "Summer", "tracking_number": "+15550100002"});
    let fingerprint = domain::idempotency::Fingerprint::of("POST", "/campaigns", body2.to_string().as_bytes());
    let claim = app.warden.idempotency().begin(account, "k-2", &fingerprint).await.expect("claim");
    assert!(matches!(claim, domain::idempotency::Begin::Fresh(_)));
    std::mem::forget(claim);
    let r = api.json("POST", "/api/v1/campaigns", &rw, &body2, &[("idempotency-key", "k-2")]).await;
    assert_problem(&r, StatusCode::CONFLICT, "idempotency_key_in_progress");
    app.clock.advance(domain::idempotency::LEASE_SECS + 1);
    let r = api.json("POST", "/api/v1/campaigns", &rw, &body2, &[("idempotency-key", "k-2")]).await;
    assert_eq!(r.status, StatusCode::CREATED, "the lease ran out: {}", r.body);
}

async fn changing_the_time_zone_again_and_again_cannot_bury_the_activity(app: TestApp) {
    let b = app.signed_in_user("zed", PW, CHROME_WINDOWS).await;
    let new = "a changed passphrase for us 4";
    let r = b.call("change_password", &[("current_password", PW), ("new_password", new), ("confirm_password", new)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    for i in 0..60 {
        let zone = if i % 2 == 0 { "Europe/Berlin" } else { "Asia/Tokyo" };
        assert!(b.call("set_time_zone", &[("zone", zone)]).await.status.is_success());
        assert!(b.call("set_time_zone", &[("zone", zone)]).await.status.is_success(), "the same zone again changes nothing");
    }
    let events = b.sessions(0).await["events"].clone();
    let whats: Vec<String> = events.as_array().expect("events").iter().map(|e| e["what"].as_str().unwrap_or_default().to_owned()).collect();
    assert!(whats.iter().any(|w| w == "Password changed"), "still on the first page: {whats:?}");
    assert!(whats.iter().any(|w| w.starts_with("60 time zone changes")), "counted into one row: {whats:?}");
}

async fn refusals_from_many_addresses_fold_into_one_row(app: TestApp) {
    let owner = app.signed_in_user("fay", PW, CHROME_WINDOWS).await;
    for i in 0..30 {
        let b = app.browser(CHROME_WINDOWS);
        b.set_header("x-forwarded-for", &format!("198.51.{i}.9"));
        b.call("sign_in", &[("login", "fay"), ("password", "wrong"), ("next", "")]).await;
    }
    let events = owner.sessions(0).await["events"].clone();
    let rows: Vec<String> = events.as_array().expect("events").iter().map(|e| e["what"].as_str().unwrap_or_default().to_owned()).collect();
    let free = app.warden.config().sign_in.account_backoff.free_failures;
    let refused = 30 - free;
    assert!(rows.contains(&format!("{free} failed sign-ins from {free} addresses")), "{rows:?}");
    assert!(rows.contains(&format!("{refused} sign-in attempts refused (too many failures) from {refused} addresses")), "{rows:?}");
    assert_eq!(rows.iter().filter(|w| w.contains("sign-in")).count(), 2, "one row each, not one per address: {rows:?}");
}

async fn the_cap_trims_only_noise_never_the_owners_history(app: TestApp) {
    let b = app.signed_in_user("cap", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    let account = a.account().expect("account");
    let new = "a changed passphrase for him 5";
    assert!(b.call("change_password", &[("current_password", PW), ("new_password", new), ("confirm_password", new)]).await.status.is_success());
    // Then far more noise than the cap keeps, newer than the change.
    let cap = app.warden.config().events.per_account_cap;
    let meta = domain::ClientMeta { ip: "203.0.113.9".into(), user_agent: "x".into(), session_name: None };
    for i in 0..(cap + 50) {
        app.clock.advance(1);
        let e = domain::events::Event::with_detail(EventKind::SignedOut, format!("noise {i}"));
        domain::events::record(app.warden.pool(), Some(account), &e, &meta, app.warden.now()).await.expect("record");
    }
    app.warden.sweep().await.expect("sweep");
    let kinds: Vec<(String,)> = sqlx::query_as("SELECT kind FROM security_events WHERE account_id = $1")
        .bind(account.get())
        .fetch_all(app.warden.pool())
        .await
        .expect("rows");
    let count = |k: &str| kinds.iter().filter(|(x,)| x == k).count();
    assert_eq!(count("password_changed"), 1, "the owner's history stays");
    assert_eq!(count("account_created"), 1);
    assert!(count("signed_in") >= 1);
    assert_eq!(count("signed_out") as i64, cap, "noise is trimmed to the cap");
}

async fn an_address_with_a_display_name_is_refused_at_sign_up(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    for bad in ["victim<acc_1@example.com>", "Victim <acc_1@example.com>", "a@example.com, b@example.com", "\"x\"@example.com"] {
        let r = b.call("sign_up", &[("email", bad), ("username", "disp"), ("password", PW), ("confirm_password", PW)]).await;
        assert_eq!(code_of(&r), "invalid_email", "{bad}: {}", r.body);
    }
    assert!(app.all_mails_to("acc_1@example.com").await.is_empty());
}

async fn a_throttled_username_does_not_throttle_its_email(app: TestApp) {
    app.signed_in_user("lia", PW, CHROME_WINDOWS).await;
    let attacker = app.browser(FIREFOX_ANDROID);
    let free = app.warden.config().sign_in.account_backoff.free_failures;
    for _ in 0..free {
        attacker.call("sign_in", &[("login", "lia"), ("password", "nope"), ("next", "")]).await;
    }
    let r = attacker.call("sign_in", &[("login", "lia"), ("password", "nope"), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The email of the same account answers as any other login would: the
    // throttle does not tell that the two are one account.
    let r = attacker.call("sign_in", &[("login", "lia@example.com"), ("password", "nope"), ("next", "")]).await;
    assert_eq!(code_of(&r), "invalid_credentials", "{}", r.body);
}

async fn a_passkey_alone_is_two_factor_authentication_in_the_api(app: TestApp) {
    use crate::security_keys::SoftKey;
    let api = Api::new(&app);
    let b = app.signed_in_user("pam", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &b, "pam", "ro", Access::Read, Expiry::Days30).await;
    assert_eq!(api.get("/api/v1/account", &token).await.json()["two_factor_enabled"], false);
    let mut key = SoftKey::passkey();
    let r = b.call("start_security_key", &[("name", "Phone"), ("password", PW), ("passkey", "true")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let options: String = serde_json::from_str(&r.body).expect("options");
    let r = b.call("finish_security_key", &[("credential", &key.register(&options, PUBLIC_URL))]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let account = api.get("/api/v1/account", &token).await.json();
    assert_eq!(account["two_factor_enabled"], true, "{account}");
    assert_eq!(account["two_factor_methods"], json!(["passkey", "recovery_code"]), "{account}");
    api.check_contract().await;
}

async fn unconfirmed_accounts_are_removed_after_seven_days(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    let r = b.call("sign_up", &[("email", "gone@example.com"), ("username", "gone"), ("password", PW), ("confirm_password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let kept = app.signed_in_user("kept", PW, CHROME_WINDOWS).await;
    app.clock.advance(7 * 86_400 - 60);
    assert_eq!(app.warden.sweep().await.expect("sweep").unverified_accounts, 0, "not before seven days");
    app.clock.advance(120);
    assert_eq!(app.warden.sweep().await.expect("sweep").unverified_accounts, 1);
    let r = b.call("sign_in", &[("login", "gone"), ("password", PW), ("next", "")]).await;
    assert_eq!(code_of(&r), "invalid_credentials");
    // The username is free again; a confirmed account stays.
    let r = app
        .browser(FIREFOX_ANDROID)
        .call("sign_up", &[("email", "new@example.com"), ("username", "gone"), ("password", PW), ("confirm_password", PW)])
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    kept.sign_in("kept", PW).await;
}

async fn sign_out_and_log_out_of_all_devices_clear_the_site_data(app: TestApp) {
    let b = app.signed_in_user("cleo", PW, CHROME_WINDOWS).await;
    let r = b.call("sign_out", &[]).await;
    assert_eq!(r.header("clear-site-data"), Some("\"cache\", \"storage\""));
    b.sign_in("cleo", PW).await;
    let r = b.call("end_all_sessions", &[("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(r.header("clear-site-data"), Some("\"cache\", \"storage\""));
}

async fn a_link_from_another_site_does_not_burn_the_new_token(app: TestApp) {
    let b = app.signed_in_user("gwen", PW, CHROME_WINDOWS).await;
    let page = "/account/security/api-tokens";
    let r = b.form(page, "create_api_token", &[("name", "ci"), ("username", "gwen"), ("password", PW), ("expiry", "30"), ("access", "read")]).await;
    assert!(r.location().is_some(), "{} {}", r.status, r.body);
    b.set_header("sec-fetch-site", "cross-site");
    let across = b.get(page).await;
    assert!(!across.body.contains("This is the only time the token is shown"), "a link from elsewhere shows nothing");
    b.set_header("sec-fetch-site", "same-origin");
    let mine = b.get(page).await;
    assert!(mine.body.contains("This is the only time the token is shown"), "still there for the owner's own page");
}

async fn the_strength_meter_is_rate_limited(app: TestApp) {
    let b = app.signed_in_user("meter", PW, CHROME_WINDOWS).await;
    let burst = domain::passwords::STRENGTH_RATE.max as usize;
    for i in 0..burst {
        let r = b.call("password_strength", &[("password", &format!("candidate number {i}"))]).await;
        assert!(r.status.is_success(), "{i}: {}", r.body);
    }
    let r = b.call("password_strength", &[("password", "one too many")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(2);
    assert!(b.call("password_strength", &[("password", "after a second")]).await.status.is_success());
}

async fn the_csv_export_streams(app: TestApp) {
    let b = app.signed_in_user("csv", PW, CHROME_WINDOWS).await;
    assert!(b.call("add_sample_data", &[]).await.status.is_success());
    let r = b.get("/reports/export.csv?range=today").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-length").is_none(), "streamed, not built whole: {:?}", r.headers);
    assert!(r.body.starts_with("call_id,started_at"), "{}", &r.body[..r.body.len().min(200)]);
}

async fn browser_only_changes_refuse_an_api_token(app: TestApp) {
    let owner = app.signed_in_user("bob", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &owner, "bob", "rw", Access::ReadWrite, Expiry::Days30).await;
    let bearer = app.warden.api_tokens().authenticate(&token, &here()).await.expect("bearer");
    let t = domain::Actor::ApiToken(bearer);
    let forbidden = |r: domain::Result<()>| r.map_err(|e| e.code()).err();
    assert_eq!(forbidden(app.warden.reporting().set_time_zone(&t, "Asia/Tokyo", &here()).await.map(|_| ())), Some(domain::ErrorCode::Forbidden));
    assert_eq!(forbidden(app.warden.reporting().add_sample_data(&t).await.map(|_| ())), Some(domain::ErrorCode::Forbidden));
    assert_eq!(forbidden(app.warden.accounts().resend_verification(&t, &here()).await), Some(domain::ErrorCode::Forbidden));
}

async fn calls_per_account_are_capped(app: TestApp) {
    let api = Api::new(&app);
    let (_b, token) = crate::api::user_with_token(&app, "capp").await;
    let campaign = api.post("/api/v1/campaigns", &token, &json!({"name": "C", "tracking_number": "+15550100009"})).await.json();
    let call = |n: i64| json!({"campaign_id": campaign["id"], "caller": "+15550100123", "started_at": 1_800_000_000 - n, "duration_secs": 10, "outcome": "answered"});
    for n in 0..3 {
        assert_eq!(api.post("/api/v1/calls", &token, &call(n)).await.status, StatusCode::CREATED);
    }
    let r = api.post("/api/v1/calls", &token, &call(9)).await;
    assert_problem(&r, StatusCode::CONFLICT, "call_limit_reached");
    api.check_contract().await;
}
