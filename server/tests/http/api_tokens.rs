//! API Access Tokens, on SQLite and PostgreSQL: the domain façade
//! (`warden.api_tokens()`) driven as the doors will drive it, with the
//! actor of a real signed-in browser. The tab itself (server functions,
//! pages, forms without JavaScript) is tested in `api_tokens_page`.

use crate::common::*;
use domain::api_tokens::{self, Access, ApiTokenId, Created, Expiry};
use domain::events::EventKind;
use domain::{Actor, ClientMeta, ErrorCode, SessionToken};

const PW: &str = "correct horse battery";
const NEW_PW: &str = "lantern orbit meadow 42";
const CREATED_SUBJECT: &str = "A new API token was created for your Warden account";

fn meta(ip: &str, user_agent: &str) -> ClientMeta {
    ClientMeta { ip: ip.into(), user_agent: user_agent.into(), session_name: None }
}

fn here() -> ClientMeta {
    meta("203.0.113.7", CHROME_WINDOWS)
}

/// The actor the cookie door resolves for `b`'s session cookie.
async fn actor(app: &TestApp, b: &Browser) -> Actor {
    let raw = b.cookie("__Host-warden_session").expect("a session cookie");
    let token = SessionToken::parse(&raw).expect("a session token");
    app.warden.sessions().authenticate(&token).await.expect("authenticate").expect("a live session")
}

fn form<'a>(name: &'a str, username: &'a str, password: &'a str) -> TokenForm<'a> {
    TokenForm::new(name, username, password)
}

async fn create(app: &TestApp, a: &Actor, f: &TokenForm<'_>) -> domain::Result<Created> {
    create_token(app, a, f, &here()).await
}

fn now(app: &TestApp) -> i64 {
    domain::support::clock::Clock::now(&app.clock)
}

async fn kinds(app: &TestApp, a: &Actor) -> Vec<EventKind> {
    app.warden.events().page(a, 0).await.expect("events").entries.into_iter().filter_map(|e| e.kind).collect()
}

fn code_of<T: std::fmt::Debug>(r: domain::Result<T>) -> ErrorCode {
    r.map_err(|e| e.code()).expect_err("a refusal")
}

on_both_backends!(
    creating_needs_the_username_and_password_and_shows_the_token_once,
    wrong_credentials_are_throttled_like_sign_in,
    with_two_factor_on_creating_needs_a_code_too,
    a_name_is_unique_among_live_tokens_ignoring_case,
    a_token_authenticates_until_it_expires_or_is_deleted,
    another_accounts_token_cannot_be_deleted,
    last_use_is_written_at_most_once_a_minute,
    a_password_change_keeps_tokens_and_delete_all_ends_them,
);

async fn creating_needs_the_username_and_password_and_shows_the_token_once(app: TestApp) {
    let b = app.signed_in_user("tara", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    assert_eq!(code_of(create(&app, &a, &form("CI", "tara", "not the password")).await), ErrorCode::InvalidCredentials);
    assert_eq!(code_of(create(&app, &a, &form("CI", "someone", PW)).await), ErrorCode::InvalidCredentials, "the username too");
    assert_eq!(code_of(create(&app, &a, &form("  ", "tara", PW)).await), ErrorCode::InvalidTokenName);
    assert!(app.warden.api_tokens().list(&a).await.expect("list").is_empty(), "nothing was made");

    let made = create(&app, &a, &TokenForm { expiry: Expiry::Days30, ..form(" CI deploy ", " Tara ", PW) }).await.expect("created");
    let token = made.token.expose().to_owned();
    assert!(token.starts_with("wdn_") && token.len() == 40, "{token}");
    assert_eq!((made.name.as_str(), made.prefix.as_str(), made.access), ("CI deploy", &token[4..12], Access::Read));
    assert_eq!(made.expires_at, Some(now(&app) + 30 * 86_400));
    assert!(!format!("{made:?}").contains(&token), "Debug hides the token: {made:?}");

    // Only the SHA-256 is stored, and nothing else that holds the token.
    use sqlx::Row;
    let rows = sqlx::query("SELECT * FROM api_tokens").fetch_all(app.warden.pool()).await.expect("rows");
    assert_eq!(rows.len(), 1);
    let hash: String = rows[0].get("token_hash");
    assert_eq!(hash, domain::support::random::token_hash(&token));
    for col in ["name", "name_key", "prefix", "token_hash", "access"] {
        let v: String = rows[0].get(col);
        assert!(!v.contains(&token[4..]), "{col} holds the token");
    }
    assert_eq!(rows[0].get::<String, _>("name_key"), "ci deploy");

    // The list shows it without its secret.
    let list = app.warden.api_tokens().list(&a).await.expect("list");
    assert_eq!(list.len(), 1);
    let e = &list[0];
    assert_eq!((e.id, e.name.as_str(), e.prefix.as_str(), e.access), (made.id, "CI deploy", &token[4..12], Access::Read));
    assert_eq!((e.created_at, e.expires_at, e.expired), (now(&app), made.expires_at, false));
    assert!(e.last_used.is_none());

    // Recorded, and the owner is mailed: name, access, expiry, device, IP.
    let k = kinds(&app, &a).await;
    assert!(k.contains(&EventKind::ApiTokenCreated), "{k:?}");
    assert!(k.contains(&EventKind::ApiTokenCreateRefused), "the wrong password was recorded: {k:?}");
    let mails = app.wait_for_mails("tara@example.com", 1).await;
    let mail = mails.iter().find(|m| m.subject == CREATED_SUBJECT).expect("a notice of the new token");
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("CI deploy") && part.contains(&format!("wdn_{}", &token[4..12])), "{part}");
        assert!(part.contains("read only") && part.contains("expires"), "{part}");
        assert!(part.contains("Chrome") && part.contains("203.0.113.7"), "{part}");
        assert!(!part.contains(&token[12..]), "the mail never holds the token");
    }
}

