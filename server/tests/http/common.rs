//! `spawn_app()` for the HTTP tests: the real server on port 0 over a fresh
//! database (a temporary SQLite file, or a fresh schema in the PostgreSQL at
//! `WARDEN_TEST_POSTGRES_URL`), a clock the test moves, and `Browser`, a
//! client that keeps cookies like a browser.
#![allow(dead_code)]

use domain::support::clock::ManualClock;
use domain::Warden;
use leptos::prelude::LeptosOptions;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE, COOKIE, ORIGIN, REFERER, SET_COOKIE, USER_AGENT};
use reqwest::StatusCode;
use server::config::Config;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub const CHROME_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36";
pub const FIREFOX_ANDROID: &str = "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0";

/// The public address `Config::for_tests` configures: every link in mail must
/// start with it.
pub const PUBLIC_URL: &str = "https://warden.example";

/// The subject of the mail that carries an address verification link.
pub const VERIFY_SUBJECT: &str = "Confirm your email address for Warden";

pub struct TestApp {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub warden: Arc<Warden>,
    pub backend: &'static str,
    /// What it was started with: its data folder and database.
    pub config: Config,
}

pub fn unique() -> String {
    format!("{}_{}", std::process::id(), domain::support::random::public_id())
}

/// A port nothing listens on right now (until a test starts something there).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The Redis the tests may use (`WARDEN_TEST_REDIS_URL`).
pub fn redis_url() -> Option<String> {
    std::env::var("WARDEN_TEST_REDIS_URL").ok().filter(|u| !u.is_empty())
}

/// Runs when a test that needs Redis has none to talk to.
pub fn redis_not_run() {
    if std::env::var("WARDEN_REQUIRE_REDIS").is_ok() {
        panic!("WARDEN_REQUIRE_REDIS is set but WARDEN_TEST_REDIS_URL is not");
    }
    eprintln!("NOT RUN on Redis: set WARDEN_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run it");
}

