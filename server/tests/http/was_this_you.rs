//! "Was this you?" on SQLite and on PostgreSQL (its limiter on Redis), as
//! an owner and an intruder see it: the new-sign-in alert (a browser
//! without the account's device cookie **and** a network not seen in 90
//! days, with a moving clock), the switch that turns it off (after the
//! step-up, recorded and mailed), the "This wasn't me" link (single use,
//! even under parallel clicks; 7 days; asks for nothing; ends that session
//! and forgets that browser; its two offers once each), the mail log on
//! Login Security with the line every mail ends with, and named sessions.

use crate::api::actor;
use crate::common::*;
use crate::token_networks::code_of;
use crate::two_factor::Now;
use domain::events::EventKind;
use domain::outbox::notices::{MAIL_LOG_LINE, NEW_SIGN_IN};
use futures_util::future::join_all;
use reqwest::StatusCode;
use std::sync::Arc;
use tokio::sync::Barrier;

use crate::api::PW;
const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15";
const DAY: i64 = 86_400;

fn behind_proxy(c: &mut server::config::Config) {
    // The test client is the proxy: `x-forwarded-for` says where each browser is.
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

on_both_backends!(behind_proxy =>
    only_a_new_browser_on_a_new_network_mails_an_alert,
    the_alert_waits_for_the_second_step,
    the_first_sign_in_after_sign_up_mails_nothing,
    alerts_turn_off_only_after_the_step_up_and_the_change_is_recorded_and_mailed,
    this_wasnt_me_ends_that_session_and_forgets_that_browser_once_and_asks_for_nothing,
    parallel_clicks_on_the_link_act_once,
    the_links_offers_work_once_each_and_the_link_expires_after_7_days,
    the_mail_log_lists_the_accounts_mail_for_90_days_and_every_mail_says_so,
    a_session_can_be_named_and_the_name_shows_in_the_list_and_the_activity,
    what_a_user_wrote_shows_as_text_in_every_list_of_login_security,
    an_account_without_a_passkey_is_invited_to_add_one_until_it_says_no,
    passkey_autofill_has_a_budget_of_its_own,
);

/// A fresh browser (no cookies) at `ip`.
fn browser_at(app: &TestApp, ua: &str, ip: &str) -> Browser {
    let b = app.browser(ua);
    b.set_header("x-forwarded-for", ip);
    b
}

async fn alerts_to(app: &TestApp, to: &str) -> Vec<QueuedMail> {
    app.mails_to(to).await.into_iter().filter(|m| m.subject == NEW_SIGN_IN).collect()
}

async fn events_of(app: &TestApp, b: &Browser, kind: EventKind) -> Vec<domain::events::EventEntry> {
    let a = actor(app, b).await;
    app.warden.events().page(&a, 0).await.expect("events").entries.into_iter().filter(|e| e.kind == Some(kind)).collect()
}

/// The "This wasn't me" link of a mail, as a path on this server.
fn link_of(mail: &QueuedMail) -> String {
    let start = mail.text.find(&format!("{PUBLIC_URL}/wasnt-me/open?token=")).expect("the link in the text part");
    let link: String = mail.text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.trim_start_matches(PUBLIC_URL).to_owned()
}

/// An account "name" with a confirmed address, signed in at 127.0.0.1, and
/// an intruder's browser signed in from 203.0.113.7: the alert's mail.
async fn intruded(app: &TestApp, name: &str) -> (Browser, Browser, QueuedMail) {
    let owner = app.signed_in_user(name, PW, CHROME_WINDOWS).await;
    let intruder = browser_at(app, SAFARI_MAC, "203.0.113.7");
    intruder.sign_in(name, PW).await;
    let mails = alerts_to(app, &format!("{name}@example.com")).await;
    assert_eq!(mails.len(), 1, "one alert: {mails:?}");
    (owner, intruder, mails[0].clone())
}

async fn only_a_new_browser_on_a_new_network_mails_an_alert(app: TestApp) {
    let owner = app.signed_in_user("nia", PW, CHROME_WINDOWS).await;
    let to = "nia@example.com";
    // A new browser on the network the account knows: nothing.
    browser_at(&app, FIREFOX_ANDROID, "127.0.0.9").sign_in("nia", PW).await;
    assert!(alerts_to(&app, to).await.is_empty());

    // A new browser on a new network: the alert, with what, when and where.
    let intruder = browser_at(&app, SAFARI_MAC, "203.0.113.7");
    intruder.sign_in("nia", PW).await;
    let mails = alerts_to(&app, to).await;
    assert_eq!(mails.len(), 1);
    let when = domain::support::time_fmt::display(app.warden.now(), &domain::support::zone::Zone::utc());
    for part in [&mails[0].text, &mails[0].html] {
        assert!(part.contains("Safari") && part.contains("Mac OSX") && part.contains("(desktop)"), "{part}");
        assert!(part.contains("203.0.113.7") && part.contains(&when), "{part}");
        assert!(part.contains("This wasn") && part.contains("never asks for your password"), "{part}");
    }
    assert!(!link_of(&mails[0]).is_empty());
    let new = events_of(&app, &owner, EventKind::NewSignIn).await;
    assert_eq!(new.len(), 1);
    assert!(new[0].detail.contains("alert mailed") && new[0].ip == "203.0.113.7", "{:?}", new[0]);

    // Another new browser in the same /24, just seen: nothing.
    browser_at(&app, FIREFOX_ANDROID, "203.0.113.200").sign_in("nia", PW).await;
    // The owner's own browser (it holds the device cookie) on a new network: an event only.
    owner.set_header("x-forwarded-for", "198.51.100.9");
    owner.sign_in("nia", PW).await;
    assert_eq!(alerts_to(&app, to).await.len(), 1, "a known browser or a known network mails nothing");
    let moved = events_of(&app, &owner, EventKind::SignedInFromNewNetwork).await;
    assert_eq!(moved.len(), 1);
    assert!(moved[0].detail.contains("198.51.100.0/24"), "{:?}", moved[0]);

    // IPv6 by its /48: one alert for the first address, none for another in the same /48.
    browser_at(&app, SAFARI_MAC, "2001:db8:1:2::1").sign_in("nia", PW).await;
    browser_at(&app, SAFARI_MAC, "2001:db8:1:ffff::9").sign_in("nia", PW).await;
    assert_eq!(alerts_to(&app, to).await.len(), 2);

    // 89 days on, the /24 of the first alert is still known; 91 days after
    // its last sign-in it is new again.
    app.clock.advance(89 * DAY);
    browser_at(&app, FIREFOX_ANDROID, "203.0.113.50").sign_in("nia", PW).await;
    assert_eq!(alerts_to(&app, to).await.len(), 2);
    app.clock.advance(91 * DAY);
    browser_at(&app, FIREFOX_ANDROID, "203.0.113.51").sign_in("nia", PW).await;
    assert_eq!(alerts_to(&app, to).await.len(), 3, "not seen for 91 days: new again");
    // A wrong password from anywhere mails nothing.
    let r = browser_at(&app, SAFARI_MAC, "192.0.2.1").call("sign_in", &[("login", "nia"), ("password", "wrong"), ("next", "")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(alerts_to(&app, to).await.len(), 3);
}

async fn the_alert_waits_for_the_second_step(app: TestApp) {
    let (_owner, key, _codes) = crate::two_factor::with_2fa(&app, "tess").await;
    let intruder = browser_at(&app, SAFARI_MAC, "203.0.113.7");
    intruder.sign_in("tess", PW).await;
    assert!(alerts_to(&app, "tess@example.com").await.is_empty(), "the password alone signs nobody in: no alert yet");
    let r = intruder.call("verify_second_factor", &[("code", &crate::two_factor::code(&key, app.clock.now_secs())), ("next", "")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(alerts_to(&app, "tess@example.com").await.len(), 1, "the sign-in completed: the alert");
}

async fn the_first_sign_in_after_sign_up_mails_nothing(app: TestApp) {
    // Signed up and confirmed in one place, first signed in from another network.
    let b = browser_at(&app, CHROME_WINDOWS, "198.51.100.20");
    let r = b.call("sign_up", &[("email", "fay@example.com"), ("username", "fay"), ("password", PW), ("confirm_password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    app.confirm_email(&b, "fay@example.com").await;
    b.set_header("x-forwarded-for", "203.0.113.99");
    b.sign_in("fay", PW).await;
    assert!(alerts_to(&app, "fay@example.com").await.is_empty());
    // From then on the rule holds.
    browser_at(&app, SAFARI_MAC, "192.0.2.44").sign_in("fay", PW).await;
    assert_eq!(alerts_to(&app, "fay@example.com").await.len(), 1);
}

async fn alerts_turn_off_only_after_the_step_up_and_the_change_is_recorded_and_mailed(app: TestApp) {
    let owner = app.signed_in_user("olga", PW, CHROME_WINDOWS).await;
    assert_eq!(owner.sessions(0).await["sign_in_alerts"], true, "on by default");
    // A stolen session cannot silence them.
    let r = owner.call("set_sign_in_alerts", &[("on", "false")]).await;
    assert_eq!(code_of(&r), "confirmation_required", "{}", r.body);
    let r = owner.call("set_sign_in_alerts", &[("on", "false"), ("password", "wrong password")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(owner.sessions(0).await["sign_in_alerts"], true);
    let r = owner.call("set_sign_in_alerts", &[("on", "false"), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(owner.sessions(0).await["sign_in_alerts"], false);
    assert_eq!(events_of(&app, &owner, EventKind::SignInAlertsOff).await.len(), 1);
    let mails = app.mails_to("olga@example.com").await;
    assert!(mails.iter().any(|m| m.subject == "New-sign-in alerts were turned off"), "{mails:?}");

    // Off: a new browser on a new network is recorded, not mailed.
    browser_at(&app, SAFARI_MAC, "203.0.113.7").sign_in("olga", PW).await;
    assert!(alerts_to(&app, "olga@example.com").await.is_empty());
    let new = events_of(&app, &owner, EventKind::NewSignIn).await;
    assert!(new.len() == 1 && new[0].detail.contains("alerts are off"), "{new:?}");

    // On again: no proof needed, recorded and mailed; setting it twice changes nothing.
    let r = owner.call("set_sign_in_alerts", &[("on", "true")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = owner.call("set_sign_in_alerts", &[("on", "true")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(events_of(&app, &owner, EventKind::SignInAlertsOn).await.len(), 1);
    assert!(app.mails_to("olga@example.com").await.iter().any(|m| m.subject == "New-sign-in alerts are on"));
    browser_at(&app, SAFARI_MAC, "192.0.2.7").sign_in("olga", PW).await;
    assert_eq!(alerts_to(&app, "olga@example.com").await.len(), 1);
    // Without JavaScript, the switch is a plain form.
    let r = owner.form("/account/security/sessions", "set_sign_in_alerts", &[("on", "false"), ("password", PW)]).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(owner.sessions(0).await["sign_in_alerts"], false);
}

async fn this_wasnt_me_ends_that_session_and_forgets_that_browser_once_and_asks_for_nothing(app: TestApp) {
    let (owner, intruder, mail) = intruded(&app, "ida").await;
    let intruder_session = intruder.sessions(0).await["active"][0]["id"].as_str().expect("id").to_owned();
    // The owner opens the link on another device (a phone, nothing signed in).
    let phone = browser_at(&app, FIREFOX_ANDROID, "192.0.2.80");
    let r = phone.get(&link_of(&mail)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/wasnt-me"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert!(phone.cookie("__Host-warden_not_me").is_some(), "the token moved to a cookie");

    // That session is over, at once; that browser is forgotten; the owner's session stands.
    let r = intruder.call("list_sessions", &[("page", "0")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(app.session_end(&intruder_session).await.1.as_deref(), Some("reported_not_you"));
    let (revoked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM device_cookies WHERE session_id = $1 AND revoked_at IS NOT NULL")
        .bind(&intruder_session)
        .fetch_one(app.warden.pool())
        .await
        .expect("devices");
    assert_eq!(revoked, 1, "the intruder's device cookie is revoked");
    let ended = owner.sessions(0).await;
    assert_eq!(ended["ended"][0]["end_reason"], "You said this sign-in wasn't you", "{ended}");
    assert_eq!(events_of(&app, &owner, EventKind::SignInReportedNotYou).await.len(), 1);

    // The page asks for nothing, and says what was done.
    let page = phone.get("/wasnt-me").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Done.") && !page.body.contains("192.0.2.80") && page.body.contains("203.0.113.7"), "{}", page.body);
    assert!(!page.body.contains("type=\"password\"") && page.body.contains("Nothing here asks for your password"), "{}", page.body);

    // A second click acts no more and says so.
    let r = phone.get(&link_of(&mail)).await;
    assert_eq!(r.location(), Some("/wasnt-me?again=1"));
    assert!(phone.get("/wasnt-me?again=1").await.body.contains("You already told us about this sign-in"));
    assert_eq!(events_of(&app, &owner, EventKind::SignInReportedNotYou).await.len(), 1);

    // The network it came from is forgotten: the intruder's next new
    // browser there is news again.
    let before = alerts_to(&app, "ida@example.com").await.len();
    browser_at(&app, SAFARI_MAC, "203.0.113.99").sign_in("ida", PW).await;
    assert_eq!(alerts_to(&app, "ida@example.com").await.len(), before + 1, "the reported network alerts again");

    // A made-up or mangled token opens nothing and clears the cookie.
    let stranger = browser_at(&app, SAFARI_MAC, "192.0.2.81");
    for bad in ["/wasnt-me/open?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/wasnt-me/open?token=x", "/wasnt-me/open"] {
        let r = stranger.get(bad).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(stranger.cookie("__Host-warden_not_me").is_none());
    }
    assert!(stranger.get("/wasnt-me").await.body.contains("This link is not valid"));
    let r = stranger.call("not_me_end_everything", &[]).await;
    assert_eq!(code_of(&r), "alert_link_invalid", "{}", r.body);
}

async fn parallel_clicks_on_the_link_act_once(app: TestApp) {
    let (owner, _intruder, mail) = intruded(&app, "pam").await;
    let link = link_of(&mail);
    let n = 8;
    let gate = Arc::new(Barrier::new(n));
    let clicks: Vec<Browser> = (0..n).map(|i| browser_at(&app, FIREFOX_ANDROID, &format!("192.0.2.{}", 10 + i))).collect();
    let answers = join_all(clicks.iter().map(|b| {
        let (gate, link) = (gate.clone(), link.clone());
        async move {
            gate.wait().await;
            b.get(&link).await
        }
    }))
    .await;
    let acted = answers.iter().filter(|r| r.location() == Some("/wasnt-me")).count();
    let again = answers.iter().filter(|r| r.location() == Some("/wasnt-me?again=1")).count();
    assert_eq!((acted, again), (1, n - 1), "exactly one click acts");
    assert_eq!(events_of(&app, &owner, EventKind::SignInReportedNotYou).await.len(), 1);

    // The offer too: of parallel presses, one ends everything.
    let gate = Arc::new(Barrier::new(n));
    join_all(clicks.iter().map(|b| {
        let gate = gate.clone();
        async move {
            gate.wait().await;
            b.call("not_me_end_everything", &[]).await
        }
    }))
    .await;
    let ended: Vec<String> = app.every_session_row().await.into_iter().filter(|row| row.contains("end_reason=logged_out_all")).collect::<Vec<_>>();
    assert_eq!(ended.len(), 1, "the owner's one remaining session, ended once: {ended:?}");
    let (all,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM security_events WHERE kind = 'logged_out_all_devices'")
        .fetch_one(app.warden.pool())
        .await
        .expect("count");
    assert_eq!(all, 1);
}

async fn the_links_offers_work_once_each_and_the_link_expires_after_7_days(app: TestApp) {
    let (owner, _intruder, mail) = intruded(&app, "lou").await;
    crate::api::token_with(&app, &owner, "lou", "ci", domain::api_tokens::Access::Read, domain::api_tokens::Expiry::Never).await;
    let phone = browser_at(&app, FIREFOX_ANDROID, "192.0.2.80");
    // Before the link is followed, the offers are not there.
    let r = phone.call("not_me_send_reset", &[]).await;
    assert_eq!(code_of(&r), "alert_link_invalid");
    phone.get(&link_of(&mail)).await;

    let resets = || async { app.mails_to("lou@example.com").await.iter().filter(|m| m.subject.contains("Reset")).count() };
    assert_eq!(resets().await, 0);
    for _ in 0..2 {
        let r = phone.call("not_me_send_reset", &[]).await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    // The link is queued just after the answer.
    for _ in 0..100 {
        if resets().await > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(resets().await, 1, "one reset link, to the confirmed address");
    let status = phone.call("not_me_status", &[]).await.json();
    assert!(status["reset_sent"].is_object(), "{status}");

    for _ in 0..2 {
        let r = phone.call("not_me_end_everything", &[]).await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let r = owner.call("list_sessions", &[("page", "0")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the owner's own session ended too");
    let (tokens,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_tokens WHERE deleted_at IS NULL").fetch_one(app.warden.pool()).await.expect("n");
    assert_eq!(tokens, 0, "every API token deleted");
    let mails = app.mails_to("lou@example.com").await;
    assert_eq!(mails.iter().filter(|m| m.subject == "Every session of your Warden account was ended").count(), 1);
    assert!(phone.get("/wasnt-me").await.body.contains("Every session was ended and every API token deleted"));

    // 7 days after the alert, the link and its page are over.
    app.clock.advance(7 * DAY);
    assert!(phone.call("not_me_status", &[]).await.json().is_null());
    let r = phone.get(&link_of(&mail)).await;
    assert_eq!(r.location(), Some("/wasnt-me"));
    assert!(phone.cookie("__Host-warden_not_me").is_none(), "an expired link clears the cookie");
}

async fn the_mail_log_lists_the_accounts_mail_for_90_days_and_every_mail_says_so(app: TestApp) {
    let (owner, _intruder, _mail) = intruded(&app, "meg").await;
    let _other = app.signed_in_user("max", PW, CHROME_WINDOWS).await;
    let log = owner.sessions(0).await["mails"].as_array().expect("mails").clone();
    let subjects: Vec<&str> = log.iter().map(|m| m["subject"].as_str().unwrap_or("")).collect();
    assert_eq!(subjects, [NEW_SIGN_IN, VERIFY_SUBJECT], "newest first, only this account's: {log:?}");
    assert!(
        log.iter().all(|m| m["to"] == "m…@example.com" && m["queued"]["iso"].is_string() && (m["status"] == "Sending" || m["status"] == "Sent")),
        "{log:?}"
    );
    assert!(!owner.get("/account/security/sessions").await.body.contains("meg@example.com"), "addresses are partly hidden");
    // Every mail ends with where to check it.
    for m in app.all_mails_to("meg@example.com").await {
        assert!(m.text.trim_end().ends_with(MAIL_LOG_LINE), "{}", m.subject);
    }
    // On the page, without JavaScript.
    let page = owner.get("/account/security/sessions").await;
    assert!(page.body.contains("id=\"mails\"") && page.body.contains(NEW_SIGN_IN), "{}", page.body);
    // 91 days on, they are gone from the log.
    app.clock.advance(91 * DAY);
    owner.sign_in("meg", PW).await;
    assert_eq!(owner.sessions(0).await["mails"].as_array().map(Vec::len), Some(0));
}

async fn a_session_can_be_named_and_the_name_shows_in_the_list_and_the_activity(app: TestApp) {
    let owner = app.signed_in_user("sam", PW, CHROME_WINDOWS).await;
    let laptop = browser_at(&app, SAFARI_MAC, "127.0.0.2");
    laptop.sign_in("sam", PW).await;
    let list = owner.sessions(0).await;
    let other = list["active"].as_array().expect("active").iter().find(|s| s["this_device"] == false).expect("the laptop")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = owner.call("rename_session", &[("session_id", &other), ("name", "  Work laptop ")]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let list = owner.sessions(0).await;
    let named = list["active"].as_array().expect("active").iter().find(|s| s["id"] == other.as_str()).expect("it").clone();
    assert_eq!(named["name"], "Work laptop");
    assert!(owner.get("/account/security/sessions").await.body.contains("Work laptop — Safari"));
    assert_eq!(events_of(&app, &owner, EventKind::SessionRenamed).await.len(), 1);

    // Refused, and nothing changes: too long, control characters, another account's or an unknown session.
    let long = "x".repeat(41);
    for (name, code) in [(long.as_str(), "invalid_session_name"), ("line\nbreak", "invalid_session_name")] {
        let r = owner.call("rename_session", &[("session_id", &other), ("name", name)]).await;
        assert_eq!(code_of(&r), code, "{}", r.body);
    }
    let mallory = app.signed_in_user("mallory", PW, CHROME_WINDOWS).await;
    for id in [other.as_str(), "0123456789abcdef0123456789abcdef"] {
        let r = mallory.call("rename_session", &[("session_id", id), ("name", "mine now")]).await;
        assert_eq!(code_of(&r), "not_found", "{}", r.body);
    }
    let list = owner.sessions(0).await;
    assert_eq!(list["active"].as_array().expect("active").iter().find(|s| s["id"] == other.as_str()).expect("it")["name"], "Work laptop");

    // Ending it says its name; an ended session cannot be renamed; an empty name clears.
    let r = owner.call("end_session", &[("session_id", &other), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let ended = events_of(&app, &owner, EventKind::SessionEnded).await;
    assert!(ended[0].detail.starts_with("\"Work laptop\""), "{:?}", ended[0]);
    let r = owner.call("rename_session", &[("session_id", &other), ("name", "again")]).await;
    assert_eq!(code_of(&r), "not_found");
    let mine = owner.sessions(0).await["active"][0]["id"].as_str().expect("id").to_owned();
    owner.call("rename_session", &[("session_id", &mine), ("name", "Desk")]).await;
    // A named session's changes say its name in their mails.
    let r = owner.call("set_sign_in_alerts", &[("on", "false"), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let mails = app.mails_to("sam@example.com").await;
    let off = mails.iter().find(|m| m.subject == "New-sign-in alerts were turned off").expect("the notice");
    assert!(off.text.contains("from your session \"Desk\" (Chrome"), "{}", off.text);
    owner.call("rename_session", &[("session_id", &mine), ("name", "")]).await;
    assert!(owner.sessions(0).await["active"][0]["name"].is_null());
}

/// The part of the page between `<ul … aria-label="{label}"` and its `</ul>`.
fn list<'a>(page: &'a str, label: &str) -> &'a str {
    let start = page.find(&format!("aria-label=\"{label}\"")).unwrap_or_else(|| panic!("no list {label}: {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</ul>").unwrap_or(rest.len())]
}

async fn what_a_user_wrote_shows_as_text_in_every_list_of_login_security(app: TestApp) {
    // A session name is the one thing on the page a user writes; the lists
    // (active and ended sessions, activity) are drawn as strings, so each
    // must escape it as the views do.
    let owner = app.signed_in_user("hal", PW, CHROME_WINDOWS).await;
    let laptop = browser_at(&app, SAFARI_MAC, "127.0.0.2");
    laptop.sign_in("hal", PW).await;
    let other = owner.sessions(0).await["active"].as_array().expect("active").iter().find(|s| s["this_device"] == false).expect("the laptop")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let name = r#"<img src=x onerror="alert(1)">&"#;
    let shown = "&lt;img src=x onerror=\"alert(1)\"&gt;&amp;";
    let r = owner.call("rename_session", &[("session_id", &other), ("name", name)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let page = owner.get("/account/security/sessions").await.body;
    assert!(list(&page, "Active sessions").contains(&format!("{shown} — Safari")), "{page}");
    assert!(list(&page, "Recent security activity").contains(shown), "{page}");
    assert!(!page.contains("<img"), "{page}");

    let r = owner.call("end_session", &[("session_id", &other), ("password", PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let page = owner.get("/account/security/sessions").await.body;
    let ended = list(&page, "Ended sessions");
    assert!(ended.contains(&format!("<strong>{shown} — Safari")) && ended.contains("<dt>Ended</dt>"), "{page}");
    assert!(list(&page, "Recent security activity").matches(shown).count() >= 2, "renamed and ended: {page}");
    assert!(!page.contains("<img"), "{page}");
}

async fn an_account_without_a_passkey_is_invited_to_add_one_until_it_says_no(app: TestApp) {
    let owner = app.signed_in_user("ivy", PW, CHROME_WINDOWS).await;
    assert_eq!(owner.sessions(0).await["passkey_invite"], true);
    assert!(owner.get("/account/security/sessions").await.body.contains("add a passkey"));
    // A plain security key is no passkey: still invited.
    let mut key = crate::security_keys::SoftKey::new();
    crate::security_keys::add_key(&owner, &mut key, "YubiKey").await;
    assert_eq!(owner.sessions(0).await["passkey_invite"], true);
    // "Don't ask again", for good: other sessions and later sign-ins too.
    let r = owner.form("/account/security/sessions", "dismiss_passkey_invite", &[]).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(owner.sessions(0).await["passkey_invite"], false);
    let fresh = app.signed_in_user("ike", PW, CHROME_WINDOWS).await;
    assert_eq!(fresh.sessions(0).await["passkey_invite"], true, "another account is still invited");
    assert!(!owner.get("/account/security/sessions").await.body.contains("add a passkey"));
}

async fn passkey_autofill_has_a_budget_of_its_own(app: TestApp) {
    // Page loads start autofill requests on their own budget: spending it
    // leaves the button's untouched, and the other way round.
    let b = browser_at(&app, CHROME_WINDOWS, "198.51.100.77");
    let cfg = app.warden.config().sign_in.clone();
    let free = cfg.passkey_autofill_ip_backoff.free_failures as usize;
    let answers = join_all((0..free + 5).map(|_| b.call("start_passkey_autofill", &[]))).await;
    let ok = answers.iter().filter(|r| r.status.is_success()).count();
    let throttled = answers.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, throttled), (free, 5), "its free starts and no more, even at once");
    let options: String = serde_json::from_str(&answers.iter().find(|r| r.status.is_success()).expect("one").body).expect("options");
    assert!(options.contains("challenge") && !options.contains("mediation"), "{options}");
    let r = b.call("start_passkey_sign_in", &[]).await;
    assert!(r.status.is_success(), "the button's budget is its own: {}", r.body);
}
