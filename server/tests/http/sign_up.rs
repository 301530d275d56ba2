//! Sign-up and email verification over HTTP, on SQLite and PostgreSQL: a
//! budget per client IP, one answer whether or not an address is registered,
//! and an address that receives reset links and notices only once a mailed
//! link has proven it.

use crate::common::*;
use domain::ClientMeta;
use reqwest::StatusCode;

const PW: &str = "correct horse battery";
const NEW_PW: &str = "lantern orbit meadow 42";

async fn sign_up(b: &Browser, email: &str, username: &str) -> Resp {
    b.call("sign_up", &[("email", email), ("username", username), ("password", PW), ("confirm_password", PW)]).await
}

fn signs_in(app: &TestApp, login: &str, password: &str) -> impl std::future::Future<Output = StatusCode> {
    let b = app.browser(CHROME_WINDOWS);
    let (login, password) = (login.to_owned(), password.to_owned());
    async move { b.call("sign_in", &[("login", &login), ("password", &password), ("next", "")]).await.status }
}

/// Every verification link mailed to `to`, oldest first, as paths.
async fn verify_links(app: &TestApp, to: &str) -> Vec<String> {
    let prefix = format!("{PUBLIC_URL}/email/verify/open?token=");
    app.all_mails_to(to)
        .await
        .iter()
        .filter(|m| m.subject == VERIFY_SUBJECT)
        .map(|m| {
            let start = m.text.find(&prefix).expect("link in the text part");
            m.text[start..].chars().take_while(|c| !c.is_whitespace()).collect::<String>().trim_start_matches(PUBLIC_URL).to_owned()
        })
        .collect()
}

/// The "Confirm your email address" banner of a page, if it shows one.
fn banner(page: &str) -> Option<String> {
    let start = page.find("email-banner")?;
    let end = page[start..].find("</div>")? + start;
    Some(page[start..end].to_owned())
}

fn behind_proxy(c: &mut server::config::Config) {
    c.trusted_proxy = Some("127.0.0.1".parse().expect("ip"));
}

on_both_backends!(
    a_registered_email_gets_the_same_answer_as_a_new_one_and_its_owner_is_told,
    a_reset_request_for_an_unverified_address_mails_nothing,
    after_the_link_is_confirmed_the_address_gets_reset_links_and_notices,
    a_verification_link_works_once_and_expires_and_a_newer_one_closes_it,
    the_banner_shows_until_the_address_is_verified,
    an_address_verified_by_another_account_cannot_be_verified_twice,
);
on_both_backends!(behind_proxy => sign_up_is_throttled_per_ip_after_its_budget);