async fn wrong_credentials_are_throttled_like_sign_in(app: TestApp) {
    let b = app.signed_in_user("uma", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    let free = app.warden.config().step_up.password_backoff.free_failures;
    for _ in 0..free {
        assert_eq!(code_of(create(&app, &a, &form("CI", "uma", "guess")).await), ErrorCode::InvalidCredentials);
    }
    let r = create(&app, &a, &form("CI", "uma", PW)).await;
    assert_eq!(r.as_ref().map_err(|e| e.retry_after().is_some()).err(), Some(true), "even the right password waits: {r:?}");
    assert_eq!(code_of(r), ErrorCode::Throttled);
    // Another account's budget is its own.
    let other = app.signed_in_user("vic", PW, CHROME_WINDOWS).await;
    create(&app, &actor(&app, &other).await, &form("CI", "vic", PW)).await.expect("another account is not throttled");
    app.clock.advance(app.warden.config().step_up.password_backoff.max_secs);
    create(&app, &a, &form("CI", "uma", PW)).await.expect("after the wait");
    let refused = app.warden.events().page(&a, 0).await.expect("events").entries;
    let counted = refused.iter().find(|e| e.kind == Some(EventKind::ApiTokenCreateRefused)).expect("counted");
    assert_eq!(counted.count, i64::from(free), "{}", counted.label());
}

async fn with_two_factor_on_creating_needs_a_code_too(app: TestApp) {
    let b = app.signed_in_user("wes", PW, CHROME_WINDOWS).await;
    b.call("start_totp", &[("password", PW)]).await;
    let key = b.call("two_factor_status", &[]).await.json()["pending"]["key"].as_str().expect("key").to_owned();
    let r = b.call("confirm_totp", &[("code", &crate::two_factor::code(&key, now(&app)))]).await;
    assert!(r.status.is_success(), "{}", r.body);
    app.clock.advance(app.warden.config().step_up.window_secs + 1);
    let a = actor(&app, &b).await;
    assert_eq!(code_of(create(&app, &a, &form("CI", "wes", PW)).await), ErrorCode::WrongPasswordOrCode, "the password alone is not enough");
    let wrong = TokenForm { code: Some("000000".into()), ..form("CI", "wes", PW) };
    assert_eq!(code_of(create(&app, &a, &wrong).await), ErrorCode::WrongCode);
    assert!(app.warden.api_tokens().list(&a).await.expect("list").is_empty());
    let right = TokenForm { code: Some(crate::two_factor::code(&key, now(&app))), access: Access::ReadWrite, ..form("CI", "wes", PW) };
    let made = create(&app, &a, &right).await.expect("with the code");
    assert_eq!(made.access, Access::ReadWrite);
}

async fn a_name_is_unique_among_live_tokens_ignoring_case(app: TestApp) {
    let b = app.signed_in_user("xena", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    let first = create(&app, &a, &form("Deploy", "xena", PW)).await.expect("created");
    assert_eq!(code_of(create(&app, &a, &form("dEPLOY ", "xena", PW)).await), ErrorCode::TokenNameTaken);
    assert_eq!(code_of(create(&app, &a, &form(&"n".repeat(65), "xena", PW)).await), ErrorCode::InvalidTokenName);
    create(&app, &a, &form(&"n".repeat(64), "xena", PW)).await.expect("64 characters are fine");
    // Another account may use the name.
    let other = app.signed_in_user("yuri", PW, CHROME_WINDOWS).await;
    create(&app, &actor(&app, &other).await, &form("deploy", "yuri", PW)).await.expect("names are per account");
    // A deleted token's name is free again.
    app.warden.api_tokens().delete(&a, first.id, &here()).await.expect("deleted");
    create(&app, &a, &form("DEPLOY", "xena", PW)).await.expect("the name is free after deleting");
    let names: Vec<String> = app.warden.api_tokens().list(&a).await.expect("list").into_iter().map(|e| e.name).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"DEPLOY".to_owned()), "{names:?}");
}

