//! Every budget under parallel attack: N requests built first, released
//! together by a barrier, and answered by a server whose clock stands
//! still, so the budget's free attempts are exactly what may be verified.
//! A budget that reads before the slow check and counts after it lets every
//! request of a burst through; one that spends its unit before verifying
//! lets through the free ones and no more. On SQLite with the in-process
//! limiter, and on PostgreSQL with the limiter on Redis.

use crate::common::*;
use crate::two_factor::{code, with_2fa, Now};
use futures_util::future::join_all;
use reqwest::StatusCode;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Barrier;

const PW: &str = "correct horse battery";
const PIN: &str = "40719";

/// Runs `n` requests at once: each is built, then waits at one barrier, so
/// they leave together and the server has them all in flight at once.
pub async fn burst<F, Fut>(n: usize, make: F) -> Vec<Resp>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Resp>,
{
    let barrier = Arc::new(Barrier::new(n));
    join_all((0..n).map(|i| {
        let barrier = barrier.clone();
        let request = make(i);
        async move {
            barrier.wait().await;
            request.await
        }
    }))
    .await
}

fn code_of(r: &Resp) -> String {
    serde_json::from_str::<serde_json::Value>(&r.body).ok().and_then(|v| v["code"].as_str().map(str::to_owned)).unwrap_or_default()
}

/// How many answers carry `code`, and how many were throttled (429).
fn tally(answers: &[Resp], code: &str) -> (usize, usize) {
    let checked = answers.iter().filter(|r| code_of(r) == code).count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    (checked, throttled)
}

