//! Security-event webhooks on SQLite and on PostgreSQL (its limiter on
//! Redis), against a real receiver on this machine: Standard Webhooks
//! signatures that the `standardwebhooks` crate's own verifier accepts (and
//! refuses with another secret), only the events an endpoint chose, "Send a
//! test event" and "Redeliver", retries with backoff and the endpoint
//! turned off with a mail after a day of failures, each delivery sent once
//! by two instances sharing the queue, a rotation during which both
//! secrets sign, the step-up and its limit under parallel requests, other
//! accounts' ids, and the SSRF guard (loopback, private, metadata, and a
//! name that resolves to one).

use crate::api::PW;
use crate::common::*;
use crate::token_networks::code_of;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use futures_util::future::join_all;
use reqwest::StatusCode;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Barrier;

/// Every request a receiver got: its headers and body.
type Got = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A webhook receiver on 127.0.0.1: keeps every request, answers `status`.
#[derive(Clone)]
struct Receiver {
    got: Got,
    status: Arc<AtomicU16>,
    url: String,
}

impl Receiver {
    async fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let state = (got.clone(), status.clone());
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(|State((got, status)): State<(Got, Arc<AtomicU16>)>, headers: HeaderMap, body: String| async move {
                    got.lock().expect("lock").push((headers, body));
                    let code = status.load(Ordering::SeqCst);
                    let mut res = axum::response::Response::new(axum::body::Body::from("ok"));
                    *res.status_mut() = AxStatus::from_u16(code).expect("status");
                    if code == 302 {
                        res.headers_mut().insert("location", "http://127.0.0.1:9/elsewhere".parse().expect("location"));
                    }
                    res
                }),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().expect("addr").port());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { got, status, url }
    }

    fn requests(&self) -> Vec<(HeaderMap, String)> {
        self.got.lock().expect("lock").clone()
    }
}

fn on_premises(c: &mut server::config::Config) {
    // The receiver is on this machine: allowed only with this setting.
    c.webhooks_allow_private = true;
}

on_both_backends!(on_premises =>
    deliveries_are_signed_and_the_crates_own_verifier_accepts_them,
    failures_retry_with_backoff_for_a_day_then_the_endpoint_is_turned_off_with_a_mail,
    two_instances_send_each_delivery_once,
    during_a_rotation_both_secrets_sign,
    parallel_adds_stop_at_the_limit_and_other_accounts_ids_are_not_found,
    redirects_are_not_followed,
    without_javascript_the_secret_is_shown_once_on_the_page,
);

async fn without_javascript_the_secret_is_shown_once_on_the_page(app: TestApp) {
    let rx = Receiver::start().await;
    let owner = app.signed_in_user("nojs", PW, CHROME_WINDOWS).await;
    let page = "/account/security/sessions/webhooks";
    let r = owner.form(page, "add_webhook", &[("url", &rx.url), ("topics[sign_in]", "on"), ("topics[pin]", "on"), ("password", PW)]).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let shown = owner.get(page).await.body;
    let at = shown.find("whsec_").expect("the secret on the page");
    let secret: String = shown[at..].chars().take_while(|c| !matches!(c, '<' | '"')).collect();
    let at_url = shown.find("aria-label=\"Webhooks\"").expect("the webhooks listed");
    assert!(shown[at_url..].contains("Sign-ins, PIN changes"), "both boxes were read: {}", shown[at_url..].chars().take(400).collect::<String>());
    assert!(!owner.get(page).await.body.contains("whsec_"), "once: a reload does not show it again");
    // The secret shown is the one that signs.
    app.browser(FIREFOX_ANDROID).sign_in("nojs", PW).await;
    server::webhooks::deliver_due(&app.warden).await;
    assert!(verify(&secret, &rx.requests()[0]), "{secret}");
}

on_both_backends!(the_guard_refuses_loopback_private_and_metadata_addresses_and_a_name_that_resolves_to_one,);

