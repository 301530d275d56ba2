//! An API token's life cycle, and the account's quota on the tab, on
//! SQLite and on PostgreSQL (its limiter on Redis), as a browser and a
//! program see them: a new secret under the same name, access and networks
//! with its lifetime counted again, the old secret working for exactly the
//! overlap chosen (never past its own expiry), the step-up of making a
//! token, the plain form post without JavaScript, parallel regenerations
//! that never leave the token without a working secret; tokens unused for
//! a year deleted by the sweep with a mail (once across instances; never,
//! when so configured); and the quota and this minute's use shown as the
//! REST door counts them.

use crate::api::{actor, here, token_with, Api, PW};
use crate::common::*;
use crate::token_networks::{code_of, the_token};
use domain::api_tokens::{Access, Expiry, Overlap};
use domain::events::EventKind;
use futures_util::future::join_all;
use reqwest::StatusCode;
use std::sync::Arc;
use tokio::sync::Barrier;

const TAB: &str = "/account/security/api-tokens";
const REGENERATED: &str = "An API token of your Warden account was regenerated";

on_both_backends!(
    regenerating_gives_a_new_secret_and_the_old_one_works_for_the_overlap_chosen,
    regenerating_takes_the_step_up_and_refuses_what_is_not_the_callers,
    the_overlap_never_outlives_the_old_secrets_expiry,
    without_javascript_the_regenerate_form_opens_from_its_link_and_shows_the_secret_once,
    parallel_regenerations_never_leave_the_token_without_a_working_secret,
    the_tab_shows_the_quota_and_how_much_of_this_minute_is_used,
    a_revocation_with_the_old_secret_in_its_overlap_ends_the_token,
);

fn busy_always(c: &mut server::config::Config) {
    // Every request finds the server busy: the reduced quota is in force.
    c.api.busy_in_flight = 0;
}

on_both_backends!(busy_always => while_the_server_is_busy_the_tab_shows_the_reduced_quota);

fn never_unused(c: &mut server::config::Config) {
    c.api_token_unused_days = 0;
}

on_both_backends!(never_unused => with_the_setting_at_zero_unused_tokens_are_kept);

on_both_backends!(tokens_unused_for_a_year_are_deleted_once_with_a_mail);

const UNUSED: &str = "An unused API token of your Warden account was deleted";

