//! Sending the mail that `domain` queues: the two transports (SMTP via
//! lettre, or `.eml` files in an outbox folder when no `SMTP_URL` is set) and
//! the background worker that drains `mail_queue` with retries.
//!
//! A request only inserts a queue row and rings the outbox (`Outbox::queued`); the
//! worker sends, each attempt bounded by [`SEND_TIMEOUT`], so a slow or absent
//! mail server never holds a request up. Bodies, which may hold one-time
//! links, wait sealed in the queue and are opened only for the attempt; they
//! and SMTP credentials never reach a log line.
//!
//! When the server stops, the worker claims nothing more; a send under way
//! may finish within the grace period, else it is dropped and its claim
//! given back at once for another instance (`crate::shutdown`).
//!
//! `SMTP_URL` forms (credentials percent-encoded):
//!
//! | URL | connection | default port |
//! |---|---|---|
//! | `smtps://user:pass@host` | implicit TLS | 465 |
//! | `smtp://user:pass@host` | STARTTLS, required: refuses a server that does not offer it | 587 |
//! | `smtp://host:25?tls=none` | plain text: only for a relay on the same host or a test server | 587 |
//!
//! `tls=required` may be written out; `tls=opportunistic` (lettre's silent
//! plain-text fallback) is refused, since anyone on the path could strip the
//! STARTTLS offer. An optional path (`smtp://host/ehlo.name`) sets the EHLO name.

use crate::config::Config;
use domain::outbox::{self as queue, Mail, QueuedMail, Retry};
use domain::{Secret, Warden};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

/// Longest one attempt may take, connection included. Well under the queue's
/// lease, so a slow attempt is never overlapped by another worker's.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the worker looks for due mail (retries) when nobody rings it.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Mail taken per pass; a full batch is followed at once by the next.
const BATCH: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message never includes the URL: it may hold a password.
    #[error("SMTP_URL: {0}")]
    SmtpUrl(String),
    #[error("WARDEN_MAIL_FROM={0:?} is not a mail address such as `Warden <warden@example.com>`")]
    From(String),
    #[error("mail outbox {}: {source}", path.display())]
    Outbox { path: PathBuf, source: std::io::Error },
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
    /// `smtp://`: STARTTLS, and no mail is sent if the server does not offer it.
    StartTlsRequired,
    /// `smtp://…?tls=none`: nothing is encrypted.
    Plain,
}

/// `SMTP_URL`, checked. `Debug` and `Display` never show the credentials.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// The URL in lettre's own dialect, credentials included.
    lettre_url: Secret,
}

impl SmtpSettings {
    pub fn parse(raw: &str) -> Result<SmtpSettings, MailError> {
        let bad = |m: &str| MailError::SmtpUrl(m.to_owned());
        // url's own errors never quote the input, so they are safe to show.
        let mut url = url::Url::parse(raw.trim())
            .map_err(|e| MailError::SmtpUrl(format!("not a URL ({e}); use smtp://user:pass@host:587 or smtps://user:pass@host:465")))?;
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host; use smtp://user:pass@host:587"))?.to_owned();
        let mut tls = None;
        for (k, v) in url.query_pairs() {
            match &*k {
                "tls" if tls.is_none() => tls = Some(v.into_owned()),
                "tls" => return Err(bad("tls= is given twice")),
                other => return Err(MailError::SmtpUrl(format!("unknown parameter {other:?}; only tls= is understood"))),
            }
        }
        let (security, lettre_tls, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtps", None) => (SmtpSecurity::ImplicitTls, None, 465),
            ("smtps", Some(_)) => return Err(bad("tls= applies to smtp:// only; smtps:// always uses TLS")),
            ("smtp", None | Some("required")) => (SmtpSecurity::StartTlsRequired, Some("required"), 587),
            ("smtp", Some("none")) => (SmtpSecurity::Plain, None, 587),
            ("smtp", Some("opportunistic")) => return Err(bad(
                "tls=opportunistic would fall back to plain text unnoticed; use smtp:// (STARTTLS required), smtps://, or tls=none for a local relay",
            )),
            ("smtp", Some(other)) => return Err(MailError::SmtpUrl(format!("tls={other:?}: use required (the default) or none"))),
            (other, _) => return Err(MailError::SmtpUrl(format!("scheme {other:?}: use smtp:// or smtps://"))),
        };
        let port = url.port().unwrap_or(default_port);
        url.set_query(None);
        if let Some(t) = lettre_tls {
            url.query_pairs_mut().append_pair("tls", t);
        }
        Ok(SmtpSettings { host, port, security, lettre_url: Secret::new(String::from(url)) })
    }

    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(self.lettre_url.expose())
            .map_err(|e| MailError::SmtpUrl(format!("cannot set up the connection: {e}")))?;
        Ok(builder.port(self.port).timeout(Some(SEND_TIMEOUT)).build())
    }
}

