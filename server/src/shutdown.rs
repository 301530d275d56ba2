//! Stopping. SIGTERM (what an orchestrator sends) or SIGINT (Ctrl-C) starts
//! a graceful shutdown, bounded by a grace period
//! (`WARDEN_SHUTDOWN_GRACE_SECS`, default 20 s, 0 to cut at once):
//!
//! 1. the listening socket closes, so new connections are refused and a load
//!    balancer moves traffic to the other instances;
//! 2. requests in flight finish and are answered; idle keep-alive
//!    connections close;
//! 3. the mail worker claims no more mail; a send under way may finish;
//! 4. when the grace period is over (or at a second signal), what still runs
//!    is cut: an unfinished send is dropped and its claim given back in the
//!    database, so another instance sends that mail at once instead of after
//!    its lease; unfinished requests are dropped (their transactions roll
//!    back, none is half-applied).
//!
//! Then [`crate::run`] adds the API token usage counted in memory to the
//! store, closes the database, logs one line with the counts, and the
//! process exits 0.
//!
//! A hard stop (SIGKILL, a crash) runs none of this and loses nothing a client
//! was told succeeded: every answered change committed in its own transaction
//! first (`domain::change`); a claimed mail is sent again after its lease;
//! only the last minute's API usage counts are lost.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::mail::{Stopped, WorkerStops};

/// The grace period when `WARDEN_SHUTDOWN_GRACE_SECS` is unset: inside the 30 s
/// an orchestrator usually waits before SIGKILL, with room for the rest.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(20);
/// Longest grace period accepted.
pub const MAX_GRACE_SECS: u64 = 3600;
/// How long the worker gets, after the grace period, to give its claim back.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);

/// `WARDEN_SHUTDOWN_GRACE_SECS`: whole seconds, at most [`MAX_GRACE_SECS`];
/// [`DEFAULT_GRACE`] when unset or blank.
pub fn grace_from_env() -> Result<Duration, String> {
    parse_grace(std::env::var("WARDEN_SHUTDOWN_GRACE_SECS").ok().as_deref())
}

fn parse_grace(value: Option<&str>) -> Result<Duration, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_GRACE),
        Some(v) => match v.parse::<u64>() {
            Ok(secs) if secs <= MAX_GRACE_SECS => Ok(Duration::from_secs(secs)),
            _ => Err(format!("configuration: WARDEN_SHUTDOWN_GRACE_SECS={v:?}: use whole seconds from 0 to {MAX_GRACE_SECS}")),
        },
    }
}

/// The signals that stop Warden. Listened for from start-up on: before that,
/// SIGTERM's default action would end the process on the spot.
pub struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn listen() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals { term: signal(SignalKind::terminate())?, int: signal(SignalKind::interrupt())? })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Waits for the next stop signal; its name.
    pub async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Resolves at the first stop signal; never, if they cannot be listened for
/// (the process then stops the way it would without Warden's handlers).
pub async fn signalled() {
    match Signals::listen() {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM/SIGINT; no graceful shutdown");
            std::future::pending::<()>().await
        }
    }
}

/// Counts requests being served and served, for the shutdown log line.
#[derive(Clone, Default)]
pub struct Requests(Arc<Counts>);

#[derive(Default)]
struct Counts {
    in_flight: AtomicUsize,
    finished: AtomicU64,
}

/// One request being served: counted out when dropped, answered or not.
struct Serving {
    counts: Arc<Counts>,
    answered: bool,
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.counts.in_flight.fetch_sub(1, Ordering::Relaxed);
        if self.answered {
            self.counts.finished.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Requests {
    /// `router` with every request counted.
    pub fn count(&self, router: Router) -> Router {
        let counts = self.0.clone();
        router.layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let counts = counts.clone();
            async move {
                counts.in_flight.fetch_add(1, Ordering::Relaxed);
                let mut serving = Serving { counts, answered: false };
                let res: Response = next.run(req).await;
                serving.answered = true;
                res
            }
        }))
    }

    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::Relaxed)
    }

    pub fn finished(&self) -> u64 {
        self.0.finished.load(Ordering::Relaxed)
    }
}

