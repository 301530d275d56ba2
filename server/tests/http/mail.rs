//! Mail as the person at the other end gets it: through a real SMTP server
//! (mailin-embedded, started by each test on a free loopback port) or as an
//! `.eml` file in the outbox, and as the queue keeps it through outages,
//! crashes and several workers. The queue's claim runs on SQLite and, when
//! `WARDEN_TEST_POSTGRES_URL` is set, on PostgreSQL.

use crate::common::*;
use domain::outbox::{self as queue, Mail, LEASE_SECS, MAX_ATTEMPTS};
use mail_parser::{MessageParser, MimeHeaders};
use mailin_embedded::{response, Handler, Response};
use server::mail::{MailWorker, Transport};
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FROM: &str = "Warden <warden@warden.example>";

// ---- a real SMTP server ----------------------------------------------------

#[derive(Clone, Debug)]
pub(crate) struct Received {
    envelope_from: String,
    envelope_to: Vec<String>,
    pub(crate) data: Vec<u8>,
}

#[derive(Clone, Default)]
struct Inbox {
    messages: Arc<Mutex<Vec<Received>>>,
    /// MAIL FROM commands seen, delivered or not.
    mail_commands: Arc<Mutex<usize>>,
    current: Option<Received>,
}

impl Handler for Inbox {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        *self.mail_commands.lock().expect("lock") += 1;
        response::OK
    }
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received { envelope_from: from.to_owned(), envelope_to: to.to_vec(), data: Vec::new() });
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(m) = &mut self.current {
            m.data.extend_from_slice(buf);
        }
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        if let Some(m) = self.current.take() {
            self.messages.lock().expect("lock").push(m);
        }
        response::OK
    }
}

pub(crate) struct SmtpServer {
    port: u16,
    inbox: Inbox,
}

impl SmtpServer {
    pub(crate) fn start() -> SmtpServer {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("bind"))
    }

    /// Without STARTTLS: the same as a local relay.
    fn start_on(listener: TcpListener) -> SmtpServer {
        let port = listener.local_addr().expect("addr").port();
        let inbox = Inbox::default();
        let mut server = mailin_embedded::Server::new(inbox.clone());
        server.with_name("mx.test").with_tcp_listener(listener);
        // Runs until the test process ends.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, inbox }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.inbox.messages.lock().expect("lock").clone()
    }

    fn mail_commands(&self) -> usize {
        *self.inbox.mail_commands.lock().expect("lock")
    }

    pub(crate) fn plain_url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }
}

// ---- helpers ---------------------------------------------------------------

fn reset_mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "Reset your Warden password".into(),
        text: "Hello Zoë,\n\nOpen https://warden.example/password/reset?token=ONE-TIME-TOKEN to choose a new password.\n".into(),
        html: "<p>Hello Zoë,</p><p><a href=\"https://warden.example/password/reset?token=ONE-TIME-TOKEN\">Choose a new password</a></p>".into(),
    }
}

fn worker(app: &TestApp, transport: Transport) -> MailWorker {
    MailWorker::new(app.warden.clone(), transport, FROM).expect("worker")
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    attempts: i64,
    next_attempt_at: i64,
    lease_until: Option<i64>,
    sent_at: Option<i64>,
    failed_at: Option<i64>,
    last_error: Option<String>,
    text_body: String,
}

async fn rows(app: &TestApp) -> Vec<Row> {
    sqlx::query_as("SELECT attempts, next_attempt_at, lease_until, sent_at, failed_at, last_error, text_body FROM mail_queue ORDER BY id")
        .fetch_all(app.warden.pool())
        .await
        .expect("read queue")
}

