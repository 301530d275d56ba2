//! The review's findings on the doors: where `next` may send a person, whose
//! words a form's error box shows, HSTS, requests that do not say where they
//! come from, and the client address behind a proxy.

use crate::common::*;
use base64::Engine;
use reqwest::StatusCode;

const PASSWORD: &str = "correct horse battery staple";
const HOME: &str = "/account/security/sessions";

on_both_backends!(next_never_leaves_the_site, a_control_character_in_next_is_refused_not_a_crash);

async fn next_never_leaves_the_site(app: TestApp) {
    let b = app.signed_in_user("nora", PASSWORD, CHROME_WINDOWS).await;
    for bad in [
        "/\t/evil.example",
        "/\u{b}/evil.example",
        "/%09/evil.example",
        "/%5Cevil.example",
        "/\\evil.example",
        "https:evil.example",
        "//evil.example",
        "/%2F/evil.example",
    ] {
        // With JavaScript on (a fetch) and off (a form post), the answer is the same place.
        let r = b.call("sign_in", &[("login", "nora"), ("password", PASSWORD), ("next", bad)]).await;
        assert!(r.status.is_success(), "{bad:?}: {} {}", r.status, r.body);
        assert_eq!(r.location(), Some(HOME), "{bad:?}");
        let r = b.form("/signin", "sign_in", &[("login", "nora"), ("password", PASSWORD), ("next", bad)]).await;
        assert_eq!(r.location(), Some(HOME), "{bad:?} (no JavaScript)");
    }
    let r = b.call("sign_in", &[("login", "nora"), ("password", PASSWORD), ("next", "/account/security/password?changed=false")]).await;
    assert_eq!(r.location(), Some("/account/security/password?changed=false"));
}

async fn a_control_character_in_next_is_refused_not_a_crash(app: TestApp) {
    let b = app.signed_in_user("otto", PASSWORD, CHROME_WINDOWS).await;
    for bad in ["/\u{1}x", "/\u{7f}", "/a\u{0}b"] {
        let r = b.call("sign_in", &[("login", "otto"), ("password", PASSWORD), ("next", bad)]).await;
        assert!(r.status.is_success(), "{bad:?}: {} {}", r.status, r.body);
        assert_eq!(r.location(), Some(HOME), "{bad:?}");
    }
}

on_both_backends!(a_link_cannot_put_words_in_a_form_error, a_form_shows_the_error_it_was_just_sent);

fn forged_error(message: &str) -> String {
    let json = format!(r#"{{"code":"invalid_credentials","message":"{message}"}}"#);
    base64::engine::general_purpose::URL_SAFE.encode(json)
}

async fn a_link_cannot_put_words_in_a_form_error(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    let spoof = "Your account is suspended. Call 1-800-555-0100";
    let r = b.get(&format!("/signin?next=%2Faccount&__path=%2F_fn%2Fsign_in&__err={}", forged_error(spoof))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/signin?next=%2Faccount"), "the error fields come off, the rest stays");
    let page = b.get("/signin?next=%2Faccount").await;
    assert!(!page.body.contains("suspended"), "{}", page.body);
    // Nor with a digest cookie the browser never got from us.
    b.set_header("cookie", "__Host-warden_form_error=0000");
    let r = b.get(&format!("/signin?__path=%2F_fn%2Fsign_in&__err={}", forged_error(spoof))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!r.body.contains("suspended"));
}

async fn a_form_shows_the_error_it_was_just_sent(app: TestApp) {
    let _owner = app.signed_in_user("quinn", PASSWORD, CHROME_WINDOWS).await;
    let b = app.browser(CHROME_WINDOWS);
    let r = b.form("/signin", "sign_in", &[("login", "quinn"), ("password", "wrong password!"), ("next", "")]).await;
    let to = r.location().expect("back to the form").to_owned();
    assert!(to.contains("__err="), "{to}");
    let path = to.trim_start_matches(&format!("http://{}", app.addr)).to_owned();
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Invalid username or password."), "{}", page.body);
    // Shown once: the same address again is taken back to the bare form.
    let again = b.get(&path).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
}

fn plain_http(c: &mut server::config::Config) {
    c.public_url = Some("http://127.0.0.1:3000".into());
}

on_both_backends!(https_deployments_send_hsts);
on_both_backends!(plain_http => plain_http_deployments_do_not);

async fn https_deployments_send_hsts(app: TestApp) {
    let r = app.browser(CHROME_WINDOWS).get("/signin").await;
    assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
}

async fn plain_http_deployments_do_not(app: TestApp) {
    let r = app.browser(CHROME_WINDOWS).get("/signin").await;
    assert_eq!(r.header("strict-transport-security"), None);
}

on_both_backends!(a_post_that_says_nothing_of_where_it_comes_from_is_refused);

async fn a_post_that_says_nothing_of_where_it_comes_from_is_refused(app: TestApp) {
    let b = app.signed_in_user("rosa", PASSWORD, CHROME_WINDOWS).await;
    let cookie = format!("__Host-warden_session={}", b.cookie("__Host-warden_session").expect("session cookie"));
    let r = reqwest::Client::new()
        .post(app.url("/_fn/end_all_sessions"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body("")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nothing changed: the session is still alive.
    let sessions = b.sessions(1).await;
    assert_eq!(sessions["active"].as_array().map(Vec::len), Some(1), "{sessions}");
}

fn behind_a_proxy(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

on_both_backends!(behind_a_proxy => the_address_the_proxy_appended_counts_across_header_lines);

async fn the_address_the_proxy_appended_counts_across_header_lines(app: TestApp) {
    let _ = app.signed_in_user("sami", PASSWORD, CHROME_WINDOWS).await;
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/_fn/sign_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", CHROME_WINDOWS)
        // The client's own line first, then the line the proxy added.
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-for", "203.0.113.7")
        .body(serde_urlencode(&[("login", "sami"), ("password", PASSWORD), ("next", "")]))
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "{}", r.status());
    let cookie = r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("__Host-warden_session="));
    let token = cookie.and_then(|c| c.split(';').next()).expect("a session cookie").to_owned();
    let b = app.browser(CHROME_WINDOWS);
    b.set_header("cookie", &token);
    let sessions = b.sessions(1).await;
    let current = sessions["active"].as_array().and_then(|a| a.iter().find(|s| s["this_device"] == true)).cloned().expect("current session");
    assert_eq!(current["ip"], "203.0.113.7", "{sessions}");
}
