//! The API Access Tokens tab, on SQLite and PostgreSQL, as a browser sees
//! it: the server functions (as the hydrated page calls them), the
//! server-rendered page, and the plain form posts of a browser with
//! JavaScript off. Also what goes with it: usage counted and charted, the
//! expiry mail, "Also delete all API tokens" on Log out of all devices.

use crate::common::*;
use domain::api_tokens::ApiTokenId;
use domain::events::EventKind;
use domain::{Actor, ClientMeta, SessionToken};
use reqwest::StatusCode;

const PW: &str = "correct horse battery";
const TAB: &str = "/account/security/api-tokens";
const EXPIRING_SUBJECT: &str = "A Warden API token expires soon";
const LAST_DAY_SUBJECT: &str = "A Warden API token expires within a day";

fn code_of(r: &Resp) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_owned()
}

fn local(app: &TestApp, location: &str) -> String {
    location.trim_start_matches(&format!("http://{}", app.addr)).to_owned()
}

fn curl() -> ClientMeta {
    ClientMeta { ip: "198.51.100.4".into(), user_agent: "curl/8.5.0".into(), session_name: None }
}

/// Every whole Warden token in `text` (`wdn_` + 36 base62 characters).
fn whole_tokens(text: &str) -> Vec<String> {
    text.match_indices("wdn_")
        .filter_map(|(i, _)| {
            let rest: String = text[i + 4..].chars().take_while(char::is_ascii_alphanumeric).collect();
            (rest.len() >= 36).then(|| format!("wdn_{}", &rest[..36]))
        })
        .collect()
}

async fn actor(app: &TestApp, b: &Browser) -> Actor {
    let raw = b.cookie("__Host-warden_session").expect("a session cookie");
    let token = SessionToken::parse(&raw).expect("a session token");
    app.warden.sessions().authenticate(&token).await.expect("authenticate").expect("a live session")
}

/// Creates a token as the hydrated page does; its JSON answer.
async fn create(b: &Browser, name: &str, username: &str, password: &str, expiry: &str, access: &str) -> Resp {
    b.call("create_api_token", &[("name", name), ("username", username), ("password", password), ("expiry", expiry), ("access", access)]).await
}

async fn status(b: &Browser) -> serde_json::Value {
    let r = b.call("api_tokens_status", &[]).await;
    assert!(r.status.is_success(), "api_tokens_status: {} {}", r.status, r.body);
    r.json()
}

async fn authenticates(app: &TestApp, token: &str) -> bool {
    app.warden.api_tokens().authenticate(token, &curl()).await.is_ok()
}

on_both_backends!(
    the_tab_makes_a_token_shows_it_once_and_then_lists_only_its_prefix,
    without_javascript_the_token_is_shown_once_on_the_page_after_the_post,
    delete_asks_first_and_another_accounts_token_is_not_found,
    usage_is_counted_in_memory_flushed_additively_and_charted,
    a_token_expiring_within_7_days_mails_its_owner_once,
    a_token_on_its_last_day_mails_its_owner_once_more,
    log_out_of_all_devices_may_also_delete_every_api_token,
);

