//! The rules of reset links, driven through the domain's own façade on both
//! backends (they were SQLite-only unit tests before): expiry at the exact
//! second, single use, and a newer link or a password change closing the
//! open one; an unknown address gets no link, and the same answer.

use crate::common::*;
use domain::limits::{Backoff, Limiter};
use domain::passwords::ResetToken;
use domain::{ClientMeta, ErrorCode, Secret, Warden};
use std::sync::Arc;

const PW: &str = "correct horse battery";
const NEW: &str = "lantern orbit meadow 42";

fn meta() -> ClientMeta {
    ClientMeta { ip: "192.0.2.7".into(), user_agent: "test".into(), session_name: None }
}

/// Asks for a link for ann and returns its token, read from the queued mail.
async fn link(app: &TestApp, n: usize) -> ResetToken {
    app.warden.passwords().request_reset("ann@example.com", &meta()).await.expect("request").await.expect("queued");
    let path = app.reset_link_path("ann@example.com", n).await;
    let token = path.split("token=").nth(1).expect("token in the link");
    ResetToken::parse(token).expect("a token")
}

async fn reset(app: &TestApp, token: &ResetToken) -> domain::Result<String> {
    app.warden.passwords().complete_reset(Some(token), &Secret::new(NEW), &Secret::new(NEW), true, &meta()).await
}

async fn ann(app: &TestApp) {
    app.signed_in_user("ann", PW, CHROME_WINDOWS).await;
}

on_both_backends!(
    a_link_lapses_when_its_time_is_up,
    a_link_works_once,
    a_newer_link_or_a_password_change_closes_the_open_one,
    an_unknown_address_gets_no_link_but_the_same_answer,
    of_many_links_asked_for_at_once_only_the_newest_opens,
);

async fn a_link_lapses_when_its_time_is_up(app: TestApp) {
    ann(&app).await;
    let token = link(&app, 1).await;
    app.clock.advance(app.warden.config().passwords.reset_link_secs - 1);
    assert!(app.warden.passwords().reset_link(&token).await.expect("read").is_some(), "still open a second before");
    app.clock.advance(1);
    assert!(app.warden.passwords().reset_link(&token).await.expect("read").is_none(), "closed at the deadline");
    assert_eq!(reset(&app, &token).await.map_err(|e| e.code()).err(), Some(ErrorCode::ResetLinkInvalid));
}

async fn a_link_works_once(app: TestApp) {
    ann(&app).await;
    let token = link(&app, 1).await;
    assert_eq!(reset(&app, &token).await.expect("first use"), "ann");
    assert_eq!(reset(&app, &token).await.map_err(|e| e.code()).err(), Some(ErrorCode::ResetLinkInvalid), "second use");
    assert!(app.warden.passwords().reset_link(&token).await.expect("read").is_none());
}

async fn a_newer_link_or_a_password_change_closes_the_open_one(app: TestApp) {
    ann(&app).await;
    let older = link(&app, 1).await;
    let newer = link(&app, 2).await;
    assert!(app.warden.passwords().reset_link(&older).await.expect("read").is_none(), "superseded");
    assert!(app.warden.passwords().reset_link(&newer).await.expect("read").is_some());

    let s = app.warden.sign_in().sign_in("ann", &Secret::new(PW), &meta(), None, &Default::default()).await.expect("sign in").session;
    let actor = app.warden.sessions().authenticate(&s.token).await.expect("auth").expect("session");
    let other = Secret::new("quiet river stones 7");
    app.warden.passwords().change(&actor, &Secret::new(PW), &other, &other, true, &meta()).await.expect("change");
    assert!(app.warden.passwords().reset_link(&newer).await.expect("read").is_none(), "closed by the change");
    assert_eq!(reset(&app, &newer).await.map_err(|e| e.code()).err(), Some(ErrorCode::ResetLinkInvalid));
}

async fn an_unknown_address_gets_no_link_but_the_same_answer(app: TestApp) {
    ann(&app).await;
    let task = app.warden.passwords().request_reset("nobody@example.com", &meta()).await.expect("same answer");
    task.await.expect("done");
    assert!(app.mails_to("nobody@example.com").await.is_empty());
    assert!(app.mails_to("ann@example.com").await.iter().all(|m| !m.subject.contains("Reset")));
}

/// "Close the older links, open a new one" is atomic: many requests racing
/// for one account (on PostgreSQL they ran side by side under READ
/// COMMITTED, each closing only what was committed before it) leave exactly
/// one link open, the newest, and only it opens the reset page.
async fn of_many_links_asked_for_at_once_only_the_newest_opens(app: TestApp) {
    const N: usize = 24;
    ann(&app).await;
    // The same database, key and clock, without the reset budgets (a few an
    // hour), so that every request goes through.
    let unlimited = Backoff { free_failures: u32::MAX, base_secs: 0, max_secs: 0, window_secs: 1 };
    let mut cfg = app.warden.config().clone();
    cfg.passwords.reset_address_backoff = unlimited;
    cfg.passwords.reset_ip_backoff = unlimited;
    let (store, secret_box) = (app.warden.store().clone(), app.warden.secret_box().clone());
    let warden = Arc::new(Warden::new(store, Arc::new(app.clock.clone()), cfg, secret_box, Limiter::in_memory()).expect("warden"));
    let start = Arc::new(tokio::sync::Barrier::new(N));
    let requests: Vec<_> = (0..N)
        .map(|_| {
            let (warden, start) = (warden.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                warden.passwords().request_reset("ann@example.com", &meta()).await.expect("not throttled").await.expect("queued")
            })
        })
        .collect();
    for r in requests {
        r.await.expect("request");
    }

    let mails = app.wait_for_mails("ann@example.com", N).await;
    let tokens: Vec<ResetToken> = mails
        .iter()
        .filter(|m| m.subject.contains("Reset"))
        .map(|m| {
            let at = m.text.find("token=").expect("a link") + "token=".len();
            ResetToken::parse(m.text[at..].split_whitespace().next().expect("token")).expect("token")
        })
        .collect();
    assert_eq!(tokens.len(), N, "every request sent a link");
    let mut open = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if app.warden.passwords().reset_link(t).await.expect("read").is_some() {
            open.push(i);
        }
    }
    assert_eq!(open, vec![N - 1], "exactly one link open, the newest (mails in the order their links were made)");

    for (i, t) in tokens.iter().enumerate().rev().take(3) {
        let b = app.browser(CHROME_WINDOWS);
        b.get(&format!("/password/reset/open?token={}", t.expose())).await;
        let page = b.get("/password/reset").await.body;
        assert_eq!(page.contains("Set new password"), i == N - 1, "link {i} of {N}");
    }
}