async fn sign_up_is_throttled_per_ip_after_its_budget(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    b.set_header("x-forwarded-for", "2001:db8:1:2::1");
    let budget = app.warden.config().accounts.sign_up_ip_backoff.free_failures as usize;
    // Every attempt counts, made or refused: each costs a password hash.
    assert!(sign_up(&b, "first@example.com", "first").await.status.is_success());
    for i in 1..budget {
        let r =
            b.call("sign_up", &[("email", "x@example.com"), ("username", &format!("try{i}")), ("password", PW), ("confirm_password", "nope")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let r = sign_up(&b, "late@example.com", "late").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.json()["code"], "throttled");
    let wait: i64 = r.header("retry-after").expect("retry-after").parse().expect("seconds");
    assert!(wait > 0);
    // Nothing was created: no account, no mail.
    assert_eq!(signs_in(&app, "late", PW).await, StatusCode::UNAUTHORIZED);
    assert!(app.all_mails_to("late@example.com").await.is_empty());
    // The whole /64 shares the budget; another address does not.
    b.set_header("x-forwarded-for", "2001:db8:1:2:ffff:ffff:ffff:ffff");
    assert_eq!(sign_up(&b, "late@example.com", "late").await.status, StatusCode::TOO_MANY_REQUESTS);
    let other = app.browser(CHROME_WINDOWS);
    other.set_header("x-forwarded-for", "203.0.113.5");
    assert!(sign_up(&other, "else@example.com", "someone").await.status.is_success());
    // Once the wait has passed, the block may sign up again.
    app.clock.advance(wait);
    let r = sign_up(&b, "late@example.com", "late").await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
}

async fn a_registered_email_gets_the_same_answer_as_a_new_one_and_its_owner_is_told(app: TestApp) {
    app.signed_in_user("olga", PW, CHROME_WINDOWS).await;
    let owner_mails = app.all_mails_to("olga@example.com").await.len();
    // Same first letter, so even the partly hidden address reads the same.
    let taken = app.browser(CHROME_WINDOWS);
    let fresh = app.browser(CHROME_WINDOWS);
    let a = sign_up(&taken, "olga@example.com", "mallory").await;
    let b = sign_up(&fresh, "oscar@example.com", "oscar").await;
    assert_eq!(a.status, b.status);
    assert_eq!(a.body, b.body);
    assert_eq!(a.location(), b.location());
    assert_eq!(a.location(), Some("/signin?reason=signed_up"));
    assert_eq!(a.set_cookies(), b.set_cookies());
    let mut ha: Vec<_> = a.headers.iter().filter(|(k, _)| !matches!(k.as_str(), "date" | "content-security-policy")).collect();
    let mut hb: Vec<_> = b.headers.iter().filter(|(k, _)| !matches!(k.as_str(), "date" | "content-security-policy")).collect();
    ha.sort_by_key(|(k, _)| k.as_str().to_owned());
    hb.sort_by_key(|(k, _)| k.as_str().to_owned());
    assert_eq!(ha, hb);
    // Without JavaScript too.
    let a = taken
        .form("/signup", "sign_up", &[("email", "olga@example.com"), ("username", "mallory2"), ("password", PW), ("confirm_password", PW)])
        .await;
    let b =
        fresh.form("/signup", "sign_up", &[("email", "oona@example.com"), ("username", "oona"), ("password", PW), ("confirm_password", PW)]).await;
    assert_eq!((a.status, a.location(), &a.body), (b.status, b.location(), &b.body));

    // What each then sees is the same: signed in by username, the same banner.
    taken.sign_in("mallory", PW).await;
    fresh.sign_in("oscar", PW).await;
    let pa = taken.get("/account/security/sessions").await.body;
    let pb = fresh.get("/account/security/sessions").await.body;
    let (ba, bb) = (banner(&pa).expect("banner"), banner(&pb).expect("banner"));
    assert_eq!(ba, bb);
    assert!(ba.contains("Confirm your email address:") && ba.contains("o…@example.com"), "{ba}");
    assert_eq!(taken.call("email_status", &[]).await.body, fresh.call("email_status", &[]).await.body);

    // The owner is told, through the outbox, and nobody got a link for her address.
    let mails = app.all_mails_to("olga@example.com").await;
    let new: Vec<_> = mails[owner_mails..].iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(new, ["Someone tried to sign up to Warden with your address"; 2]);
    assert!(mails[owner_mails].text.contains("\"olga\"") && mails[owner_mails].text.contains("127.0.0.1"), "{}", mails[owner_mails].text);
    assert!(!mails[owner_mails].text.contains("mallory"), "the newcomer's name is not passed on");
    assert_eq!(verify_links(&app, "oscar@example.com").await.len(), 1, "a new address gets its link");
    // An address gets at most three such mails a day, whoever asks: "Send
    // the link again" answers the same and sends nothing more today.
    assert!(taken.call("resend_verification", &[]).await.status.is_success());
    assert_eq!(app.all_mails_to("olga@example.com").await.len(), owner_mails + 2);
    // The next day it tells the owner again, and still sends no link.
    app.clock.advance(86_401);
    taken.sign_in("mallory", PW).await;
    assert!(taken.call("resend_verification", &[]).await.status.is_success());
    assert_eq!(verify_links(&app, "olga@example.com").await.len(), 1, "only olga's own, from her sign-up");
    assert_eq!(app.all_mails_to("olga@example.com").await.len(), owner_mails + 3);
    // The address signs in only the account that holds it verified.
    let who = app.browser(CHROME_WINDOWS);
    who.sign_in("olga@example.com", PW).await;
    assert_eq!(who.call("current_user", &[]).await.json()["username"], "olga");
}

async fn a_reset_request_for_an_unverified_address_mails_nothing(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    assert!(sign_up(&b, "uma@example.com", "uma").await.status.is_success());
    b.sign_in("uma", PW).await;
    // The answer is the uniform one, and nothing is sent.
    let r = app.browser(FIREFOX_ANDROID).call("request_password_reset", &[("email", "uma@example.com")]).await;
    assert_eq!(r.location(), Some("/password/forgot?sent=1"));
    let meta = ClientMeta { ip: "192.0.2.7".into(), user_agent: "test".into(), session_name: None };
    app.warden.passwords().request_reset("uma@example.com", &meta).await.expect("request").await.expect("done");
    // Nor does a change of password send its notice to an unproven address.
    let r = b.call("change_password", &[("current_password", PW), ("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{}", r.body);
    let subjects: Vec<_> = app.all_mails_to("uma@example.com").await.into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, [VERIFY_SUBJECT], "only the verification link");
}

async fn after_the_link_is_confirmed_the_address_gets_reset_links_and_notices(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    assert!(sign_up(&b, "ada@example.com", "ada").await.status.is_success());
    assert_eq!(signs_in(&app, "ada@example.com", PW).await, StatusCode::UNAUTHORIZED, "an unproven address signs nobody in");
    let link = app.verify_link_path("ada@example.com").await;
    let r = b.get(&link).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/email/verify"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert!(b.cookie("__Host-warden_verify").is_some());
    // Opening the link confirms nothing yet (mail scanners open links).
    let page = b.get("/email/verify").await.body;
    assert!(page.contains("a…@example.com") && page.contains("ada") && page.contains("Confirm email address"), "{page}");
    assert!(!page.contains(link.trim_start_matches("/email/verify/open?token=")), "the token is not on the page");
    assert_eq!(signs_in(&app, "ada@example.com", PW).await, StatusCode::UNAUTHORIZED);
    let r = b.call("confirm_email", &[]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(r.location(), Some("/email/verify?confirmed=1"));
    assert!(b.cookie("__Host-warden_verify").is_none(), "the cookie is cleared");
    assert!(b.get("/email/verify?confirmed=1").await.body.contains("Your email address is confirmed"));

    assert_eq!(signs_in(&app, "ada@example.com", PW).await, StatusCode::OK);
    let visitor = app.browser(FIREFOX_ANDROID);
    assert!(visitor.call("request_password_reset", &[("email", "ada@example.com")]).await.status.is_success());
    let reset = app.reset_link_path("ada@example.com", 1).await;
    visitor.get(&reset).await;
    let r = visitor.call("complete_password_reset", &[("new_password", NEW_PW), ("confirm_password", NEW_PW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(signs_in(&app, "ada", NEW_PW).await, StatusCode::OK);
    let subjects: Vec<_> = app.mails_to("ada@example.com").await.into_iter().map(|m| m.subject).collect();
    assert_eq!(subjects, ["Reset your Warden password", "Your Warden password was reset"]);
}

async fn a_verification_link_works_once_and_expires_and_a_newer_one_closes_it(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    assert!(sign_up(&b, "vera@example.com", "vera").await.status.is_success());
    b.sign_in("vera", PW).await;
    let first = verify_links(&app, "vera@example.com").await.remove(0);
    // A day later the link has lapsed: its page says so, and Confirm changes nothing.
    app.clock.advance(app.warden.config().accounts.verify_link_secs);
    b.sign_in("vera", PW).await;
    let opener = app.browser(CHROME_WINDOWS);
    opener.get(&first).await;
    assert!(opener.cookie("__Host-warden_verify").is_none(), "a dead link leaves no cookie");
    assert!(opener.get("/email/verify").await.body.contains("This confirmation link is invalid or has expired"));
    let r = opener.call("confirm_email", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["code"], "verify_link_invalid");

    // Two new links: only the newest works, and only once.
    assert!(b.call("resend_verification", &[]).await.status.is_success());
    assert!(b.call("resend_verification", &[]).await.status.is_success());
    let links = verify_links(&app, "vera@example.com").await;
    assert_eq!(links.len(), 3);
    let older = app.browser(CHROME_WINDOWS);
    older.get(&links[1]).await;
    assert_eq!(older.call("confirm_email", &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "superseded");
    let newest = app.browser(CHROME_WINDOWS);
    newest.get(&links[2]).await;
    let token = newest.cookie("__Host-warden_verify").expect("cookie");
    assert!(newest.call("confirm_email", &[]).await.status.is_success());
    let again = app.browser(CHROME_WINDOWS);
    again.set_header("cookie", &format!("__Host-warden_verify={token}"));
    let r = again.call("confirm_email", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "used once");
    assert_eq!(r.json()["code"], "verify_link_invalid");
    // Resending is throttled per account.
    let mut statuses = vec![];
    for _ in 0..4 {
        statuses.push(b.call("resend_verification", &[]).await.status);
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(verify_links(&app, "vera@example.com").await.len(), 3, "a verified address gets no more links");
}

async fn the_banner_shows_until_the_address_is_verified(app: TestApp) {
    let b = app.browser(CHROME_WINDOWS);
    assert!(sign_up(&b, "bea@example.com", "bea").await.status.is_success());
    let page = b.get("/signin?reason=signed_up").await.body;
    assert!(page.contains("we sent a message to confirm your email address"), "{page}");
    b.sign_in("bea", PW).await;
    let page = b.get("/account/security/sessions").await.body;
    let shown = banner(&page).expect("banner");
    assert!(shown.contains("Confirm your email address:") && shown.contains("b…@example.com") && shown.contains("Send the link again"), "{shown}");
    assert!(!page.contains("bea@example.com"), "the full address is not on the page");
    // Without JavaScript, "Send the link again" comes back to the page, which says so.
    let r = b.form("/account/security/sessions", "resend_verification", &[]).await;
    assert_eq!(r.location(), Some("/account/security/sessions?link_sent=1"));
    assert!(b.get("/account/security/sessions?link_sent=1").await.body.contains("We sent it again"));
    assert_eq!(verify_links(&app, "bea@example.com").await.len(), 2);

    app.confirm_email(&b, "bea@example.com").await;
    let page = b.get("/account/security/sessions").await.body;
    // (The mail log below still lists the confirmation mail by its subject.)
    assert!(banner(&page).is_none() && !page.contains("Confirm your email address:"), "{page}");
    assert!(page.contains("Email address confirmed"), "the event is listed");
    assert_eq!(b.call("email_status", &[]).await.body, "null");
}

async fn an_address_verified_by_another_account_cannot_be_verified_twice(app: TestApp) {
    // Neither holds it verified yet, so both get a link (only the mailbox's owner reads them).
    let first = app.browser(CHROME_WINDOWS);
    let second = app.browser(CHROME_WINDOWS);
    assert!(sign_up(&first, "pat@example.com", "pat").await.status.is_success());
    assert!(sign_up(&second, "pat@example.com", "patricia").await.status.is_success());
    let links = verify_links(&app, "pat@example.com").await;
    assert_eq!(links.len(), 2);
    first.get(&links[0]).await;
    second.get(&links[1]).await;
    assert!(first.call("confirm_email", &[]).await.status.is_success());
    let r = second.call("confirm_email", &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["code"], "email_taken");
    assert!(r.json()["message"].as_str().unwrap_or("").contains("confirmed for another Warden account"), "{}", r.body);
    // The address signs in only the first; the second stays unverified.
    let who = app.browser(CHROME_WINDOWS);
    who.sign_in("pat@example.com", PW).await;
    assert_eq!(who.call("current_user", &[]).await.json()["username"], "pat");
    second.sign_in("patricia", PW).await;
    assert!(banner(&second.get("/account/security/sessions").await.body).is_some(), "still unverified");
}

/// Accounts made before migration 0007 keep everything that hangs off them
/// (SQLite rebuilds the table: with foreign keys on, dropping the old one
/// would cascade), stay unverified, and may now share an unverified address.
#[tokio::test]
async fn the_sqlite_migration_keeps_existing_accounts_and_what_references_them() {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("warden-migrate-{}", domain::support::random::public_id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}/warden.db?mode=rwc", dir.display());
    let mut before =
        sqlx::migrate::Migrator::new(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))).await.expect("migrations");
    before.migrations = before.migrations.iter().filter(|m| m.version < 7).cloned().collect::<Vec<_>>().into();
    let mut c = sqlx::AnyConnection::connect(&url).await.expect("connect");
    before.run(&mut c).await.expect("migrate to 0006");
    for stmt in [
        "INSERT INTO accounts (id, username, email, password_hash, created_at) VALUES (41, 'old', 'old@example.com', 'h', 1)",
        "INSERT INTO accounts (id, username, email, password_hash, created_at) VALUES (42, 'gone', 'gone@example.com', 'h', 1)",
        "DELETE FROM accounts WHERE id = 42",
        "INSERT INTO sessions (id, account_id, token_hash, user_agent, ip, created_at, last_active_at) VALUES ('s1', 41, 't1', 'ua', '192.0.2.1', 1, 1)",
        "INSERT INTO security_events (account_id, kind, ip, user_agent, at) VALUES (41, 'signed_in', '192.0.2.1', 'ua', 1)",
        "INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES (41, 'r1', 1, 2)",
    ] {
        sqlx::query(stmt).execute(&mut c).await.expect(stmt);
    }
    c.close().await.expect("close");

    let store = domain::support::db::Store::connect(&url).await.expect("migrate to the end");
    let count = |sql: &'static str| {
        let pool = store.pool.clone();
        async move { sqlx::query_as::<_, (i64,)>(sql).fetch_one(&pool).await.expect(sql).0 }
    };
    assert_eq!(count("SELECT COUNT(*) FROM sessions WHERE account_id = 41").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM security_events WHERE account_id = 41").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM password_resets WHERE account_id = 41").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM accounts WHERE id = 41 AND email_verified_at IS NULL").await, 1, "existing addresses stay unverified");
    // A deleted account's id is not handed out again.
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO accounts (username, email, password_hash, created_at) VALUES ('new', 'old@example.com', 'h', 2) RETURNING id")
            .fetch_one(&store.pool)
            .await
            .expect("an unverified address may be on two accounts");
    assert!(id > 42, "{id}");
    // Only one account can hold an address verified, and references are enforced again.
    sqlx::query("UPDATE accounts SET email_verified_at = 3 WHERE id = 41").execute(&store.pool).await.expect("verify");
    assert!(sqlx::query("UPDATE accounts SET email_verified_at = 3 WHERE id = $1").bind(id).execute(&store.pool).await.is_err());
    assert!(sqlx::query(
        "INSERT INTO sessions (id, account_id, token_hash, user_agent, ip, created_at, last_active_at) VALUES ('s2', 999, 't2', 'ua', 'ip', 1, 1)"
    )
    .execute(&store.pool)
    .await
    .is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_up_budget_per_ip_is_the_setting_wardens_sign_ups_per_hour() {
    let app = TestApp::sqlite_with(|c| c.sign_ups_per_hour = 2).await;
    let b = app.browser(CHROME_WINDOWS);
    assert!(sign_up(&b, "one@example.com", "one").await.status.is_success());
    assert!(sign_up(&b, "two@example.com", "two").await.status.is_success());
    let r = sign_up(&b, "three@example.com", "three").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.json()["code"], "throttled");
}
