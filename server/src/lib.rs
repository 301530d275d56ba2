//! The Warden server: configuration, the axum router with its middleware,
//! and start-up. `main.rs` only calls [`run`].
#![deny(clippy::unwrap_used)]

pub mod api;
pub mod config;
pub mod data;
pub mod mail;
pub mod redis_limiter;
pub mod shutdown;
pub mod web;
pub mod webhooks;

use app::ssr::cookies::Cookies;
use app::ssr::Ctx;
use app::{shell, App};
use axum::extract::FromRef;
use axum::Router;
use config::Config;
use domain::limits::Limiter;
use domain::support::clock::Clock;
use domain::Warden;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;

/// Far above any form of ours; small enough that nobody streams us gigabytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every request of the cookie door can reach. One `Arc`: axum clones
/// the state for each state-taking layer a request passes (four here, and
/// Leptos's handler once more), and both worker threads did it on the same
/// reference counts: a clone of five `Arc`s each time, their counts' cache
/// lines passed between the cores (2.7 % of `/signin`'s profile went to
/// dropping the state alone). Its parts are read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The state's parts ([`AppState`]).
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub ctx: Ctx,
    pub config: Config,
    /// API requests in flight: the REST door counts them, and the API
    /// Access Tokens page says from them whether the busy quota is in force.
    pub api_load: Arc<api::auth::Load>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

/// Connects the store (creating the data directory for SQLite) and builds the service.
pub async fn warden(config: &Config, clock: Arc<dyn Clock>) -> Result<Warden, Box<dyn std::error::Error>> {
    let ring = data::key_ring(config)?;
    let store = data::connect(config).await?;
    let defaults = domain::Config::default();
    let mut accounts = defaults.accounts.clone();
    accounts.sign_up_ip_backoff.free_failures = config.sign_ups_per_hour;
    let cfg = domain::Config {
        public_url: config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.bind.unwrap_or(([127, 0, 0, 1], 3000).into()))),
        sessions: domain::sessions::SessionsConfig { lifetimes: config.lifetimes, ..defaults.sessions },
        passwords: domain::passwords::PasswordsConfig { reset_link_secs: config.reset_link_minutes * 60, ..defaults.passwords },
        two_factor: domain::second_factor::TwoFactorConfig { issuer: config.totp_issuer.clone(), ..defaults.two_factor },
        accounts,
        events: config.events.clone(),
        protection: domain::protection::ProtectionConfig { unlock_secs: config.pin_unlock_minutes * 60, ..defaults.protection },
        max_calls_per_account: config.max_calls_per_account,
        api_tokens: domain::api_tokens::ApiTokensConfig { unused_after_secs: config.api_token_unused_days * 86_400, ..defaults.api_tokens },
        webhooks: domain::webhooks::WebhooksConfig { allow_private: config.webhooks_allow_private, ..defaults.webhooks },
        ..defaults
    };
    let secret_box = domain::support::secret_box::SecretBox::from_ring(&ring);
    let limiter = limiter(config, store.backend).await?;
    Ok(Warden::new(store, clock, cfg, secret_box, limiter)?)
}

/// Where the limiter keeps its budgets: Redis when `REDIS_URL` is set (every
/// instance shares them), else this process. PostgreSQL is how several
/// instances share one database, so on PostgreSQL an in-process limiter is
/// refused unless `WARDEN_SINGLE_INSTANCE=1` says this is the only one:
/// otherwise N instances would allow N times the password, code and PIN
/// guesses and N × the API rate.
pub async fn limiter(config: &Config, backend: domain::support::db::Backend) -> Result<Limiter, Box<dyn std::error::Error>> {
    match &config.redis_url {
        Some(url) => {
            let store = redis_limiter::RedisStore::connect(url.expose(), &config.redis_prefix).await.map_err(|e| format!("REDIS_URL: {}", e.0))?;
            let limiter = Limiter::new(Arc::new(store));
            tracing::info!("limiter: Redis, shared by every instance");
            Ok(limiter)
        }
        None if backend == domain::support::db::Backend::Postgres && !config.single_instance => Err(NEEDS_REDIS.into()),
        None => Ok(Limiter::in_memory()),
    }
}

/// Why Warden will not start on PostgreSQL without Redis.
pub const NEEDS_REDIS: &str = "DATABASE_URL is PostgreSQL, the way several instances share one database, but REDIS_URL is not set. \
Without it each instance keeps its own password, two-factor and PIN guess budgets and its own API rate limit, so N instances would \
allow N times the guesses and N × 60 API requests a minute. Set REDIS_URL=redis://host:6379 (the same for every instance), or \
WARDEN_SINGLE_INSTANCE=1 if this is the only instance.";