impl fmt::Display for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.security {
            SmtpSecurity::ImplicitTls => "TLS",
            SmtpSecurity::StartTlsRequired => "STARTTLS required",
            SmtpSecurity::Plain => "plain text, unencrypted",
        };
        write!(f, "{}:{} ({how})", self.host, self.port)
    }
}

/// Where mail goes.
pub enum Transport {
    Smtp {
        client: Box<AsyncSmtpTransport<Tokio1Executor>>,
        settings: SmtpSettings,
    },
    /// One `<queue id>.eml` file per mail in this folder.
    Outbox(PathBuf),
}

/// `SMTP_URL` when set; otherwise the outbox `<data dir>/outbox`, created.
pub fn transport(config: &Config) -> Result<Transport, MailError> {
    match &config.smtp_url {
        Some(url) => Transport::smtp(url.expose()),
        None => Transport::outbox(config.data_dir.join("outbox")),
    }
}

impl Transport {
    pub fn smtp(url: &str) -> Result<Transport, MailError> {
        let settings = SmtpSettings::parse(url)?;
        Ok(Transport::Smtp { client: Box::new(settings.transport()?), settings })
    }

    pub fn outbox(dir: PathBuf) -> Result<Transport, MailError> {
        crate::data::private_dir(&dir).map_err(|source| MailError::Outbox { path: dir.clone(), source })?;
        Ok(Transport::Outbox(dir))
    }

    async fn deliver(&self, id: i64, mail: &Mail, message: Message) -> Result<(), String> {
        match self {
            Transport::Smtp { client, .. } => {
                client.send(message).await.map_err(|e| e.to_string())?;
                tracing::info!(mail_id = id, subject = %mail.subject, "mail sent");
                tracing::debug!(mail_id = id, to = %mail.to, "mail recipient");
                Ok(())
            }
            Transport::Outbox(dir) => {
                let path = write_eml(dir, id, &message.formatted()).await.map_err(|e| format!("writing to the outbox: {e}"))?;
                tracing::info!(file = %path.display(), subject = %mail.subject, "mail written to the outbox");
                tracing::debug!(mail_id = id, to = %mail.to, "mail recipient");
                Ok(())
            }
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Smtp { settings, .. } => write!(f, "SMTP to {settings}"),
            Transport::Outbox(dir) => write!(f, ".eml files in {} (set SMTP_URL to send real mail)", dir.display()),
        }
    }
}

/// Writes whole files only (temporary name, then rename), readable by the
/// owner alone: they may hold one-time links. A retry of the same mail
/// overwrites its file instead of adding a second one.
async fn write_eml(dir: &Path, id: i64, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use tokio::io::AsyncWriteExt;
    let path = dir.join(format!("{id}.eml"));
    let tmp = dir.join(format!(".{id}.eml.tmp"));
    let mut opts = tokio::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut file = opts.open(&tmp).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(&tmp, &path).await?;
    Ok(path)
}

/// Builds the MIME message: From, To, Subject, Date, Message-ID, and a
/// `multipart/alternative` of UTF-8 text/plain then text/html.
pub fn build_message(from: &Mailbox, mail: &Mail, message_id: String, date_unix: i64) -> Result<Message, String> {
    let to: Mailbox = mail.to.trim().parse().map_err(|e| format!("recipient address is not valid: {e}"))?;
    // A header never spans lines, whatever a template put in the subject.
    let subject: String = mail.subject.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .date(UNIX_EPOCH + Duration::from_secs(date_unix.max(0) as u64))
        .message_id(Some(message_id))
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| format!("building the message: {e}"))
}

/// Drains the mail queue through one transport.
pub struct MailWorker {
    warden: Arc<Warden>,
    transport: Transport,
    from: Mailbox,
    poll: Duration,
}

impl MailWorker {
    /// `from` is `WARDEN_MAIL_FROM`, e.g. `Warden <warden@example.com>`.
    pub fn new(warden: Arc<Warden>, transport: Transport, from: &str) -> Result<MailWorker, MailError> {
        let from = from.trim().parse::<Mailbox>().map_err(|_| MailError::From(from.to_owned()))?;
        Ok(MailWorker { warden, transport, from, poll: POLL_INTERVAL })
    }