async fn the_tab_makes_a_token_shows_it_once_and_then_lists_only_its_prefix(app: TestApp) {
    let b = app.signed_in_user("tia", PW, CHROME_WINDOWS).await;
    let page = b.get(TAB).await;
    assert_eq!(page.status, StatusCode::OK);
    for said in ["API Access Tokens", "You have no API tokens yet", "/api/v1/docs", "/api/v1/openapi.json", "60 requests per minute", "Not PIN-gated"]
    {
        assert!(page.body.contains(said), "the tab says {said:?}");
    }
    assert!(page.body.contains(&format!("href=\"{TAB}\"")), "the tab is in the Security tab bar");
    assert!(page.header("cache-control").is_some_and(|c| c.contains("no-store")), "{:?}", page.headers);
    // The other tabs say what tokens are not.
    assert!(b.get("/account/security/password").await.body.contains("does not delete your API tokens"));
    assert!(b.get("/account/security/protection").await.body.contains("API tokens are not PIN-gated"));

    // The wrong password (or username) makes nothing.
    let r = create(&b, "CI", "tia", "not the password", "90", "read").await;
    assert_eq!(code_of(&r), "invalid_credentials", "{}", r.body);
    let r = create(&b, "CI", "someone", PW, "90", "read").await;
    assert_eq!(code_of(&r), "invalid_credentials");
    let r = create(&b, "CI", "tia", PW, "7", "read").await;
    assert_eq!((r.status, code_of(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input".to_owned()), "{}", r.body);
    let r = create(&b, "CI", "tia", PW, "90", "admin").await;
    assert_eq!(code_of(&r), "invalid_input");
    assert_eq!(status(&b).await["tokens"].as_array().map(Vec::len), Some(0));

    let r = create(&b, "CI deploy", "tia", PW, "30", "read_write").await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let made = r.json();
    let token = made["token"].as_str().expect("the token, once").to_owned();
    assert!(token.starts_with("wdn_") && token.len() == 40, "{token}");
    assert_eq!((made["name"].as_str(), made["access"].as_str()), (Some("CI deploy"), Some("Read and write")));
    assert!(authenticates(&app, &token).await);

    // From now on, only the prefix: in the list, in the page, in its data.
    let s = status(&b).await;
    assert!(!s.to_string().contains(&token[12..]), "{s}");
    assert!(s["fresh"].is_null());
    let listed = &s["tokens"][0];
    assert_eq!((listed["name"].as_str(), listed["prefix"].as_str()), (Some("CI deploy"), Some(&token[4..12])));
    assert!(listed["last_used"]["ip"].as_str().is_some(), "used once above: {listed}");
    let page = b.get(TAB).await.body;
    assert!(page.contains(&format!("wdn_{}…", &token[4..12])), "the prefix is listed");
    assert!(!page.contains(&token[4..]) && whole_tokens(&page).is_empty(), "the page never holds the token again");
    assert!(page.contains("Read and write") && page.contains("Last used") && page.contains("198.51.100.4"), "last use: time, IP, device");
    assert!(page.contains("curl"), "the device of the last use");
    // The name is unique, ignoring case.
    let r = create(&b, "ci DEPLOY", "tia", PW, "90", "read").await;
    assert_eq!(code_of(&r), "token_name_taken");
}

async fn without_javascript_the_token_is_shown_once_on_the_page_after_the_post(app: TestApp) {
    let b = app.signed_in_user("uli", PW, CHROME_WINDOWS).await;
    // A refusal comes back to the page, in words; nothing is made.
    let r = b
        .form(TAB, "create_api_token", &[("name", "nightly"), ("username", "uli"), ("password", "wrong!"), ("expiry", "90"), ("access", "read")])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let shown = b.get(&local(&app, r.location().expect("back to the tab"))).await.body;
    assert!(shown.contains("role=\"alert\""), "the refusal is said on the page");
    assert!(whole_tokens(&shown).is_empty() && shown.contains("You have no API tokens yet"));

    let r =
        b.form(TAB, "create_api_token", &[("name", "nightly"), ("username", "uli"), ("password", PW), ("expiry", "never"), ("access", "read")]).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(r.location(), Some(TAB), "back to the tab, nothing in the URL");
    assert!(whole_tokens(&r.body).is_empty() && r.headers.iter().all(|(_, v)| whole_tokens(v.to_str().unwrap_or_default()).is_empty()));
    assert!(r.set_cookies().is_empty(), "no cookie carries it: {:?}", r.set_cookies());

    // Another session of the same account does not get it.
    let other = app.browser(FIREFOX_ANDROID);
    other.sign_in("uli", PW).await;
    assert!(whole_tokens(&other.get(TAB).await.body).is_empty());

    let page = b.get(TAB).await.body;
    let shown = whole_tokens(&page);
    assert!(!shown.is_empty(), "the page after the post shows the token");
    let token = shown[0].clone();
    assert!(shown.iter().all(|t| *t == token));
    assert!(page.contains("<dialog") && page.contains("This is the only time the token is shown") && page.contains(">Copy<"));
    assert!(authenticates(&app, &token).await, "it is the real token");
    let again = b.get(TAB).await.body;
    assert!(whole_tokens(&again).is_empty(), "a reload shows it no more");
    assert!(again.contains(&format!("wdn_{}…", &token[4..12])), "only its prefix is listed");
    assert!(again.contains("198.51.100.4"), "with its last use");
}

async fn delete_asks_first_and_another_accounts_token_is_not_found(app: TestApp) {
    let b = app.signed_in_user("val", PW, CHROME_WINDOWS).await;
    let made = create(&b, "old laptop", "val", PW, "90", "read").await.json();
    let (id, token) = (made["id"].as_i64().expect("id"), made["token"].as_str().expect("token").to_owned());

    // Someone else's id is unknown to them, and nothing changes.
    let intruder = app.signed_in_user("wim", PW, FIREFOX_ANDROID).await;
    let r = intruder.call("delete_api_token", &[("id", &id.to_string())]).await;
    assert_eq!((r.status, code_of(&r)), (StatusCode::NOT_FOUND, "not_found".to_owned()));
    assert!(!intruder.get(&format!("{TAB}?delete={id}")).await.body.contains("old laptop"), "nor is it offered to them");
    assert!(authenticates(&app, &token).await);

    // Without JavaScript: Delete opens a confirm step, the post deletes.
    let page = b.get(TAB).await.body;
    assert!(page.contains(&format!("name=\"delete\" value=\"{id}\"")), "Delete leads to the confirm step");
    let confirm = b.get(&format!("{TAB}?delete={id}")).await.body;
    assert!(confirm.contains("Delete the token “old laptop”") && confirm.contains("Cancel"), "it asks first");
    assert!(authenticates(&app, &token).await, "asking deletes nothing");
    let r = b.form(&format!("{TAB}?delete={id}"), "delete_api_token", &[("id", &id.to_string())]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let after = b.get(&local(&app, r.location().expect("back"))).await.body;
    assert!(after.contains("The token was deleted") && !after.contains("old laptop"), "{after}");
    assert!(!authenticates(&app, &token).await, "refused on the next request");
    let r = b.call("delete_api_token", &[("id", &id.to_string())]).await;
    assert_eq!(code_of(&r), "not_found", "deleting twice");
    let a = actor(&app, &b).await;
    let events = app.warden.events().page(&a, 0).await.expect("events").entries;
    assert!(events.iter().any(|e| e.kind == Some(EventKind::ApiTokenDeleted) && e.detail.contains("old laptop")));
}

async fn usage_is_counted_in_memory_flushed_additively_and_charted(app: TestApp) {
    let b = app.signed_in_user("xan", PW, CHROME_WINDOWS).await;
    let made = create(&b, "poller", "xan", PW, "365", "read").await.json();
    let id = ApiTokenId::new(made["id"].as_i64().expect("id"));
    let tokens = app.warden.api_tokens();
    let rows = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM api_token_usage").fetch_one(app.warden.pool()).await.expect("count");
        n
    };
    for limited in [false, false, false, true, true] {
        tokens.record(id, limited);
    }
    assert_eq!(rows().await, 0, "a request writes nothing to the database");
    // A day later (UTC), three more; and another instance on the same database counts its own.
    app.clock.advance(86_400);
    for _ in 0..3 {
        tokens.record(id, false);
    }
    let other = app.restarted().await;
    for _ in 0..4 {
        other.warden.api_tokens().record(id, false);
    }
    other.warden.api_tokens().flush_usage().await.expect("flush");
    assert_eq!(rows().await, 1, "flushed by the other instance: one row for today");

    // Reading the list flushes this instance's counts first; the instances add up.
    b.sign_in("xan", PW).await;
    let s = status(&b).await;
    let usage = s["tokens"][0]["usage"].as_array().expect("usage").clone();
    assert_eq!(usage.len(), 30);
    let today = &usage[29];
    let yesterday = &usage[28];
    assert_eq!((today["requests"].as_i64(), today["limited"].as_i64()), (Some(7), Some(0)), "{today}");
    assert_eq!((yesterday["requests"].as_i64(), yesterday["limited"].as_i64()), (Some(5), Some(2)), "{yesterday}");
    assert!(usage[..28].iter().all(|d| d["requests"] == 0));
    assert_eq!(today["date"].as_str(), Some("2027-01-16"), "UTC days");
    tokens.flush_usage().await.expect("nothing left");
    assert_eq!(rows().await, 2);
    let domain_view = tokens.usage(&actor(&app, &b).await, id).await.expect("usage");
    assert_eq!(domain_view.iter().map(|d| d.requests).sum::<i64>(), 12);
    let stranger = app.signed_in_user("yoko", PW, FIREFOX_ANDROID).await;
    let r = tokens.usage(&actor(&app, &stranger).await, id).await;
    assert_eq!(r.map_err(|e| e.code()).err(), Some(domain::ErrorCode::NotFound), "another account's token");

    // The chart: server-rendered SVG, an image with its numbers in words.
    let page = b.get(TAB).await.body;
    assert!(page.contains("<svg") && page.contains("role=\"img\""), "the chart is in the page");
    assert!(page.contains("12 requests in the last 30 days (UTC), 2 refused by the rate limit (429)"), "the label sums it up");
    assert!(page.contains("<title>2027-01-15: 5 requests, 2 refused (429)</title>"), "each day has its numbers");
    assert!(page.contains("<title>2027-01-16: 7 requests</title>"));
    assert_eq!(page.matches("class=\"bar-limited\"").count(), 1, "the 429s in their own colour, on one day");
    assert!(page.contains("Refused (429)"), "a legend");
}

async fn a_token_expiring_within_7_days_mails_its_owner_once(app: TestApp) {
    let b = app.signed_in_user("zed", PW, CHROME_WINDOWS).await;
    let soon = create(&b, "monthly report", "zed", PW, "30", "read").await.json();
    create(&b, "forever", "zed", PW, "never", "read").await;
    create(&b, "yearly", "zed", PW, "365", "read").await;
    async fn expiring(app: &TestApp) -> Vec<QueuedMail> {
        app.mails_to("zed@example.com").await.into_iter().filter(|m| m.subject == EXPIRING_SUBJECT).collect()
    }
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 0);
    // 8 days before: not yet.
    app.clock.advance(22 * 86_400);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 0);
    assert!(expiring(&app).await.is_empty());
    // Within 7 days: once.
    app.clock.advance(86_400 + 1);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 1);
    let restarted = app.restarted().await;
    assert_eq!(restarted.warden.sweep().await.expect("sweep").expiry_warnings, 0, "another instance sends none");
    app.clock.advance(86_400);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 0);
    let mails = expiring(&app).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let prefix = soon["prefix"].as_str().expect("prefix");
    let expires = soon["expires"]["text"].as_str().expect("expiry");
    for part in [&mails[0].text, &mails[0].html] {
        assert!(part.contains("monthly report") && part.contains(&format!("wdn_{prefix}")), "{part}");
        assert!(part.contains(expires), "the expiry: {part}");
        assert!(part.contains(&format!("{PUBLIC_URL}{TAB}?regenerate={}", soon["id"])), "straight to regenerating it: {part}");
    }
    b.sign_in("zed", PW).await;
    let a = actor(&app, &b).await;
    let events = app.warden.events().page(&a, 0).await.expect("events").entries;
    assert_eq!(events.iter().filter(|e| e.kind == Some(EventKind::ApiTokenExpiring)).count(), 1);
    // A deleted token is not warned about.
    let made = create(&b, "short", "zed", PW, "30", "read").await.json();
    b.call("delete_api_token", &[("id", &made["id"].to_string())]).await;
    app.clock.advance(25 * 86_400);
    let n = app.warden.sweep().await.expect("sweep").expiry_warnings;
    assert_eq!(n, 0, "the deleted one, and the others are far off");
}

