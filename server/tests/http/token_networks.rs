//! Where an API token is used from, and where it may be, on SQLite and
//! PostgreSQL: the newest five networks kept per token (and shown on the
//! tab), a use from a new network recorded as a security event, a token
//! limited to CIDR ranges (IPv4 and IPv6) refusing requests from elsewhere
//! with a problem, the limit changed only behind the step-up, and a burst
//! of requests from many networks at once. Client addresses come from
//! `X-Forwarded-For` through a trusted proxy (the test client), the way
//! the server reads them for everything else.

use crate::api::{actor, assert_problem, token_with, Api, PW};
use crate::bursts::burst;
use crate::common::*;
use crate::two_factor::{code, with_2fa, Now};
use domain::api_tokens::{Access, ApiTokenId, Expiry, TokenEntry};
use domain::events::EventKind;
use futures_util::future::join_all;
use reqwest::StatusCode;
use std::sync::Arc;
use tokio::sync::Barrier;

const TAB: &str = "/account/security/api-tokens";
const PROBLEM_TYPE: &str = "tag:warden,2026:network-not-allowed";

fn behind_proxy(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

on_both_backends!(behind_proxy =>
    the_newest_five_networks_are_kept_and_shown,
    a_later_use_from_an_unseen_network_is_a_security_event,
    a_token_limited_to_networks_refuses_every_other_address,
    changing_the_networks_takes_the_same_step_up_as_creating_a_token,
    bad_networks_and_other_peoples_tokens_change_nothing,
    sixteen_requests_from_sixteen_networks_at_once_leave_five,
    a_token_made_with_networks_is_limited_from_its_first_request,
    a_burst_of_wrong_credentials_for_a_tokens_networks_checks_only_the_free_ones,
    a_burst_from_a_refused_network_spends_the_addresss_budget,
);

/// `GET /api/v1/account` with `token`, from `ip`.
async fn from(api: &Api, token: &str, ip: &str) -> Resp {
    let auth = format!("Bearer {token}");
    api.send("GET", "/api/v1/account", &[("authorization", &auth), ("x-forwarded-for", ip)], None).await
}

/// The one token of `b`'s account, as the list has it.
pub async fn the_token(app: &TestApp, b: &Browser) -> TokenEntry {
    let mut list = app.warden.api_tokens().list(&actor(app, b).await).await.expect("list");
    assert_eq!(list.len(), 1);
    list.remove(0)
}

async fn network_rows(app: &TestApp, id: ApiTokenId) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_token_networks WHERE token_id = $1")
        .bind(id.get())
        .fetch_one(app.warden.pool())
        .await
        .expect("count");
    n
}

async fn events_of(app: &TestApp, b: &Browser, kind: EventKind) -> Vec<domain::events::EventEntry> {
    let a = actor(app, b).await;
    app.warden.events().page(&a, 0).await.expect("events").entries.into_iter().filter(|e| e.kind == Some(kind)).collect()
}

async fn stored_networks(app: &TestApp, id: ApiTokenId) -> String {
    let (s,): (String,) =
        sqlx::query_as("SELECT allowed_networks FROM api_tokens WHERE id = $1").bind(id.get()).fetch_one(app.warden.pool()).await.expect("row");
    s
}

pub fn code_of(r: &Resp) -> String {
    serde_json::from_str::<serde_json::Value>(&r.body).ok().and_then(|v| v["code"].as_str().map(str::to_owned)).unwrap_or_default()
}

async fn set_networks(b: &Browser, id: ApiTokenId, networks: &str, username: &str, password: &str) -> Resp {
    let id = id.to_string();
    b.call("set_api_token_networks", &[("id", &id), ("networks", networks), ("username", username), ("password", password)]).await
}