/// What a graceful shutdown did, for its last log line.
#[derive(Debug)]
pub struct Report {
    pub signal: &'static str,
    pub started: Instant,
    /// Requests answered after the stop began.
    pub requests_finished: u64,
    /// Requests dropped unanswered when the grace period ran out.
    pub requests_cut_off: usize,
    /// The mail worker's part; `None` if it did not stop in time.
    pub mail: Option<Stopped>,
}

/// Runs `server` (which must stop accepting once `stops.stop` is cancelled,
/// see [`crate::serve_until`]) until a stop signal, then shuts down as the
/// module header says. Returns once the server and the mail `worker` are
/// done, or the grace period is over.
pub async fn serve_until_signalled(
    server: impl Future<Output = std::io::Result<()>>,
    mut signals: Signals,
    grace: Duration,
    stops: &WorkerStops,
    mut worker: tokio::task::JoinHandle<Stopped>,
    requests: &Requests,
) -> std::io::Result<Report> {
    tokio::pin!(server);
    let signal = tokio::select! {
        served = &mut server => {
            // axum retries failed accepts itself, so this is not expected.
            served?;
            return Err(std::io::Error::other("the server stopped without being asked to"));
        }
        signal = signals.recv() => signal,
    };
    let started = Instant::now();
    let finished_before = requests.finished();
    tracing::info!(
        signal,
        requests_in_flight = requests.in_flight(),
        grace_secs = grace.as_secs(),
        "shutting down: new connections refused; requests in flight and a mail send under way may finish"
    );
    stops.stop.cancel();

    let over = tokio::time::sleep(grace);
    tokio::pin!(over);
    let (mut served, mut mail) = (None, None);
    while served.is_none() || mail.is_none() {
        tokio::select! {
            s = &mut server, if served.is_none() => served = Some(s),
            m = &mut worker, if mail.is_none() => mail = Some(m),
            _ = &mut over => {
                tracing::warn!(grace_secs = grace.as_secs(), "grace period over; cutting what still runs");
                break;
            }
            signal = signals.recv() => {
                tracing::warn!(signal, "second stop signal; cutting what still runs");
                break;
            }
        }
    }
    let requests_cut_off = if served.is_none() { requests.in_flight() } else { 0 };
    if mail.is_none() {
        stops.abandon.cancel();
        mail = tokio::time::timeout(RELEASE_TIMEOUT, &mut worker).await.ok();
        if mail.is_none() {
            worker.abort();
            tracing::error!("the mail worker did not stop; a mail it claimed waits for its lease to run out");
        }
    }
    let mail = match mail {
        Some(Ok(stopped)) => Some(stopped),
        Some(Err(e)) => {
            tracing::error!(error = %e, "the mail worker failed");
            None
        }
        None => None,
    };
    if let Some(Err(e)) = served {
        tracing::error!(error = %e, "the server failed while stopping");
    }
    Ok(Report { signal, started, requests_finished: requests.finished() - finished_before, requests_cut_off, mail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_period_is_whole_seconds_with_a_default_and_a_ceiling() {
        assert_eq!(parse_grace(None), Ok(DEFAULT_GRACE));
        assert_eq!(parse_grace(Some("  ")), Ok(DEFAULT_GRACE));
        assert_eq!(parse_grace(Some("0")), Ok(Duration::ZERO));
        assert_eq!(parse_grace(Some(" 45 ")), Ok(Duration::from_secs(45)));
        for bad in ["-1", "2.5", "20s", "3601"] {
            assert!(parse_grace(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_counts_as_finished_only_once_answered() {
        let requests = Requests::default();
        let enter = || {
            requests.0.in_flight.fetch_add(1, Ordering::Relaxed);
            Serving { counts: requests.0.clone(), answered: false }
        };
        let (mut answered, cut) = (enter(), enter());
        assert_eq!((requests.in_flight(), requests.finished()), (2, 0));
        answered.answered = true;
        drop(answered);
        drop(cut);
        assert_eq!((requests.in_flight(), requests.finished()), (0, 1));
    }
}