fn behind_proxy(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

fn few_sign_ups(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
    c.sign_ups_per_hour = 2;
}

on_both_backends!(
    a_burst_of_wrong_pins_checks_only_the_free_ones,
    a_burst_of_wrong_passwords_for_one_login_checks_only_the_free_ones,
    a_burst_of_wrong_passwords_from_a_known_device_checks_its_budget_and_then_the_logins,
    a_burst_of_wrong_second_factor_codes_checks_only_the_free_ones,
    a_burst_of_wrong_recovery_codes_checks_only_the_free_ones,
    a_burst_of_answers_to_a_key_check_checks_only_the_free_ones,
    a_burst_of_wrong_passwords_on_the_password_page_checks_only_the_free_ones,
    a_burst_of_wrong_passwords_when_confirming_checks_only_the_free_ones,
    a_burst_of_wrong_credentials_for_a_new_token_checks_only_the_free_ones,
    a_burst_of_wrong_credentials_to_regenerate_a_token_checks_only_the_free_ones,
    a_burst_of_reset_requests_for_one_address_sends_only_the_free_ones,
    a_burst_of_link_resends_sends_only_the_free_ones,
    a_burst_of_passkey_starts_makes_only_the_free_challenges,
    a_burst_of_refused_api_tokens_is_refused_only_for_the_free_ones,
    a_burst_of_good_tokens_from_one_address_spends_nothing_of_its_budget,
    good_and_refused_tokens_from_one_address_at_once_spend_the_rate_only_for_what_is_served,
    a_burst_of_revocations_of_one_token_deletes_it_once_and_mails_once,
    a_burst_of_revocations_from_one_address_looks_up_only_the_free_ones,
    after_a_delete_commits_every_request_of_a_burst_is_refused,
);
on_both_backends!(behind_proxy =>
    a_burst_of_wrong_passwords_for_many_logins_from_one_address_checks_only_its_free_ones,
    every_wrong_password_a_session_holder_types_counts_against_one_budget,
);
on_both_backends!(few_sign_ups =>
    a_burst_of_sign_ups_makes_only_the_free_accounts,
    sign_ups_from_every_address_of_a_slash_24_share_its_wider_budget,
    one_address_gets_at_most_three_sign_up_mails_a_day_whoever_asks,
);

async fn a_burst_of_wrong_pins_checks_only_the_free_ones(app: TestApp) {
    let b = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let r = b.call("set_pin", &[("password", PW), ("pin", PIN), ("confirm_pin", PIN)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let b = &b;
    let answers = burst(40, |i| async move { b.call("unlock_reports", &[("pin", if i % 2 == 0 { "11190" } else { "22290" })]).await }).await;
    let (checked, throttled) = tally(&answers, "wrong_pin");
    let free = app.warden.config().protection.wrong_pin_delay.free_failures as usize;
    assert_eq!(checked, free, "40 wrong PINs at once: only the free ones are checked ({throttled} throttled)");
    assert_eq!(throttled, 40 - free);
    // The right PIN waits too, until the delay is over.
    assert_eq!(b.call("unlock_reports", &[("pin", PIN)]).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(300);
    assert!(b.call("unlock_reports", &[("pin", PIN)]).await.status.is_success());
}

async fn a_burst_of_wrong_passwords_for_one_login_checks_only_the_free_ones(app: TestApp) {
    app.signed_in_user("lou", PW, CHROME_WINDOWS).await;
    let attacker = app.browser(CHROME_WINDOWS);
    let attacker = &attacker;
    let answers = burst(30, |i| async move {
        attacker.call("sign_in", &[("login", "lou"), ("password", if i % 2 == 0 { "guess one" } else { "guess two" }), ("next", "")]).await
    })
    .await;
    let (checked, throttled) = tally(&answers, "invalid_credentials");
    let free = app.warden.config().sign_in.account_backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free), "30 wrong passwords at once: only the free ones are hashed");
    // An unknown login is budgeted exactly the same.
    let answers = burst(30, |_| attacker.call("sign_in", &[("login", "nobody-here"), ("password", "guess"), ("next", "")])).await;
    assert_eq!(tally(&answers, "invalid_credentials"), (free, 30 - free));
}

async fn a_burst_of_wrong_passwords_for_many_logins_from_one_address_checks_only_its_free_ones(app: TestApp) {
    let sprayer = app.browser(CHROME_WINDOWS);
    sprayer.set_header("x-forwarded-for", "203.0.113.50");
    let answers = burst(40, |i| {
        let login = format!("spray-{i}");
        let sprayer = &sprayer;
        async move { sprayer.call("sign_in", &[("login", &login), ("password", "Summer2026!"), ("next", "")]).await }
    })
    .await;
    let (checked, throttled) = tally(&answers, "invalid_credentials");
    let free = app.warden.config().sign_in.ip_backoff.free_failures as usize;
    assert_eq!(
        (checked, throttled),
        (free, 40 - free),
        "spraying 40 logins at once from one address: its free ones only: {:?}",
        answers.iter().map(|r| (r.status, code_of(r))).collect::<Vec<_>>()
    );
}

async fn a_burst_of_wrong_passwords_from_a_known_device_checks_its_budget_and_then_the_logins(app: TestApp) {
    let owner = app.signed_in_user("dev", PW, CHROME_WINDOWS).await;
    assert!(owner.cookie("__Host-warden_device").is_some(), "a device cookie after signing in");
    let answers = burst(30, |_| owner.call("sign_in", &[("login", "dev"), ("password", "typo"), ("next", "")])).await;
    let cfg = &app.warden.config().sign_in;
    let most = (cfg.device_backoff.free_failures + cfg.account_backoff.free_failures) as usize;
    let (checked, _) = tally(&answers, "invalid_credentials");
    assert!(checked <= most, "{checked} of 30 checked: at most the device's free ones, then the login's");
    assert!(checked >= cfg.device_backoff.free_failures as usize, "the device's own budget is there to use: {checked}");
}

async fn a_burst_of_wrong_second_factor_codes_checks_only_the_free_ones(app: TestApp) {
    let (_owner, key, _) = with_2fa(&app, "sam").await;
    let attacker = app.browser(CHROME_WINDOWS);
    attacker.sign_in("sam", PW).await;
    let right = code(&key, app.clock.now_secs());
    let wrong: Vec<String> = (0..30).map(|i| format!("{:06}", (right.parse::<u32>().expect("digits") + 1 + i) % 1_000_000)).collect();
    let (attacker_ref, wrong) = (&attacker, &wrong);
    let answers = burst(30, |i| async move { attacker_ref.call("verify_second_factor", &[("code", &wrong[i]), ("next", "")]).await }).await;
    let (checked, throttled) = tally(&answers, "wrong_code");
    let free = app.warden.config().two_factor.backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free), "30 codes at once: only the free ones are checked");
    assert_eq!(attacker.call("verify_second_factor", &[("code", &right), ("next", "")]).await.status, StatusCode::TOO_MANY_REQUESTS);
}