async fn a_token_on_its_last_day_mails_its_owner_once_more(app: TestApp) {
    let b = app.signed_in_user("lea", PW, CHROME_WINDOWS).await;
    let made = create(&b, "nightly", "lea", PW, "30", "read").await.json();
    async fn with_subject(app: &TestApp, subject: &str) -> Vec<QueuedMail> {
        app.mails_to("lea@example.com").await.into_iter().filter(|m| m.subject == subject).collect()
    }
    // 7 days before: the first reminder.
    app.clock.advance(23 * 86_400 + 1);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 1);
    // 2 days before: nothing more.
    app.clock.advance(5 * 86_400);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 0);
    assert!(with_subject(&app, LAST_DAY_SUBJECT).await.is_empty());
    // Within the last day: one more, though several sweeps of two instances
    // run at once.
    app.clock.advance(86_400);
    let other = app.restarted().await;
    let (a1, a2, b1, b2) = tokio::join!(app.warden.sweep(), app.warden.sweep(), other.warden.sweep(), other.warden.sweep());
    let sent: u64 = [a1, a2, b1, b2].into_iter().map(|s| s.expect("sweep").expiry_warnings).sum();
    assert_eq!(sent, 1, "one instance sends it");
    app.clock.advance(3_600);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 0, "once");
    let (week, last) = (with_subject(&app, EXPIRING_SUBJECT).await, with_subject(&app, LAST_DAY_SUBJECT).await);
    assert_eq!((week.len(), last.len()), (1, 1), "{week:?} {last:?}");
    let prefix = made["prefix"].as_str().expect("prefix");
    let expires = made["expires"]["text"].as_str().expect("expiry");
    for part in [&last[0].text, &last[0].html] {
        assert!(part.contains("nightly") && part.contains(&format!("wdn_{prefix}")) && part.contains(expires), "{part}");
        assert!(part.contains(&format!("{PUBLIC_URL}{TAB}?regenerate={}", made["id"])), "straight to regenerating it: {part}");
    }

    // A token first seen on its last day (no sweep ran in its last week)
    // gets the last day's reminder alone.
    b.sign_in("lea", PW).await;
    let late = create(&b, "weekly", "lea", PW, "30", "read").await;
    assert!(late.status.is_success(), "{}", late.body);
    app.clock.advance(29 * 86_400 + 3_600);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 1);
    assert_eq!(app.warden.sweep().await.expect("sweep").expiry_warnings, 0);
    let weekly = |m: &QueuedMail| m.text.contains("\"weekly\"") && (m.subject == EXPIRING_SUBJECT || m.subject == LAST_DAY_SUBJECT);
    let mails = app.mails_to("lea@example.com").await;
    let subjects: Vec<&str> = mails.iter().filter(|m| weekly(m)).map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects, [LAST_DAY_SUBJECT], "one mail for it");
}

