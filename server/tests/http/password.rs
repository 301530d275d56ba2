//! The Password page and "Forgot your password?" over HTTP, on SQLite and
//! PostgreSQL: what a person, another of their browsers, and an attacker see.

use crate::common::*;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";
const NEW_PW: &str = "lantern orbit meadow 42";

async fn change(b: &Browser, current: &str, new: &str, confirm: &str, sign_out_others: bool) -> Resp {
    let mut fields = vec![("current_password", current), ("new_password", new), ("confirm_password", confirm)];
    if sign_out_others {
        fields.push(("sign_out_others", "on"));
    }
    b.call("change_password", &fields).await
}

fn signs_in(app: &TestApp, login: &str, password: &str) -> impl std::future::Future<Output = StatusCode> {
    let b = app.browser(CHROME_WINDOWS);
    let (login, password) = (login.to_owned(), password.to_owned());
    async move { b.call("sign_in", &[("login", &login), ("password", &password), ("next", "")]).await.status }
}

on_both_backends!(
    a_wrong_current_password_changes_nothing,
    a_change_ends_other_sessions_and_rotates_this_one,
    other_sessions_can_be_kept,
    the_policy_rejects_weak_new_passwords_with_a_reason,
    the_strength_meter_reads_for_the_signed_in_only,
    wrong_current_passwords_are_throttled,
    a_reset_request_answers_the_same_for_unknown_addresses,
    a_reset_link_works_once_and_ends_every_session,
    a_reset_link_expires_and_a_newer_one_or_a_change_closes_it,
    a_poisoned_host_header_changes_nothing_in_the_mail,
    reset_requests_are_throttled_but_never_block_sign_in,
    the_change_form_works_without_javascript,
    forgot_and_reset_work_without_javascript,
);