/// Adds an endpoint to `url` for `topics`, with the password; its secret.
async fn add(b: &Browser, url: &str, topics: &[&str]) -> String {
    let keys: Vec<String> = topics.iter().map(|t| format!("topics[{t}]")).collect();
    let mut fields: Vec<(&str, &str)> = vec![("url", url), ("password", PW)];
    fields.extend(keys.iter().map(|k| (k.as_str(), "on")));
    let r = b.call("add_webhook", &fields).await;
    assert!(r.status.is_success(), "add_webhook: {} {}", r.status, r.body);
    r.json()["secret"].as_str().expect("secret").to_owned()
}

fn verify(secret: &str, (headers, body): &(HeaderMap, String)) -> bool {
    let mut h = http::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        if let Some(v) = headers.get(name) {
            h.insert(name, v.to_str().expect("ascii").parse().expect("header"));
        }
    }
    standardwebhooks::Webhook::new(secret).expect("secret").verify(body.as_bytes(), &h).is_ok()
}

fn body(r: &(HeaderMap, String)) -> serde_json::Value {
    serde_json::from_str(&r.1).expect("a JSON body")
}

async fn deliveries(b: &Browser) -> Vec<serde_json::Value> {
    let r = b.call("list_webhooks", &[]).await;
    assert!(r.status.is_success(), "{}", r.body);
    r.json()["deliveries"].as_array().expect("deliveries").clone()
}

