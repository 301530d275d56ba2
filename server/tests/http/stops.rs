//! Stopping the real binary, on SQLite and (when `WARDEN_TEST_POSTGRES_URL`
//! is set) PostgreSQL: a SIGTERM lets the request in flight finish, refuses
//! new connections, gives back the mail claimed for sending and exits 0; a
//! SIGKILL in the middle of a write load loses no change a client was told
//! succeeded, and leaves none half-done.
//!
//! The binary runs from the workspace root (it reads Leptos.toml there),
//! behind 127.0.0.1 as its trusted proxy, so each client gives its own
//! address in `X-Forwarded-For` and per-address budgets stay out of the way.

use crate::common::{free_port, postgres_not_run, redis_url, serde_urlencode, unique, Resp, TestApp, VERIFY_SUBJECT};
use domain::support::db::Store;
use domain::support::secret_box::{read_keys, SecretBox};
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::AnyPool;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PW: &str = "correct horse battery";
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PASSWORD_CHANGED_SUBJECT: &str = "Your Warden password was changed";
const TOKEN_CREATED_SUBJECT: &str = "A new API token was created for your Warden account";

// ---- the database and the binary ------------------------------------------

/// A fresh database for one test: a SQLite file in its data folder, or a
/// fresh schema in the test PostgreSQL.
struct Db {
    data_dir: PathBuf,
    url: String,
    /// Where the server keeps its limiter's budgets (environment).
    limiter: Vec<(String, String)>,
}

impl Db {
    fn sqlite() -> Db {
        let data_dir = std::env::temp_dir().join(format!("warden-stops-{}", unique()));
        let url = format!("sqlite://{}/warden.db?mode=rwc", data_dir.display());
        Db { data_dir, url, limiter: Vec::new() }
    }

    async fn postgres() -> Option<Db> {
        let url = TestApp::postgres_schema().await?;
        // On PostgreSQL Warden wants a shared limiter: the test Redis (under
        // a prefix of its own, kept across the restart) when there is one.
        let limiter = match redis_url() {
            Some(redis) => vec![("REDIS_URL".into(), redis), ("WARDEN_REDIS_PREFIX".into(), format!("warden-test:{}:", unique()))],
            None => vec![("WARDEN_SINGLE_INSTANCE".into(), "1".into())],
        };
        Some(Db { data_dir: std::env::temp_dir().join(format!("warden-stops-{}", unique())), url, limiter })
    }

    /// The test's own connection, once the server has created the schema.
    async fn pool(&self) -> AnyPool {
        Store::connect(&self.url).await.expect("the test connects to the database").pool
    }

    /// What opens the mail bodies: the key file the server created.
    fn secret_box(&self) -> SecretBox {
        SecretBox::from_ring(&read_keys(&self.data_dir.join("secret.key")).expect("the server's key file"))
    }
}

/// The server binary, started on `db`. Killed when dropped, so a failed
/// test leaves no server behind.
struct Warden {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Warden {
    /// Starts the binary with the test settings plus `env`, and waits until
    /// its port answers HTTP.
    async fn start(db: &Db, env: &[(&str, &str)]) -> Warden {
        let port = free_port();
        // Beside the data folder, which the server creates itself (0700).
        let log = db.data_dir.with_extension(format!("{port}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
        cmd.current_dir(root)
            // Only what is set here: nothing of the caller's environment (an
            // SMTP_URL, a DATABASE_URL) leaks in.
            .env_clear()
            .env("WARDEN_BIND", format!("127.0.0.1:{port}"))
            .env("WARDEN_DATA_DIR", &db.data_dir)
            .env("DATABASE_URL", &db.url)
            .env("WARDEN_COOKIE_SECURE", "false")
            .env("WARDEN_TRUSTED_PROXY", "127.0.0.1")
            .env("WARDEN_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("RUST_LOG", "info,sqlx=warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().expect("log file")))
            .stderr(Stdio::from(out));
        for (k, v) in &db.limiter {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start the server binary");
        let mut w = Warden { child, port, log };
        w.wait_until_ready().await;
        w
    }

    async fn wait_until_ready(&mut self) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited at start ({status}):\n{}", self.log());
            }
            if http.get(format!("http://127.0.0.1:{}/api/v1/openapi.json", self.port)).send().await.is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "the server did not answer within 90 s:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn sigterm(&self) {
        let done = Command::new("kill").args(["-TERM", &self.pid()]).status().expect("run kill");
        assert!(done.success(), "kill -TERM failed");
    }

