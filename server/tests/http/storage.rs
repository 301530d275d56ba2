//! What Warden keeps on disk and how its key turns over: the data folder,
//! the database file and the key file are the owner's alone, and
//! `warden rotate-key` moves every sealed value to a new key without anyone
//! noticing (2FA sign-in and queued mail keep working).

use crate::common::*;
use crate::two_factor::code;
use domain::support::secret_box::{self, KeyRing};
use reqwest::StatusCode;
use server::data::{rotate_key, Rotation};
use std::path::Path;

const PW: &str = "correct horse battery";

on_both_backends!(a_fresh_data_folder_and_its_files_are_the_owners_alone, after_a_key_rotation_two_factor_sign_in_and_queued_mail_still_work);

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

async fn a_fresh_data_folder_and_its_files_are_the_owners_alone(app: TestApp) {
    // A write, so SQLite has its -wal and -shm files.
    app.signed_in_user("olga", PW, CHROME_WINDOWS).await;
    let transport = server::mail::transport(&app.config).expect("outbox");
    assert!(transport.to_string().contains("outbox"));
    #[cfg(unix)]
    {
        let dir = &app.config.data_dir;
        let mut files = vec![(dir.clone(), 0o700), (dir.join("secret.key"), 0o600), (dir.join("outbox"), 0o700)];
        if app.backend == "sqlite" {
            for f in ["warden.db", "warden.db-wal", "warden.db-shm"] {
                files.push((dir.join(f), 0o600));
            }
        }
        for (path, want) in files {
            assert_eq!(mode(&path), want, "{}: {:o}, not {want:o}", path.display(), mode(&path));
        }
    }
}

fn now(app: &TestApp) -> i64 {
    app.warden.now()
}

/// Signs in with the password and a code of the next step; returns the final status.
async fn signs_in_with_totp(app: &TestApp, key: &str) -> StatusCode {
    app.clock.advance(30);
    let b = app.browser(FIREFOX_ANDROID);
    let r = b.sign_in("rita", PW).await;
    assert_eq!(r.location(), Some("/signin/2fa?next=/account/security/sessions"), "the second step is asked for");
    let r = b.call("verify_second_factor", &[("code", &code(key, now(app))), ("next", "/account/security/sessions")]).await;
    if r.status.is_success() {
        assert!(b.sessions(0).await["active"].is_array(), "signed in");
    }
    r.status
}

/// The sealed values in the database: TOTP secrets, then queued mail bodies.
async fn sealed_values(app: &TestApp) -> Vec<String> {
    let pool = app.warden.pool();
    let mut all: Vec<String> = sqlx::query_scalar("SELECT secret_sealed FROM totp_credentials").fetch_all(pool).await.expect("totp");
    let bodies: Vec<(String, String)> =
        sqlx::query_as("SELECT text_body, html_body FROM mail_queue WHERE sent_at IS NULL").fetch_all(pool).await.expect("mail");
    all.extend(bodies.into_iter().flat_map(|(t, h)| [t, h]));
    all
}

async fn after_a_key_rotation_two_factor_sign_in_and_queued_mail_still_work(app: TestApp) {
    // 2FA on, and a reset link waiting in the queue.
    let b = app.signed_in_user("rita", PW, CHROME_WINDOWS).await;
    assert!(b.call("start_totp", &[("password", PW)]).await.status.is_success());
    let key = b.call("two_factor_status", &[]).await.json()["pending"]["key"].as_str().expect("key while pending").to_owned();
    let r = b.call("confirm_totp", &[("code", &code(&key, now(&app)))]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let mails = app.mails_to("rita@example.com").await.len() + 1;
    assert!(app.browser(CHROME_WINDOWS).call("request_password_reset", &[("email", "rita@example.com")]).await.status.is_success());
    let link = app.reset_link_path("rita@example.com", mails).await;

    let key_file = app.config.data_dir.join("secret.key");
    let old = secret_box::read_keys(&key_file).expect("key file");
    let before = sealed_values(&app).await;
    assert!(before.len() >= 3, "a TOTP secret and two mail bodies: {}", before.len());
    assert!(before.iter().all(|v| v.starts_with(&format!("v2.{}.", old.current_id()))), "{before:?}");

    // Step 1, with Warden stopped: a new key, everything re-sealed under it.
    let said = rotate_key(&app.config, Rotation::Start).await.expect("rotate");
    assert!(said.contains("--finish"), "{said}");
    let ring = secret_box::read_keys(&key_file).expect("key file");
    assert_ne!(ring.current, old.current);
    assert_eq!(ring.retired, vec![old.current], "the old key is kept, retired");
    let after = sealed_values(&app).await;
    assert_eq!(after.len(), before.len());
    assert!(after.iter().all(|v| v.starts_with(&format!("v2.{}.", ring.current_id()))), "{after:?}");
    assert!(after.iter().all(|v| !before.contains(v)));

    // Step 2: start it again; 2FA sign-in and the queued link work.
    let app = app.restarted().await;
    assert_eq!(signs_in_with_totp(&app, &key).await, StatusCode::OK);
    assert_eq!(app.reset_link_path("rita@example.com", mails).await, link, "the queued mail opens under the new key");
    let visitor = app.browser(CHROME_WINDOWS);
    visitor.get(&link).await;
    assert!(visitor.get("/password/reset").await.body.contains("Set new password"));

    // Step 3: --finish drops the old key; the new one alone opens everything.
    let said = rotate_key(&app.config, Rotation::Finish).await.expect("finish");
    assert!(said.contains(&old.current_id()), "it says which key went: {said}");
    assert_eq!(secret_box::read_keys(&key_file).expect("key file"), KeyRing::single(ring.current));
    let app = app.restarted().await;
    assert_eq!(signs_in_with_totp(&app, &key).await, StatusCode::OK);
    assert_eq!(app.reset_link_path("rita@example.com", mails).await, link);
    // Nothing left in the database names the old key.
    assert!(sealed_values(&app).await.iter().all(|v| v.starts_with(&format!("v2.{}.", ring.current_id()))));
    // A wrong code is still wrong.
    app.clock.advance(30);
    let c = app.browser(FIREFOX_ANDROID);
    c.sign_in("rita", PW).await;
    let wrong = if code(&key, now(&app)) == "000000" { "111111" } else { "000000" };
    assert!(!c.call("verify_second_factor", &[("code", wrong), ("next", "")]).await.status.is_success());
}
