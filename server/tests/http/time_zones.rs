//! Times on the person's own clock: the account's IANA zone, set at sign-up
//! from the browser and changed on the Time zone page, is what every page
//! renders from the first byte and what every mail names.

use crate::common::*;
use domain::support::time_fmt;
use domain::support::zone::Zone;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";
const NEW_PW: &str = "lantern orbit meadow 42";

/// Signs up `name` as a browser in `zone` would (JavaScript sends its zone),
/// confirms the address and signs in.
async fn signed_up_in(app: &TestApp, name: &str, zone: &str) -> Browser {
    let b = app.browser(CHROME_WINDOWS);
    let email = format!("{name}@example.com");
    let r = b.call("sign_up", &[("email", &email), ("username", name), ("password", PW), ("confirm_password", PW), ("time_zone", zone)]).await;
    assert!(r.status.is_success(), "sign up: {} {}", r.status, r.body);
    app.confirm_email(&b, &email).await;
    b.sign_in(name, PW).await;
    b
}

/// Every `datetime="…"` in a page.
fn datetimes(page: &str) -> Vec<&str> {
    page.split("datetime=\"").skip(1).filter_map(|s| s.split('"').next()).collect()
}

on_both_backends!(
    pages_show_times_on_the_accounts_clock_from_the_first_byte,
    mails_tell_the_time_on_the_owners_clock_and_name_the_zone,
    a_changed_zone_moves_every_time_and_a_guest_page_names_it,
    without_javascript_the_zone_is_utc_and_says_so,
);

async fn pages_show_times_on_the_accounts_clock_from_the_first_byte(app: TestApp) {
    let tokyo = Zone::parse("Asia/Tokyo").expect("zone");
    let b = signed_up_in(&app, "tomoko", "Asia/Tokyo").await;
    let signed_in_at = app.warden.now();

    // The server-rendered page, as a browser without JavaScript gets it.
    let page = b.get("/account/security/sessions").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("Times are on your clock (Asia/Tokyo)"), "the page says which clock");
    assert!(body.contains("just now"), "a sign-in a moment ago reads as one");
    assert!(body.contains(&format!("title=\"{}\"", time_fmt::display(signed_in_at, &tokyo))), "the exact time, zone named, one hover away");
    let stamps = datetimes(body);
    assert!(!stamps.is_empty());
    for d in &stamps {
        assert!(d.ends_with("+09:00"), "machine-readable times carry Tokyo's offset: {d}");
    }
    assert!(!body.contains(" UTC<"), "no time is shown in UTC");

    // Ninety minutes on (the idle session has lapsed: sign in again), the
    // first sign-in is "1 hour ago"; two days on, a date and time on Tokyo's
    // clock.
    app.clock.advance(90 * 60);
    b.sign_in("tomoko", PW).await;
    let later = b.get("/account/security/sessions").await.body;
    assert!(later.contains(">1 hour ago</time>"), "relative within a day");
    app.clock.advance(2 * 24 * 3600);
    b.sign_in("tomoko", PW).await;
    let days_on = b.get("/account/security/sessions").await.body;
    let local = time_fmt::local(signed_in_at, &tokyo);
    assert!(days_on.contains(&format!(">{local}</time>")), "older times show the date and time in Tokyo ({local})");
    assert!(local.starts_with("2027-01-15 17:00"), "08:00 UTC is 17:00 in Tokyo: {local}");

    // The JSON the hydrated page reads is the same.
    let data = b.call("list_sessions", &[("page", "0")]).await.json();
    let ev = &data["events"][0]["at"];
    assert!(ev["iso"].as_str().is_some_and(|s| s.ends_with("+09:00")), "{ev}");
    assert!(ev["exact"].as_str().is_some_and(|s| s.contains("Asia/Tokyo (UTC+09:00)")), "{ev}");

    // Password, 2FA and API token pages render on the same clock.
    let password = b.get("/account/security/password").await.body;
    assert!(password.contains(&format!(">{local}</time>")), "account created on Tokyo's date and time");
    assert!(datetimes(&password).iter().all(|d| d.ends_with("+09:00")));
}