/// The app's routes, listed once per process. Listing them renders the app
/// with resource loading switched off through a process-global flag
/// (leptos#4773): two routers listing at once (the HTTP tests start many
/// servers in one process) switch it back on and off under each other, and
/// a page rendered meanwhile waits forever for a resource that never loads.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(config: Config, leptos_options: LeptosOptions, warden: Arc<Warden>) -> Router {
    let api_load = Arc::new(api::auth::Load::default());
    let limits = config.api;
    let load = api_load.clone();
    // As the REST door would admit the next request: one more in flight.
    let api_quota = app::ssr::ApiQuota { normal: limits.quota, now: Arc::new(move || limits.quota_at(load.in_flight() + 1)) };
    let ctx = Ctx { warden, cookies: Cookies { secure: config.cookie_secure }, api_quota };
    let state = AppState(Arc::new(Shared { leptos_options: leptos_options.clone(), ctx: ctx.clone(), config, api_load }));
    let routes = route_list();
    let provide = move || provide_context(ctx.clone());
    let options = leptos_options.clone();
    let api = api::router(&state);
    Router::new()
        .route("/password/reset/open", axum::routing::get(web::mailed_links::open_reset))
        .route("/email/verify/open", axum::routing::get(web::mailed_links::open_verify))
        .route("/wasnt-me/open", axum::routing::get(web::mailed_links::open_not_me))
        .route(app::gate::paths::REPORTS_EXPORT, axum::routing::get(web::reports_export::export_csv))
        .leptos_routes_with_context(&state, routes, provide.clone(), move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide, shell))
        .layer(axum::middleware::from_fn(web::middleware::malformed_is_bad_request))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::middleware::own_form_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::middleware::session))
        .layer(axum::middleware::from_fn(web::middleware::same_origin_only))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::middleware::client))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::middleware::security_headers))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)).compress_when(DefaultPredicate::new().and(code_and_styles)))
        .with_state(state)
        // After the cookie door's layers, so none of them wraps the REST
        // door: it has its own (see `api`).
        .nest(api::PREFIX, api)
}

/// The browser's code and styles (the WASM bundle and its chunks, the JS
/// and CSS) go compressed (brotli or gzip, as the browser accepts): they are
/// most of a first load, about 1.2 MB raw for Login Security. Pages and
/// answers are not: they are small, and their rendering is the hot path.
fn code_and_styles(status: http::StatusCode, _: http::Version, headers: &http::HeaderMap, _: &http::Extensions) -> bool {
    const TYPES: [&str; 4] = ["application/wasm", "text/javascript", "application/javascript", "text/css"];
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    status.is_success() && TYPES.iter().any(|t| content_type.starts_with(t))
}

/// What the connection loop allows a client.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// How long a client may take to send a request's headers: a connection
    /// that trickles them (slowloris) is closed after this.
    pub header_read: Duration,
    /// How long a request's body may take to arrive once its headers have.
    pub body_read: Duration,
    /// Connections served at once; past it new ones are closed at once (and
    /// logged), so a flood of idle connections cannot take every descriptor.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_read: Duration::from_secs(30), body_read: Duration::from_secs(30), max_connections: 4_096 }
    }
}

/// Serves `router` on `listener` until SIGTERM or SIGINT, then lets the
/// requests in flight finish, for as long as they take. (The binary's
/// [`run`] bounds that by a grace period and stops the mail worker too.)
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    serve_until(listener, router, shutdown::signalled()).await
}

/// [`serve_until_with`] the default [`ConnectionLimits`].
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_until_with(listener, router, stop, ConnectionLimits::default()).await
}

/// The connection loop (hyper, HTTP/1.1 and HTTP/2): headers must arrive
/// within `limits.header_read` and a body within `limits.body_read`, at
/// most `limits.max_connections` are served at once, and each request
/// knows its peer (`ConnectInfo`). Once `stop` resolves no connection is
/// accepted, and this returns when every connection has finished its
/// requests. A proxy with its own timeouts in front is still expected.
pub async fn serve_until_with(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let max_connections = limits.max_connections;
    let permits = Arc::new(tokio::sync::Semaphore::new(max_connections));
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin.
                    tracing::debug!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(ip = %peer.ip(), max = max_connections, "connection refused: too many open connections");
            drop(stream);
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            router.clone().oneshot(req.map(axum::body::Body::new))
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let watched = graceful.watcher().watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// What the binary was asked to do: serve (no arguments) or a subcommand.
pub async fn command(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => run().await,
        ["rotate-key"] => rotate_key(data::Rotation::Start).await,
        ["rotate-key", "--finish"] => rotate_key(data::Rotation::Finish).await,
        _ => Err(format!("unknown arguments {args:?}. Usage: warden [serve] | warden rotate-key [--finish]").into()),
    }
}