async fn forgot_and_reset_work_without_javascript(app: TestApp) {
    app.signed_in_user("nora", PW, CHROME_WINDOWS).await;
    let b = app.browser(FIREFOX_ANDROID);
    let r = b.form("/password/forgot", "request_password_reset", &[("email", "nora@example.com")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/password/forgot?sent=1"));
    let page = b.get("/password/forgot?sent=1").await.body;
    assert!(page.contains("If an account exists for that address"), "{page}");

    let link = app.reset_link_path("nora@example.com", 1).await;
    b.get(&link).await;
    // A mismatch goes back to the form with the reason, and spends nothing.
    let r = b.form("/password/reset", "complete_password_reset", &[("new_password", NEW_PW), ("confirm_password", "not the same")]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let back = r.location().expect("location").to_owned();
    let page = b.get(back.trim_start_matches(&format!("http://{}", app.addr))).await.body;
    assert!(page.contains("do not match") && page.contains("Set new password"), "{page}");

    let r = b.form("/password/reset", "complete_password_reset", &[("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/signin?reason=password_reset"));
    let page = b.get("/signin?reason=password_reset").await.body;
    assert!(page.contains("Sign in with your new password"), "{page}");
    assert_eq!(signs_in(&app, "nora", NEW_PW).await, StatusCode::OK);
}

async fn a_wrong_current_password_changes_nothing(app: TestApp) {
    let b = app.signed_in_user("alice", PW, CHROME_WINDOWS).await;
    let before = b.cookie("__Host-warden_session");
    let r = change(&b, "not my password", NEW_PW, NEW_PW, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("current password is not right"), "{}", r.body);
    assert_eq!(b.cookie("__Host-warden_session"), before, "the session is untouched");
    assert_eq!(signs_in(&app, "alice", PW).await, StatusCode::OK);
    assert_eq!(signs_in(&app, "alice", NEW_PW).await, StatusCode::UNAUTHORIZED);
    assert!(app.mails_to("alice@example.com").await.is_empty(), "no notice for a change that did not happen");
    let events = b.sessions(0).await["events"].to_string();
    assert!(events.contains("Password change refused: wrong current password"), "{events}");
}

async fn a_change_ends_other_sessions_and_rotates_this_one(app: TestApp) {
    let b = app.signed_in_user("bruno", PW, CHROME_WINDOWS).await;
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("bruno", PW).await;
    let old_cookie = b.cookie("__Host-warden_session").expect("cookie");

    let r = change(&b, PW, NEW_PW, NEW_PW, true).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.json()["other_sessions_ended"], 1);
    let new_cookie = b.cookie("__Host-warden_session").expect("cookie");
    assert_ne!(new_cookie, old_cookie, "this session got a new token");

    // The old token opens nothing; the phone is signed out on its next request.
    let stale = app.browser(CHROME_WINDOWS);
    stale.set_header("cookie", &format!("__Host-warden_session={old_cookie}"));
    assert_eq!(stale.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(phone.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED);

    let list = b.sessions(0).await;
    assert_eq!(list["active"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["ended"][0]["end_reason"], "Password changed");
    assert!(list["events"].to_string().contains("Password changed"));

    assert_eq!(signs_in(&app, "bruno", PW).await, StatusCode::UNAUTHORIZED);
    assert_eq!(signs_in(&app, "bruno", NEW_PW).await, StatusCode::OK);

    let mails = app.wait_for_mails("bruno@example.com", 1).await;
    assert_eq!(mails[0].subject, "Your Warden password was changed");
    for part in [&mails[0].text, &mails[0].html] {
        assert!(part.contains("Chrome") && part.contains("127.0.0.1"), "when, device and IP: {part}");
        assert!(part.contains(&format!("{PUBLIC_URL}/account/security/sessions")));
    }
    let page = b.get("/account/security/password").await.body;
    assert!(page.contains("Last changed"), "{page}");
}

async fn other_sessions_can_be_kept(app: TestApp) {
    let b = app.signed_in_user("carla", PW, CHROME_WINDOWS).await;
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("carla", PW).await;
    let r = change(&b, PW, NEW_PW, NEW_PW, false).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert_eq!(r.json()["other_sessions_ended"], 0);
    assert!(phone.call("list_sessions", &[("page", "0")]).await.status.is_success(), "the phone stays signed in");
}

async fn the_policy_rejects_weak_new_passwords_with_a_reason(app: TestApp) {
    let b = app.signed_in_user("dora", PW, CHROME_WINDOWS).await;
    for (new, confirm, reason) in [
        ("short", "short", "at least 8 characters"),
        (NEW_PW, "something else entirely", "do not match"),
        (PW, PW, "different from your current"),
        ("iloveyou1", "iloveyou1", "too common"),
        ("PASSWORD123", "PASSWORD123", "too common"),
        ("dora-is-my-name", "dora-is-my-name", "username"),
        ("my warden account pw", "my warden account pw", "name of this service"),
        ("zxcvbnmasdfg", "zxcvbnmasdfg", "too easy to guess"),
    ] {
        let r = change(&b, PW, new, confirm, true).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{new}: {}", r.body);
        assert!(r.body.to_lowercase().contains(&reason.to_lowercase()), "{new}: expected {reason:?} in {}", r.body);
    }
    assert_eq!(signs_in(&app, "dora", PW).await, StatusCode::OK, "nothing changed");
    // Sign-up follows the same policy.
    let r = app
        .browser(CHROME_WINDOWS)
        .call("sign_up", &[("email", "eve@example.com"), ("username", "evelyn"), ("password", "iloveyou1"), ("confirm_password", "iloveyou1")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("too common"), "{}", r.body);
}

async fn the_strength_meter_reads_for_the_signed_in_only(app: TestApp) {
    let anon = app.browser(CHROME_WINDOWS);
    assert_eq!(anon.call("password_strength", &[("password", "anything at all")]).await.status, StatusCode::UNAUTHORIZED);
    let b = app.signed_in_user("felix", PW, CHROME_WINDOWS).await;
    let weak = b.call("password_strength", &[("password", "felix2024!")]).await.json();
    assert_eq!(weak["acceptable"], false);
    assert!(weak["reason"].as_str().unwrap_or("").contains("username"), "{weak}");
    let strong = b.call("password_strength", &[("password", "velvet hinge tundra 9 sparrow")]).await.json();
    assert_eq!(strong["acceptable"], true, "{strong}");
    assert!(strong["score"].as_u64() >= Some(3), "{strong}");
}

async fn wrong_current_passwords_are_throttled(app: TestApp) {
    let b = app.signed_in_user("gina", PW, CHROME_WINDOWS).await;
    let mut throttled = None;
    for i in 0..8 {
        let r = change(&b, &format!("wrong guess {i}"), NEW_PW, NEW_PW, true).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((i, r));
            break;
        }
    }
    let (after, r) = throttled.expect("throttled after repeated wrong passwords");
    assert!(after >= 5, "a few mistakes are free");
    let wait: i64 = r.header("retry-after").expect("retry-after").parse().expect("seconds");
    // Even the right password waits until the delay has passed.
    assert_eq!(change(&b, PW, NEW_PW, NEW_PW, true).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(wait);
    let r = change(&b, PW, NEW_PW, NEW_PW, true).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
}

async fn a_reset_request_answers_the_same_for_unknown_addresses(app: TestApp) {
    app.signed_in_user("hana", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    let known = b.call("request_password_reset", &[("email", "hana@example.com")]).await;
    let unknown = b.call("request_password_reset", &[("email", "nobody@example.com")]).await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body);
    assert_eq!(known.location(), unknown.location());
    assert_eq!(known.location(), Some("/password/forgot?sent=1"));
    let mails = app.wait_for_mails("hana@example.com", 1).await;
    assert_eq!(mails.len(), 1);
    assert!(app.mails_to("nobody@example.com").await.is_empty());
    // Bad input is a clear error, and sends nothing.
    let r = b.call("request_password_reset", &[("email", "not an address")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_reset_link_works_once_and_ends_every_session(app: TestApp) {
    let laptop = app.signed_in_user("ivan", PW, CHROME_WINDOWS).await;
    let visitor = app.browser(FIREFOX_ANDROID);
    assert!(visitor.call("request_password_reset", &[("email", "IVAN@example.com ")]).await.status.is_success());
    let link = app.reset_link_path("ivan@example.com", 1).await;

    let opened = visitor.get(&link).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    assert_eq!(opened.location(), Some("/password/reset"), "the token leaves the URL");
    assert_eq!(opened.header("referrer-policy"), Some("no-referrer"));
    let cookie = opened.set_cookies().into_iter().find(|c| c.starts_with("__Host-warden_reset=")).expect("reset cookie");
    for a in ["HttpOnly", "Secure", "Path=/", "Max-Age="] {
        assert!(cookie.contains(a), "{a} in {cookie}");
    }
    assert!(cookie.contains("Max-Age=900"), "a short-lived cookie, not the link's 30 minutes: {cookie}");
    let page = visitor.get("/password/reset").await.body;
    assert!(page.contains("ivan") && page.contains("Set new password"), "{page}");

    let r = visitor.call("complete_password_reset", &[("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/signin?reason=password_reset"));
    assert!(visitor.cookie("__Host-warden_session").is_none(), "a reset signs nobody in");
    assert!(visitor.cookie("__Host-warden_reset").is_none(), "the reset cookie is cleared");
    assert_eq!(laptop.call("list_sessions", &[("page", "0")]).await.status, StatusCode::UNAUTHORIZED, "every session ended");
    assert_eq!(signs_in(&app, "ivan", PW).await, StatusCode::UNAUTHORIZED);
    assert_eq!(signs_in(&app, "ivan", NEW_PW).await, StatusCode::OK);

    // The same link a second time: refused, and the password stays.
    let again = app.browser(CHROME_WINDOWS);
    again.get(&link).await;
    assert!(again.get("/password/reset").await.body.contains("invalid or has expired"));
    let r =
        again.call("complete_password_reset", &[("new_password", "another fine passphrase"), ("confirm_password", "another fine passphrase")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(signs_in(&app, "ivan", NEW_PW).await, StatusCode::OK);

    let mails = app.wait_for_mails("ivan@example.com", 2).await;
    assert_eq!(mails[1].subject, "Your Warden password was reset");
    let list = app.browser(CHROME_WINDOWS);
    list.sign_in("ivan", NEW_PW).await;
    let v = list.sessions(0).await;
    assert_eq!(v["ended"][0]["end_reason"], "Password changed");
    assert!(v["events"].to_string().contains("Password reset with an email link"));
}

async fn complete(b: &Browser) -> StatusCode {
    b.call("complete_password_reset", &[("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await.status
}

async fn a_reset_link_expires_and_a_newer_one_or_a_change_closes_it(app: TestApp) {
    app.signed_in_user("jade", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    // Expiry: 30 minutes.
    b.call("request_password_reset", &[("email", "jade@example.com")]).await;
    let first = app.reset_link_path("jade@example.com", 1).await;
    b.get(&first).await;
    app.clock.advance(31 * 60);
    assert!(b.get("/password/reset").await.body.contains("invalid or has expired"));
    assert_eq!(complete(&b).await, StatusCode::UNPROCESSABLE_ENTITY);

    // A newer link closes the older one.
    b.call("request_password_reset", &[("email", "jade@example.com")]).await;
    let second = app.reset_link_path("jade@example.com", 2).await;
    b.call("request_password_reset", &[("email", "jade@example.com")]).await;
    let third = app.reset_link_path("jade@example.com", 3).await;
    assert_ne!(second, third);
    let old = app.browser(CHROME_WINDOWS);
    old.get(&second).await;
    assert_eq!(complete(&old).await, StatusCode::UNPROCESSABLE_ENTITY, "superseded");

    // A password change closes the open one.
    let owner = app.browser(CHROME_WINDOWS);
    owner.sign_in("jade", PW).await;
    assert!(change(&owner, PW, "quiet river stones 7", "quiet river stones 7", false).await.status.is_success());
    let newest = app.browser(CHROME_WINDOWS);
    newest.get(&third).await;
    assert_eq!(complete(&newest).await, StatusCode::UNPROCESSABLE_ENTITY, "closed by the change");
    assert_eq!(signs_in(&app, "jade", "quiet river stones 7").await, StatusCode::OK);
}

async fn a_poisoned_host_header_changes_nothing_in_the_mail(app: TestApp) {
    app.signed_in_user("kira", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    b.set_header("host", "evil.example");
    b.set_header("x-forwarded-host", "evil.example");
    b.set_header("forwarded", "host=evil.example");
    b.call("request_password_reset", &[("email", "kira@example.com")]).await;
    let mails = app.wait_for_mails("kira@example.com", 1).await;
    for part in [&mails[0].text, &mails[0].html] {
        assert!(!part.contains("evil.example"), "{part}");
        assert!(part.contains(&format!("{PUBLIC_URL}/password/reset/open?token=")));
    }
}

async fn reset_requests_are_throttled_but_never_block_sign_in(app: TestApp) {
    app.signed_in_user("liam", PW, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(b.call("request_password_reset", &[("email", "liam@example.com")]).await.status);
    }
    assert!(statuses[..3].iter().all(|s| s.is_success()), "{statuses:?}");
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // An unknown address is throttled exactly the same way.
    let mut unknown = vec![];
    for _ in 0..5 {
        unknown.push(b.call("request_password_reset", &[("email", "ghost@example.com")]).await.status);
    }
    assert_eq!(statuses, unknown);
    // One client spraying many addresses meets its own limit.
    let mut sprayed = 0;
    while b.call("request_password_reset", &[("email", &format!("victim{sprayed}@example.com"))]).await.status.is_success() {
        sprayed += 1;
        assert!(sprayed < 40, "no per-IP limit");
    }
    assert!(sprayed >= 5, "{sprayed}");
    app.wait_for_mails("liam@example.com", 3).await;
    assert_eq!(app.mails_to("liam@example.com").await.len(), 3, "no mail beyond the budget");
    assert_eq!(signs_in(&app, "liam", PW).await, StatusCode::OK, "sign-in is not affected");
}

async fn the_change_form_works_without_javascript(app: TestApp) {
    let b = app.signed_in_user("mona", PW, CHROME_WINDOWS).await;
    let r = b
        .form(
            "/account/security/password",
            "change_password",
            &[("current_password", "wrong one here"), ("new_password", NEW_PW), ("confirm_password", NEW_PW), ("sign_out_others", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let back = r.location().expect("location").to_owned();
    let page = b.get(back.trim_start_matches(&format!("http://{}", app.addr))).await.body;
    assert!(page.contains("current password is not right"), "{page}");

    let r = b
        .form(
            "/account/security/password",
            "change_password",
            &[("current_password", PW), ("new_password", NEW_PW), ("confirm_password", NEW_PW), ("sign_out_others", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/account/security/password?changed=0"));
    let page = b.get("/account/security/password?changed=0").await.body;
    assert!(page.contains("Your password has been changed."), "{page}");
    assert_eq!(signs_in(&app, "mona", NEW_PW).await, StatusCode::OK);
}