/// Runs when the PostgreSQL half of a test has no server to talk to.
pub fn postgres_not_run() {
    if std::env::var("WARDEN_REQUIRE_POSTGRES").is_ok() {
        panic!("WARDEN_REQUIRE_POSTGRES is set but WARDEN_TEST_POSTGRES_URL is not");
    }
    eprintln!("NOT RUN on PostgreSQL: set WARDEN_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it");
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(|_| {}).await
    }

    pub async fn sqlite_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = std::env::temp_dir().join(format!("warden-test-{}", unique()));
        let url = format!("sqlite://{}/warden.db?mode=rwc", dir.display());
        Self::spawn(dir, url, "sqlite", tweak).await
    }

    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_with(|_| {}).await
    }

    /// A fresh schema per test, so tests run in parallel without seeing
    /// each other. With `WARDEN_TEST_REDIS_URL` set, the limiter is on that
    /// Redis (under a prefix of its own), as in a deployment of several
    /// instances: every PostgreSQL half of the suite then runs its throttles
    /// through Redis.
    pub async fn postgres_with(tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let url = Self::postgres_schema().await?;
        let dir = std::env::temp_dir().join(format!("warden-test-{}", unique()));
        Some(
            Self::spawn(dir, url, "postgres", |c| {
                if let Some(redis) = redis_url() {
                    c.redis_url = Some(domain::Secret::new(redis));
                    c.redis_prefix = format!("warden-test:{}:", unique());
                    c.single_instance = false;
                }
                tweak(c)
            })
            .await,
        )
    }

    /// A fresh schema in the PostgreSQL at `WARDEN_TEST_POSTGRES_URL`, as a database URL.
    pub async fn postgres_schema() -> Option<String> {
        let base = std::env::var("WARDEN_TEST_POSTGRES_URL").ok()?;
        let schema = format!("warden_t_{}", unique());
        {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&base).await.expect("connect to WARDEN_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut c).await.expect("create schema");
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        Some(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
    }

    async fn spawn(data_dir: PathBuf, database_url: String, backend: &'static str, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests(data_dir, database_url);
        tweak(&mut config);
        Self::start(config, ManualClock::at(1_800_000_000), backend).await
    }

    /// A server on `config` (its own data folder, database and limiter) and `clock`.
    pub async fn start(config: Config, clock: ManualClock, backend: &'static str) -> TestApp {
        let warden = Arc::new(server::warden(&config, Arc::new(clock.clone())).await.expect("start warden"));
        let options = LeptosOptions::builder().output_name("warden").site_root("target/site").build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = server::router(config.clone(), options, warden.clone());
        tokio::spawn(server::serve(listener, router));
        TestApp { addr, clock, warden, backend, config }
    }

    /// Another server on the same data folder, database and clock, as after
    /// a restart: it reads the key file and the database afresh.
    pub async fn restarted(&self) -> TestApp {
        Self::start(self.config.clone(), self.clock.clone(), self.backend).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn browser(&self, user_agent: &str) -> Browser {
        Browser {
            base: format!("http://{}", self.addr),
            // A request that never comes back fails its test instead of holding the whole run.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .expect("client"),
            cookies: Mutex::new(BTreeMap::new()),
            user_agent: user_agent.to_owned(),
            extra: Mutex::new(HeaderMap::new()),
        }
    }

    /// Signs up a new account with a fresh browser, confirms its address
    /// `<name>@example.com` through the mailed link (so reset links and
    /// notices reach it), and returns that browser, signed in.
    pub async fn signed_in_user(&self, name: &str, password: &str, ua: &str) -> Browser {
        let b = self.browser(ua);
        let email = format!("{name}@example.com");
        let r = b.call("sign_up", &[("email", &email), ("username", name), ("password", password), ("confirm_password", password)]).await;
        assert!(r.status.is_success(), "sign up failed: {} {}", r.status, r.body);
        self.confirm_email(&b, &email).await;
        b.sign_in(name, password).await;
        b
    }

    /// Opens the newest verification link mailed to `to` in `b` and presses Confirm.
    pub async fn confirm_email(&self, b: &Browser, to: &str) {
        let link = self.verify_link_path(to).await;
        let r = b.get(&link).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = b.call("confirm_email", &[]).await;
        assert!(r.status.is_success(), "confirming {to} failed: {} {}", r.status, r.body);
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn location(&self) -> Option<&str> {
        self.header("location").or_else(|| self.header("serverfnredirect"))
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }
}

/// A cookie-keeping client, like one browser profile.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
    user_agent: String,
    extra: Mutex<HeaderMap>,
}

impl Browser {
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().expect("lock").get(name).cloned()
    }

    /// The same browser (its cookies and user agent) with its requests
    /// now going to `app`: a load balancer that sent it elsewhere.
    pub fn via(&self, app: &TestApp) -> Browser {
        let b = app.browser(&self.user_agent);
        *b.cookies.lock().expect("lock") = self.cookies.lock().expect("lock").clone();
        *b.extra.lock().expect("lock") = self.extra.lock().expect("lock").clone();
        b
    }

    pub fn set_header(&self, name: &'static str, value: &str) {
        self.extra.lock().expect("lock").insert(name, value.parse().expect("header"));
    }

    fn cookie_header(&self) -> String {
        self.cookies.lock().expect("lock").iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let mut req = req.header(USER_AGENT, &self.user_agent).headers(self.extra.lock().expect("lock").clone());
        let c = self.cookie_header();
        if !c.is_empty() {
            req = req.header(COOKIE, c);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await.unwrap_or_default();
        let resp = Resp { status, headers, body };
        let mut jar = self.cookies.lock().expect("lock");
        for sc in resp.set_cookies() {
            let first = sc.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                if sc.contains("Max-Age=0") || v.is_empty() {
                    jar.remove(k.trim());
                } else {
                    jar.insert(k.trim().to_owned(), v.trim().to_owned());
                }
            }
        }
        resp
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.http.get(format!("{}{}", self.base, path)).header(ACCEPT, "text/html")).await
    }

    /// A server function as the hydrated page calls it (fetch, same origin).
    pub async fn call(&self, name: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencode(fields);
        self.send(
            self.http
                .post(format!("{}/_fn/{name}", self.base))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "application/json")
                .header(ORIGIN, &self.base)
                .header("sec-fetch-site", "same-origin")
                .body(body),
        )
        .await
    }

    /// A plain HTML form post from `page`, as a browser with JavaScript off sends it.
    pub async fn form(&self, page: &str, name: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencode(fields);
        self.send(
            self.http
                .post(format!("{}/_fn/{name}", self.base))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "text/html,application/xhtml+xml")
                .header(ORIGIN, &self.base)
                .header(REFERER, format!("{}{}", self.base, page))
                .header("sec-fetch-site", "same-origin")
                .body(body),
        )
        .await
    }

    pub async fn sign_in(&self, login: &str, password: &str) -> Resp {
        let r = self.call("sign_in", &[("login", login), ("password", password), ("next", "")]).await;
        assert!(r.status.is_success(), "sign in failed: {} {}", r.status, r.body);
        r
    }

    pub async fn sessions(&self, page: i64) -> serde_json::Value {
        let r = self.call("list_sessions", &[("page", &page.to_string())]).await;
        assert!(r.status.is_success(), "list_sessions: {} {}", r.status, r.body);
        r.json()
    }
}