async fn a_burst_of_wrong_recovery_codes_checks_only_the_free_ones(app: TestApp) {
    let (_owner, _, codes) = with_2fa(&app, "rey").await;
    let attacker = app.browser(CHROME_WINDOWS);
    attacker.sign_in("rey", PW).await;
    let answers = burst(30, |i| {
        let guess = format!("{}-{}-ab{:02}", "abcd", "efgh", i % 100).replace('0', "2").replace('1', "3");
        let attacker = &attacker;
        async move { attacker.call("verify_second_factor", &[("code", &guess), ("next", "")]).await }
    })
    .await;
    let (checked, throttled) = tally(&answers, "wrong_code");
    let free = app.warden.config().two_factor.backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free), "30 recovery codes at once: only the free ones are checked");
    app.clock.advance(900);
    let again = app.browser(CHROME_WINDOWS);
    again.sign_in("rey", PW).await;
    let r = again.call("verify_second_factor", &[("code", &codes[0]), ("next", "")]).await;
    assert!(r.status.is_success(), "after the wait a right one still works: {}", r.body);
}

async fn a_burst_of_answers_to_a_key_check_checks_only_the_free_ones(app: TestApp) {
    use crate::security_keys::{add_key, SoftKey};
    let b = app.signed_in_user("kay", PW, CHROME_WINDOWS).await;
    let mut key = SoftKey::new();
    add_key(&b, &mut key, "YubiKey").await;
    // Whoever has the password but not the key, at the second step.
    let attacker = app.browser(CHROME_WINDOWS);
    attacker.sign_in("kay", PW).await;
    let options = attacker.call("start_key_sign_in", &[]).await;
    assert!(options.status.is_success(), "{}", options.body);
    let options: String = serde_json::from_str(&options.body).expect("options");
    // Answers signed by the right key id's look-alike: another authenticator.
    let mut other = SoftKey::new();
    other.id = key.id.clone();
    let forged: Vec<String> = (0..20).map(|_| other.assert_for(&options, PUBLIC_URL, None)).collect();
    let (attacker, forged) = (&attacker, &forged);
    let answers = burst(20, |i| async move { attacker.call("finish_key_sign_in", &[("credential", &forged[i]), ("next", "")]).await }).await;
    let refused = answers.iter().filter(|r| matches!(code_of(r).as_str(), "key_not_accepted" | "key_challenge_expired")).count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    let free = app.warden.config().two_factor.backoff.free_failures as usize;
    assert!(refused <= free, "{refused} answers checked, at most {free}");
    assert_eq!(refused + throttled, 20, "every other answer waits: {:?}", answers.iter().map(code_of).collect::<Vec<_>>());
}

async fn a_burst_of_wrong_passwords_on_the_password_page_checks_only_the_free_ones(app: TestApp) {
    let b = app.signed_in_user("pat", PW, CHROME_WINDOWS).await;
    let new = "a much longer new passphrase 7";
    let b = &b;
    let answers = burst(30, |_| async move {
        b.call("change_password", &[("current_password", "not it"), ("new_password", new), ("confirm_password", new), ("sign_out_others", "on")])
            .await
    })
    .await;
    let (checked, throttled) = tally(&answers, "wrong_current_password");
    let free = app.warden.config().step_up.password_backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free));
}

async fn a_burst_of_wrong_passwords_when_confirming_checks_only_the_free_ones(app: TestApp) {
    let b = app.signed_in_user("cid", PW, CHROME_WINDOWS).await;
    let answers = burst(30, |_| b.call("confirm_identity", &[("password", "not it")])).await;
    let (checked, throttled) = tally(&answers, "wrong_current_password");
    let free = app.warden.config().step_up.password_backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free));
}