    /// SIGKILL: nothing of the server runs after this.
    fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap");
    }

    /// The exit status, waiting at most `within`.
    async fn exited(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running {within:?} after being told to stop:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn client(&self, ip: &str) -> Client {
        Client::new(self.port, ip)
    }
}

impl Drop for Warden {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // Kept when the test fails, to read.
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

// ---- a client that reports a failed request instead of panicking ----------

/// One browser profile behind the proxy at `ip`; requests that fail (the
/// server is gone) come back as `Err`.
struct Client {
    base: String,
    ip: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

type Sent = Result<Resp, reqwest::Error>;

impl Client {
    fn new(port: u16, ip: &str) -> Client {
        Client {
            base: format!("http://127.0.0.1:{port}"),
            ip: ip.to_owned(),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(60)).build().expect("client"),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Sent {
        let mut req = req.header("user-agent", UA).header("x-forwarded-for", &self.ip);
        let jar = self.cookies.lock().expect("lock").iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        if !jar.is_empty() {
            req = req.header("cookie", jar);
        }
        let res = req.send().await?;
        let status = res.status();
        let headers: HeaderMap = res.headers().clone();
        let body = res.text().await?;
        let mut jar = self.cookies.lock().expect("lock");
        for sc in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            if let Some((k, v)) = sc.split(';').next().and_then(|first| first.split_once('=')) {
                if sc.contains("Max-Age=0") || v.is_empty() {
                    jar.remove(k.trim());
                } else {
                    jar.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        Ok(Resp { status, headers, body })
    }

    /// A server function, as the hydrated page calls it.
    async fn call(&self, name: &str, fields: &[(&str, &str)]) -> Sent {
        let req = self
            .http
            .post(format!("{}/_fn/{name}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
            .body(serde_urlencode(fields));
        self.send(req).await
    }

    async fn get(&self, path: &str) -> Sent {
        self.send(self.http.get(format!("{}{path}", self.base)).header("accept", "text/html")).await
    }

    /// A REST request with a bearer token.
    async fn api(&self, method: reqwest::Method, path: &str, token: &str, body: Option<&Value>) -> Sent {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).header("authorization", format!("Bearer {token}"));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        self.send(req).await
    }

    async fn sign_up(&self, name: &str, password: &str) -> Sent {
        let email = format!("{name}@example.com");
        self.call("sign_up", &[("email", &email), ("username", name), ("password", password), ("confirm_password", password)]).await
    }

    async fn sign_in(&self, name: &str, password: &str) -> Sent {
        self.call("sign_in", &[("login", name), ("password", password), ("next", "")]).await
    }
}

fn ok(what: &str, sent: Sent) -> Resp {
    let r = sent.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
    assert!(r.status.is_success(), "{what}: {} {}", r.status, r.body);
    r
}

/// Whether `name` signs in with `password`, from an address of its own.
async fn signs_in(w: &Warden, ip: &str, name: &str, password: &str) -> bool {
    let r = w.client(ip).sign_in(name, password).await.expect("an answer");
    assert!(r.status.is_success() || r.status.is_client_error(), "signing in {name}: {} {}", r.status, r.body);
    r.status.is_success()
}

/// The verification link last queued for `email`, as a path.
async fn verify_link(db: &Db, pool: &AnyPool, email: &str) -> String {
    use sqlx::Row;
    let row = sqlx::query("SELECT text_body, html_body, body_id FROM mail_queue WHERE to_addr = $1 AND subject = $2 ORDER BY id DESC")
        .bind(email)
        .bind(VERIFY_SUBJECT)
        .fetch_one(pool)
        .await
        .expect("a verification mail");
    let sealed = domain::outbox::SealedBodies { body_id: row.get("body_id"), text: row.get("text_body"), html: row.get("html_body") };
    let (text, _) = sealed.open(&db.secret_box(), email).expect("the body opens with the server's key");
    let start = text.find("/email/verify/open?token=").expect("a link in the mail");
    text[start..].chars().take_while(|c| !c.is_whitespace()).collect()
}

/// A new account whose address is confirmed (so notices reach it), signed in.
async fn verified_user(w: &Warden, db: &Db, pool: &AnyPool, name: &str, ip: &str) -> Client {
    let c = w.client(ip);
    ok("sign up", c.sign_up(name, PW).await);
    let link = verify_link(db, pool, &format!("{name}@example.com")).await;
    let r = c.get(&link).await.expect("open the link");
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    ok("confirm the address", c.call("confirm_email", &[]).await);
    ok("sign in", c.sign_in(name, PW).await);
    c
}

async fn count(pool: &AnyPool, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).bind(bind).fetch_one(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn names(pool: &AnyPool, sql: &str, bind: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql).bind(bind).fetch_all(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

// ---- SIGTERM --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_gives_back_a_claimed_mail_on_sqlite() {
    a_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_gives_back_a_claimed_mail(Db::sqlite()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_gives_back_a_claimed_mail_on_postgres() {
    match Db::postgres().await {
        Some(db) => a_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_gives_back_a_claimed_mail(db).await,
        None => postgres_not_run(),
    }
}

async fn a_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_gives_back_a_claimed_mail(db: Db) {
    // A mail server that accepts the connection and never says a word: the
    // worker's send of the first mail hangs with its claim held.
    let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none", smtp.local_addr().expect("addr").port());
    let mut w = Warden::start(&db, &[("SMTP_URL", &smtp_url), ("WARDEN_SHUTDOWN_GRACE_SECS", "3")]).await;
    let pool = db.pool().await;

    ok("sign up ada", w.client("192.0.2.1").sign_up("ada", PW).await);
    let (_held, _) = tokio::time::timeout(Duration::from_secs(30), smtp.accept())
        .await
        .unwrap_or_else(|_| panic!("the worker never connected to the mail server:\n{}", w.log()))
        .expect("accept");
    let lease: Option<i64> =
        sqlx::query_scalar("SELECT lease_until FROM mail_queue WHERE to_addr = 'ada@example.com'").fetch_one(&pool).await.expect("ada's mail");
    assert!(lease.is_some(), "the mail being sent is claimed");

    // A sign-up whose body is half sent: in flight when the signal comes.
    let body = serde_urlencode(&[("email", "bob@example.com"), ("username", "bob"), ("password", PW), ("confirm_password", PW)]);
    let (first, rest) = body.split_at(body.len() / 2);
    let base = format!("http://127.0.0.1:{}", w.port);
    let head = format!(
        "POST /_fn/sign_up HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: {UA}\r\nX-Forwarded-For: 192.0.2.2\r\nOrigin: {base}\r\n\
         Sec-Fetch-Site: same-origin\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        w.port,
        body.len()
    );
    let mut in_flight = tokio::net::TcpStream::connect(("127.0.0.1", w.port)).await.expect("connect");
    in_flight.write_all(format!("{head}{first}").as_bytes()).await.expect("send the first half");
    // Generous, for a loaded machine: the server has read the headers and
    // waits in the handler for the rest of the body.
    tokio::time::sleep(Duration::from_secs(1)).await;

    w.sigterm();
    let refused_by = Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", w.port)).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            // A connection that reached the backlog as the listener closed
            // is reset, not served: look again until connecting is refused.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("connecting after SIGTERM: {e}"),
            Ok(_) => assert!(Instant::now() < refused_by, "new connections still accepted 10 s after SIGTERM:\n{}", w.log()),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Only now the rest of the body: the request still gets its whole answer.
    in_flight.write_all(rest.as_bytes()).await.expect("send the rest");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), in_flight.read_to_end(&mut answer)).await.expect("answered within 30 s").expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "the request in flight was answered in full:\n{answer}\n{}", w.log());
    let (head, answer_body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let length = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>()));
    assert_eq!(length.map(|l| l.ok()), Some(Some(answer_body.len())), "the whole body, as long as announced:\n{answer}");

    let status = w.exited(Duration::from_secs(20)).await;
    let log = w.log();
    assert_eq!(status.code(), Some(0), "a graceful stop exits 0:\n{log}");
    let said = |what: &str| log.lines().find(|l| l.contains(what)).unwrap_or_else(|| panic!("no {what:?} line in:\n{log}")).to_owned();
    let start = said("shutting down");
    assert!(start.contains("signal=\"SIGTERM\"") && start.contains("requests_in_flight=1"), "{start}");
    let end = said("shutdown complete");
    for count in ["requests_finished=1", "requests_cut_off=0", "mail_claims_released=1", "usage_flushed=true"] {
        assert!(end.contains(count), "{count} in {end}");
    }

    // The claim is given back: the mail is due, for anyone, right now.
    let (attempts, lease, sent): (i64, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT attempts, lease_until, sent_at FROM mail_queue WHERE to_addr = 'ada@example.com'")
            .fetch_one(&pool)
            .await
            .expect("ada's mail");
    assert_eq!((attempts, lease, sent), (1, None, None), "released unsent, its attempt counted");
    drop(_held);

    // Restarted (mail to the outbox folder now), the server sends it within
    // seconds, not after the two-minute lease; bob's sign-up was committed.
    let mut w = Warden::start(&db, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let sent: Option<i64> =
            sqlx::query_scalar("SELECT sent_at FROM mail_queue WHERE to_addr = 'ada@example.com'").fetch_one(&pool).await.expect("ada's mail");
        if sent.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the released mail was not sent within 30 s:\n{}", w.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(signs_in(&w, "192.0.2.3", "bob", PW).await, "the sign-up answered during the shutdown holds");
    pool.close().await;

    // Idle, it stops at once.
    w.sigterm();
    let stopped = Instant::now();
    assert_eq!(w.exited(Duration::from_secs(20)).await.code(), Some(0), "{}", w.log());
    // Well inside the 20 s grace period it would wait for a request.
    assert!(stopped.elapsed() < Duration::from_secs(5), "nothing to wait for, yet it took {:?}", stopped.elapsed());
    let _ = std::fs::remove_dir_all(&db.data_dir);
}

// ---- SIGKILL under load ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_write_loses_no_answered_change_and_leaves_none_half_done_on_sqlite() {
    a_kill_9_mid_write_loses_no_answered_change_and_leaves_none_half_done(Db::sqlite()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_mid_write_loses_no_answered_change_and_leaves_none_half_done_on_postgres() {
    match Db::postgres().await {
        Some(db) => a_kill_9_mid_write_loses_no_answered_change_and_leaves_none_half_done(db).await,
        None => postgres_not_run(),
    }
}

/// What one client of the load saw: the writes answered 2xx, in order, and
/// the one whose answer never came (it may or may not have happened).
struct Seen<T> {
    answered: Vec<T>,
    in_doubt: Option<T>,
}

impl<T> Default for Seen<T> {
    fn default() -> Self {
        Seen { answered: Vec::new(), in_doubt: None }
    }
}

/// Shared by the load's clients: when to stop, and how many of each kind
/// of write were answered so far.
#[derive(Default)]
struct Load {
    stop: AtomicBool,
    sign_ups: AtomicUsize,
    changes: AtomicUsize,
    tokens: AtomicUsize,
    campaigns: AtomicUsize,
}

/// "Busy, try again": the password hasher's queue was full, before any
/// write (a loaded machine may say so).
fn busy(r: &Resp) -> bool {
    r.status == StatusCode::SERVICE_UNAVAILABLE
}

fn changed_password(n: usize) -> String {
    format!("lantern orbit meadow {}", 40 + n)
}

async fn a_kill_9_mid_write_loses_no_answered_change_and_leaves_none_half_done(db: Db) {
    let nothing_listens = format!("smtp://127.0.0.1:{}?tls=none", free_port());
    // Mail fails at once and waits for a retry, so every queued body stays
    // in the table to be checked; the API's rate limit stays out of the way.
    let env = [("SMTP_URL", nothing_listens.as_str()), ("WARDEN_API_QUOTA", "10000")];
    let mut w = Warden::start(&db, &env).await;
    let pool = db.pool().await;

    // Accounts with confirmed addresses: three change their password, two
    // make API tokens, one writes campaigns with a token made on the tab.
    let who = ["chg0", "chg1", "chg2", "tok0", "tok1", "api0"];
    let ips: Vec<String> = (1..=who.len()).map(|i| format!("198.51.100.{i}")).collect();
    let users = futures_join(who.iter().zip(&ips).map(|(n, ip)| verified_user(&w, &db, &pool, n, ip))).await;
    let mut users: BTreeMap<&str, Client> = who.into_iter().zip(users).collect();
    let api0 = users.remove("api0").expect("api0");
    let made = ok(
        "a token for the campaign writers",
        api0.call("create_api_token", &[("name", "load"), ("username", "api0"), ("password", PW), ("expiry", "never"), ("access", "read_write")])
            .await,
    );
    let bearer = made.json()["token"].as_str().expect("the token").to_owned();

    let load = Arc::new(Load::default());
    let mut sign_ups = Vec::new();
    for c in 0..3u8 {
        let (load, client_port) = (load.clone(), w.port);
        sign_ups.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            for i in 0u32.. {
                if load.stop.load(Ordering::Relaxed) {
                    break;
                }
                let name = format!("new{c}x{i}");
                // A fresh address per sign-up: ten an hour per address is the budget.
                let client = Client::new(client_port, &format!("10.{c}.{}.{}", i / 250, i % 250 + 1));
                match client.sign_up(&name, PW).await {
                    Ok(r) if r.status.is_success() => {
                        seen.answered.push(name);
                        load.sign_ups.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if busy(&r) => {}
                    Ok(r) => panic!("sign-up {name} refused: {} {}", r.status, r.body),
                    Err(_) => {
                        seen.in_doubt = Some(name);
                        break;
                    }
                }
            }
            seen
        }));
    }
    let mut changes = Vec::new();
    for name in ["chg0", "chg1", "chg2"] {
        let (load, client) = (load.clone(), users.remove(name).expect("a changer"));
        changes.push(tokio::spawn(async move {
            // Indexes into the chain of passwords: PW, then changed_password(0), (1)…
            let mut seen = Seen::default();
            let mut current = PW.to_owned();
            for n in 0usize.. {
                if load.stop.load(Ordering::Relaxed) {
                    break;
                }
                let new = changed_password(n);
                match client.call("change_password", &[("current_password", &current), ("new_password", &new), ("confirm_password", &new)]).await {
                    Ok(r) if r.status.is_success() => {
                        seen.answered.push(n);
                        current = new;
                        load.changes.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if busy(&r) => {}
                    Ok(r) => panic!("password change of {name} refused: {} {}", r.status, r.body),
                    Err(_) => {
                        seen.in_doubt = Some(n);
                        break;
                    }
                }
            }
            (name, seen)
        }));
    }
    let mut tokens = Vec::new();
    for name in ["tok0", "tok1"] {
        let (load, client) = (load.clone(), users.remove(name).expect("a token maker"));
        tokens.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            // An account holds at most 50 tokens; a slow machine never gets near.
            for n in 0usize..45 {
                if load.stop.load(Ordering::Relaxed) {
                    break;
                }
                let token_name = format!("load {n}");
                let fields = [("name", token_name.as_str()), ("username", name), ("password", PW), ("expiry", "never"), ("access", "read_write")];
                match client.call("create_api_token", &fields).await {
                    Ok(r) if r.status.is_success() => {
                        seen.answered.push(r.json()["token"].as_str().expect("the token").to_owned());
                        load.tokens.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) if busy(&r) => {}
                    Ok(r) => panic!("token {token_name} of {name} refused: {} {}", r.status, r.body),
                    Err(_) => {
                        seen.in_doubt = Some(token_name);
                        break;
                    }
                }
            }
            (name, seen)
        }));
    }
    let mut campaigns = Vec::new();
    for c in 0..2u8 {
        let (load, bearer, client) = (load.clone(), bearer.clone(), w.client(&format!("203.0.113.{}", c + 1)));
        campaigns.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            for n in 0usize.. {
                if load.stop.load(Ordering::Relaxed) {
                    break;
                }
                let name = format!("Load {c}-{n}");
                let body = json!({"name": name, "tracking_number": "+1 415 555 0100"});
                match client.api(reqwest::Method::POST, "/api/v1/campaigns", &bearer, Some(&body)).await {
                    Ok(r) if r.status == StatusCode::CREATED => {
                        seen.answered.push((r.json()["id"].as_i64().expect("an id"), name));
                        load.campaigns.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => panic!("campaign {name} refused: {} {}", r.status, r.body),
                    Err(_) => {
                        seen.in_doubt = Some((0, name));
                        break;
                    }
                }
            }
            seen
        }));
    }

