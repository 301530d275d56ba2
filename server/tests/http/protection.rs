//! Protection (the PIN) and the Reporting it guards, over HTTP, on SQLite
//! and PostgreSQL: earlier days never leave the server without a live unlock
//! of this session, through any door (page, server function, CSV).

use crate::common::*;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";
const PIN: &str = "40719";
const NEW_PIN: &str = "862204";

/// A signed-in account with sample data (3 campaigns, 60 days of calls).
async fn with_calls(app: &TestApp, name: &str) -> Browser {
    let b = app.signed_in_user(name, PW, CHROME_WINDOWS).await;
    let r = b.call("add_sample_data", &[]).await;
    assert!(r.status.is_success(), "add_sample_data: {} {}", r.status, r.body);
    assert!(r.json().as_u64().expect("a count") > 1_000, "{}", r.body);
    b
}

async fn set_pin(b: &Browser, password: &str, pin: &str, confirm: &str) -> Resp {
    b.call("set_pin", &[("password", password), ("pin", pin), ("confirm_pin", confirm)]).await
}

async fn report(b: &Browser, range: &str) -> Resp {
    b.call("report", &[("range", range)]).await
}

/// A redirect's target as a path on the test server.
fn local(app: &TestApp, location: &str) -> String {
    location.trim_start_matches(&format!("http://{}", app.addr)).to_owned()
}

fn code_of(r: &Resp) -> String {
    r.json()["code"].as_str().unwrap_or_default().to_owned()
}

async fn unlock(b: &Browser, pin: &str) -> Resp {
    b.call("unlock_reports", &[("pin", pin)]).await
}

/// Asserts `range` is refused with `pin_required` by the server function,
/// the server-rendered page and the CSV export.
async fn refused_everywhere(b: &Browser, range: &str) {
    let r = report(b, range).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{range}: {}", r.body);
    assert_eq!(code_of(&r), "pin_required", "a clear refusal, not an empty report: {}", r.body);
    let page = b.get(&format!("/reports?range={range}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Previous days are protected"), "{range}: the page asks for the PIN");
    assert!(!page.body.contains("Export CSV") && !page.body.contains("By campaign"), "{range}: no figures in the page");
    let csv = b.get(&format!("/reports/export.csv?range={range}")).await;
    assert_eq!(csv.status, StatusCode::FORBIDDEN, "{range}: {}", csv.body);
    assert!(csv.body.contains("pin_required") && !csv.body.contains("Campaign"), "{}", csv.body);
}

/// Asserts `range` is shown by all three doors.
async fn open_everywhere(b: &Browser, range: &str) {
    let r = report(b, range).await;
    assert_eq!(r.status, StatusCode::OK, "{range}: {}", r.body);
    assert!(r.json()["totals"]["calls"].as_i64().is_some());
    let page = b.get(&format!("/reports?range={range}")).await;
    assert!(page.body.contains("Export CSV") && page.body.contains("By campaign"), "{range}: figures in the page");
    let csv = b.get(&format!("/reports/export.csv?range={range}")).await;
    assert_eq!(csv.status, StatusCode::OK, "{range}: {}", csv.body);
    assert!(csv.header("content-type").is_some_and(|c| c.starts_with("text/csv")));
    assert!(csv.header("content-disposition").is_some_and(|c| c.starts_with("attachment")));
}

on_both_backends!(
    setting_a_pin_needs_the_password_and_refuses_trivial_pins,
    previous_days_are_refused_without_an_unlock_through_every_door,
    an_unlock_belongs_to_one_session_and_ends_on_time_or_on_lock_now,
    a_pin_change_a_password_change_and_log_out_of_all_devices_end_the_unlock,
    wrong_pins_are_delayed_then_locked_for_an_hour_and_the_owner_is_mailed,
    removing_the_pin_needs_the_password_and_opens_previous_days,
    with_two_factor_on_every_pin_setting_needs_a_code_too,
    the_whole_flow_works_without_javascript,
    the_time_zone_comes_from_sign_up_and_moving_it_needs_the_pin,
    another_accounts_campaign_is_not_found_and_sample_data_is_added_once,
);