pub fn serde_urlencode(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs each scenario twice: on SQLite, and on PostgreSQL when its URL is set.
/// In scope in every test module through `#[macro_use] mod common;` in main.rs.
///
/// `on_both_backends!(a, b);` runs `a` and `b` with `Config::for_tests`.
/// `on_both_backends!(tweak => a, b);` first applies `tweak`, a
/// `fn(&mut Config)` (a function of the calling module, or a closure that
/// captures nothing), to the config on both backends.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        on_both_backends!(|_| {} => $($scenario),*);
    };
    ($tweak:expr => $($scenario:ident),* $(,)?) => { $(
        mod $scenario {
            // `$tweak` is written in the calling module, one level up.
            const TWEAK: fn(&mut server::config::Config) = {
                #[allow(unused_imports)]
                use super::*;
                $tweak
            };
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$scenario($crate::common::TestApp::sqlite_with(TWEAK).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                match $crate::common::TestApp::postgres_with(TWEAK).await {
                    Some(app) => super::$scenario(app).await,
                    None => $crate::common::postgres_not_run(),
                }
            }
        }
    )* };
}

/// A mail as it sits in the queue.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl TestApp {
    /// Every column of every `sessions` row, as text, in id order: what a
    /// request would have changed in the table.
    pub async fn every_session_row(&self) -> Vec<String> {
        use sqlx::{Column, Row};
        let rows = sqlx::query("SELECT * FROM sessions ORDER BY id").fetch_all(self.warden.pool()).await.expect("read sessions");
        rows.iter()
            .map(|row| {
                let mut line = String::new();
                for (i, column) in row.columns().iter().enumerate() {
                    let value = match row.try_get::<Option<String>, _>(i) {
                        Ok(text) => text.unwrap_or_else(|| "NULL".into()),
                        Err(_) => row.try_get::<Option<i64>, _>(i).expect("text or integer").map_or("NULL".into(), |n| n.to_string()),
                    };
                    line.push_str(&format!("{}={value} ", column.name()));
                }
                line
            })
            .collect()
    }

    /// When and why the table says session `id` ended (`None`s while it says active).
    pub async fn session_end(&self, id: &str) -> (Option<i64>, Option<String>) {
        sqlx::query_as("SELECT ended_at, end_reason FROM sessions WHERE id = $1").bind(id).fetch_one(self.warden.pool()).await.expect("session row")
    }

    /// Queues a mail on its own (as a change would, without the change) and
    /// wakes the mail worker.
    pub async fn queue_mail(&self, mail: &domain::outbox::Mail) -> domain::Result<()> {
        domain::outbox::enqueue(self.warden.pool(), self.warden.secret_box(), None, mail, self.warden.now()).await?;
        self.warden.outbox().queued();
        Ok(())
    }

    /// Every mail queued for `to` and due by now, oldest first, but the
    /// address verification links (which `signed_in_user` has followed
    /// already; see [`Self::all_mails_to`]).
    pub async fn mails_to(&self, to: &str) -> Vec<QueuedMail> {
        self.all_mails_to(to).await.into_iter().filter(|m| m.subject != VERIFY_SUBJECT).collect()
    }

    /// Every mail queued for `to` and due by now, oldest first, as it is
    /// sent: bodies opened with this server's key (they are stored sealed).
    /// A notice held for a pending sign-in is not due until its second
    /// step's time is up.
    pub async fn all_mails_to(&self, to: &str) -> Vec<QueuedMail> {
        use sqlx::Row;
        sqlx::query("SELECT to_addr, subject, text_body, html_body, body_id FROM mail_queue WHERE to_addr = $1 AND next_attempt_at <= $2 ORDER BY id")
            .bind(to)
            .bind(self.warden.now())
            .fetch_all(self.warden.pool())
            .await
            .expect("read mail_queue")
            .iter()
            .map(|r| {
                let sealed = domain::outbox::SealedBodies { body_id: r.get("body_id"), text: r.get("text_body"), html: r.get("html_body") };
                let (text, html) = sealed.open(self.warden.secret_box(), to).expect("a queued body opens with the server's key");
                QueuedMail { to: r.get("to_addr"), subject: r.get("subject"), text, html }
            })
            .collect()
    }

    /// Waits (briefly) until `to` has `n` mails queued: reset links are
    /// queued after the request has been answered.
    pub async fn wait_for_mails(&self, to: &str, n: usize) -> Vec<QueuedMail> {
        for _ in 0..100 {
            let m = self.mails_to(to).await;
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} mails to {to}, found {:?}", self.mails_to(to).await);
    }

    /// The link in the newest verification mail to `to`, as a path on this server.
    pub async fn verify_link_path(&self, to: &str) -> String {
        for _ in 0..100 {
            if let Some(mail) = self.all_mails_to(to).await.into_iter().rev().find(|m| m.subject == VERIFY_SUBJECT) {
                let start = mail.text.find(&format!("{PUBLIC_URL}/email/verify/open?token=")).expect("link in the text part");
                let link: String = mail.text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
                return link.trim_start_matches(PUBLIC_URL).to_owned();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no verification mail to {to}: {:?}", self.all_mails_to(to).await);
    }

    /// The reset link in the newest reset mail to `to`, as a path on this server.
    pub async fn reset_link_path(&self, to: &str, n: usize) -> String {
        let mails = self.wait_for_mails(to, n).await;
        let mail = mails.iter().rev().find(|m| m.subject.contains("Reset")).expect("a reset mail");
        let start = mail.text.find(&format!("{PUBLIC_URL}/password/reset/open?token=")).expect("link in the text part");
        let link: String = mail.text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
        link.trim_start_matches(PUBLIC_URL).to_owned()
    }
}

/// What a form sends to create an API token, the step-up's fields with it.
pub struct TokenForm<'a> {
    pub name: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    /// A second factor, when the account has one.
    pub code: Option<String>,
    pub expiry: domain::api_tokens::Expiry,
    pub access: domain::api_tokens::Access,
    pub sessions_scope: bool,
    pub allowed_networks: domain::api_tokens::AllowedNetworks,
}