async fn the_newest_five_networks_are_kept_and_shown(app: TestApp) {
    let b = app.signed_in_user("nia", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &b, "nia", "deploy", Access::Read, Expiry::Days90).await;
    let api = Api::new(&app);
    let ips = ["203.0.113.1", "203.0.113.2", "2001:db8:1:1::7", "203.0.113.4", "198.51.100.5", "198.51.100.6", "2001:db8:1:2::9"];
    for ip in ips {
        assert_eq!(from(&api, &token, ip).await.status, StatusCode::OK);
        app.clock.advance(10);
    }
    let t = the_token(&app, &b).await;
    let shown: Vec<&str> = t.networks.iter().map(|n| n.ip.as_str()).collect();
    assert_eq!(shown, ["2001:db8:1:2::9", "198.51.100.6", "198.51.100.5", "203.0.113.4", "2001:db8:1:1::7"], "newest first, the two oldest gone");
    assert_eq!(network_rows(&app, t.id).await, 5, "the table keeps five");
    let newest = &t.networks[0];
    assert_eq!((newest.network.as_str(), newest.user_agent.as_str()), ("2001:db8:1:2::/64", "warden-api-test/1.0"));
    assert_eq!(newest.first_seen, newest.last_seen);

    // Within the minute, the same network again writes nothing (the API's
    // hot path stays a read).
    app.clock.advance(30);
    assert_eq!(from(&api, &token, "2001:db8:1:2::10").await.status, StatusCode::OK);
    let t = the_token(&app, &b).await;
    assert_eq!((t.networks[0].ip.as_str(), t.networks[0].last_seen), ("2001:db8:1:2::9", newest.last_seen), "not written again within the minute");

    // Another address of a known /64 is that network seen again: its last
    // address and time move, its first stays, nothing is added or dropped.
    app.clock.advance(100);
    assert_eq!(from(&api, &token, "2001:db8:1:1::abc").await.status, StatusCode::OK);
    let t = the_token(&app, &b).await;
    assert_eq!(t.networks.len(), 5);
    let again = &t.networks[0];
    assert_eq!((again.network.as_str(), again.ip.as_str()), ("2001:db8:1:1::/64", "2001:db8:1:1::abc"));
    assert!(again.last_seen > again.first_seen, "{again:?}");
    assert!(t.networks.iter().any(|n| n.ip == "203.0.113.4"), "a known network seen again drops nothing");

    // The tab shows them, server-rendered, in the person's time zone.
    let page = b.get(TAB).await;
    assert_eq!(page.status, StatusCode::OK);
    for ip in ["2001:db8:1:1::abc", "198.51.100.6", "198.51.100.5", "203.0.113.4", "2001:db8:1:2::9", "Any network", "Limit networks"] {
        assert!(page.body.contains(ip), "the tab shows {ip}");
    }
    for gone in ["203.0.113.1<", "203.0.113.2<"] {
        assert!(!page.body.contains(gone), "the tab no longer shows {gone}");
    }
    assert!(page.body.contains("first seen") && page.body.contains("<time datetime="), "times as the page shows them");
}

async fn a_later_use_from_an_unseen_network_is_a_security_event(app: TestApp) {
    let b = app.signed_in_user("ned", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &b, "ned", "CI", Access::Read, Expiry::Days90).await;
    let api = Api::new(&app);
    assert_eq!(from(&api, &token, "203.0.113.10").await.status, StatusCode::OK);
    assert!(events_of(&app, &b, EventKind::ApiTokenNewNetwork).await.is_empty(), "the first use is no new network");
    app.clock.advance(5);
    assert_eq!(from(&api, &token, "203.0.113.10").await.status, StatusCode::OK);
    assert!(events_of(&app, &b, EventKind::ApiTokenNewNetwork).await.is_empty(), "the same network again is not new");

    app.clock.advance(5);
    assert_eq!(from(&api, &token, "198.51.100.77").await.status, StatusCode::OK);
    let new = events_of(&app, &b, EventKind::ApiTokenNewNetwork).await;
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].detail.contains("API token \"CI\"") && new[0].detail.contains("was used from a new network 198.51.100.77"), "{:?}", new[0].detail);
    assert_eq!(new[0].ip, "198.51.100.77");
    app.clock.advance(5);
    assert_eq!(from(&api, &token, "198.51.100.77").await.status, StatusCode::OK);
    assert_eq!(events_of(&app, &b, EventKind::ApiTokenNewNetwork).await.len(), 1, "known now");

    // Where the account's other security events are shown: Login Security.
    let page = b.get("/account/security/sessions").await;
    assert!(page.body.contains("API token used from a new network"), "Login Security lists it");
    assert!(page.body.contains("was used from a new network 198.51.100.77"));
}