async fn mails_tell_the_time_on_the_owners_clock_and_name_the_zone(app: TestApp) {
    let la = Zone::parse("America/Los_Angeles").expect("zone");
    let b = signed_up_in(&app, "lucia", "America/Los_Angeles").await;
    let at = app.warden.now();
    let r = b.call("change_password", &[("current_password", PW), ("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let mails = app.wait_for_mails("lucia@example.com", 1).await;
    let notice = mails.iter().find(|m| m.subject.contains("password was changed")).expect("the change notice");
    let when = time_fmt::display(at, &la);
    assert_eq!(when, "2027-01-15 00:00 America/Los_Angeles (UTC-08:00)");
    for part in [&notice.text, &notice.html] {
        assert!(part.contains(&when), "the notice tells the time on Lucia's clock and names it: {part}");
        assert!(!part.contains("08:00 UTC"), "not in UTC: {part}");
    }

    // The reset link's mail too, asked for by someone who is not signed in.
    let guest = app.browser(FIREFOX_ANDROID);
    assert!(guest.call("request_password_reset", &[("email", "lucia@example.com")]).await.status.is_success());
    let mails = app.wait_for_mails("lucia@example.com", 2).await;
    let reset = mails.iter().find(|m| m.subject.contains("Reset")).expect("the reset mail");
    assert!(reset.text.contains(&format!("Asked for at {when}")), "{}", reset.text);
}

async fn a_changed_zone_moves_every_time_and_a_guest_page_names_it(app: TestApp) {
    let b = signed_up_in(&app, "bruno", "Asia/Tokyo").await;
    let r = b.call("set_time_zone", &[("zone", "Europe/Berlin")]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let page = b.get("/account/security/sessions").await.body;
    assert!(page.contains("Times are on your clock (Europe/Berlin)"));
    let stamps = datetimes(&page);
    assert!(!stamps.is_empty() && stamps.iter().all(|d| d.ends_with("+01:00")), "{stamps:?}");
    assert!(page.contains("Europe/Berlin (UTC+01:00)") && !page.contains("Asia/Tokyo (UTC"), "no time left on Tokyo's clock");
    assert!(page.contains("from Asia/Tokyo to Europe/Berlin"), "the change is in the activity");

    // An unknown zone changes nothing.
    let r = b.call("set_time_zone", &[("zone", "Europe/Atlantis")]).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")), "{}", r.body);
    assert!(b.get("/account/security/sessions").await.body.contains("Times are on your clock (Europe/Berlin)"));

    // A reset link opened by a guest says until when it works, on the
    // account's clock and naming it (the guest's own clock is unknown).
    let guest = app.browser(FIREFOX_ANDROID);
    assert!(guest.call("request_password_reset", &[("email", "bruno@example.com")]).await.status.is_success());
    let link = app.reset_link_path("bruno@example.com", 1).await;
    assert_eq!(guest.get(&link).await.status, StatusCode::SEE_OTHER);
    let reset = guest.get("/password/reset").await.body;
    let berlin = Zone::parse("Europe/Berlin").expect("zone");
    let until = time_fmt::display(app.warden.now() + app.config.reset_link_minutes * 60, &berlin);
    assert!(reset.contains(&format!(">{until}</time>")), "works until {until}: {reset}");
}

async fn without_javascript_the_zone_is_utc_and_says_so(app: TestApp) {
    // A plain form post sends no zone: the account keeps UTC, and says so.
    let b = app.browser(CHROME_WINDOWS);
    let r = b.call("sign_up", &[("email", "nils@example.com"), ("username", "nils"), ("password", PW), ("confirm_password", PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    b.sign_in("nils", PW).await;
    let page = b.get("/account/security/sessions").await.body;
    assert!(page.contains("Times are on your clock (UTC)") && page.contains("Change time zone"), "and where to change it");
    assert!(datetimes(&page).iter().all(|d| d.ends_with('Z')));
    assert!(page.contains(&format!("title=\"{}\"", time_fmt::display(app.warden.now(), &Zone::utc()))));
}