    /// How long to sleep between passes when nobody rings (default [`POLL_INTERVAL`]).
    pub fn poll_interval(mut self, every: Duration) -> MailWorker {
        self.poll = every;
        self
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends what is due now; returns how many mails went out.
    pub async fn run_once(&self) -> usize {
        self.pass(&WorkerStops::default()).await.sent
    }

    /// Runs the worker until the runtime stops: a pass, then a wait for the
    /// next queued mail or the poll interval, whichever comes first.
    pub fn spawn(self) -> tokio::task::JoinHandle<Stopped> {
        self.spawn_until(WorkerStops::default())
    }

    /// [`Self::spawn`], until `stops.stop` is cancelled: then no further
    /// mail is claimed, the one being sent may finish, and if
    /// `stops.abandon` is cancelled first its send is dropped and its claim
    /// released. The task ends with what happened after the stop.
    pub fn spawn_until(self, stops: WorkerStops) -> tokio::task::JoinHandle<Stopped> {
        tokio::spawn(async move {
            let wakeup = self.warden.outbox().wakeup();
            let mut stopped = Stopped::default();
            while !stops.stop.is_cancelled() {
                let pass = self.pass(&stops).await;
                stopped.finished += pass.finished_while_stopping;
                stopped.released += pass.released;
                // A full batch that made progress: more may be waiting.
                if pass.taken >= BATCH as usize && pass.sent > 0 {
                    continue;
                }
                tokio::select! {
                    _ = wakeup.notified() => {}
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = stops.stop.cancelled() => {}
                }
            }
            stopped
        })
    }

    /// One batch; no new claim once `stops.stop` is cancelled.
    async fn pass(&self, stops: &WorkerStops) -> Pass {
        let pool = self.warden.pool();
        let due = match queue::due(pool, self.warden.now(), BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = ?e, "mail queue: cannot read due mail");
                return Pass::default();
            }
        };
        let mut pass = Pass { taken: due.len(), ..Pass::default() };
        for q in &due {
            if stops.stop.is_cancelled() {
                break;
            }
            match self.attempt(q, stops).await {
                Ok(Attempt::Sent) => {
                    pass.sent += 1;
                    if stops.stop.is_cancelled() {
                        pass.finished_while_stopping += 1;
                    }
                }
                Ok(Attempt::NotSent) => {}
                Ok(Attempt::Released) => pass.released += 1,
                Err(e) => tracing::error!(mail_id = q.id, error = ?e, "mail queue: cannot record a send attempt"),
            }
        }
        pass
    }

    /// Claims and sends one mail. `NotSent`: another worker holds it, or
    /// this attempt failed and is rescheduled.
    async fn attempt(&self, q: &QueuedMail, stops: &WorkerStops) -> domain::Result<Attempt> {
        let pool = self.warden.pool();
        let now = self.warden.now();
        let Some(attempt) = queue::claim(pool, q.id, now).await? else { return Ok(Attempt::NotSent) };
        // Opened only now, in memory, for this attempt.
        let mail = match q.open(self.warden.secret_box()) {
            Ok(mail) => mail,
            Err(e) => {
                // The key that sealed it is missing from the ring: retried, so
                // a fixed key configuration still sends it.
                tracing::error!(mail_id = q.id, error = %e, "a queued mail's body cannot be opened with the configured keys");
                queue::mark_retry(pool, q.id, self.warden.now(), attempt, "the sealed body cannot be opened with the configured keys").await?;
                return Ok(Attempt::NotSent);
            }
        };
        let message_id = format!("<{}.{}@{}>", q.id, domain::support::random::public_id(), self.from.email.domain());
        let message = match build_message(&self.from, &mail, message_id, now) {
            Ok(m) => m,
            Err(e) => {
                // No retry makes a malformed address valid.
                tracing::error!(mail_id = q.id, error = %e, "mail cannot be sent and is dropped");
                queue::mark_failed(pool, q.id, self.warden.now(), &e).await?;
                return Ok(Attempt::NotSent);
            }
        };
        let send = tokio::time::timeout(SEND_TIMEOUT, self.transport.deliver(q.id, &mail, message));
        let outcome = tokio::select! {
            // A send that is done counts, even if the stop came meanwhile.
            biased;
            r = send => match r {
                Ok(r) => r,
                Err(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
            },
            _ = stops.abandon.cancelled() => {
                // Left to the lease, the mail would wait up to two minutes
                // for another instance; given back, it goes at its next pass.
                let released = queue::release(pool, q.id, attempt, "the sending instance stopped before the send finished").await?;
                tracing::warn!(mail_id = q.id, attempt, released, "mail send abandoned at shutdown; its claim is given back");
                return Ok(if released { Attempt::Released } else { Attempt::NotSent });
            }
        };
        match outcome {
            Ok(()) => {
                queue::mark_sent(pool, q.id, self.warden.now()).await?;
                Ok(Attempt::Sent)
            }
            Err(e) => {
                if let Retry::At(at) = queue::mark_retry(pool, q.id, self.warden.now(), attempt, &e).await? {
                    tracing::warn!(mail_id = q.id, attempt, retry_at = at, error = %e, "mail not sent; will retry");
                }
                Ok(Attempt::NotSent)
            }
        }
    }
}