impl<'a> TokenForm<'a> {
    pub fn new(name: &'a str, username: &'a str, password: &'a str) -> Self {
        TokenForm {
            name,
            username,
            password,
            code: None,
            expiry: domain::api_tokens::Expiry::default(),
            access: domain::api_tokens::Access::Read,
            sessions_scope: false,
            allowed_networks: domain::api_tokens::AllowedNetworks::default(),
        }
    }
}

/// Creates a token as the API Access Tokens form does: the step-up (the
/// username and password, and the second factor), then the token.
pub async fn create_token(
    app: &TestApp,
    actor: &domain::Actor,
    f: &TokenForm<'_>,
    meta: &domain::ClientMeta,
) -> domain::Result<domain::api_tokens::Created> {
    let password = domain::Secret::new(f.password);
    let proof = domain::step_up::Proof { password: Some(&password), username: Some(f.username), second_factor: f.code.as_deref() };
    let confirmed = app.warden.step_up().require(actor, domain::sensitive::Operation::CreateApiToken, &proof, meta).await?;
    let form = domain::api_tokens::CreateForm {
        name: f.name.into(),
        expiry: f.expiry,
        access: f.access,
        sessions_scope: f.sessions_scope,
        allowed_networks: f.allowed_networks.clone(),
    };
    app.warden.api_tokens().create(actor, &confirmed, &form, meta).await
}

/// Whether a test that needs an outside program (`found`) runs: it says
/// NOT RUN and why when the program is missing, and fails instead when
/// `require` is set in the environment (as CI sets it).
pub fn needs_tool(found: bool, require: &str, missing: &str) -> bool {
    if found {
        return true;
    }
    if std::env::var(require).is_ok() {
        panic!("{require} is set but {missing}: run scripts/setup --test");
    }
    eprintln!("NOT RUN: {missing}: run scripts/setup --test");
    false
}