async fn only_row(app: &TestApp) -> Row {
    let mut all = rows(app).await;
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// What a mail client shows of a message.
struct Shown {
    from: String,
    to: String,
    subject: String,
    /// Content types of every MIME part, the root first.
    parts: Vec<String>,
    text: String,
    html: String,
    has_date: bool,
    message_id: String,
}

fn show(raw: &[u8]) -> Shown {
    let m = MessageParser::default().parse(raw).expect("a parseable message");
    Shown {
        from: m.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned(),
        to: m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned(),
        subject: m.subject().unwrap_or_default().to_owned(),
        parts: m
            .parts
            .iter()
            .map(|p| p.content_type().map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default())).unwrap_or_default())
            .collect(),
        text: m.body_text(0).map(|c| c.into_owned()).unwrap_or_default(),
        html: m.body_html(0).map(|c| c.into_owned()).unwrap_or_default(),
        has_date: m.date().is_some(),
        message_id: m.message_id().unwrap_or_default().to_owned(),
    }
}

fn assert_is_the_reset_mail(raw: &[u8], to: &str) {
    let s = show(raw);
    assert_eq!(s.from, "warden@warden.example");
    assert_eq!(s.to, to);
    assert_eq!(s.subject, "Reset your Warden password");
    assert_eq!(s.parts, ["multipart/alternative", "text/plain", "text/html"], "a text part, then an HTML part");
    assert!(s.text.contains("Hello Zoë") && s.text.contains("token=ONE-TIME-TOKEN"), "text part: {:?}", s.text);
    assert!(s.html.contains("<a href=\"https://warden.example/password/reset?token=ONE-TIME-TOKEN\">"), "html part: {:?}", s.html);
    assert!(s.has_date, "Date header");
    assert!(s.message_id.ends_with("@warden.example"), "Message-ID {:?}", s.message_id);
}