async fn a_token_limited_to_networks_refuses_every_other_address(app: TestApp) {
    let b = app.signed_in_user("lia", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &b, "lia", "office", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    let api = Api::new(&app);
    let r = set_networks(&b, id, "203.0.113.0/24\n2001:db8:1::/48", "lia", PW).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let t = the_token(&app, &b).await;
    assert_eq!(t.allowed.ranges(), ["203.0.113.0/24", "2001:db8:1::/48"]);
    assert_eq!(events_of(&app, &b, EventKind::ApiTokenNetworksChanged).await.len(), 1);
    let mail = app.wait_for_mails("lia@example.com", 2).await;
    assert!(mail.iter().any(|m| m.text.contains("may now be used only from 203.0.113.0/24, 2001:db8:1::/48")), "the owner is mailed");

    for inside in ["203.0.113.9", "203.0.113.254", "2001:db8:1:5::1", "2001:db8:1:ffff::2"] {
        assert_eq!(from(&api, &token, inside).await.status, StatusCode::OK, "{inside} is inside");
    }
    for outside in ["198.51.100.4", "203.0.114.1", "2001:db8:2::1", "2001:db9::1"] {
        let r = from(&api, &token, outside).await;
        let p = assert_problem(&r, StatusCode::FORBIDDEN, "network_not_allowed");
        assert_eq!((p["type"].as_str(), p["title"].as_str()), (Some(PROBLEM_TYPE), Some("Network Not Allowed")), "{p}");
        assert!(p["detail"].as_str().is_some_and(|d| d.contains(outside)), "{p}");
        assert!(r.header("ratelimit").is_none(), "refused before the quota");
    }
    // Refusals are recorded (counted into one row) and not where it was used.
    let refused = events_of(&app, &b, EventKind::ApiTokenNetworkRefused).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!((refused[0].count, refused[0].sources), (4, 4), "{:?}", refused[0]);
    assert!(refused[0].detail.contains("\"office\""), "{:?}", refused[0].detail);
    let t = the_token(&app, &b).await;
    assert!(t.networks.iter().all(|n| !["198.51.100.4", "203.0.114.1", "2001:db8:2::1", "2001:db9::1"].contains(&n.ip.as_str())), "{:?}", t.networks);
    api.check_contract().await;
    // The document says so for every operation a token opens, and for no other.
    let doc = api.send("GET", "/api/v1/openapi.json", &[], None).await.json();
    for (path, method) in [("/account", "get"), ("/campaigns", "post"), ("/token", "delete"), ("/reports/daily", "get")] {
        let said = doc["paths"][path][method]["responses"]["403"]["description"].as_str().unwrap_or_default();
        assert!(said.contains("network_not_allowed") && said.contains(PROBLEM_TYPE), "{method} {path}: {said:?}");
    }
    assert!(doc["paths"]["/tokens/revoke"]["post"]["responses"].get("403").is_none(), "no token, no network limit");
    assert!(doc["info"]["description"].as_str().is_some_and(|d| d.contains(PROBLEM_TYPE)));

    // The tab shows the list, and the form holds it.
    let page = b.get(TAB).await;
    assert!(page.body.contains("203.0.113.0/24") && page.body.contains("2001:db8:1::/48") && page.body.contains("Change networks"));
    let form = b.get(&format!("{TAB}?networks={id}")).await;
    assert!(form.body.contains("name=\"networks\""), "the form opens on ?networks=<id>");
    assert!(form.body.contains("203.0.113.0/24\n2001:db8:1::/48"), "prefilled with the ranges");

    // Without JavaScript too; empty is any network again.
    let r = b
        .form(
            &format!("{TAB}?networks={id}"),
            "set_api_token_networks",
            &[("id", &id.to_string()), ("networks", ""), ("username", "lia"), ("password", PW)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let back = r.location().expect("back to the tab");
    assert!(back.ends_with(&format!("{TAB}?networks_saved=1")), "{back}");
    let after = b.get(back.trim_start_matches(&format!("http://{}", app.addr))).await.body;
    assert!(after.contains("The token&#x27;s networks were saved") || after.contains("The token's networks were saved"), "{after}");
    assert!(the_token(&app, &b).await.allowed.is_any());
    assert_eq!(from(&api, &token, "198.51.100.4").await.status, StatusCode::OK, "any network again");
}

async fn changing_the_networks_takes_the_same_step_up_as_creating_a_token(app: TestApp) {
    // Without a second factor: the username and password, every time.
    let b = app.signed_in_user("sam", PW, CHROME_WINDOWS).await;
    token_with(&app, &b, "sam", "t", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    let r = b.call("set_api_token_networks", &[("id", &id.to_string()), ("networks", "10.0.0.0/8"), ("username", "sam")]).await;
    assert_eq!((r.status, code_of(&r).as_str()), (StatusCode::FORBIDDEN, "confirmation_required"), "{}", r.body);
    assert_eq!(code_of(&set_networks(&b, id, "10.0.0.0/8", "sam", "not the password").await), "invalid_credentials");
    assert_eq!(code_of(&set_networks(&b, id, "10.0.0.0/8", "someone", PW).await), "invalid_credentials", "the username too");
    assert_eq!(stored_networks(&app, id).await, "", "nothing changed");
    assert!(events_of(&app, &b, EventKind::StepUpFailed).await.iter().any(|e| e.count >= 2), "the wrong ones are recorded");
    let r = set_networks(&b, id, "10.0.0.0/8", "sam", PW).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(stored_networks(&app, id).await, "10.0.0.0/8");
    // The window never stands in for the password.
    let r = b.call("set_api_token_networks", &[("id", &id.to_string()), ("networks", ""), ("username", "sam")]).await;
    assert_eq!(code_of(&r), "confirmation_required", "{}", r.body);

    // With 2FA: a second factor too, unless this session confirmed one minutes ago.
    let (b, key, _) = with_2fa(&app, "zoe").await;
    app.clock.advance(app.warden.config().step_up.window_secs + 31);
    let second = code(&key, app.clock.now_secs());
    let made = b
        .call("create_api_token", &[("name", "z"), ("username", "zoe"), ("password", PW), ("code", &second), ("expiry", "30"), ("access", "read")])
        .await;
    assert!(made.status.is_success(), "{}", made.body);
    let id = the_token(&app, &b).await.id;
    app.clock.advance(app.warden.config().step_up.window_secs + 31);
    let r = set_networks(&b, id, "10.0.0.0/8", "zoe", PW).await;
    assert_eq!(code_of(&r), "wrong_password_or_code", "the password alone is not enough: {}", r.body);
    assert_eq!(stored_networks(&app, id).await, "");
    let second = code(&key, app.clock.now_secs());
    let r = b
        .call(
            "set_api_token_networks",
            &[("id", &id.to_string()), ("networks", "10.0.0.0/8"), ("username", "zoe"), ("password", PW), ("code", &second)],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(stored_networks(&app, id).await, "10.0.0.0/8");
}

async fn bad_networks_and_other_peoples_tokens_change_nothing(app: TestApp) {
    let b = app.signed_in_user("ivy", PW, CHROME_WINDOWS).await;
    token_with(&app, &b, "ivy", "mine", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    assert!(set_networks(&b, id, "203.0.113.0/24", "ivy", PW).await.status.is_success());
    let changed = events_of(&app, &b, EventKind::ApiTokenNetworksChanged).await.len();
    let twenty_one: Vec<String> = (0..21).map(|i| format!("10.{i}.0.0/16")).collect();
    for bad in ["10.0.0.0/33", "example.com", "2001:db8::/129", "203.0.113.0/24, 300.1.2.3", twenty_one.join("\n").as_str()] {
        let r = set_networks(&b, id, bad, "ivy", PW).await;
        assert_eq!((r.status, code_of(&r).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"), "{bad}: {}", r.body);
        let e = r.json();
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "a clear message: {e}");
        assert_eq!(stored_networks(&app, id).await, "203.0.113.0/24", "{bad} changed nothing");
    }
    // Without JavaScript the form's page says why, and nothing changed.
    let page = format!("{TAB}?networks={id}");
    let r =
        b.form(&page, "set_api_token_networks", &[("id", &id.to_string()), ("networks", "10.0.0.0/33"), ("username", "ivy"), ("password", PW)]).await;
    let back = r.location().expect("back to the form").to_owned();
    assert!(back.contains("__err="), "{back}");
    let shown = b.get(back.trim_start_matches(&format!("http://{}", app.addr))).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("is not a network") && shown.body.contains("name=\"networks\""), "{}", shown.body);
    assert_eq!(stored_networks(&app, id).await, "203.0.113.0/24");

    let r = set_networks(&b, id, &twenty_one[..20].join(","), "ivy", PW).await;
    assert!(r.status.is_success(), "twenty is the most, and allowed: {}", r.body);
    assert!(set_networks(&b, id, "203.0.113.0/24", "ivy", PW).await.status.is_success());

    // Unknown, and another account's: not found, and nothing changes.
    let r = set_networks(&b, ApiTokenId::new(999_999), "10.0.0.0/8", "ivy", PW).await;
    assert_eq!((r.status, code_of(&r).as_str()), (StatusCode::NOT_FOUND, "not_found"), "{}", r.body);
    let other = app.signed_in_user("oscar", PW, CHROME_WINDOWS).await;
    let r = set_networks(&other, id, "10.0.0.0/8", "oscar", PW).await;
    assert_eq!((r.status, code_of(&r).as_str()), (StatusCode::NOT_FOUND, "not_found"), "another account's token: {}", r.body);
    assert_eq!(stored_networks(&app, id).await, "203.0.113.0/24");
    assert_eq!(events_of(&app, &b, EventKind::ApiTokenNetworksChanged).await.len(), changed + 2, "only the two that went through");
    assert!(events_of(&app, &other, EventKind::ApiTokenNetworksChanged).await.is_empty());
}

async fn sixteen_requests_from_sixteen_networks_at_once_leave_five(app: TestApp) {
    let b = app.signed_in_user("bob", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &b, "bob", "fleet", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    let api = Arc::new(Api::new(&app));
    let n = 16;
    let barrier = Arc::new(Barrier::new(n));
    let answers = join_all((0..n).map(|i| {
        let (barrier, api, token) = (barrier.clone(), api.clone(), token.clone());
        // Half IPv4, half IPv6, each its own network.
        let ip = if i % 2 == 0 { format!("198.51.100.{}", i + 1) } else { format!("2001:db8:{i:x}::1") };
        async move {
            barrier.wait().await;
            from(&api, &token, &ip).await
        }
    }))
    .await;
    for r in &answers {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(network_rows(&app, id).await, 5, "sixteen networks at once leave the newest five");
    assert_eq!(the_token(&app, &b).await.networks.len(), 5);
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM security_events WHERE kind = 'api_token_new_network'")
        .fetch_one(app.warden.pool())
        .await
        .expect("count");
    assert_eq!(events, 15, "every network but the first one recorded is new");
}

async fn a_token_made_with_networks_is_limited_from_its_first_request(app: TestApp) {
    let b = app.signed_in_user("kai", PW, CHROME_WINDOWS).await;
    let fields = [("name", "ci"), ("username", "kai"), ("password", PW), ("expiry", "30"), ("access", "read")];
    // Bad ranges make nothing.
    let mut bad = fields.to_vec();
    bad.push(("networks", "10.0.0.0/33"));
    let r = b.call("create_api_token", &bad).await;
    assert_eq!((r.status, code_of(&r).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"), "{}", r.body);
    assert!(app.warden.api_tokens().list(&actor(&app, &b).await).await.expect("list").is_empty(), "nothing was made");

    let mut good = fields.to_vec();
    good.push(("networks", "2001:db8:7::/48, 203.0.113.0/24"));
    let r = b.call("create_api_token", &good).await;
    assert!(r.status.is_success(), "{}", r.body);
    let token = r.json()["token"].as_str().expect("the token, once").to_owned();
    let t = the_token(&app, &b).await;
    assert_eq!(t.allowed.ranges(), ["2001:db8:7::/48", "203.0.113.0/24"]);
    let created = events_of(&app, &b, EventKind::ApiTokenCreated).await;
    assert!(created[0].detail.contains("only from 2001:db8:7::/48, 203.0.113.0/24"), "{:?}", created[0].detail);
    let api = Api::new(&app);
    assert_problem(&from(&api, &token, "198.51.100.1").await, StatusCode::FORBIDDEN, "network_not_allowed");
    assert_eq!(from(&api, &token, "2001:db8:7:1::1").await.status, StatusCode::OK);
    assert!(b.get(TAB).await.body.contains("Allowed networks (optional)"), "the create form offers it");
}

async fn a_burst_of_wrong_credentials_for_a_tokens_networks_checks_only_the_free_ones(app: TestApp) {
    let b = app.signed_in_user("ivy", PW, CHROME_WINDOWS).await;
    token_with(&app, &b, "ivy", "deploy", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    let answers = burst(30, |_| set_networks(&b, id, "10.0.0.0/8", "ivy", "a guess")).await;
    let checked = answers.iter().filter(|r| code_of(r) == "invalid_credentials").count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    let free = app.warden.config().step_up.password_backoff.free_failures as usize;
    assert_eq!((checked, throttled), (free, 30 - free), "30 guesses at once: only the free ones are checked");
    assert_eq!(stored_networks(&app, id).await, "", "nothing changed");
}

async fn a_burst_from_a_refused_network_spends_the_addresss_budget(app: TestApp) {
    let b = app.signed_in_user("ian", PW, CHROME_WINDOWS).await;
    let token = token_with(&app, &b, "ian", "office", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    let r = set_networks(&b, id, "203.0.113.0/24", "ian", PW).await;
    assert!(r.status.is_success(), "{}", r.body);
    let api = Api::new(&app);
    let answers = burst(30, |_| from(&api, &token, "198.51.100.4")).await;
    let refused = answers.iter().filter(|r| r.status == StatusCode::FORBIDDEN && code_of(r) == "network_not_allowed").count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    let free = server::config::REFUSED_TOKEN_BACKOFF.free_failures as usize;
    assert_eq!((refused, throttled), (free, 30 - free), "a refused network's requests are guesses: the address's free ones, then 429");
    let events = events_of(&app, &b, EventKind::ApiTokenNetworkRefused).await;
    assert_eq!(events.iter().map(|e| e.count).sum::<i64>(), free as i64, "each refusal checked is recorded: {events:?}");
    // The address inside the list has a budget of its own.
    assert_eq!(from(&api, &token, "203.0.113.7").await.status, StatusCode::OK);
}
