//! Several instances behind a load balancer: two Warden servers on one
//! PostgreSQL database and one Redis, requests alternating between them,
//! act as one server (the API rate, guess budgets, sessions, tokens, PIN
//! unlocks, mail). And the outage policy when Redis stops mid-run: guesses
//! fail closed, the API rate fails open, and all of it comes back by
//! itself when Redis does.
//!
//! The pair needs `WARDEN_TEST_POSTGRES_URL` and `WARDEN_TEST_REDIS_URL`;
//! the outage test starts a Redis of its own (`redis-server` on PATH), so
//! it can stop it. Each says clearly when it is not run, and fails instead
//! under `WARDEN_REQUIRE_REDIS` (CI).

use crate::api::{actor, here, token_with, user_with_token, Api, PW};
use crate::common::*;
use crate::mail::SmtpServer;
use crate::two_factor::{code, with_2fa, Now};
use domain::api_tokens::{Access, Expiry};
use domain::support::clock::ManualClock;
use reqwest::StatusCode;
use server::config::Config;
use server::mail::{MailWorker, Transport};
use std::time::Duration;

/// Two servers on one fresh schema, one Redis prefix, one data folder (so
/// one sealing key, as `WARDEN_SECRET_KEY` would give every instance) and
/// one clock.
async fn pair() -> Option<(TestApp, TestApp)> {
    let Some(db) = TestApp::postgres_schema().await else {
        postgres_not_run();
        return None;
    };
    let Some(redis) = redis_url() else {
        redis_not_run();
        return None;
    };
    let mut config = Config::for_tests(std::env::temp_dir().join(format!("warden-test-{}", unique())), db);
    config.redis_url = Some(domain::Secret::new(redis));
    config.redis_prefix = format!("warden-test:{}:", unique());
    config.single_instance = false;
    let clock = ManualClock::at(1_800_000_000);
    let a = TestApp::start(config.clone(), clock.clone(), "postgres").await;
    let b = TestApp::start(config, clock, "postgres").await;
    Some((a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_api_rate_and_one_budget_of_wrong_passwords() {
    let Some((a, b)) = pair().await else { return };
    let (_, token) = user_with_token(&a, "ines").await;
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));
    let (mut ok, mut limited) = (0, 0);
    // 40 requests to each, alternating, within one (frozen) minute.
    for i in 0..80 {
        let r = if i % 2 == 0 { api_a.get("/api/v1/account", &token).await } else { api_b.get("/api/v1/account", &token).await };
        match r.status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            s => panic!("request {i}: {s} {}", r.body),
        }
    }
    assert_eq!((ok, limited), (60, 20), "one quota of 60 a minute for the account, not 60 per instance");

    // Wrong passwords from one attacker, spread over both instances: 5 are
    // free per account, then even the right password waits, on either.
    let attacker_a = a.browser(FIREFOX_ANDROID);
    let attacker_b = attacker_a.via(&b);
    for i in 0..5 {
        let who = if i % 2 == 0 { &attacker_a } else { &attacker_b };
        let r = who.call("sign_in", &[("login", "ines"), ("password", "guess guess guess"), ("next", "")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guess {i}: {}", r.body);
    }
    for who in [&attacker_a, &attacker_b] {
        let r = who.call("sign_in", &[("login", "ines"), ("password", PW), ("next", "")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the budget is the account's on every instance: {}", r.body);
    }
}

/// The refused-token damper of one address across instances: wrong
/// tokens sent to A make the address wait, and B, which never saw them,
/// refuses the right token too (in the one Redis step that takes the
/// account's rate, which a refused request does not spend), also when a
/// burst arrives at B; once the wait is over both serve it, and the quota
/// holds only what was served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_that_waits_for_its_refused_tokens_waits_on_every_instance() {
    let Some((a, b)) = pair().await else { return };
    let (owner, token) = user_with_token(&a, "wes").await;
    let (api_a, api_b) = (Api::new(&a), Api::new(&b));
    assert_eq!(api_b.get("/api/v1/account", &token).await.status, StatusCode::OK, "served before any refusal");
    let free = server::config::REFUSED_TOKEN_BACKOFF.free_failures;
    for i in 0..free {
        let bad = format!("Bearer {}", domain::api_tokens::ApiToken::generate().expose());
        assert_eq!(api_a.send("GET", "/api/v1/account", &[("authorization", &bad)], None).await.status, StatusCode::UNAUTHORIZED, "refusal {i}");
    }
    let r = api_b.get("/api/v1/account", &token).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "B never saw the refusals, and still refuses the right token: {}", r.body);
    assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    let burst_on_b = futures_util::future::join_all((0..20).map(|_| api_b.get("/api/v1/account", &token))).await;
    assert!(burst_on_b.iter().all(|r| r.status == StatusCode::TOO_MANY_REQUESTS), "{:?}", burst_on_b.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(api_a.get("/api/v1/account", &token).await.status, StatusCode::TOO_MANY_REQUESTS, "and A, where they were");
    let used = a.warden.api_tokens().quota_use(&actor(&a, &owner).await, 60).await.expect("quota");
    assert_eq!(used.remaining, 59, "only the request served before took from the rate");

    a.clock.advance(server::config::REFUSED_TOKEN_BACKOFF.base_secs);
    assert_eq!(api_b.get("/api/v1/account", &token).await.status, StatusCode::OK, "the wait is over on B");
    assert_eq!(api_a.get("/api/v1/account", &token).await.status, StatusCode::OK, "and on A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_instance_changes_the_other_sees_at_the_next_request() {
    let Some((a, b)) = pair().await else { return };
    // Log out of all devices on A ends a session made on B.
    let laptop = a.signed_in_user("jonas", PW, CHROME_WINDOWS).await;
    let phone = b.browser(FIREFOX_ANDROID);
    phone.sign_in("jonas", PW).await;
    assert_eq!(phone.call("list_sessions", &[("page", "0")]).await.status, StatusCode::OK);
    assert!(laptop.call("end_all_sessions", &[("password", PW)]).await.status.is_success());
    assert_eq!(phone.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED, "ended on B by A");

    // A token deleted on A is refused on B.
    let owner = a.signed_in_user("kira", PW, CHROME_WINDOWS).await;
    let token = token_with(&a, &owner, "kira", "deploy", Access::Read, Expiry::Days30).await;
    let api_b = Api::new(&b);
    assert_eq!(api_b.get("/api/v1/account", &token).await.status, StatusCode::OK);
    let listed = owner.call("api_tokens_status", &[]).await.json();
    let id = listed["tokens"][0]["id"].as_i64().expect("the token's id").to_string();
    assert!(owner.call("delete_api_token", &[("id", &id)]).await.status.is_success());
    assert_eq!(api_b.get("/api/v1/account", &token).await.status, StatusCode::UNAUTHORIZED, "deleted on A, refused on B");

    // A PIN unlock on A opens earlier days on B, for the same browser.
    let r = owner.call("add_sample_data", &[]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = owner.call("set_pin", &[("password", PW), ("pin", "40719"), ("confirm_pin", "40719")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let on_b = owner.via(&b);
    assert_eq!(on_b.call("report", &[("range", "yesterday")]).await.status, StatusCode::FORBIDDEN, "locked on B too");
    assert!(owner.call("unlock_reports", &[("pin", "40719")]).await.status.is_success());
    let r = on_b.call("report", &[("range", "yesterday")]).await;
    assert_eq!(r.status, StatusCode::OK, "unlocked on A, open on B: {}", r.body);

    // A token made without JavaScript on A is shown once by the page on B.
    let r = owner
        .form(
            "/account/security/api-tokens",
            "create_api_token",
            &[("name", "cron"), ("username", "kira"), ("password", PW), ("expiry", "30"), ("access", "read")],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    let shown = on_b.call("api_tokens_status", &[]).await.json();
    let fresh = shown["fresh"]["token"].as_str().expect("the new token, shown by B").to_owned();
    assert_eq!(api_b.get("/api/v1/account", &fresh).await.status, StatusCode::OK);
    assert!(owner.call("api_tokens_status", &[]).await.json()["fresh"].is_null(), "and only once, on either instance");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queued_mail_goes_out_once_with_both_instances_sending() {
    let Some((a, b)) = pair().await else { return };
    let smtp = SmtpServer::start();
    let workers = [&a, &b].map(|app| {
        MailWorker::new(app.warden.clone(), Transport::smtp(&smtp.plain_url()).expect("transport"), "Warden <warden@warden.example>").expect("worker")
    });
    const N: usize = 16;
    for i in 0..N {
        let mail = domain::outbox::Mail {
            to: format!("m{i}@example.com"),
            subject: format!("Notice {i}"),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
        };
        a.queue_mail(&mail).await.expect("queued");
    }
    // Both workers at once, until neither finds anything left.
    let mut idle_rounds = 0;
    for _ in 0..200 {
        let (x, y) = tokio::join!(workers[0].run_once(), workers[1].run_once());
        idle_rounds = if x + y == 0 { idle_rounds + 1 } else { 0 };
        if idle_rounds == 3 {
            break;
        }
    }
    let got = smtp.received();
    let mut subjects: Vec<String> = got
        .iter()
        .map(|m| {
            let text = String::from_utf8_lossy(&m.data).into_owned();
            text.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().trim().to_owned()
        })
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!((got.len(), subjects.len()), (N, N), "each of the {N} mails exactly once: {subjects:?}");
}

/// A Redis of the test's own, which it can stop and start again on the same port.
struct OwnRedis {
    port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    fn start() -> Option<OwnRedis> {
        let port = free_port();
        let mut r = OwnRedis { port, child: None };
        if !r.up() {
            if std::env::var("WARDEN_REQUIRE_REDIS").is_ok() {
                panic!("WARDEN_REQUIRE_REDIS is set but redis-server cannot be started (is it on PATH?)");
            }
            eprintln!("NOT RUN: the Redis outage test needs redis-server on PATH");
            return None;
        }
        Some(r)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts redis-server on the port and waits until it answers.
    fn up(&mut self) -> bool {
        let port = self.port.to_string();
        let Ok(child) = std::process::Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
        else {
            return false;
        };
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let mut buf = [0u8; 7];
                if s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n" {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Stops it hard, as a crash would.
    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.down();
    }
}

async fn wrong_password(b: &Browser) -> Resp {
    b.call("sign_in", &[("login", "lena"), ("password", "guess guess guess"), ("next", "")]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_stops_guesses_fail_closed_the_api_stays_up_and_both_recover_by_themselves() {
    let Some(mut redis) = OwnRedis::start() else { return };
    let url = redis.url();
    let prefix = format!("warden-test:{}:", unique());
    let tweak = |c: &mut Config| {
        c.redis_url = Some(domain::Secret::new(url.clone()));
        c.redis_prefix = prefix.clone();
        c.single_instance = false;
    };
    // On PostgreSQL when it is there (as in CI), else on SQLite: the
    // outage policy is the limiter's, whatever the database.
    let app = match TestApp::postgres_with(tweak).await {
        Some(app) => app,
        None => TestApp::sqlite_with(tweak).await,
    };
    let (owner, key, _) = with_2fa(&app, "lena").await;
    let form =
        TokenForm { code: Some(code(&key, app.clock.now_secs())), expiry: Expiry::Days30, access: Access::Read, ..TokenForm::new("ci", "lena", PW) };
    let token = create_token(&app, &actor(&app, &owner).await, &form, &here()).await.expect("token").token.expose().to_owned();
    app.clock.advance(30);
    assert!(owner.call("add_sample_data", &[]).await.status.is_success());
    assert!(owner
        .call("set_pin", &[("password", PW), ("pin", "40719"), ("confirm_pin", "40719"), ("code", &code(&key, app.clock.now_secs()))])
        .await
        .status
        .is_success());
    app.clock.advance(30);
    let api = Api::new(&app);
    let stranger = app.browser(FIREFOX_ANDROID);
    assert_eq!(wrong_password(&stranger).await.status, StatusCode::UNAUTHORIZED, "counted while Redis is up");

    redis.down();
    // Password guesses: refused, and "try again shortly", not a lock-out message or a 500.
    let r = wrong_password(&stranger).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("Try again shortly"), "{}", r.body);
    let r = stranger.call("sign_in", &[("login", "lena"), ("password", PW), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "a guess that cannot be counted is not tried, the right one neither: {}", r.body);
    // Two-factor codes: the password step is a guess too, so a pending
    // sign-in cannot start; a code given on the 2FA page is refused as well.
    let r = owner.call("disable_totp", &[("password", PW), ("code", &code(&key, app.clock.now_secs()))]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "2FA code: {}", r.body);
    // PIN guesses.
    let r = owner.call("unlock_reports", &[("pin", "40719")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "PIN: {}", r.body);
    assert_eq!(owner.call("report", &[("range", "yesterday")]).await.status, StatusCode::FORBIDDEN, "still locked");
    // The API rate fails open: the API stays up (and says so in the log).
    for _ in 0..3 {
        let r = api.get("/api/v1/account", &token).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // Pages that guess nothing still work.
    assert_eq!(owner.call("list_sessions", &[("page", "0")]).await.status, StatusCode::OK);

    assert!(redis.up(), "Redis starts again on its port");
    // The connection comes back by itself; no restart of Warden.
    let mut back = false;
    for _ in 0..60 {
        if wrong_password(&stranger).await.status == StatusCode::UNAUTHORIZED {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(back, "guesses are counted again once Redis is back");
    let r = owner.call("unlock_reports", &[("pin", "40719")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(owner.call("report", &[("range", "yesterday")]).await.status, StatusCode::OK);
    let r = api.get("/api/v1/account", &token).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("ratelimit").is_some(), "counted again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_warden_will_not_start_without_redis_unless_told_it_is_the_only_instance() {
    let Some(db) = TestApp::postgres_schema().await else { return postgres_not_run() };
    let mut config = Config::for_tests(std::env::temp_dir().join(format!("warden-test-{}", unique())), db);
    config.single_instance = false;
    let clock = std::sync::Arc::new(ManualClock::at(1_800_000_000));
    let e = server::warden(&config, clock.clone()).await.err().expect("refused").to_string();
    assert!(e.contains("REDIS_URL") && e.contains("WARDEN_SINGLE_INSTANCE=1") && e.contains("N times"), "says why and what to do: {e}");
    config.single_instance = true;
    assert!(server::warden(&config, clock.clone()).await.is_ok(), "one instance may keep its budgets in memory");
    // A Redis that is not there is an error at start, not a limiter that fails every guess later.
    let port = free_port();
    config.redis_url = Some(domain::Secret::new(format!("redis://:hunter2@127.0.0.1:{port}")));
    let e = server::warden(&config, clock).await.err().expect("refused").to_string();
    assert!(e.starts_with("REDIS_URL: cannot reach Redis"), "{e}");
    assert!(!e.contains("hunter2"), "the password in the URL is never repeated: {e}");
}