async fn setting_a_pin_needs_the_password_and_refuses_trivial_pins(app: TestApp) {
    let b = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let r = set_pin(&b, "not my password", PIN, PIN).await;
    assert_eq!((r.status, code_of(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "wrong_current_password".into()), "{}", r.body);
    for (pin, why) in [
        ("1234", "straight run"),
        ("9876", "straight run"),
        ("0000", "one digit repeated"),
        ("1212", "most common"),
        ("123", "4 to 8 digits"),
        ("123456789", "4 to 8 digits"),
        ("12a4", "digits only"),
    ] {
        let r = set_pin(&b, PW, pin, pin).await;
        assert_eq!((r.status, code_of(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_pin".into()), "{pin}: {}", r.body);
        assert!(r.json()["message"].as_str().unwrap_or_default().contains(why), "{pin} says why: {}", r.body);
    }
    let r = set_pin(&b, PW, PIN, "40718").await;
    assert_eq!(code_of(&r), "invalid_pin", "the confirmation must match");
    let s = b.call("protection_status", &[]).await.json();
    assert!(s["set_since"].is_null(), "nothing refused set a PIN: {s}");

    let r = set_pin(&b, PW, PIN, PIN).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let s = b.call("protection_status", &[]).await.json();
    assert!(s["set_since"].is_object(), "{s}");
    assert_eq!(s["unlock_minutes"], 15);
    let again = set_pin(&b, PW, NEW_PIN, NEW_PIN).await;
    assert_eq!((again.status, code_of(&again)), (StatusCode::CONFLICT, "pin_already_set".into()));
    let mails = app.wait_for_mails("pia@example.com", 1).await;
    assert!(mails.iter().any(|m| m.subject.contains("A PIN now protects")), "{mails:?}");
    assert!(mails.iter().all(|m| !m.text.contains(PIN)), "the PIN is never mailed");
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("Protection PIN set"), "{events}");
    // Only a hash is stored.
    let (hash,): (String,) = sqlx::query_as("SELECT pin_hash FROM pins").fetch_one(app.warden.pool()).await.expect("pin row");
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PIN), "{hash}");
}

async fn previous_days_are_refused_without_an_unlock_through_every_door(app: TestApp) {
    let b = with_calls(&app, "quinn").await;
    // Without a PIN every range is open.
    open_everywhere(&b, "yesterday").await;
    assert!(set_pin(&b, PW, PIN, PIN).await.status.is_success());
    // Today never asks for the PIN.
    open_everywhere(&b, "today").await;
    for range in ["yesterday", "7d", "30d"] {
        refused_everywhere(&b, range).await;
    }
    let custom = b.call("report", &[("range", "custom"), ("from", "2027-01-01"), ("to", "2027-01-10")]).await;
    assert_eq!(code_of(&custom), "pin_required", "a custom range of earlier days too: {}", custom.body);
    assert!(unlock(&b, PIN).await.status.is_success());
    open_everywhere(&b, "30d").await;
    let csv = b.get("/reports/export.csv?range=30d").await;
    let lines: Vec<&str> = csv.body.lines().collect();
    let calls = report(&b, "30d").await.json()["totals"]["calls"].as_i64().expect("calls");
    assert_eq!(lines.len() as i64, calls + 1, "a header and one line per call in range");
    assert!(lines[0].to_lowercase().contains("campaign"), "{}", lines[0]);
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("reports unlocked"), "{events}");
}

async fn an_unlock_belongs_to_one_session_and_ends_on_time_or_on_lock_now(app: TestApp) {
    let a = with_calls(&app, "rhea").await;
    assert!(set_pin(&a, PW, PIN, PIN).await.status.is_success());
    let b = app.browser(FIREFOX_ANDROID);
    b.sign_in("rhea", PW).await;
    assert!(unlock(&a, PIN).await.status.is_success());
    open_everywhere(&a, "yesterday").await;
    refused_everywhere(&b, "yesterday").await;
    let s = a.call("protection_status", &[]).await.json();
    assert!(s["unlocked_until_clock"].as_str().is_some_and(|c| c.len() == 5), "Unlocked until HH:MM: {s}");
    // Fifteen minutes, then locked again.
    app.clock.advance(15 * 60 - 1);
    open_everywhere(&a, "yesterday").await;
    app.clock.advance(1);
    refused_everywhere(&a, "yesterday").await;
    // Lock now ends it at once.
    assert!(unlock(&a, PIN).await.status.is_success());
    assert!(a.call("lock_reports", &[]).await.status.is_success());
    refused_everywhere(&a, "yesterday").await;
    // Signing out and in again starts locked.
    assert!(unlock(&a, PIN).await.status.is_success());
    a.call("sign_out", &[]).await;
    a.sign_in("rhea", PW).await;
    refused_everywhere(&a, "yesterday").await;
}