/// Retention, off the request path: every `events.sweep_every_secs` (and
/// once at start), [`Warden::sweep`]: old and surplus security events, stale
/// device cookies, lapsed sessions, idempotency keys, old token usage,
/// unanswered key challenges and unconfirmed accounts; and the mails about
/// API tokens that expire soon.
pub fn spawn_sweeper(warden: Arc<Warden>) -> tokio::task::JoinHandle<()> {
    let every = std::time::Duration::from_secs(warden.config().events.sweep_every_secs.max(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match warden.sweep().await {
                Ok(s) if s.events + s.devices + s.expiry_warnings + s.sessions_lapsed + s.idempotency_keys + s.unverified_accounts > 0 => {
                    tracing::info!(
                        events = s.events,
                        devices = s.devices,
                        expiry_warnings = s.expiry_warnings,
                        sessions_lapsed = s.sessions_lapsed,
                        idempotency_keys = s.idempotency_keys,
                        unverified_accounts = s.unverified_accounts,
                        "retention sweep"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "retention sweep failed"),
            }
        }
    })
}

/// API token usage is counted in memory ([`domain::api_tokens::usage`]);
/// this adds it to the store every minute, so the usage charts of every
/// instance add up. [`run`] flushes once more on shutdown.
pub fn spawn_usage_flusher(warden: Arc<Warden>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = warden.api_tokens().flush_usage().await {
                tracing::warn!(error = %e, "API token usage not flushed; kept for the next try");
            }
        }
    })
}

fn init_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()))
        .init();
}

/// `warden rotate-key [--finish]`: see [`data::rotate_key`].
async fn rotate_key(step: data::Rotation) -> Result<(), Box<dyn std::error::Error>> {
    init_logs();
    let config = Config::from_env()?;
    let said = data::rotate_key(&config, step).await?;
    println!("{said}");
    Ok(())
}

pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    init_logs();
    // Before anything slow: a SIGTERM from now on starts a graceful shutdown.
    let signals = shutdown::Signals::listen()?;
    let config = Config::from_env()?;
    let grace = shutdown::grace_from_env()?;
    let conf =
        leptos_config::get_configuration(Some("Leptos.toml")).map_err(|e| format!("reading Leptos.toml (run from the repository root): {e}"))?;
    let leptos_options = conf.leptos_options;
    let addr = config.bind.unwrap_or(leptos_options.site_addr);
    let warden = Arc::new(warden(&config, Arc::new(domain::support::clock::SystemClock)).await?);
    if let Some(warning) = web::middleware::public_url_warning(warden.public_url()) {
        tracing::warn!("{warning}");
    }
    if domain::second_factor::relying_party(warden.public_url(), &warden.config().two_factor.issuer).is_err() {
        tracing::warn!(
            "WARDEN_PUBLIC_URL ({}) names no host by its domain name: security keys cannot be added or used (set it to e.g. http://localhost:3000)",
            warden.public_url()
        );
    }
    // The leaked-password list loads once; not on the first request's time.
    tokio::task::spawn_blocking(domain::credentials::policy::warm_up);
    // Mail is sent in the background from the queue, so a request never
    // waits for (or fails with) the mail server.
    let transport = mail::transport(&config)?;
    tracing::info!(transport = %transport, "mail worker started");
    let stops = mail::WorkerStops::default();
    let worker = mail::MailWorker::new(warden.clone(), transport, &config.mail_from)?.spawn_until(stops.clone());
    spawn_sweeper(warden.clone());
    spawn_usage_flusher(warden.clone());
    webhooks::spawn_sender(warden.clone());
    let backend = warden.store().backend;
    if backend == domain::support::db::Backend::Postgres && !config.single_instance && config.secret_key.is_none() {
        tracing::warn!(
            "several instances and no WARDEN_SECRET_KEY: each instance seals with the key file in its own data folder, so one cannot \
             open what another sealed (2FA secrets, queued mail). Give every instance the same WARDEN_SECRET_KEY."
        );
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(?backend, data_dir = %config.data_dir.display(), "database ready");
    tracing::info!("Warden is running at http://{}", listener.local_addr()?);
    let requests = shutdown::Requests::default();
    let app = requests.count(router(config, leptos_options, warden.clone()));
    let server = serve_until(listener, app, stops.stop.clone().cancelled_owned());
    let report = shutdown::serve_until_signalled(server, signals, grace, &stops, worker, &requests).await?;
    // The last minute's API token usage, before the process goes.
    let usage_flushed = match warden.api_tokens().flush_usage().await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, "API token usage not flushed at shutdown");
            false
        }
    };
    // Closing the pool lets SQLite fold its WAL back into the database file.
    if tokio::time::timeout(std::time::Duration::from_secs(5), warden.store().close()).await.is_err() {
        tracing::warn!("the database connections did not close within 5 s");
    }
    tracing::info!(
        signal = report.signal,
        requests_finished = report.requests_finished,
        requests_cut_off = report.requests_cut_off,
        mail_sends_finished = report.mail.map(|m| m.finished),
        mail_claims_released = report.mail.map(|m| m.released),
        usage_flushed,
        elapsed_ms = report.started.elapsed().as_millis() as u64,
        "shutdown complete"
    );
    Ok(())
}