/// How the worker is told to stop (see `crate::shutdown`).
#[derive(Clone, Debug, Default)]
pub struct WorkerStops {
    /// Claim no more mail; a send under way may finish.
    pub stop: CancellationToken,
    /// Drop the send under way and give its claim back.
    pub abandon: CancellationToken,
}

/// What the worker did after it was told to stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Sends under way at the stop that finished.
    pub finished: usize,
    /// Claims given back unsent, for another instance.
    pub released: usize,
}

#[derive(Default)]
struct Pass {
    taken: usize,
    sent: usize,
    finished_while_stopping: usize,
    released: usize,
}

enum Attempt {
    Sent,
    NotSent,
    Released,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> SmtpSettings {
        SmtpSettings::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn smtp_without_a_tls_parameter_requires_starttls_on_port_587() {
        let s = parsed("smtp://user:pass@mail.example.com");
        assert_eq!((s.host.as_str(), s.port, s.security), ("mail.example.com", 587, SmtpSecurity::StartTlsRequired));
        assert!(s.lettre_url.expose().ends_with("?tls=required"), "lettre would otherwise send plain text");
        assert_eq!(parsed("smtp://mail.example.com:2525?tls=required").security, SmtpSecurity::StartTlsRequired);
    }

    #[test]
    fn smtps_is_implicit_tls_on_port_465() {
        let s = parsed("smtps://user:pass@mail.example.com");
        assert_eq!((s.port, s.security), (465, SmtpSecurity::ImplicitTls));
        assert_eq!(parsed("smtps://mail.example.com:2465").port, 2465);
    }

    #[test]
    fn plain_text_must_be_asked_for() {
        let s = parsed("smtp://127.0.0.1:2525?tls=none");
        assert_eq!((s.port, s.security), (2525, SmtpSecurity::Plain));
        assert!(!s.lettre_url.expose().contains("tls="));
    }

    #[test]
    fn silent_fallbacks_typos_and_other_schemes_are_refused() {
        for url in [
            "smtp://h?tls=opportunistic",
            "smtp://h?tls=yes",
            "smtp://h?tsl=none",
            "smtps://h?tls=none",
            "http://h",
            "smtp://",
            "mail.example.com:587",
        ] {
            assert!(SmtpSettings::parse(url).is_err(), "{url} accepted");
        }
    }

    #[test]
    fn the_password_appears_in_no_message_or_debug_output() {
        let s = parsed("smtp://ann:hunter2secret@mail.example.com");
        assert!(!format!("{s:?}").contains("hunter2secret"));
        assert!(!s.to_string().contains("hunter2secret"));
        for url in ["smtp://ann:hunter2secret@h?tls=opportunistic", "ftp://ann:hunter2secret@h", "smtp://ann:hunter2secret@h?x=1"] {
            let e = SmtpSettings::parse(url).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(!e.is_empty() && !e.contains("hunter2secret"), "{e}");
        }
    }

    #[test]
    fn a_message_has_both_parts_and_the_headers_a_client_expects() {
        let from: Mailbox = "Warden <warden@warden.example>".parse().expect("from");
        let mail = Mail {
            to: "ann@example.com".into(),
            subject: "Hello\r\nBcc: evil@example.com".into(),
            text: "plain body".into(),
            html: "<p>html body</p>".into(),
        };
        let m = build_message(&from, &mail, "<1.x@warden.example>".into(), 1_800_000_000).expect("message");
        let raw = String::from_utf8(m.formatted()).expect("utf-8");
        for h in
            ["From: Warden <warden@warden.example>", "To: ann@example.com", "Message-ID: <1.x@warden.example>", "Date: ", "multipart/alternative"]
        {
            assert!(raw.contains(h), "{h} missing:\n{raw}");
        }
        assert!(!raw.contains("\r\nBcc:"), "header injected:\n{raw}");
        let text = raw.find("text/plain").expect("text part");
        let html = raw.find("text/html").expect("html part");
        assert!(text < html, "text/plain comes first");
    }

    #[test]
    fn a_malformed_recipient_is_an_error_not_a_panic() {
        let from: Mailbox = "warden@warden.example".parse().expect("from");
        let mail = Mail { to: "not an address".into(), subject: "s".into(), text: "t".into(), html: "h".into() };
        assert!(build_message(&from, &mail, "<1@x>".into(), 0).is_err());
    }
}