async fn a_pin_change_a_password_change_and_log_out_of_all_devices_end_the_unlock(app: TestApp) {
    let a = with_calls(&app, "sage").await;
    assert!(set_pin(&a, PW, PIN, PIN).await.status.is_success());
    let other = app.browser(FIREFOX_ANDROID);
    other.sign_in("sage", PW).await;
    assert!(unlock(&other, PIN).await.status.is_success());
    // A PIN change ends every session's unlock, and the old PIN stops working.
    assert!(unlock(&a, PIN).await.status.is_success());
    let r = a.call("change_pin", &[("password", PW), ("pin", NEW_PIN), ("confirm_pin", NEW_PIN)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    refused_everywhere(&a, "yesterday").await;
    refused_everywhere(&other, "yesterday").await;
    assert_eq!(code_of(&unlock(&a, PIN).await), "wrong_pin");
    assert!(unlock(&a, NEW_PIN).await.status.is_success());
    // A password change (this session keeps going under a new token).
    let r = a
        .call(
            "change_password",
            &[("current_password", PW), ("new_password", "lantern orbit meadow 42"), ("confirm_password", "lantern orbit meadow 42")],
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    refused_everywhere(&a, "yesterday").await;
    // Log out of all devices.
    assert!(unlock(&a, NEW_PIN).await.status.is_success());
    assert!(a.call("end_all_sessions", &[("password", "lantern orbit meadow 42")]).await.status.is_success());
    a.sign_in("sage", "lantern orbit meadow 42").await;
    refused_everywhere(&a, "yesterday").await;
    let events = a.sessions(0).await["events"].to_string();
    assert!(events.contains("Protection PIN changed"), "{events}");
}

async fn wrong_pins_are_delayed_then_locked_for_an_hour_and_the_owner_is_mailed(app: TestApp) {
    let b = with_calls(&app, "tess").await;
    assert!(set_pin(&b, PW, PIN, PIN).await.status.is_success());
    for i in 1..=3 {
        let r = unlock(&b, "51907").await;
        assert_eq!((r.status, code_of(&r)), (StatusCode::UNPROCESSABLE_ENTITY, "wrong_pin".into()), "wrong PIN {i}: {}", r.body);
    }
    // The third wrong PIN starts the delays: even the right one waits.
    let r = unlock(&b, PIN).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    for i in 4..=9 {
        app.clock.advance(300);
        let r = unlock(&b, "51907").await;
        assert_eq!(code_of(&r), "wrong_pin", "wrong PIN {i}: {}", r.body);
    }
    app.clock.advance(300);
    let r = unlock(&b, "51907").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the tenth wrong PIN locks: {}", r.body);
    let mails = app.wait_for_mails("tess@example.com", 2).await;
    let locked = mails.iter().find(|m| m.subject.contains("locked")).expect("a lock mail");
    assert!(locked.text.contains("wrong PIN 10 times") && locked.text.contains("IP address"), "{}", locked.text);
    // Locked for an hour, even for the right PIN; the other doors stay shut.
    // (In steps, with a request between, so the session itself does not idle out.)
    for _ in 0..2 {
        app.clock.advance(1500);
        assert_eq!(unlock(&b, PIN).await.status, StatusCode::TOO_MANY_REQUESTS);
    }
    app.clock.advance(599);
    assert_eq!(unlock(&b, PIN).await.status, StatusCode::TOO_MANY_REQUESTS);
    refused_everywhere(&b, "yesterday").await;
    app.clock.advance(2);
    assert!(unlock(&b, PIN).await.status.is_success());
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("wrong PINs") && events.contains("PIN locked"), "{events}");
}

async fn removing_the_pin_needs_the_password_and_opens_previous_days(app: TestApp) {
    let b = with_calls(&app, "uma").await;
    assert!(set_pin(&b, PW, PIN, PIN).await.status.is_success());
    let r = b.call("remove_pin", &[("password", "wrong password")]).await;
    assert_eq!(code_of(&r), "wrong_current_password");
    refused_everywhere(&b, "yesterday").await;
    // Forgot the PIN: the password removes it.
    let r = b.call("remove_pin", &[("password", PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    open_everywhere(&b, "yesterday").await;
    let again = b.call("remove_pin", &[("password", PW)]).await;
    assert_eq!(code_of(&again), "pin_not_set");
    let mails = app.wait_for_mails("uma@example.com", 2).await;
    assert!(mails.iter().any(|m| m.subject.contains("PIN on your Warden reports was removed")), "{mails:?}");
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("Protection PIN removed"), "{events}");
}

async fn with_two_factor_on_every_pin_setting_needs_a_code_too(app: TestApp) {
    let b = app.signed_in_user("vida", PW, CHROME_WINDOWS).await;
    b.call("start_totp", &[("password", PW)]).await;
    let key = b.call("two_factor_status", &[]).await.json()["pending"]["key"].as_str().expect("key").to_owned();
    let now = || domain::support::clock::Clock::now(&app.clock);
    let r = b.call("confirm_totp", &[("code", &crate::two_factor::code(&key, now()))]).await;
    assert!(r.status.is_success(), "{}", r.body);
    // Past the minutes in which enabling it spares asking again.
    app.clock.advance(app.warden.config().step_up.window_secs + 1);
    let r = set_pin(&b, PW, PIN, PIN).await;
    assert_eq!(code_of(&r), "wrong_password_or_code", "the password alone is not enough: {}", r.body);
    let r = b.call("set_pin", &[("password", PW), ("code", "000000"), ("pin", PIN), ("confirm_pin", PIN)]).await;
    assert_eq!(code_of(&r), "wrong_code", "{}", r.body);
    assert!(b.call("protection_status", &[]).await.json()["set_since"].is_null());
    let r = b.call("set_pin", &[("password", PW), ("code", &crate::two_factor::code(&key, now())), ("pin", PIN), ("confirm_pin", PIN)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let s = b.call("protection_status", &[]).await.json();
    assert_eq!(s["two_factor_on"], true);
    app.clock.advance(app.warden.config().step_up.window_secs + 1);
    let r = b.call("remove_pin", &[("password", PW)]).await;
    assert_eq!(code_of(&r), "wrong_password_or_code");
    let r = b.call("remove_pin", &[("password", PW), ("code", &crate::two_factor::code(&key, now()))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
}

async fn the_whole_flow_works_without_javascript(app: TestApp) {
    let b = with_calls(&app, "wren").await;
    let page = "/account/security/protection?enable=1";
    let r = b.form(page, "set_pin", &[("password", PW), ("pin", "1234"), ("confirm_pin", "1234")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let shown = b.get(&local(&app, r.location().expect("back to the page"))).await.body;
    assert!(shown.contains("straight run"), "the refusal is on the page");
    let r = b.form(page, "set_pin", &[("password", PW), ("pin", PIN), ("confirm_pin", PIN)]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let tab = b.get("/account/security/protection").await.body;
    assert!(tab.contains("A PIN protects the reports of previous days"), "{tab}");
    assert!(tab.contains("Change PIN") && tab.contains("Remove PIN"));
    let reports = "/reports?range=7d";
    let locked = b.get(reports).await.body;
    assert!(locked.contains("Previous days are protected") && locked.contains("name=\"pin\""), "the unlock form is in the page");
    let r = b.form(reports, "unlock_reports", &[("pin", "51907")]).await;
    let shown = b.get(&local(&app, r.location().expect("back"))).await.body;
    assert!(shown.contains("That PIN is not right"), "the wrong PIN is said on the page");
    let r = b.form(reports, "unlock_reports", &[("pin", PIN)]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(local(&app, r.location().expect("back")), reports, "back to the same range");
    let open = b.get(reports).await.body;
    assert!(open.contains("Last 7 days") && open.contains("Export CSV") && open.contains("<svg"), "figures and the chart, server-rendered");
    assert!(open.contains("Unlocked until") && open.contains("Lock now"));
    let r = b.form(reports, "lock_reports", &[]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(b.get(reports).await.body.contains("Previous days are protected"));
}

async fn the_time_zone_comes_from_sign_up_and_moving_it_needs_the_pin(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    let r = b
        .call(
            "sign_up",
            &[("email", "xia@example.com"), ("username", "xia"), ("password", PW), ("confirm_password", PW), ("time_zone", "America/New_York")],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = b
        .call(
            "sign_up",
            &[("email", "yan@example.com"), ("username", "yan"), ("password", PW), ("confirm_password", PW), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert!(r.status.is_success(), "an unknown zone is not a reason to refuse: {}", r.body);
    b.sign_in("xia", PW).await;
    let ctx = b.call("reports_context", &[]).await.json();
    assert_eq!(ctx["zone"], "America/New_York");
    let y = app.browser(CHROME_WINDOWS);
    y.sign_in("yan", PW).await;
    assert_eq!(y.call("reports_context", &[]).await.json()["zone"], "UTC");
    let r = b.call("set_time_zone", &[("zone", "Nowhere/Special")]).await;
    assert_eq!(code_of(&r), "invalid_input");
    assert!(b.call("set_time_zone", &[("zone", "Europe/Berlin")]).await.status.is_success());
    assert_eq!(b.call("reports_context", &[]).await.json()["zone"], "Europe/Berlin");
    // With a PIN set, moving "today" takes an unlocked session.
    assert!(set_pin(&b, PW, PIN, PIN).await.status.is_success());
    let r = b.call("set_time_zone", &[("zone", "Pacific/Kiritimati")]).await;
    assert_eq!(code_of(&r), "pin_required", "{}", r.body);
    assert_eq!(b.call("reports_context", &[]).await.json()["zone"], "Europe/Berlin");
    assert!(unlock(&b, PIN).await.status.is_success());
    assert!(b.call("set_time_zone", &[("zone", "Pacific/Kiritimati")]).await.status.is_success());
    let page = b.get("/account/time-zone").await.body;
    assert!(page.contains("Pacific/Kiritimati") && page.contains("Europe/Berlin"), "the page lists the zones");
}

async fn another_accounts_campaign_is_not_found_and_sample_data_is_added_once(app: TestApp) {
    let a = with_calls(&app, "zara").await;
    let b = with_calls(&app, "yuri").await;
    let theirs = a.call("reports_context", &[]).await.json()["campaigns"][0]["id"].as_i64().expect("a campaign");
    let r = b.call("report", &[("range", "today"), ("campaign", &theirs.to_string())]).await;
    assert_eq!((r.status, code_of(&r)), (StatusCode::NOT_FOUND, "not_found".into()), "{}", r.body);
    let csv = b.get(&format!("/reports/export.csv?range=today&campaign={theirs}")).await;
    assert_eq!(csv.status, StatusCode::NOT_FOUND);
    let mine = b.call("reports_context", &[]).await.json()["campaigns"][0]["id"].as_i64().expect("a campaign");
    let all = b.call("report", &[("range", "30d")]).await.json();
    let one = b.call("report", &[("range", "30d"), ("campaign", &mine.to_string())]).await.json();
    assert_eq!(one["campaigns"].as_array().map(Vec::len), Some(1));
    assert!(one["totals"]["calls"].as_i64() < all["totals"]["calls"].as_i64(), "the filter narrows");
    assert_eq!(all["days"].as_array().map(Vec::len), Some(30), "every day of the range, empty ones too");
    for (range, extra) in [("forever", ""), ("custom", "bad")] {
        let r = b.call("report", &[("range", range), ("from", extra), ("to", extra)]).await;
        assert_eq!(code_of(&r), "invalid_input", "{range}: {}", r.body);
    }
    let r = b.call("add_sample_data", &[]).await;
    assert_eq!(code_of(&r), "invalid_input", "sample data only for an empty account: {}", r.body);
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM campaigns").fetch_one(app.warden.pool()).await.expect("count");
    assert_eq!(n.0, 6, "three each");
}