async fn log_out_of_all_devices_may_also_delete_every_api_token(app: TestApp) {
    let b = app.signed_in_user("ada", PW, CHROME_WINDOWS).await;
    let page = b.get("/account/security/sessions/log-out-all").await.body;
    assert!(page.contains("name=\"also_delete_api_tokens\"") && page.contains("Also delete all API tokens"));
    let kept = create(&b, "kept", "ada", PW, "90", "read").await.json()["token"].as_str().expect("token").to_owned();
    let r = b.call("end_all_sessions", &[]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert!(authenticates(&app, &kept).await, "without the option, tokens keep working");

    b.sign_in("ada", PW).await;
    let second = create(&b, "second", "ada", PW, "90", "read_write").await.json()["token"].as_str().expect("token").to_owned();
    let others = app.signed_in_user("bob", PW, CHROME_WINDOWS).await;
    let theirs = create(&others, "theirs", "bob", PW, "90", "read").await.json()["token"].as_str().expect("token").to_owned();
    let r = b.form("/account/security/sessions/log-out-all", "end_all_sessions", &[("also_delete_api_tokens", "on")]).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert!(!authenticates(&app, &kept).await && !authenticates(&app, &second).await, "every token of the account is refused");
    assert!(authenticates(&app, &theirs).await, "another account's stays");
    assert_eq!(b.call("api_tokens_status", &[]).await.status, StatusCode::UNAUTHORIZED, "signed out too");

    b.sign_in("ada", PW).await;
    assert_eq!(status(&b).await["tokens"].as_array().map(Vec::len), Some(0));
    let a = actor(&app, &b).await;
    let events = app.warden.events().page(&a, 0).await.expect("events").entries;
    let ended: Vec<_> = events.iter().filter(|e| e.kind == Some(EventKind::LoggedOutAllDevices)).map(|e| e.detail.clone()).collect();
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert!(ended.iter().any(|d| d.contains("2 API tokens deleted")), "{ended:?}");
    assert!(ended.iter().any(|d| !d.contains("API token")), "the first said nothing of tokens: {ended:?}");
}