async fn a_burst_of_wrong_credentials_for_a_new_token_checks_only_the_free_ones(app: TestApp) {
    let b = app.signed_in_user("tia", PW, CHROME_WINDOWS).await;
    let answers = burst(30, |i| {
        let name = format!("ci-{i}");
        let b = &b;
        async move {
            b.call("create_api_token", &[("name", &name), ("username", "tia"), ("password", "guess"), ("expiry", "30"), ("access", "read")]).await
        }
    })
    .await;
    let (checked, throttled) = tally(&answers, "invalid_credentials");
    let free = app.warden.config().step_up.password_backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free));
    assert!(b.call("api_tokens_status", &[]).await.json()["tokens"].as_array().expect("tokens").is_empty());
}

async fn a_burst_of_wrong_credentials_to_regenerate_a_token_checks_only_the_free_ones(app: TestApp) {
    let b = app.signed_in_user("rex", PW, CHROME_WINDOWS).await;
    let made = b.call("create_api_token", &[("name", "ci"), ("username", "rex"), ("password", PW), ("expiry", "30"), ("access", "read")]).await;
    assert!(made.status.is_success(), "{}", made.body);
    let (id, prefix) = (made.json()["id"].to_string(), made.json()["prefix"].as_str().expect("prefix").to_owned());
    let answers = burst(30, |_| {
        let (b, id) = (&b, &id);
        async move { b.call("regenerate_api_token", &[("id", id), ("overlap", "24h"), ("username", "rex"), ("password", "guess")]).await }
    })
    .await;
    let (checked, throttled) = tally(&answers, "invalid_credentials");
    let free = app.warden.config().step_up.password_backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free));
    let listed = &b.call("api_tokens_status", &[]).await.json()["tokens"][0];
    assert_eq!(listed["prefix"].as_str(), Some(prefix.as_str()), "the secret is unchanged");
    assert!(listed["previous"].is_null());
}

async fn every_wrong_password_a_session_holder_types_counts_against_one_budget(app: TestApp) {
    let b = app.signed_in_user("una", PW, CHROME_WINDOWS).await;
    let free = app.warden.config().step_up.password_backoff.free_failures;
    // Spread over every form that asks for the password: one budget.
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        ("set_pin", vec![("password", "x1"), ("pin", PIN), ("confirm_pin", PIN)]),
        ("create_api_token", vec![("name", "n"), ("username", "una"), ("password", "x2"), ("expiry", "30"), ("access", "read")]),
        ("confirm_identity", vec![("password", "x3")]),
        (
            "change_password",
            vec![("current_password", "x4"), ("new_password", "another long passphrase 8"), ("confirm_password", "another long passphrase 8")],
        ),
    ];
    let mut refused = 0;
    for (name, fields) in forms.iter().cycle().take(free as usize) {
        let r = b.call(name, fields).await;
        assert_ne!(r.status, StatusCode::TOO_MANY_REQUESTS, "{name}: {}", r.body);
        refused += 1;
    }
    assert_eq!(refused, free);
    for (name, fields) in &forms {
        assert_eq!(b.call(name, fields).await.status, StatusCode::TOO_MANY_REQUESTS, "{name} waits with the others");
    }
}