    // At least 1.5 s of load, and every kind of write answered at least once.
    let began = Instant::now();
    loop {
        let every_kind = [&load.sign_ups, &load.changes, &load.tokens, &load.campaigns].iter().all(|n| n.load(Ordering::Relaxed) > 0);
        if every_kind && began.elapsed() >= Duration::from_millis(1500) {
            break;
        }
        assert!(began.elapsed() < Duration::from_secs(30), "not every kind of write was answered within 30 s:\n{}", w.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.kill_9();
    load.stop.store(true, Ordering::Relaxed);
    let mut signed_up: Vec<Seen<String>> = Vec::new();
    for h in sign_ups {
        signed_up.push(wait(h).await);
    }
    let mut changed = Vec::new();
    for h in changes {
        changed.push(wait(h).await);
    }
    let mut made = Vec::new();
    for h in tokens {
        made.push(wait(h).await);
    }
    let mut created: Vec<Seen<(i64, String)>> = Vec::new();
    for h in campaigns {
        created.push(wait(h).await);
    }
    eprintln!(
        "answered before the kill: {} sign-ups, {} password changes, {} tokens, {} campaigns; {} clients' last write unanswered",
        signed_up.iter().map(|s| s.answered.len()).sum::<usize>(),
        changed.iter().map(|(_, s)| s.answered.len()).sum::<usize>(),
        made.iter().map(|(_, s)| s.answered.len()).sum::<usize>(),
        created.iter().map(|s| s.answered.len()).sum::<usize>(),
        signed_up.iter().filter(|s| s.in_doubt.is_some()).count()
            + changed.iter().filter(|(_, s)| s.in_doubt.is_some()).count()
            + made.iter().filter(|(_, s)| s.in_doubt.is_some()).count()
            + created.iter().filter(|s| s.in_doubt.is_some()).count(),
    );

    // Restarted on the same database.
    let w = Warden::start(&db, &env).await;
    let mut ip = 0u32;
    let mut next_ip = || {
        ip += 1;
        format!("172.16.{}.{}", ip / 250, ip % 250 + 1)
    };

    // For the record: how many writes whose answer never came had committed.
    let mut committed = 0;
    for name in signed_up.iter().filter_map(|s| s.in_doubt.as_deref()) {
        committed += count(&pool, "SELECT COUNT(*) FROM accounts WHERE username = $1", name).await;
    }
    for seen in &created {
        if let Some((_, name)) = &seen.in_doubt {
            committed += count(&pool, "SELECT COUNT(*) FROM campaigns WHERE name = $1", name).await;
        }
    }
    eprintln!("of the unanswered sign-ups and campaigns, {committed} had committed (password changes and tokens are checked below)");

    // Every answered sign-up's account exists and signs in.
    for name in signed_up.iter().flat_map(|s| &s.answered) {
        assert!(signs_in(&w, &next_ip(), name, PW).await, "{name} was told the account exists");
    }

    // Every answered password change holds: its new password works, the one
    // before it does not. Only the change in flight at the kill may or may
    // not have happened, as a whole.
    for (name, seen) in &changed {
        let last = seen.answered.last().copied();
        let current = last.map(changed_password).unwrap_or_else(|| PW.to_owned());
        let events = count(
            &pool,
            "SELECT COUNT(*) FROM security_events e JOIN accounts a ON a.id = e.account_id WHERE a.username = $1 AND e.kind = 'password_changed'",
            name,
        )
        .await;
        let answered = seen.answered.len() as i64;
        if events == answered {
            assert!(signs_in(&w, &next_ip(), name, &current).await, "{name}: the last answered change's password works");
        } else {
            assert_eq!((events, seen.in_doubt.is_some()), (answered + 1, true), "{name}: {seen_answered:?}", seen_answered = seen.answered);
            let in_flight = changed_password(seen.in_doubt.expect("in doubt"));
            assert!(signs_in(&w, &next_ip(), name, &in_flight).await, "{name}: the committed change in flight's password works");
            assert!(!signs_in(&w, &next_ip(), name, &current).await, "{name}: the password it replaced does not");
        }
        if let Some(n) = last {
            let before = if n == 0 { PW.to_owned() } else { changed_password(n - 1) };
            assert!(!signs_in(&w, &next_ip(), name, &before).await, "{name}: the password an answered change replaced does not work");
        }
    }

    // Every answered token works, and every answered campaign reads back.
    let reader = w.client("203.0.113.9");
    for (name, seen) in &made {
        for token in &seen.answered {
            let r = reader.api(reqwest::Method::GET, "/api/v1/account", token, None).await.expect("an answer");
            assert_eq!(r.status, StatusCode::OK, "a token made for {name}: {}", r.body);
        }
        let live = count(&pool, "SELECT COUNT(*) FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = $1", name).await;
        let answered = seen.answered.len() as i64;
        assert!(live == answered || (live == answered + 1 && seen.in_doubt.is_some()), "{name}: {live} tokens, {answered} answered");
    }
    for seen in &created {
        for (id, name) in &seen.answered {
            let r = reader.api(reqwest::Method::GET, &format!("/api/v1/campaigns/{id}"), &bearer, None).await.expect("an answer");
            assert_eq!(r.status, StatusCode::OK, "campaign {id}: {}", r.body);
            assert_eq!(r.json()["name"].as_str(), Some(name.as_str()));
        }
    }

    // No change is half there, in any row: a change, its security event and
    // its mail commit together (`domain::change`).
    let half_signed_up = names(
        &pool,
        "SELECT a.username FROM accounts a WHERE \
         (SELECT COUNT(*) FROM security_events e WHERE e.account_id = a.id AND e.kind = 'account_created') <> 1 \
         OR NOT EXISTS (SELECT 1 FROM email_verifications v WHERE v.account_id = a.id) \
         OR NOT EXISTS (SELECT 1 FROM mail_queue m WHERE m.to_addr = a.email AND m.subject = $1)",
        VERIFY_SUBJECT,
    )
    .await;
    assert_eq!(half_signed_up, Vec::<String>::new(), "accounts without their sign-up event, link or mail");
    let half_changed = names(
        &pool,
        "SELECT a.username FROM accounts a WHERE \
         COALESCE(a.password_changed_at, -1) <> \
           COALESCE((SELECT MAX(e.at) FROM security_events e WHERE e.account_id = a.id AND e.kind = 'password_changed'), -1) \
         OR (a.email_verified_at IS NOT NULL AND \
           (SELECT COUNT(*) FROM security_events e WHERE e.account_id = a.id AND e.kind = 'password_changed') <> \
           (SELECT COUNT(*) FROM mail_queue m WHERE m.to_addr = a.email AND m.subject = $1))",
        PASSWORD_CHANGED_SUBJECT,
    )
    .await;
    assert_eq!(half_changed, Vec::<String>::new(), "password changes without their event or notice");
    let half_made = names(
        &pool,
        "SELECT a.username FROM accounts a WHERE \
         (SELECT COUNT(*) FROM api_tokens t WHERE t.account_id = a.id) <> \
           (SELECT COUNT(*) FROM security_events e WHERE e.account_id = a.id AND e.kind = 'api_token_created') \
         OR (a.email_verified_at IS NOT NULL AND \
           (SELECT COUNT(*) FROM api_tokens t WHERE t.account_id = a.id) <> \
           (SELECT COUNT(*) FROM mail_queue m WHERE m.to_addr = a.email AND m.subject = $1))",
        TOKEN_CREATED_SUBJECT,
    )
    .await;
    assert_eq!(half_made, Vec::<String>::new(), "API tokens without their event or notice");
    pool.close().await;
    drop(w);
    let _ = std::fs::remove_dir_all(&db.data_dir);
}

/// What a load client saw, once it has stopped.
async fn wait<T>(client: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(Duration::from_secs(90), client).await.expect("the client stops").expect("the client ran")
}

/// Runs `futures` at once; their outputs in order.
async fn futures_join<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in pinned.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *o = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.expect("every future is done")).collect()
}

// ---- giving a claim back, in process ----------------------------------------

on_both_backends!(a_claim_is_given_back_only_by_the_attempt_that_took_it);

async fn a_claim_is_given_back_only_by_the_attempt_that_took_it(app: crate::common::TestApp) {
    let mail = domain::outbox::Mail { to: "ann@example.com".into(), subject: "s".into(), text: "t".into(), html: "<p>t</p>".into() };
    app.queue_mail(&mail).await.expect("queue");
    let (pool, now) = (app.warden.pool(), app.warden.now());
    let id = domain::outbox::due(pool, now, 10).await.expect("due")[0].id;
    assert_eq!(domain::outbox::claim(pool, id, now).await.expect("claim"), Some(1));
    assert!(domain::outbox::due(pool, now, 10).await.expect("due").is_empty(), "claimed: nobody else takes it");

    assert!(!domain::outbox::release(pool, id, 2, "stopping").await.expect("release"), "another attempt's claim stays");
    assert!(domain::outbox::due(pool, now, 10).await.expect("due").is_empty());
    assert!(domain::outbox::release(pool, id, 1, "stopping").await.expect("release"));
    let due = domain::outbox::due(pool, now, 10).await.expect("due");
    assert_eq!((due.len(), due[0].attempts), (1, 1), "due again at once, the abandoned attempt counted");
    assert!(!domain::outbox::release(pool, id, 1, "stopping").await.expect("release"), "nothing left to give back");
    assert_eq!(domain::outbox::claim(pool, id, now).await.expect("claim"), Some(2), "the next claim is the second attempt");
}