async fn a_token_authenticates_until_it_expires_or_is_deleted(app: TestApp) {
    let b = app.signed_in_user("zoe", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    let tokens = app.warden.api_tokens();
    let short = create(&app, &a, &TokenForm { expiry: Expiry::Days30, ..form("short", "zoe", PW) }).await.expect("created");
    let never = create(&app, &a, &TokenForm { expiry: Expiry::Never, access: Access::ReadWrite, ..form("never", "zoe", PW) }).await.expect("created");
    assert_eq!(never.expires_at, None);
    let client = meta("198.51.100.4", "curl/8.5.0");

    let who = tokens.authenticate(short.token.expose(), &client).await.expect("a live token");
    assert_eq!(
        (who.account, who.token, who.access, who.prefix.as_str()),
        (a.account().expect("account"), short.id, Access::Read, short.prefix.as_str())
    );
    assert_eq!(who.require_write().map_err(|e| e.code()), Err(ErrorCode::InsufficientScope));
    let who = tokens.authenticate(never.token.expose(), &client).await.expect("a live token");
    assert!(who.require_write().is_ok());

    // Malformed, mistyped, truncated, unknown: all invalid_token.
    let s = short.token.expose();
    let typo = format!("{}{}", &s[..20], if &s[20..21] == "a" { "b" } else { "a" }) + &s[21..];
    let unknown = domain::api_tokens::ApiToken::generate();
    for bad in [String::new(), "Bearer".into(), format!("ghp_{}", &s[4..]), typo, s[..39].to_owned(), unknown.expose().to_owned()] {
        let r = tokens.authenticate(&bad, &client).await;
        assert_eq!(code_of(r), ErrorCode::InvalidToken, "{bad}");
    }
    assert_eq!(ErrorCode::InvalidToken.status(), 401);

    // Expired: refused from the moment it expires, still listed (marked) until deleted.
    app.clock.advance(30 * 86_400 - 1);
    tokens.authenticate(short.token.expose(), &client).await.expect("a second before expiry");
    app.clock.advance(1);
    let r = tokens.authenticate(short.token.expose(), &client).await;
    assert!(r.as_ref().is_err_and(|e| e.to_string().contains("expired")), "{r:?}");
    assert_eq!(code_of(r), ErrorCode::InvalidToken);
    let list = tokens.list(&a).await.expect("list");
    assert!(list.iter().any(|e| e.id == short.id && e.expired) && list.iter().any(|e| e.id == never.id && !e.expired));

    // Deleted: refused on the very next request.
    tokens.delete(&a, never.id, &here()).await.expect("deleted");
    assert_eq!(code_of(tokens.authenticate(never.token.expose(), &client).await), ErrorCode::InvalidToken);
    assert_eq!(code_of(tokens.delete(&a, never.id, &here()).await), ErrorCode::NotFound, "deleting twice");
    assert_eq!(code_of(tokens.delete(&a, ApiTokenId::new(999_999), &here()).await), ErrorCode::NotFound);
    assert!(tokens.list(&a).await.expect("list").iter().all(|e| e.id != never.id));
    let k = kinds(&app, &a).await;
    assert!(k.contains(&EventKind::ApiTokenDeleted), "{k:?}");
}

async fn another_accounts_token_cannot_be_deleted(app: TestApp) {
    let owner = app.signed_in_user("abe", PW, CHROME_WINDOWS).await;
    let owner = actor(&app, &owner).await;
    let made = create(&app, &owner, &form("mine", "abe", PW)).await.expect("created");
    let intruder = app.signed_in_user("bea", PW, FIREFOX_ANDROID).await;
    let intruder = actor(&app, &intruder).await;
    let r = app.warden.api_tokens().delete(&intruder, made.id, &here()).await;
    assert_eq!(code_of(r), ErrorCode::NotFound, "like an unknown id");
    assert!(app.warden.api_tokens().list(&intruder).await.expect("list").is_empty(), "nor listed to them");
    app.warden.api_tokens().authenticate(made.token.expose(), &here()).await.expect("still works");
    assert!(!kinds(&app, &owner).await.contains(&EventKind::ApiTokenDeleted));
}

async fn last_use_is_written_at_most_once_a_minute(app: TestApp) {
    let b = app.signed_in_user("cal", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    let made = create(&app, &a, &form("script", "cal", PW)).await.expect("created");
    let tokens = app.warden.api_tokens();
    let last = || async { tokens.list(&a).await.expect("list").remove(0).last_used.expect("used") };

    let t0 = now(&app);
    tokens.authenticate(made.token.expose(), &meta("198.51.100.4", "curl/8.5.0")).await.expect("ok");
    let l = last().await;
    assert_eq!((l.at, l.ip.as_str(), l.user_agent.as_str()), (t0, "198.51.100.4", "curl/8.5.0"));

    // Within the minute, more requests write nothing.
    app.clock.advance(59);
    tokens.authenticate(made.token.expose(), &meta("192.0.2.8", FIREFOX_ANDROID)).await.expect("ok");
    let l = last().await;
    assert_eq!((l.at, l.ip.as_str()), (t0, "198.51.100.4"));

    // A minute on, the next one does.
    app.clock.advance(1);
    tokens.authenticate(made.token.expose(), &meta("192.0.2.8", FIREFOX_ANDROID)).await.expect("ok");
    let l = last().await;
    assert_eq!((l.at, l.ip.as_str(), l.device.browser.contains("Firefox")), (t0 + 60, "192.0.2.8", true), "{:?}", l.device);

    // Requests at once all pass: the compare-and-set lets them race (one of them writes).
    app.clock.advance(60);
    let t1 = now(&app);
    let mut tries = tokio::task::JoinSet::new();
    for i in 0..8 {
        let raw = made.token.expose().to_owned();
        let w = app.warden.clone();
        tries.spawn(async move { w.api_tokens().authenticate(&raw, &meta(&format!("192.0.2.{i}"), "curl/8.5.0")).await.map(|_| ()) });
    }
    while let Some(r) = tries.join_next().await {
        r.expect("joined").expect("ok");
    }
    assert_eq!(last().await.at, t1);
}

async fn a_password_change_keeps_tokens_and_delete_all_ends_them(app: TestApp) {
    let b = app.signed_in_user("dov", PW, CHROME_WINDOWS).await;
    let a = actor(&app, &b).await;
    let one = create(&app, &a, &form("one", "dov", PW)).await.expect("created");
    let two = create(&app, &a, &form("two", "dov", PW)).await.expect("created");
    let r = b.call("change_password", &[("current_password", PW), ("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    for t in [&one, &two] {
        app.warden.api_tokens().authenticate(t.token.expose(), &here()).await.expect("a password change keeps tokens");
    }
    // "Also delete all API tokens": within the caller's change.
    let a = actor(&app, &b).await;
    let account = a.account().expect("account");
    let other = app.signed_in_user("eli", PW, CHROME_WINDOWS).await;
    let kept = create(&app, &actor(&app, &other).await, &form("one", "eli", PW)).await.expect("created");
    let mut tx = app.warden.pool().begin().await.expect("begin");
    assert_eq!(api_tokens::delete_all(&mut tx, account, now(&app)).await.expect("delete all"), 2);
    tx.commit().await.expect("commit");
    for t in [&one, &two] {
        assert_eq!(code_of(app.warden.api_tokens().authenticate(t.token.expose(), &here()).await), ErrorCode::InvalidToken);
    }
    assert!(app.warden.api_tokens().list(&a).await.expect("list").is_empty());
    app.warden.api_tokens().authenticate(kept.token.expose(), &here()).await.expect("another account's token stays");
}