// ---- SMTP ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_mail_arrives_over_smtp_once_with_text_and_html_parts() {
    let app = TestApp::sqlite().await;
    let smtp = SmtpServer::start();
    let w = worker(&app, Transport::smtp(&smtp.plain_url()).expect("transport"));
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queue");

    assert_eq!(w.run_once().await, 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].envelope_from, "warden@warden.example");
    assert_eq!(got[0].envelope_to, vec!["zoe@example.com".to_owned()]);
    assert_is_the_reset_mail(&got[0].data, "zoe@example.com");

    let row = only_row(&app).await;
    assert_eq!(row.sent_at, Some(app.warden.now()));
    assert_eq!((row.attempts, row.lease_until, row.failed_at), (1, None, None));
    assert_eq!(row.text_body, "", "a sent mail's one-time link is not kept");

    assert_eq!(w.run_once().await, 0, "a sent mail is not sent again");
    app.clock.advance(LEASE_SECS * 10);
    assert_eq!(w.run_once().await, 0);
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_worker_sends_a_queued_mail_at_once_without_waiting_for_its_poll() {
    let app = TestApp::sqlite().await;
    let smtp = SmtpServer::start();
    let handle = worker(&app, Transport::smtp(&smtp.plain_url()).expect("transport")).poll_interval(Duration::from_secs(3600)).spawn();
    // Let the worker finish its first (empty) pass and start waiting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queue");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while smtp.received().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "not delivered within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.abort();
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_server_outage_delays_mail_but_loses_none() {
    let app = TestApp::sqlite().await;
    let port = free_port();
    let w = worker(&app, Transport::smtp(&format!("smtp://127.0.0.1:{port}?tls=none")).expect("transport"));
    let queued_at = app.warden.now();
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queuing never needs the mail server");

    assert_eq!(w.run_once().await, 0, "nothing listens yet");
    let row = only_row(&app).await;
    assert_eq!((row.attempts, row.sent_at, row.failed_at, row.lease_until), (1, None, None, None));
    assert_eq!(row.next_attempt_at, queued_at + 30, "first retry after 30 s");
    let error = row.last_error.expect("the reason is kept");
    assert!(!error.contains("ONE-TIME-TOKEN") && !error.contains("Zoë"), "no body in the error: {error}");

    let smtp = SmtpServer::start_on(TcpListener::bind(("127.0.0.1", port)).expect("rebind the port"));
    assert_eq!(w.run_once().await, 0, "not due before its retry time");
    assert_eq!(smtp.mail_commands(), 0);

    app.clock.advance(31);
    assert_eq!(w.run_once().await, 1);
    assert_eq!(w.run_once().await, 0);
    let got = smtp.received();
    assert_eq!(got.len(), 1, "delivered exactly once");
    assert_is_the_reset_mail(&got[0].data, "zoe@example.com");
    let row = only_row(&app).await;
    assert_eq!((row.attempts, row.sent_at), (2, Some(queued_at + 31)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_back_off_and_give_up_after_the_last_attempt() {
    let app = TestApp::sqlite().await;
    let port = free_port();
    let w = worker(&app, Transport::smtp(&format!("smtp://127.0.0.1:{port}?tls=none")).expect("transport"));
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queue");
    let mut waits = Vec::new();
    for attempt in 1..=MAX_ATTEMPTS {
        assert_eq!(w.run_once().await, 0);
        let row = only_row(&app).await;
        assert_eq!(row.attempts, attempt);
        if attempt < MAX_ATTEMPTS {
            let wait = row.next_attempt_at - app.warden.now();
            waits.push(wait);
            app.clock.advance(wait);
        }
    }
    assert_eq!(&waits[..4], &[30, 60, 120, 240]);
    assert_eq!(waits.iter().max(), Some(&3600), "{waits:?}");
    let row = only_row(&app).await;
    assert_eq!(row.failed_at, Some(app.warden.now()));
    assert_eq!((row.sent_at, row.text_body.as_str()), (None, ""));

    // Even with the server back, a given-up mail stays given up.
    let smtp = SmtpServer::start_on(TcpListener::bind(("127.0.0.1", port)).expect("rebind the port"));
    app.clock.advance(24 * 3600);
    assert_eq!(w.run_once().await, 0);
    assert_eq!(smtp.mail_commands(), 0);
    assert_eq!(only_row(&app).await.attempts, MAX_ATTEMPTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_url_without_tls_parameter_refuses_a_server_that_offers_no_starttls() {
    let app = TestApp::sqlite().await;
    let smtp = SmtpServer::start();
    let w = worker(&app, Transport::smtp(&format!("smtp://127.0.0.1:{}", smtp.port)).expect("transport"));
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queue");

    assert_eq!(w.run_once().await, 0);
    assert_eq!(smtp.mail_commands(), 0, "no MAIL FROM in plain text");
    assert!(smtp.received().is_empty());
    let row = only_row(&app).await;
    assert_eq!((row.attempts, row.sent_at, row.failed_at), (1, None, None), "still queued for a retry");
    let error = row.last_error.unwrap_or_default();
    assert!(error.contains("STARTTLS"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_to_a_malformed_address_is_dropped_without_retrying() {
    let app = TestApp::sqlite().await;
    let smtp = SmtpServer::start();
    let w = worker(&app, Transport::smtp(&smtp.plain_url()).expect("transport"));
    app.queue_mail(&reset_mail("zoe at example dot com")).await.expect("queue");
    assert_eq!(w.run_once().await, 0);
    let row = only_row(&app).await;
    assert_eq!((row.attempts, row.failed_at), (1, Some(app.warden.now())));
    assert_eq!(smtp.mail_commands(), 0);
}

// ---- the outbox ------------------------------------------------------------

/// The test settings, which have no `SMTP_URL`; `mail::transport` reads only
/// that and the data folder, so no database is needed.
fn config_without_smtp(data_dir: PathBuf) -> server::config::Config {
    server::config::Config::for_tests(data_dir, String::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_url_mail_is_written_as_one_eml_file_to_the_outbox() {
    let app = TestApp::sqlite().await;
    let data_dir = std::env::temp_dir().join(format!("warden-mail-{}", domain::support::random::public_id()));
    let transport = server::mail::transport(&config_without_smtp(data_dir.clone())).expect("transport");
    let outbox = data_dir.join("outbox");
    assert!(matches!(&transport, Transport::Outbox(p) if *p == outbox), "{transport}");
    assert!(outbox.is_dir(), "created on start");
    assert!(transport.to_string().contains(&outbox.display().to_string()), "the start-up line names the folder");

    let w = worker(&app, transport);
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queue");
    assert_eq!(w.run_once().await, 1);
    assert_eq!(w.run_once().await, 0);

    let files: Vec<PathBuf> = std::fs::read_dir(&outbox).expect("outbox").map(|e| e.expect("entry").path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    assert_is_the_reset_mail(&std::fs::read(&files[0]).expect("read"), "zoe@example.com");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner reads a file with a one-time link: {mode:o}");
    }
    assert!(only_row(&app).await.sent_at.is_some());
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn bad_mail_settings_stop_the_start_with_a_message_that_hides_the_password() {
    let mut config = config_without_smtp(std::env::temp_dir());
    config.smtp_url = Some(domain::Secret::new("smtp://ann:hunter2secret@mail.example.com?tls=opportunistic"));
    let e = server::mail::transport(&config).err().expect("refused").to_string();
    assert!(e.contains("SMTP_URL") && !e.contains("hunter2secret"), "{e}");

    config.smtp_url = Some(domain::Secret::new("smtps://ann:hunter2secret@mail.example.com"));
    let t = server::mail::transport(&config).expect("smtps");
    assert!(t.to_string().contains("mail.example.com:465 (TLS)") && !t.to_string().contains("hunter2secret"), "{t}");
}

// ---- the queue's claim, on both backends ------------------------------------

on_both_backends!(
    a_claimed_mail_is_held_until_its_lease_runs_out,
    two_workers_never_send_the_same_mail_twice,
    a_queued_reset_link_is_nowhere_in_the_database_yet_the_mail_brings_a_working_one,
);

async fn a_claimed_mail_is_held_until_its_lease_runs_out(app: TestApp) {
    let pool = app.warden.pool();
    let now = app.warden.now();
    app.queue_mail(&reset_mail("zoe@example.com")).await.expect("queue");
    let due = queue::due(pool, now, 10).await.expect("due");
    assert_eq!(due.len(), 1);
    let id = due[0].id;
    assert_eq!(due[0].open(app.warden.secret_box()).expect("opens with the server's key"), reset_mail("zoe@example.com"));

    assert_eq!(queue::claim(pool, id, now).await.expect("claim"), Some(1));
    assert_eq!(queue::claim(pool, id, now).await.expect("claim"), None, "a second claim loses");
    assert!(queue::due(pool, now + LEASE_SECS - 1, 10).await.expect("due").is_empty(), "held while leased");

    // The sender died mid-send: once the lease runs out, the mail is tried again.
    let later = now + LEASE_SECS;
    assert_eq!(queue::due(pool, later, 10).await.expect("due").len(), 1);
    assert_eq!(queue::claim(pool, id, later).await.expect("claim"), Some(2));

    queue::mark_sent(pool, id, later).await.expect("sent");
    assert!(queue::due(pool, later + 10 * LEASE_SECS, 10).await.expect("due").is_empty());
    assert_eq!(queue::claim(pool, id, later + 10 * LEASE_SECS).await.expect("claim"), None, "sent mail is never claimed");

    // Many claimers at once: exactly one wins.
    app.queue_mail(&reset_mail("ann@example.com")).await.expect("queue");
    let id = queue::due(pool, now, 10).await.expect("due")[0].id;
    let claims = (0..8).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move { queue::claim(&pool, id, now).await.expect("claim") })
    });
    let mut won = 0;
    for c in claims {
        won += usize::from(c.await.expect("join").is_some());
    }
    assert_eq!(won, 1);
}

async fn two_workers_never_send_the_same_mail_twice(app: TestApp) {
    let smtp = SmtpServer::start();
    let a = worker(&app, Transport::smtp(&smtp.plain_url()).expect("transport"));
    let b = worker(&app, Transport::smtp(&smtp.plain_url()).expect("transport"));
    for i in 0..6 {
        app.queue_mail(&reset_mail(&format!("user{i}@example.com"))).await.expect("queue");
    }
    let (x, y) = tokio::join!(a.run_once(), b.run_once());
    assert_eq!(x + y, 6, "{x} + {y}");
    assert_eq!(a.run_once().await + b.run_once().await, 0);
    let mut to: Vec<String> = smtp.received().iter().map(|m| m.envelope_to.join(",")).collect();
    to.sort();
    let want: Vec<String> = (0..6).map(|i| format!("user{i}@example.com")).collect();
    assert_eq!(to, want, "each mail exactly once");
    assert!(rows(&app).await.iter().all(|r| r.sent_at.is_some() && r.attempts == 1));
}

/// Every column of every `mail_queue` row, as text: what someone holding a
/// copy of the database (a replica, a backup) can read.
async fn everything_in_the_queue(app: &TestApp) -> String {
    use sqlx::{Column, Row};
    let rows = sqlx::query("SELECT * FROM mail_queue").fetch_all(app.warden.pool()).await.expect("read queue");
    let mut out = String::new();
    for row in &rows {
        for (i, column) in row.columns().iter().enumerate() {
            let value = match row.try_get::<Option<String>, _>(i) {
                Ok(text) => text.unwrap_or_default(),
                Err(_) => row.try_get::<Option<i64>, _>(i).expect("text or integer").map(|n| n.to_string()).unwrap_or_default(),
            };
            out.push_str(&format!("{}={value}\n", column.name()));
        }
    }
    out
}

/// "Forgot your password?" queues the link sealed: no column of the queue
/// holds the token, before or after sending, yet the delivered mail carries a
/// link that opens the reset page and sets the new password.
async fn a_queued_reset_link_is_nowhere_in_the_database_yet_the_mail_brings_a_working_one(app: TestApp) {
    const PW: &str = "correct horse battery";
    const NEW: &str = "lantern orbit meadow 42";
    app.signed_in_user("zara", PW, CHROME_WINDOWS).await;
    let b = app.browser(FIREFOX_ANDROID);
    assert!(b.call("request_password_reset", &[("email", "zara@example.com")]).await.status.is_success());
    app.wait_for_mails("zara@example.com", 1).await;
    let queued = everything_in_the_queue(&app).await;
    assert!(queued.contains("zara@example.com"), "the row is there: {queued}");

    let smtp = SmtpServer::start();
    assert!(worker(&app, Transport::smtp(&smtp.plain_url()).expect("transport")).run_once().await >= 1);
    let delivered = smtp.received().into_iter().map(|m| show(&m.data)).find(|m| m.subject.contains("Reset")).expect("the reset mail arrived");
    let start = delivered.text.find("/password/reset/open?token=").expect("a link in the mail");
    let token: String = delivered.text[start + "/password/reset/open?token=".len()..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(token.len() >= 40, "{token}");
    assert!(delivered.html.contains(&token), "the HTML part has the link too");

    assert!(!queued.contains(&token), "the queued row holds the bearer token in clear:\n{queued}");
    let after = everything_in_the_queue(&app).await;
    assert!(!after.contains(&token), "nor once sent:\n{after}");

    let owner = app.browser(CHROME_WINDOWS);
    owner.get(&format!("/password/reset/open?token={token}")).await;
    assert!(owner.get("/password/reset").await.body.contains("Set new password"), "the link opens the reset page");
    let r = owner.call("complete_password_reset", &[("new_password", NEW), ("confirm_password", NEW)]).await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    owner.sign_in("zara", NEW).await;
}