async fn deliveries_are_signed_and_the_crates_own_verifier_accepts_them(app: TestApp) {
    let rx = Receiver::start().await;
    let owner = app.signed_in_user("wes", PW, CHROME_WINDOWS).await;
    let secret = add(&owner, &rx.url, &["sign_in", "session_ended"]).await;
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{secret}");
    // The list never shows the secret again.
    let listed = owner.call("list_webhooks", &[]).await.body;
    assert!(!listed.contains(&secret[6..]) && listed.contains(&rx.url), "{listed}");

    // A sign-in (chosen) and a PIN (not chosen).
    let laptop = app.browser(FIREFOX_ANDROID);
    laptop.sign_in("wes", PW).await;
    let r = owner.call("set_pin", &[("pin", "40719"), ("confirm_pin", "40719"), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(server::webhooks::deliver_due(&app.warden).await, 1);
    let got = rx.requests();
    assert_eq!(got.len(), 1, "only the chosen event");
    let event = body(&got[0]);
    assert_eq!(event["type"], "session-established");
    assert_eq!(event["data"]["event"], "signed_in");
    assert_eq!(event["data"]["ip"], "127.0.0.1");
    assert!(event["data"]["device"].as_str().expect("device").contains("Firefox"), "{event}");
    assert!(got[0].0["webhook-id"].to_str().expect("id").starts_with("msg_"));
    assert!(verify(&secret, &got[0]), "the standard's verifier accepts it");
    let other_secret = format!("whsec_{}", "A".repeat(32));
    assert!(!verify(&other_secret, &got[0]), "and refuses it with another secret");
    let mut tampered = got[0].clone();
    tampered.1 = tampered.1.replace("signed_in", "signed_ix");
    assert!(!verify(&secret, &tampered), "and refuses an altered body");

    // The log, "Send a test event", and "Redeliver" (the same message id).
    let log = deliveries(&owner).await;
    assert_eq!(log[0]["status"], "Delivered (200)", "{log:?}");
    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    assert!(owner.call("send_test_webhook", &[("id", &id)]).await.status.is_success());
    let delivery = log[0]["id"].as_i64().expect("id").to_string();
    assert!(owner.call("redeliver_webhook", &[("delivery_id", &delivery)]).await.status.is_success());
    assert_eq!(server::webhooks::deliver_due(&app.warden).await, 2);
    let got = rx.requests();
    assert_eq!(got.len(), 3);
    let types: Vec<String> = got.iter().map(|r| body(r)["type"].as_str().unwrap_or("").to_owned()).collect();
    assert!(types.contains(&"webhook-test".to_owned()), "{types:?}");
    let first_id = got[0].0["webhook-id"].clone();
    assert_eq!(got.iter().filter(|r| r.0["webhook-id"] == first_id).count(), 2, "a redelivery keeps its message id");
    assert!(got.iter().all(|r| verify(&secret, r)));

    // A session ended from elsewhere: session-revoked, and the named session's name in it.
    let laptop_id = owner.sessions(0).await["active"].as_array().expect("a").iter().find(|s| s["this_device"] == false).expect("laptop")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    owner.call("rename_session", &[("session_id", &laptop_id), ("name", "Work phone")]).await;
    let mine = owner.sessions(0).await["active"].as_array().expect("a").iter().find(|s| s["this_device"] == true).expect("mine")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    owner.call("rename_session", &[("session_id", &mine), ("name", "Desk")]).await;
    let r = owner.call("end_session", &[("session_id", &laptop_id), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    server::webhooks::deliver_due(&app.warden).await;
    let last = body(rx.requests().last().expect("one"));
    assert_eq!(last["type"], "session-revoked");
    assert!(last["data"]["detail"].as_str().expect("detail").contains("Work phone"), "{last}");
    assert_eq!(last["data"]["session_name"], "Desk", "the session that ended it, by its name");
    // Nothing secret ever rides along.
    for r in rx.requests() {
        assert!(!r.1.contains(PW) && !r.1.contains("whsec_"));
    }
}

async fn failures_retry_with_backoff_for_a_day_then_the_endpoint_is_turned_off_with_a_mail(app: TestApp) {
    let rx = Receiver::start().await;
    rx.status.store(500, Ordering::SeqCst);
    let owner = app.signed_in_user("fran", PW, CHROME_WINDOWS).await;
    add(&owner, &rx.url, &["sign_in"]).await;
    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    owner.call("send_test_webhook", &[("id", &id)]).await;
    assert_eq!(server::webhooks::deliver_due(&app.warden).await, 1);
    assert_eq!(server::webhooks::deliver_due(&app.warden).await, 0, "not due again at once");
    let log = deliveries(&owner).await;
    assert!(log[0]["status"].as_str().expect("s").starts_with("Retrying") && log[0]["attempts"] == 1, "{log:?}");
    // 30 s, then 60 s, then 120 s later.
    for wait in [29, 1, 59, 1, 119, 1] {
        app.clock.advance(wait);
        let sent = server::webhooks::deliver_due(&app.warden).await;
        assert_eq!(sent, usize::from(wait != 29 && wait != 59 && wait != 119), "after {wait} s");
    }
    assert_eq!(rx.requests().len(), 4);
    // The receiver comes back: delivered, and the endpoint is healthy again.
    rx.status.store(204, Ordering::SeqCst);
    app.clock.advance(240);
    assert_eq!(server::webhooks::deliver_due(&app.warden).await, 1);
    assert_eq!(deliveries(&owner).await[0]["status"], "Delivered (204)");

    // A day of failures: given up, the endpoint turned off, the owner mailed once.
    rx.status.store(503, Ordering::SeqCst);
    owner.call("send_test_webhook", &[("id", &id)]).await;
    for _ in 0..26 {
        server::webhooks::deliver_due(&app.warden).await;
        app.clock.advance(3600);
    }
    server::webhooks::deliver_due(&app.warden).await;
    owner.sign_in("fran", PW).await;
    let list = owner.call("list_webhooks", &[]).await.json();
    assert_eq!(list["endpoints"][0]["enabled"], false, "{list}");
    assert!(list["deliveries"][0]["status"].as_str().expect("s").starts_with("Failed"), "{list}");
    let mails = app.mails_to("fran@example.com").await;
    assert_eq!(mails.iter().filter(|m| m.subject == "A webhook of your Warden account was turned off").count(), 1, "{mails:?}");
    // Turned off: new events wait for nobody; rotating turns it back on.
    let before = rx.requests().len();
    app.browser(SAFARI_MAC).sign_in("fran", PW).await;
    server::webhooks::deliver_due(&app.warden).await;
    assert_eq!(rx.requests().len(), before);
    let r = owner.call("rotate_webhook_secret", &[("id", &id), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["enabled"], true);
}

const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";

async fn two_instances_send_each_delivery_once(app: TestApp) {
    let rx = Receiver::start().await;
    let owner = app.signed_in_user("ines", PW, CHROME_WINDOWS).await;
    add(&owner, &rx.url, &["sign_in"]).await;
    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    for _ in 0..12 {
        owner.call("send_test_webhook", &[("id", &id)]).await;
    }
    let other = app.restarted().await;
    let (a, b, c) = tokio::join!(
        server::webhooks::deliver_due(&app.warden),
        server::webhooks::deliver_due(&other.warden),
        server::webhooks::deliver_due(&app.warden)
    );
    assert_eq!(a + b + c, 12, "each delivery claimed by one sender");
    let got = rx.requests();
    assert_eq!(got.len(), 12);
    let mut ids: Vec<String> = got.iter().map(|r| r.0["webhook-id"].to_str().expect("id").to_owned()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "twelve different messages, none twice");
}

async fn during_a_rotation_both_secrets_sign(app: TestApp) {
    let rx = Receiver::start().await;
    let owner = app.signed_in_user("rota", PW, CHROME_WINDOWS).await;
    let old = add(&owner, &rx.url, &["sign_in"]).await;
    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    // Without the step-up (its window from adding closed): refused.
    app.clock.advance(app.warden.config().step_up.window_secs + 1);
    let r = owner.call("rotate_webhook_secret", &[("id", &id)]).await;
    assert_eq!(code_of(&r), "confirmation_required");
    let r = owner.call("rotate_webhook_secret", &[("id", &id), ("password", PW)]).await;
    let new = r.json()["secret"].as_str().expect("secret").to_owned();
    assert_ne!(old, new);
    owner.call("send_test_webhook", &[("id", &id)]).await;
    server::webhooks::deliver_due(&app.warden).await;
    let got = rx.requests();
    assert!(verify(&old, &got[0]) && verify(&new, &got[0]), "both secrets sign during the overlap");
    assert_eq!(got[0].0["webhook-signature"].to_str().expect("sig").split(' ').count(), 2);
    // A day later, only the new one.
    app.clock.advance(86_400);
    owner.sign_in("rota", PW).await;
    owner.call("send_test_webhook", &[("id", &id)]).await;
    server::webhooks::deliver_due(&app.warden).await;
    let last = rx.requests().last().expect("one").clone();
    assert!(verify(&new, &last) && !verify(&old, &last));
}

async fn parallel_adds_stop_at_the_limit_and_other_accounts_ids_are_not_found(app: TestApp) {
    let rx = Receiver::start().await;
    let owner = app.signed_in_user("lim", PW, CHROME_WINDOWS).await;
    // Without the step-up: refused, nothing added.
    let r = owner.call("add_webhook", &[("url", &rx.url), ("topics[sign_in]", "on")]).await;
    assert_eq!(code_of(&r), "confirmation_required", "{}", r.body);
    let r = owner.call("add_webhook", &[("url", &rx.url), ("password", PW)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no event chosen: {}", r.body);
    // Confirmed once, so the parallel adds spend no password budget.
    let r = owner.call("confirm_identity", &[("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let max = app.warden.config().webhooks.max_endpoints as usize;
    let n = max + 3;
    let gate = Arc::new(Barrier::new(n));
    let answers = join_all((0..n).map(|_| {
        let (gate, owner, url) = (gate.clone(), &owner, rx.url.clone());
        async move {
            gate.wait().await;
            owner.call("add_webhook", &[("url", &url), ("topics[pin]", "on")]).await
        }
    }))
    .await;
    let added = answers.iter().filter(|r| r.status.is_success()).count();
    let full = answers.iter().filter(|r| code_of(r) == "webhook_limit_reached").count();
    assert_eq!((added, full), (max, n - max), "{:?}", answers.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(owner.call("list_webhooks", &[]).await.json()["endpoints"].as_array().map(Vec::len), Some(max));

    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    owner.call("send_test_webhook", &[("id", &id)]).await;
    let delivery = deliveries(&owner).await[0]["id"].as_i64().expect("id").to_string();
    let mallory = app.signed_in_user("mal", PW, CHROME_WINDOWS).await;
    for (f, field, value) in [
        ("delete_webhook", "id", id.as_str()),
        ("send_test_webhook", "id", id.as_str()),
        ("redeliver_webhook", "delivery_id", delivery.as_str()),
        ("delete_webhook", "id", "999999"),
    ] {
        let r = mallory.call(f, &[(field, value)]).await;
        assert_eq!(code_of(&r), "not_found", "{f}: {}", r.body);
    }
    let r = mallory.call("rotate_webhook_secret", &[("id", &id), ("password", PW)]).await;
    assert_eq!(code_of(&r), "not_found");
    assert_eq!(owner.call("list_webhooks", &[]).await.json()["endpoints"].as_array().map(Vec::len), Some(max), "nothing of hers changed");
    assert!(owner.call("delete_webhook", &[("id", &id)]).await.status.is_success());
}

async fn redirects_are_not_followed(app: TestApp) {
    let rx = Receiver::start().await;
    rx.status.store(302, Ordering::SeqCst);
    let owner = app.signed_in_user("red", PW, CHROME_WINDOWS).await;
    add(&owner, &rx.url, &["sign_in"]).await;
    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    owner.call("send_test_webhook", &[("id", &id)]).await;
    server::webhooks::deliver_due(&app.warden).await;
    assert_eq!(rx.requests().len(), 1);
    let status = deliveries(&owner).await[0]["status"].as_str().expect("s").to_owned();
    assert!(status.contains("redirects are not followed"), "{status}");
}

async fn the_guard_refuses_loopback_private_and_metadata_addresses_and_a_name_that_resolves_to_one(app: TestApp) {
    let rx = Receiver::start().await;
    let owner = app.signed_in_user("gus", PW, CHROME_WINDOWS).await;
    for url in [
        rx.url.as_str(),
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "http://hooks.example.com/hook",
        "https://user:secret@hooks.example.com/hook",
    ] {
        let r = owner.call("add_webhook", &[("url", url), ("topics[sign_in]", "on"), ("password", PW)]).await;
        assert_eq!(code_of(&r), "invalid_webhook_url", "{url}: {}", r.body);
    }
    // A name is checked where the connection is made: "localhost" resolves
    // to a loopback address, so nothing is sent.
    assert!(server::webhooks::checked_address("localhost", 443, false).await.expect_err("refused").contains("loopback"));
    let port = rx.url.split(':').nth(2).and_then(|p| p.split('/').next()).expect("port").to_owned();
    add(&owner, &format!("https://localhost:{port}/hook"), &["sign_in"]).await;
    let id = owner.call("list_webhooks", &[]).await.json()["endpoints"][0]["id"].as_i64().expect("id").to_string();
    owner.call("send_test_webhook", &[("id", &id)]).await;
    server::webhooks::deliver_due(&app.warden).await;
    assert!(rx.requests().is_empty(), "no connection was made");
    let status = deliveries(&owner).await[0]["status"].as_str().expect("s").to_owned();
    assert!(status.contains("refused: localhost is a loopback address"), "{status}");
    // A public address passes the guard.
    assert!(server::webhooks::checked_address("93.184.216.34", 443, false).await.is_ok());
}