async fn a_burst_of_reset_requests_for_one_address_sends_only_the_free_ones(app: TestApp) {
    app.signed_in_user("rae", PW, CHROME_WINDOWS).await;
    let guest = app.browser(CHROME_WINDOWS);
    let answers = burst(20, |_| guest.call("request_password_reset", &[("email", "rae@example.com")])).await;
    let sent = answers.iter().filter(|r| r.status.is_success() || r.status == StatusCode::SEE_OTHER || r.status == StatusCode::FOUND).count();
    let free = app.warden.config().passwords.reset_address_backoff.free_failures as usize;
    assert_eq!(sent, free, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mails = app.mails_to("rae@example.com").await.into_iter().filter(|m| m.subject.contains("Reset")).count();
    assert_eq!(mails, free, "only the free links were mailed");
}

async fn a_burst_of_link_resends_sends_only_the_free_ones(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    let r = b.call("sign_up", &[("email", "vin@example.com"), ("username", "vin"), ("password", PW), ("confirm_password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    b.sign_in("vin", PW).await;
    let answers = burst(15, |_| b.call("resend_verification", &[])).await;
    let free = app.warden.config().accounts.resend_backoff.free_failures as usize;
    let ok = answers.iter().filter(|r| r.status.is_success()).count();
    assert_eq!(ok, free, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
}

async fn a_burst_of_passkey_starts_makes_only_the_free_challenges(app: TestApp) {
    let guest = app.browser(CHROME_WINDOWS);
    let answers = burst(50, |_| guest.call("start_passkey_sign_in", &[])).await;
    let ok = answers.iter().filter(|r| r.status.is_success()).count();
    let free = app.warden.config().sign_in.passkey_start_ip_backoff.free_failures as usize;
    assert_eq!(ok, free, "50 starts at once: only the free challenges are made");
}

/// The refused-token budget damps floods of lookups: an address that must
/// wait is refused before any lookup, and of a burst only the free units
/// are answered 401 (each spent before it is answered), the rest wait.
async fn a_burst_of_refused_api_tokens_is_refused_only_for_the_free_ones(app: TestApp) {
    let clients: Vec<Browser> = (0..30)
        .map(|_| {
            let b = app.browser("warden-api-test/1.0");
            b.set_header("authorization", &format!("Bearer {}", domain::api_tokens::ApiToken::generate().expose()));
            b
        })
        .collect();
    let answers = burst(30, |i| clients[i].get("/api/v1/account")).await;
    let refused = answers.iter().filter(|r| r.status == StatusCode::UNAUTHORIZED).count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    let free = server::config::REFUSED_TOKEN_BACKOFF.free_failures as usize;
    assert_eq!((refused, throttled), (free, 30 - free));
    // Spent: the next one waits before any lookup.
    let r = clients[0].get("/api/v1/account").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

/// A busy client (many parallel requests from one address, all with a good
/// token) is never throttled by the refused-token budget: a token that
/// opens spends none of it. Spending a unit per request before the lookup
/// answered 429 to every request beyond the tenth in flight.
async fn a_burst_of_good_tokens_from_one_address_spends_nothing_of_its_budget(app: TestApp) {
    let (_b, token) = crate::api::user_with_token(&app, "busy").await;
    let clients: Vec<Browser> = (0..40)
        .map(|_| {
            let b = app.browser("warden-api-test/1.0");
            b.set_header("authorization", &format!("Bearer {token}"));
            b
        })
        .collect();
    let answers = burst(40, |i| clients[i].get("/api/v1/account")).await;
    let ok = answers.iter().filter(|r| r.status == StatusCode::OK).count();
    assert_eq!(ok, 40, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    // And the address still has every free unit for refusals.
    let bad = app.browser("warden-api-test/1.0");
    bad.set_header("authorization", &format!("Bearer {}", domain::api_tokens::ApiToken::generate().expose()));
    let free = server::config::REFUSED_TOKEN_BACKOFF.free_failures;
    for _ in 0..free {
        assert_eq!(bad.get("/api/v1/account").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(bad.get("/api/v1/account").await.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Refused and good tokens from one address released together: exactly
/// the free refusals are answered 401; every good request is served or,
/// once the address waits, refused (429) by the same step that takes the
/// account's rate, which it then does not take: the quota spent is
/// exactly the requests served.
async fn good_and_refused_tokens_from_one_address_at_once_spend_the_rate_only_for_what_is_served(app: TestApp) {
    let (b, token) = crate::api::user_with_token(&app, "mixed").await;
    let free = server::config::REFUSED_TOKEN_BACKOFF.free_failures as usize;
    let clients: Vec<(bool, Browser)> = (0..40)
        .map(|i| {
            let good = i % 2 == 0;
            let c = app.browser("warden-api-test/1.0");
            let t = if good { token.clone() } else { domain::api_tokens::ApiToken::generate().expose().to_owned() };
            c.set_header("authorization", &format!("Bearer {t}"));
            (good, c)
        })
        .collect();
    let answers = burst(40, |i| clients[i].1.get("/api/v1/account")).await;
    let statuses = |good: bool| -> Vec<StatusCode> { clients.iter().zip(&answers).filter(|((g, _), _)| *g == good).map(|(_, r)| r.status).collect() };
    let (good, bad) = (statuses(true), statuses(false));
    let refused = bad.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert_eq!(refused, free, "{bad:?}");
    assert!(bad.iter().all(|s| matches!(*s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)), "{bad:?}");
    assert!(good.iter().all(|s| matches!(*s, StatusCode::OK | StatusCode::TOO_MANY_REQUESTS)), "{good:?}");
    let served = good.iter().filter(|s| **s == StatusCode::OK).count();
    let a = crate::api::actor(&app, &b).await;
    let used = app.warden.api_tokens().quota_use(&a, 60).await.expect("quota");
    assert_eq!(60 - used.remaining as usize, served, "the rate holds exactly the {served} requests served: {good:?}");
    // The address waits now, for every token.
    assert_eq!(clients[0].1.get("/api/v1/account").await.status, StatusCode::TOO_MANY_REQUESTS);
}

/// A token or session is read from the database on every request (on
/// SQLite through the hot reads, each server thread on its own connection;
/// on PostgreSQL through the pool): once its delete has committed, no
/// request of a burst released after it gets in, on any thread, for the
/// statement with the account (`GET /account`) and the one without.
async fn after_a_delete_commits_every_request_of_a_burst_is_refused(app: TestApp) {
    let (b, token) = crate::api::user_with_token(&app, "gone").await;
    let client = || {
        let c = app.browser("warden-api-test/1.0");
        c.set_header("authorization", &format!("Bearer {token}"));
        c
    };
    let clients: Vec<Browser> = (0..16).map(|_| client()).collect();
    let pages: Vec<Browser> = (0..16).map(|_| b.via(&app)).collect();
    let statuses = |answers: &[Resp]| answers.iter().map(|r| r.status).collect::<Vec<_>>();
    let paths = ["/api/v1/account", "/api/v1/sessions"];

    let before = burst(16, |i| clients[i].get(paths[i % 2])).await;
    assert!(before.iter().all(|r| r.status == StatusCode::OK), "{:?}", statuses(&before));
    let before = burst(16, |i| pages[i].get("/account/security/sessions")).await;
    assert!(before.iter().all(|r| r.status == StatusCode::OK), "{:?}", statuses(&before));

    // The token revokes itself; then a burst with it: refused (401, or 429
    // once the address has spent its free refusals), never served.
    let r = crate::api::Api::new(&app).delete("/api/v1/token", &token).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let after = burst(16, |i| clients[i].get(paths[i % 2])).await;
    assert!(
        after.iter().all(|r| matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)),
        "a deleted token served: {:?}",
        statuses(&after)
    );
    assert!(after.iter().any(|r| r.status == StatusCode::UNAUTHORIZED), "{:?}", statuses(&after));

    // The session signs out; the same cookie in 16 other tabs: sent to sign in.
    assert!(b.call("sign_out", &[]).await.status.is_success());
    let after = burst(16, |i| pages[i].get("/account/security/sessions")).await;
    for r in &after {
        assert!(r.status.is_redirection(), "an ended session served the page: {}", r.status);
        assert_eq!(r.location(), Some("/signin?next=/account/security/sessions&reason=session_ended"));
    }
}

/// A fresh browser behind the trusted proxy, as the client at `ip`.
fn client_at(app: &TestApp, ip: &str) -> Browser {
    let b = app.browser(CHROME_WINDOWS);
    b.set_header("x-forwarded-for", ip);
    b
}

async fn sign_up(b: &Browser, email: &str, username: &str) -> Resp {
    b.call("sign_up", &[("email", email), ("username", username), ("password", PW), ("confirm_password", PW)]).await
}

async fn a_burst_of_sign_ups_makes_only_the_free_accounts(app: TestApp) {
    let b = client_at(&app, "198.51.100.7");
    let answers = burst(12, |i| {
        let (email, name) = (format!("su{i}@example.com"), format!("su{i}"));
        let b = &b;
        async move { sign_up(b, &email, &name).await }
    })
    .await;
    let made = answers.iter().filter(|r| r.status.is_success()).count();
    assert_eq!(made, 2, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
}

async fn sign_ups_from_every_address_of_a_slash_24_share_its_wider_budget(app: TestApp) {
    // Two sign-ups an hour per address (this test's setting); the /24 gets
    // eight times that, whichever of its 256 addresses ask.
    let clients: Vec<Browser> = (0..40).map(|i| client_at(&app, &format!("198.51.100.{}", 10 + i))).collect();
    let answers = burst(40, |i| {
        let (email, name, b) = (format!("wide{i}@example.com"), format!("wide{i}"), &clients[i]);
        async move { sign_up(b, &email, &name).await }
    })
    .await;
    let made = answers.iter().filter(|r| r.status.is_success()).count();
    assert_eq!(made, 2 * domain::limits::WIDE_BLOCK_FACTOR as usize, "one /24's budget");
    // Another /24 has its own.
    assert!(sign_up(&client_at(&app, "198.51.101.3"), "else@example.com", "elsewhere").await.status.is_success());
}

async fn one_address_gets_at_most_three_sign_up_mails_a_day_whoever_asks(app: TestApp) {
    for i in 0..6 {
        let r = sign_up(&client_at(&app, &format!("192.0.2.{}", 1 + i * 40)), "target@example.com", &format!("squat{i}")).await;
        assert!(r.status.is_success(), "the answer says nothing: {}", r.body);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails = app.all_mails_to("target@example.com").await;
    let free = app.warden.config().accounts.address_mail_backoff.free_failures as usize;
    assert_eq!(mails.len(), free, "{:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>());
    app.clock.advance(86_401);
    assert!(sign_up(&client_at(&app, "192.0.2.250"), "target@example.com", "squat9").await.status.is_success());
    assert_eq!(app.all_mails_to("target@example.com").await.len(), free + 1, "a day later, one more");
}

async fn a_burst_of_revocations_of_one_token_deletes_it_once_and_mails_once(app: TestApp) {
    use domain::api_tokens::{Access, Expiry};
    let owner = app.signed_in_user("tess", PW, CHROME_WINDOWS).await;
    let token = crate::api::token_with(&app, &owner, "tess", "leaked", Access::ReadWrite, Expiry::Never).await;
    let mails_before = app.mails_to("tess@example.com").await.len();
    let api = crate::api::Api::new(&app);
    let (api, body) = (&api, serde_json::json!({ "token": token }).to_string());
    let body = &body;
    let answers = burst(12, |_| api.send("POST", "/api/v1/tokens/revoke", &[], Some(("application/json", body.clone())))).await;
    assert!(answers.iter().all(|r| r.status == StatusCode::ACCEPTED), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::UNAUTHORIZED);
    let mails = app.mails_to("tess@example.com").await;
    assert_eq!(mails.len(), mails_before + 1, "one revocation, one mail: {mails:?}");
    let events = owner.sessions(0).await["events"].to_string();
    assert_eq!(events.matches("revoked by someone who presented it").count(), 1, "{events}");
}

async fn a_burst_of_revocations_from_one_address_looks_up_only_the_free_ones(app: TestApp) {
    let api = crate::api::Api::new(&app);
    let api = &api;
    let answers = burst(40, |i| {
        api.send(
            "POST",
            "/api/v1/tokens/revoke",
            &[],
            Some(("application/json", serde_json::json!({ "token": format!("wdn_guess{i}") }).to_string())),
        )
    })
    .await;
    let accepted = answers.iter().filter(|r| r.status == StatusCode::ACCEPTED).count();
    let throttled: Vec<&Resp> = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).collect();
    let free = domain::api_tokens::REVOKE_BACKOFF.free_failures as usize;
    assert_eq!((accepted, throttled.len()), (free, 40 - free), "40 revocations at once from one address: only the free ones are looked up");
    assert!(throttled.iter().all(|r| code_of(r) == "throttled" && r.header("retry-after").is_some()));
    app.clock.advance(600);
    let r = api.send("POST", "/api/v1/tokens/revoke", &[], Some(("application/json", r#"{"token": "wdn_later"}"#.to_owned()))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "the budget comes back");
}