async fn tokens_unused_for_a_year_are_deleted_once_with_a_mail(app: TestApp) {
    let b = app.signed_in_user("uma", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let used = token_with(&app, &b, "uma", "used", Access::Read, Expiry::Never).await;
    let idle = token_with(&app, &b, "uma", "idle", Access::Read, Expiry::Never).await;
    let renewed = token_with(&app, &b, "uma", "renewed", Access::Read, Expiry::Never).await;
    let renewed_id =
        app.warden.api_tokens().list(&actor(&app, &b).await).await.expect("list").into_iter().find(|t| t.name == "renewed").expect("it").id;
    app.clock.advance(100 * 86_400);
    assert_eq!(account_with(&api, &used).await, StatusCode::OK, "used on day 100");
    b.sign_in("uma", PW).await;
    let r = regenerate(&b, renewed_id.get(), "none", "uma", PW).await;
    assert!(r.status.is_success(), "regenerated on day 100: {}", r.body);
    let renewed_new = r.json()["token"].as_str().expect("secret").to_owned();
    assert_eq!(account_with(&api, &renewed).await, StatusCode::UNAUTHORIZED);

    // A day short of a year: nothing.
    app.clock.advance(264 * 86_400);
    assert_eq!(app.warden.sweep().await.expect("sweep").unused_tokens, 0);
    assert_eq!(account_with(&api, &idle).await, StatusCode::OK, "364 days unused: still works (and now it was used)");

    // The never-used one made on day 0 would go on day 365; its use on day
    // 364 keeps it. Two instances sweep at once on day 466: "used" (last use
    // day 100) and "renewed" (regenerated day 100, never used since) go, once each.
    app.clock.advance(102 * 86_400);
    let other = app.restarted().await;
    let (a1, a2, b1) = tokio::join!(app.warden.sweep(), app.warden.sweep(), other.warden.sweep());
    let deleted: u64 = [a1, a2, b1].into_iter().map(|s| s.expect("sweep").unused_tokens).sum();
    assert_eq!(deleted, 2, "each deleted once, by one instance");
    assert_eq!(account_with(&api, &used).await, StatusCode::UNAUTHORIZED);
    assert_eq!(account_with(&api, &renewed_new).await, StatusCode::UNAUTHORIZED);
    assert_eq!(account_with(&api, &idle).await, StatusCode::OK, "used 102 days ago: kept");
    let mails: Vec<QueuedMail> = app.mails_to("uma@example.com").await.into_iter().filter(|m| m.subject == UNUSED).collect();
    assert_eq!(mails.len(), 2, "one mail per token: {mails:?}");
    assert!(mails.iter().any(|m| m.text.contains("\"used\"") && m.text.contains("not used for 365 days")), "{mails:?}");
    assert!(mails.iter().any(|m| m.text.contains("\"renewed\"")), "{mails:?}");
    b.sign_in("uma", PW).await;
    let left: Vec<String> = app.warden.api_tokens().list(&actor(&app, &b).await).await.expect("list").into_iter().map(|t| t.name).collect();
    assert_eq!(left, ["idle"]);
    let events = app.warden.events().page(&actor(&app, &b).await, 0).await.expect("events").entries;
    assert_eq!(events.iter().filter(|e| e.kind == Some(EventKind::ApiTokenDeleted)).count(), 2);
}

async fn with_the_setting_at_zero_unused_tokens_are_kept(app: TestApp) {
    let b = app.signed_in_user("kai", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let token = token_with(&app, &b, "kai", "archive", Access::Read, Expiry::Never).await;
    app.clock.advance(3 * 365 * 86_400);
    assert_eq!(app.warden.sweep().await.expect("sweep").unused_tokens, 0);
    assert_eq!(account_with(&api, &token).await, StatusCode::OK, "0 means never");
}

async fn regenerate(b: &Browser, id: i64, overlap: &str, username: &str, password: &str) -> Resp {
    let id = id.to_string();
    b.call("regenerate_api_token", &[("id", &id), ("overlap", overlap), ("username", username), ("password", password)]).await
}

/// What the API answers `token` (the account, or a refusal).
async fn account_with(api: &Api, token: &str) -> StatusCode {
    api.get("/api/v1/account", token).await.status
}

async fn status(b: &Browser) -> serde_json::Value {
    let r = b.call("api_tokens_status", &[]).await;
    assert!(r.status.is_success(), "api_tokens_status: {} {}", r.status, r.body);
    r.json()
}

async fn regenerating_gives_a_new_secret_and_the_old_one_works_for_the_overlap_chosen(app: TestApp) {
    let b = app.signed_in_user("rhea", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let old = token_with(&app, &b, "rhea", "deploy", Access::ReadWrite, Expiry::Days30).await;
    let before = the_token(&app, &b).await;
    assert_eq!(account_with(&api, &old).await, StatusCode::OK);
    app.clock.advance(10 * 86_400);
    b.sign_in("rhea", PW).await;

    let r = regenerate(&b, before.id.get(), "1h", "rhea", PW).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let made = r.json();
    let new = made["token"].as_str().expect("the new secret, once").to_owned();
    assert_ne!(new, old);
    assert_eq!((made["id"].as_i64(), made["name"].as_str(), made["regenerated"].as_bool()), (Some(before.id.get()), Some("deploy"), Some(true)));
    assert!(made["previous_until"]["text"].is_string(), "the answer says until when the old secret works: {made}");

    // Both work during the overlap; the token is the same one.
    assert_eq!(account_with(&api, &new).await, StatusCode::OK);
    assert_eq!(account_with(&api, &old).await, StatusCode::OK, "the old secret works for the hour chosen");
    let after = the_token(&app, &b).await;
    assert_eq!((after.id, after.name.as_str(), after.access, after.sessions_scope), (before.id, "deploy", Access::ReadWrite, false));
    assert_eq!(after.prefix, new[4..12], "the list shows the new secret's prefix");
    let previous = after.previous.as_ref().expect("the old secret, while it works");
    assert_eq!(previous.prefix, old[4..12]);
    let now = app.warden.now();
    assert_eq!(previous.until, now + 3_600);
    assert_eq!(after.expires_at, Some(now + 30 * 86_400), "its whole lifetime again: renewed");
    assert_eq!(after.regenerated_at, Some(now));

    // The tab says it, in the person's words.
    let page = b.get(TAB).await.body;
    assert!(page.contains(&format!("Old secret wdn_{}… works until", &old[4..12])), "the overlap is on the token's row");
    assert!(page.contains("Regenerated"));
    let listed = &status(&b).await["tokens"][0];
    assert_eq!(listed["previous"]["prefix"].as_str(), Some(&old[4..12]));

    // To the second: the old secret stops when its hour is over.
    app.clock.advance(3_599);
    assert_eq!(account_with(&api, &old).await, StatusCode::OK);
    app.clock.advance(1);
    assert_eq!(account_with(&api, &old).await, StatusCode::UNAUTHORIZED, "the overlap is over");
    assert_eq!(account_with(&api, &new).await, StatusCode::OK);
    b.sign_in("rhea", PW).await;
    assert!(the_token(&app, &b).await.previous.is_none(), "no overlap shown once it is over");

    // No overlap: the secret it replaces stops at once.
    let r = regenerate(&b, before.id.get(), "none", "rhea", PW).await;
    assert!(r.status.is_success(), "{}", r.body);
    let newest = r.json()["token"].as_str().expect("secret").to_owned();
    assert!(r.json()["previous_until"].is_null());
    assert_eq!(account_with(&api, &new).await, StatusCode::UNAUTHORIZED, "no overlap: the old secret stopped at once");
    assert_eq!(account_with(&api, &newest).await, StatusCode::OK);

    // Recorded, and the owner mailed each time, with the overlap.
    let a = actor(&app, &b).await;
    let events = app.warden.events().page(&a, 0).await.expect("events").entries;
    assert_eq!(events.iter().filter(|e| e.kind == Some(EventKind::ApiTokenRegenerated)).count(), 2);
    let mails: Vec<QueuedMail> = app.mails_to("rhea@example.com").await.into_iter().filter(|m| m.subject == REGENERATED).collect();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails.iter().any(|m| m.text.contains("the old secret works until")), "{mails:?}");
    assert!(mails.iter().any(|m| m.text.contains("the old secret stopped working at once")), "{mails:?}");
    for m in &mails {
        assert!(m.text.contains("\"deploy\""));
        assert!(!m.text.contains(&new) && !m.text.contains(&newest) && !m.text.contains(&old), "a mail never carries a secret");
    }
}

async fn regenerating_takes_the_step_up_and_refuses_what_is_not_the_callers(app: TestApp) {
    let b = app.signed_in_user("otto", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let old = token_with(&app, &b, "otto", "ci", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id.get();

    for (overlap, username, password, code) in [
        ("1h", "otto", "not the password", "invalid_credentials"),
        ("1h", "someone", PW, "invalid_credentials"),
        ("1h", "otto", "", "confirmation_required"),
        ("2h", "otto", PW, "invalid_input"),
        ("", "otto", PW, "invalid_input"),
    ] {
        let r = regenerate(&b, id, overlap, username, password).await;
        assert_eq!(code_of(&r), code, "{overlap:?} {username:?} {password:?}: {}", r.body);
        assert!(r.json()["token"].is_null());
    }
    assert_eq!(account_with(&api, &old).await, StatusCode::OK, "a refusal changes nothing");
    let t = the_token(&app, &b).await;
    assert!(t.previous.is_none() && t.regenerated_at.is_none() && t.prefix == old[4..12]);

    // Another account's token, an unknown one and a deleted one are not found.
    let eve = app.signed_in_user("eve", PW, FIREFOX_ANDROID).await;
    for bad in [id.to_string(), "999999".to_owned()] {
        let r = eve.call("regenerate_api_token", &[("id", &bad), ("overlap", "24h"), ("username", "eve"), ("password", PW)]).await;
        assert_eq!((r.status, code_of(&r)), (StatusCode::NOT_FOUND, "not_found".to_owned()), "{}", r.body);
    }
    assert_eq!(account_with(&api, &old).await, StatusCode::OK, "eve's attempt changed nothing of otto's");
    assert!(the_token(&app, &b).await.previous.is_none());
    b.call("delete_api_token", &[("id", &id.to_string())]).await;
    let r = regenerate(&b, id, "none", "otto", PW).await;
    assert_eq!(code_of(&r), "not_found", "a deleted token stays deleted: {}", r.body);
    assert_eq!(account_with(&api, &old).await, StatusCode::UNAUTHORIZED);
}

async fn the_overlap_never_outlives_the_old_secrets_expiry(app: TestApp) {
    let b = app.signed_in_user("ida", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let old = token_with(&app, &b, "ida", "nightly", Access::Read, Expiry::Days30).await;
    let id = the_token(&app, &b).await.id.get();
    // Two hours before it expires, regenerated with a day's overlap.
    app.clock.advance(30 * 86_400 - 7_200);
    b.sign_in("ida", PW).await;
    let r = regenerate(&b, id, "24h", "ida", PW).await;
    assert!(r.status.is_success(), "{}", r.body);
    let new = r.json()["token"].as_str().expect("secret").to_owned();
    let t = the_token(&app, &b).await;
    let now = app.warden.now();
    assert_eq!(t.previous.as_ref().map(|p| p.until), Some(now + 7_200), "the old secret keeps its own expiry");
    assert_eq!(t.expires_at, Some(now + 30 * 86_400));
    app.clock.advance(7_200);
    assert_eq!(account_with(&api, &old).await, StatusCode::UNAUTHORIZED, "expired with its old expiry");
    assert_eq!(account_with(&api, &new).await, StatusCode::OK, "the renewed token works for 30 days more");

    // An expired token regenerated: renewed, and its dead secret stays dead.
    app.clock.advance(31 * 86_400);
    assert_eq!(account_with(&api, &new).await, StatusCode::UNAUTHORIZED);
    b.sign_in("ida", PW).await;
    let r = regenerate(&b, id, "24h", "ida", PW).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(r.json()["previous_until"].is_null(), "an expired secret gets no overlap: {}", r.body);
    let renewed = r.json()["token"].as_str().expect("secret").to_owned();
    assert_eq!(account_with(&api, &new).await, StatusCode::UNAUTHORIZED);
    assert_eq!(account_with(&api, &renewed).await, StatusCode::OK);
    let t = the_token(&app, &b).await;
    assert!(!t.expired && t.previous.is_none());

    // The renewed token's reminders are owed again: one more week's mail.
    let reminders = || async { app.mails_to("ida@example.com").await.into_iter().filter(|m| m.subject == "A Warden API token expires soon").count() };
    let before = reminders().await;
    app.clock.advance(23 * 86_400 + 1);
    app.warden.sweep().await.expect("sweep");
    assert_eq!(reminders().await, before + 1);
}

async fn without_javascript_the_regenerate_form_opens_from_its_link_and_shows_the_secret_once(app: TestApp) {
    let b = app.signed_in_user("noah", PW, CHROME_WINDOWS).await;
    let old = token_with(&app, &b, "noah", "backup job", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id.get();
    // The link the expiry mail carries opens the form for that token.
    let page = b.get(&format!("{TAB}?regenerate={id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Regenerate “backup job”") && page.body.contains("name=\"overlap\""), "the form: {}", page.body);
    assert!(page.body.contains("value=\"1h\" checked"), "an hour's overlap unless chosen otherwise");
    assert!(!b.get(TAB).await.body.contains("name=\"overlap\""), "only on its link");

    let fields = [("id", id.to_string()), ("overlap", "24h".into()), ("username", "noah".into()), ("password", PW.into())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.form(&format!("{TAB}?regenerate={id}"), "regenerate_api_token", &fields).await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    assert_eq!(r.location(), Some(TAB), "back to the tab, nothing in the URL");
    assert!(r.set_cookies().is_empty());
    assert!(!r.body.contains("wdn_") && r.headers.iter().all(|(_, v)| !v.to_str().unwrap_or_default().contains("wdn_")));

    let shown = b.get(TAB).await.body;
    let at = shown.find("id=\"new-token\"").expect("the new secret is shown once");
    let new: String = shown[at..].split("wdn_").nth(1).expect("token").chars().take_while(char::is_ascii_alphanumeric).collect();
    let new = format!("wdn_{new}");
    assert_ne!(new, old);
    assert!(shown.contains("The new secret of your API token “backup job”") && shown.contains("The old secret keeps working until"));
    assert!(app.warden.api_tokens().authenticate(&new, &here()).await.is_ok(), "it is the real secret");
    assert!(app.warden.api_tokens().authenticate(&old, &here()).await.is_ok(), "the old one for its day");
    let again = b.get(TAB).await.body;
    assert!(!again.contains(&new), "a reload shows it no more");
    assert!(again.contains(&format!("Old secret wdn_{}… works until", &old[4..12])));
}

async fn parallel_regenerations_never_leave_the_token_without_a_working_secret(app: TestApp) {
    let b = app.signed_in_user("pia", PW, CHROME_WINDOWS).await;
    let first = token_with(&app, &b, "pia", "worker", Access::Read, Expiry::Days90).await;
    let id = the_token(&app, &b).await.id;
    let a = actor(&app, &b).await;
    let password = domain::Secret::new(PW);
    let proof = domain::step_up::Proof { password: Some(&password), username: Some("pia"), second_factor: None };
    let confirmed = app.warden.step_up().require(&a, domain::sensitive::Operation::RegenerateApiToken, &proof, &here()).await.expect("step-up");

    for (overlap, working) in [(Overlap::Day, 2), (Overlap::None, 1)] {
        const N: usize = 12;
        let barrier = Arc::new(Barrier::new(N));
        let made = join_all((0..N).map(|_| {
            let (barrier, tokens, a, confirmed) = (barrier.clone(), app.warden.api_tokens(), &a, &confirmed);
            async move {
                barrier.wait().await;
                tokens.regenerate(a, confirmed, id, overlap, &here()).await
            }
        }))
        .await;
        let secrets: Vec<String> = made.into_iter().map(|m| m.expect("every regeneration goes through").token.expose().to_owned()).collect();
        let mut works = 0;
        for s in secrets.iter().chain([&first]) {
            works += usize::from(app.warden.api_tokens().authenticate(s, &here()).await.is_ok());
        }
        // The last one committed and, with an overlap, the one it replaced:
        // never none, never more.
        assert_eq!(works, working, "{overlap:?}: {N} regenerations at once leave exactly {working} working secret(s)");
        let t = the_token(&app, &b).await;
        let current = secrets.iter().find(|s| s[4..12] == t.prefix).expect("the listed prefix is one of the secrets handed out");
        assert!(app.warden.api_tokens().authenticate(current, &here()).await.is_ok());
        let events = app.warden.events().page(&a, 0).await.expect("events").entries;
        assert!(events.iter().filter(|e| e.kind == Some(EventKind::ApiTokenRegenerated)).count() >= N, "each one recorded");
    }
}

async fn the_tab_shows_the_quota_and_how_much_of_this_minute_is_used(app: TestApp) {
    let b = app.signed_in_user("quinn", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let q = &status(&b).await["quota"];
    assert_eq!((q["limit"].as_u64(), q["normal"].as_u64(), q["used"].as_u64(), q["busy"].as_bool()), (Some(60), Some(60), Some(0), Some(false)));
    let token = token_with(&app, &b, "quinn", "poller", Access::Read, Expiry::Days30).await;
    for _ in 0..5 {
        let r = api.get("/api/v1/account", &token).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let last = api.get("/api/v1/account", &token).await;
    let q = &status(&b).await["quota"];
    assert_eq!(q["used"].as_u64(), Some(6), "six requests of this minute: {q}");
    assert_eq!(q["full_in_secs"].as_i64(), Some(6));
    // The same numbers the API's own headers gave the last request.
    let header = last.header("ratelimit").expect("RateLimit header").to_owned();
    assert!(header.contains("r=54"), "{header}");
    let page = b.get(TAB).await.body;
    assert!(page.contains("60 requests a minute, all your tokens together") && page.contains("Used: 6 of 60."), "the tab says it");
    assert!(page.contains("<meter") && page.contains("value=\"6\""));
    // Reading it spends nothing, and the quota comes back as time passes.
    assert_eq!(status(&b).await["quota"]["used"].as_u64(), Some(6));
    app.clock.advance(2);
    assert_eq!(status(&b).await["quota"]["used"].as_u64(), Some(4));
    // Another account's use is not this one's.
    let other = app.signed_in_user("rue", PW, FIREFOX_ANDROID).await;
    assert_eq!(status(&other).await["quota"]["used"].as_u64(), Some(0));
    // Over the quota: the tab says all of it is used.
    for _ in 0..70 {
        api.get("/api/v1/account", &token).await;
    }
    let q = &status(&b).await["quota"];
    assert_eq!(q["used"].as_u64(), Some(60), "{q}");
}

async fn while_the_server_is_busy_the_tab_shows_the_reduced_quota(app: TestApp) {
    let b = app.signed_in_user("bea", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let token = token_with(&app, &b, "bea", "poller", Access::Read, Expiry::Days30).await;
    let r = api.get("/api/v1/account", &token).await;
    let policy = r.header("ratelimit-policy").expect("policy").to_owned();
    assert!(policy.contains("q=30"), "the API says the busy quota: {policy}");
    let q = &status(&b).await["quota"];
    assert_eq!((q["limit"].as_u64(), q["normal"].as_u64(), q["busy"].as_bool(), q["used"].as_u64()), (Some(30), Some(60), Some(true), Some(1)));
    let page = b.get(TAB).await.body;
    assert!(page.contains("the quota is 30 requests a minute instead of 60"), "the tab says why it is lower");
    assert!(page.contains("Used: 1 of 30."));
}

async fn a_revocation_with_the_old_secret_in_its_overlap_ends_the_token(app: TestApp) {
    let b = app.signed_in_user("vic", PW, CHROME_WINDOWS).await;
    let api = Api::new(&app);
    let old = token_with(&app, &b, "vic", "leaky", Access::Read, Expiry::Days30).await;
    let id = the_token(&app, &b).await.id.get();
    let new = regenerate(&b, id, "24h", "vic", PW).await.json()["token"].as_str().expect("secret").to_owned();
    // Whoever found the old secret published hands it in: the token, both
    // secrets, is ended (either one opens the same account).
    let body = serde_json::json!({ "token": old }).to_string();
    let r = api.send("POST", "/api/v1/tokens/revoke", &[], Some(("application/json", body))).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(account_with(&api, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(account_with(&api, &new).await, StatusCode::UNAUTHORIZED);
    assert!(app.warden.api_tokens().list(&actor(&app, &b).await).await.expect("list").is_empty());
    // The token can also revoke itself with its old secret.
    let old = token_with(&app, &b, "vic", "second", Access::Read, Expiry::Days30).await;
    let id = the_token(&app, &b).await.id.get();
    let new = regenerate(&b, id, "1h", "vic", PW).await.json()["token"].as_str().expect("secret").to_owned();
    assert_eq!(api.delete("/api/v1/token", &old).await.status, StatusCode::NO_CONTENT);
    assert_eq!(account_with(&api, &new).await, StatusCode::UNAUTHORIZED);
}
