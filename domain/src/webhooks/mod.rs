//! Security-event webhooks for the account owner: HTTPS endpoints on Login
//! Security (added after the step-up), each with the event types it chose,
//! delivered as [Standard Webhooks](https://www.standardwebhooks.com/)
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256
//! with a `whsec_` secret shown once; during a rotation both secrets sign).
//!
//! **Queued with the change.** An event the account's endpoints chose is
//! queued for each of them in the transaction that records it
//! ([`announce`], plugged into the kernel as [`crate::deps::Announce`]):
//! no event is delivered that did not happen, none that happened is lost.
//!
//! **Delivered like mail.** The server's sender claims a delivery with a
//! lease (one sender per delivery across instances; a crashed sender's
//! lease runs out and another sends it: at least once), and retries a
//! failure with backoff (30 s doubling to an hour) for a day, then gives
//! it up. An endpoint that has failed for a day is disabled, and its owner
//! mailed. The delivery log (status, time, attempt) is on the page, with
//! "Send a test event" and "Redeliver".
//!
//! **The body** is JSON: `{"type", "timestamp", "data"}` (the schema is
//! in the OpenAPI document's `webhooks`); types are named after CAEP
//! where one fits (`session-established`, `session-revoked`,
//! `credential-change`). No secret, token or code is ever in it.
//!
//! **Where it may go** is [`guard`]'s: the server refuses a host that
//! resolves to a loopback, private, link-local, multicast or metadata
//! address, connects to the address it checked, follows no redirect and
//! reads a few KB of the answer at most.

pub mod guard;
mod store;

use crate::actor::{AccountId, Actor, ClientMeta};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::outbox::notices::Notice;
use crate::sensitive::{Confirmed, Operation};
use crate::support::random;
use crate::support::secret::Secret;
use crate::support::user_agent;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::net::IpAddr;

const DAY: i64 = 86_400;

#[derive(Clone, Debug)]
pub struct WebhooksConfig {
    /// How long a delivery is retried before it is given up.
    pub retry_for_secs: i64,
    /// How long an endpoint may fail before it is disabled.
    pub disable_after_secs: i64,
    /// How long the previous secret signs on after a rotation.
    pub rotation_overlap_secs: i64,
    /// Endpoints per account.
    pub max_endpoints: i64,
    /// Allow `http://` and private targets (a deployment on premises).
    pub allow_private: bool,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig { retry_for_secs: DAY, disable_after_secs: DAY, rotation_overlap_secs: DAY, max_endpoints: 5, allow_private: false }
    }
}

/// How long a sender's claim keeps others off a delivery: well above the
/// send timeout.
pub const LEASE_SECS: i64 = 60;
/// The longest URL an endpoint may have.
pub const MAX_URL: usize = 500;

/// What an endpoint can choose to hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    SignIn,
    SessionEnded,
    PasswordChanged,
    SecondFactor,
    Pin,
    TokenCreated,
    TokenDeleted,
    TokenNewNetwork,
    NewSignIn,
}

impl Topic {
    pub const ALL: [Topic; 9] = [
        Topic::SignIn,
        Topic::SessionEnded,
        Topic::PasswordChanged,
        Topic::SecondFactor,
        Topic::Pin,
        Topic::TokenCreated,
        Topic::TokenDeleted,
        Topic::TokenNewNetwork,
        Topic::NewSignIn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Topic::SignIn => "sign_in",
            Topic::SessionEnded => "session_ended",
            Topic::PasswordChanged => "password_changed",
            Topic::SecondFactor => "second_factor",
            Topic::Pin => "pin",
            Topic::TokenCreated => "token_created",
            Topic::TokenDeleted => "token_deleted",
            Topic::TokenNewNetwork => "token_new_network",
            Topic::NewSignIn => "new_sign_in",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::SignIn => "Sign-ins",
            Topic::SessionEnded => "Sessions ended",
            Topic::PasswordChanged => "Password changed or reset",
            Topic::SecondFactor => "Second factor added or removed",
            Topic::Pin => "PIN changes",
            Topic::TokenCreated => "API token created",
            Topic::TokenDeleted => "API token deleted",
            Topic::TokenNewNetwork => "API token used from a new network",
            Topic::NewSignIn => "New-sign-in alerts",
        }
    }

    pub fn parse(code: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// For a credential change, what changed: `credential_type` and
/// `change_type`, as CAEP names them.
pub type CredentialChange = (&'static str, &'static str);

/// An event's topic, its type on the wire, and for a credential change
/// what changed.
pub fn topic_of(kind: EventKind) -> Option<(Topic, &'static str, Option<CredentialChange>)> {
    use EventKind::*;
    let credential = |t, c| Some((t, "credential-change", Some(c)));
    match kind {
        SignedIn => Some((Topic::SignIn, "session-established", None)),
        SessionEnded | LoggedOutAllDevices | SignInReportedNotYou => Some((Topic::SessionEnded, "session-revoked", None)),
        PasswordChanged => credential(Topic::PasswordChanged, ("password", "update")),
        PasswordReset => credential(Topic::PasswordChanged, ("password", "update")),
        TwoFactorEnabled => credential(Topic::SecondFactor, ("app", "create")),
        TwoFactorDisabled => credential(Topic::SecondFactor, ("app", "delete")),
        SecurityKeyAdded => credential(Topic::SecondFactor, ("fido2-roaming", "create")),
        SecurityKeyRemoved => credential(Topic::SecondFactor, ("fido2-roaming", "delete")),
        RecoveryCodesRegenerated => credential(Topic::SecondFactor, ("recovery-codes", "update")),
        PinSet | PinChanged | PinRemoved => Some((Topic::Pin, "pin-change", None)),
        ApiTokenCreated | ApiTokenRegenerated => Some((Topic::TokenCreated, "token-created", None)),
        ApiTokenDeleted => Some((Topic::TokenDeleted, "token-deleted", None)),
        ApiTokenNewNetwork => Some((Topic::TokenNewNetwork, "token-new-network", None)),
        NewSignIn => Some((Topic::NewSignIn, "new-sign-in", None)),
        _ => None,
    }
}

fn rfc3339(at: i64) -> String {
    jiff::Timestamp::from_second(at).map(|t| t.to_string()).unwrap_or_default()
}

/// The body of one event, as every endpoint that chose it gets it.
pub fn payload(event: &Event, meta: &ClientMeta, at: i64) -> Option<(Topic, &'static str, String)> {
    let (topic, kind, credential) = topic_of(event.kind)?;
    let d = user_agent::parse(&meta.user_agent);
    let mut data = serde_json::json!({
        "event": event.kind.code(),
        "description": event.kind.label(),
        "detail": event.detail,
        "ip": meta.ip,
        "device": format!("{} on {}", d.browser, d.os),
        "event_timestamp": at,
    });
    if let (Some(name), Some(o)) = (&meta.session_name, data.as_object_mut()) {
        o.insert("session_name".into(), name.as_str().into());
    }
    if let (Some((credential_type, change_type)), Some(o)) = (credential, data.as_object_mut()) {
        o.insert("credential_type".into(), credential_type.into());
        o.insert("change_type".into(), change_type.into());
    }
    let body = serde_json::json!({ "type": kind, "timestamp": rfc3339(at), "data": data });
    Some((topic, kind, body.to_string()))
}

/// [`crate::deps::Announce`]: queues `event` for the account's endpoints
/// that chose its topic, in the caller's transaction.
pub fn announce<'c>(
    db: &'c mut sqlx::AnyConnection,
    account: AccountId,
    code: &'static str,
    detail: &'c str,
    meta: &'c ClientMeta,
    at: i64,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'c>> {
    Box::pin(async move {
        let Some(kind) = EventKind::from_code(code) else { return Ok(()) };
        let event = Event::with_detail(kind, detail);
        let Some((topic, kind, body)) = payload(&event, meta, at) else { return Ok(()) };
        let prefix = format!("msg_{}_", random::public_id());
        store::announce(db, account, topic.code(), kind, &body, &prefix, at).await?;
        Ok(())
    })
}

/// A new endpoint's secret: `whsec_` and 24 random bytes in base64.
fn new_secret() -> Secret {
    let bytes: [u8; 24] = rand::random();
    Secret::new(format!("whsec_{}", STANDARD.encode(bytes)))
}

fn page_context(session: &crate::actor::SessionId) -> Vec<u8> {
    format!("webhook_secret_page:{}", session.as_str()).into_bytes()
}

fn seal_context(account: AccountId) -> Vec<u8> {
    format!("webhook_endpoints:{}", account.get()).into_bytes()
}

/// An endpoint's URL as its owner typed it, checked: `https://` with a
/// host (`http://` only where private targets are allowed), no user or
/// password in it, and a host that is not a refused address written out.
pub fn parse_url(raw: &str, allow_private: bool) -> Result<String> {
    let bad = |why: &str| Error::refused_field(ErrorCode::InvalidWebhookUrl, "url", why.to_owned());
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(bad("That address is too long."));
    }
    let url = url::Url::parse(raw).map_err(|_| bad("Enter the full address of your endpoint, starting with https://."))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(bad("The address must start with https://.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("Put no user name or password in the address: every delivery is signed instead."));
    }
    let Some(host) = url.host_str() else { return Err(bad("The address has no host.")) };
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    if let Some(why) = literal.and_then(|ip| guard::forbidden(ip, allow_private)) {
        return Err(bad(&format!("Webhooks cannot go to {why}.")));
    }
    if url.fragment().is_some() {
        return Err(bad("Leave out the part after #."));
    }
    Ok(url.to_string())
}

/// An endpoint as the page lists it.
#[derive(Clone, Debug)]
pub struct EndpointEntry {
    pub id: i64,
    pub url: String,
    pub topics: Vec<Topic>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub failing_since: Option<i64>,
    /// A rotation is under way: the previous secret signs too until then.
    pub previous_until: Option<i64>,
}

pub use store::DeliveryRow as DeliveryEntry;

/// A new endpoint, or a rotated one: its secret, shown once.
#[derive(Debug)]
pub struct NewSecret {
    pub id: i64,
    pub secret: Secret,
}

/// A delivery ready to go: where, what, and the secrets that sign it.
#[derive(Debug)]
pub struct Outgoing {
    pub delivery: i64,
    pub endpoint: i64,
    pub url: String,
    pub message_id: String,
    pub timestamp: i64,
    pub body: String,
    /// The current secret, then the previous one during a rotation.
    pub secrets: Vec<Secret>,
    /// Attempts before this one.
    pub attempt: i64,
}

/// How an attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered(u16),
    /// Any other answer, or none (`status` then `None`).
    Failed { status: Option<u16>, error: String },
}

/// Seconds before the next attempt after `attempts` failed ones: 30 s,
/// doubling up to an hour.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = (attempts.clamp(1, 20) - 1) as u32;
    (30_i64 << doublings).min(3600)
}

pub struct Webhooks<'w> {
    deps: &'w Deps,
    cfg: &'w WebhooksConfig,
}

impl<'w> Webhooks<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w WebhooksConfig) -> Self {
        Webhooks { deps, cfg }
    }

    pub fn allow_private(&self) -> bool {
        self.cfg.allow_private
    }

    fn not_found() -> Error {
        Error::refused(ErrorCode::NotFound, "There is no such webhook on your account.")
    }

    /// The account's endpoints, and their newest deliveries (newest first).
    pub async fn list(&self, actor: &Actor) -> Result<(Vec<EndpointEntry>, Vec<DeliveryEntry>)> {
        let (account, _) = actor.browser_session()?;
        let endpoints = store::endpoints(self.deps.pool(), account)
            .await?
            .into_iter()
            .map(|e| EndpointEntry {
                id: e.id,
                topics: e.events.split(',').filter_map(Topic::parse).collect(),
                url: e.url,
                created_at: e.created_at,
                disabled_at: e.disabled_at,
                failing_since: e.failing_since,
                previous_until: e.previous_until.filter(|u| *u > self.deps.now()),
            })
            .collect();
        let deliveries = store::deliveries(self.deps.pool(), account, 30).await?;
        Ok((endpoints, deliveries))
    }

    /// Adds an endpoint after the step-up: its secret, shown once.
    /// Recorded and mailed.
    pub async fn add(&self, actor: &Actor, confirmed: &Confirmed, url: &str, topics: &[Topic], meta: &ClientMeta) -> Result<NewSecret> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::ManageWebhooks)?;
        let url = parse_url(url, self.cfg.allow_private)?;
        if topics.is_empty() {
            return Err(Error::refused_field(ErrorCode::InvalidInput, "topics", "Choose at least one kind of event."));
        }
        let events = format!(",{},", topics.iter().map(|t| t.code()).collect::<Vec<_>>().join(","));
        let secret = new_secret();
        let sealed = self.deps.secret_box.seal(secret.expose().as_bytes(), &seal_context(account))?;
        let mut change = Change::begin(self.deps).await?;
        crate::accounts::lock(change.db(), account).await?;
        if store::count(change.db(), account).await? >= self.cfg.max_endpoints {
            return Err(Error::refused(ErrorCode::WebhookLimitReached, format!("An account has at most {} webhooks.", self.cfg.max_endpoints)));
        }
        let at = change.at();
        let id = store::insert_endpoint(change.db(), account, &url, &events, &sealed, at).await?;
        let to = owner_email(&mut change, account).await?;
        let notice = Notice { to, subject: "A webhook was added to your Warden account", what: format!("A webhook to {url} was added").into() };
        change.commit(Some(account), Event::with_detail(EventKind::WebhookAdded, url), Some(notice), meta).await?;
        Ok(NewSecret { id, secret })
    }

    /// A new secret for an endpoint after the step-up, shown once; the old
    /// one signs on beside it for a day. Enables a disabled endpoint again.
    pub async fn rotate(&self, actor: &Actor, confirmed: &Confirmed, id: i64, meta: &ClientMeta) -> Result<NewSecret> {
        let (account, _) = actor.browser_session()?;
        confirmed.covers(account, Operation::ManageWebhooks)?;
        let secret = new_secret();
        let sealed = self.deps.secret_box.seal(secret.expose().as_bytes(), &seal_context(account))?;
        let mut change = Change::begin(self.deps).await?;
        let until = change.at() + self.cfg.rotation_overlap_secs;
        let url = store::rotate(change.db(), account, id, &sealed, until).await?.ok_or_else(Self::not_found)?;
        change.commit(Some(account), Event::with_detail(EventKind::WebhookSecretRotated, url), None, meta).await?;
        Ok(NewSecret { id, secret })
    }

    /// Seals a secret just shown for this session's next page (a plain form
    /// post, JavaScript off: the answer is a redirect).
    pub fn seal_for_page(&self, actor: &Actor, secret: &Secret) -> Result<String> {
        let (_, session) = actor.browser_session()?;
        self.deps.secret_box.seal(secret.expose().as_bytes(), &page_context(session))
    }

    /// What [`Self::seal_for_page`] sealed for this session; `None` for
    /// anything else (another session's, tampered with).
    pub fn open_for_page(&self, actor: &Actor, sealed: &str) -> Option<Secret> {
        let (_, session) = actor.browser_session().ok()?;
        let bytes = self.deps.secret_box.open(sealed, &page_context(session)).ok()?;
        Some(Secret::new(String::from_utf8(bytes).ok()?))
    }

    /// Deletes an endpoint (and its deliveries). Recorded.
    pub async fn delete(&self, actor: &Actor, id: i64, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        let mut change = Change::begin(self.deps).await?;
        let url = store::delete_endpoint(change.db(), account, id).await?.ok_or_else(Self::not_found)?;
        change.commit(Some(account), Event::with_detail(EventKind::WebhookDeleted, url), None, meta).await
    }

    /// "Send a test event": one `webhook-test` delivery to this endpoint.
    pub async fn send_test(&self, actor: &Actor, id: i64) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        let now = self.deps.now();
        if !store::endpoints(self.deps.pool(), account).await?.iter().any(|e| e.id == id) {
            return Err(Self::not_found());
        }
        let body = serde_json::json!({ "type": "webhook-test", "timestamp": rfc3339(now), "data": { "description": "A test event from Warden" } });
        let mut db = self.deps.pool().acquire().await?;
        let message_id = format!("msg_{}_{id}", random::public_id());
        store::insert_delivery(&mut db, id, account, &message_id, "webhook-test", &body.to_string(), now).await
    }

    /// "Redeliver": sends one of the account's deliveries again, now.
    pub async fn redeliver(&self, actor: &Actor, delivery: i64) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        match store::redeliver(self.deps.pool(), account, delivery, self.deps.now()).await? {
            true => Ok(()),
            false => Err(Error::refused(ErrorCode::NotFound, "There is no such delivery, or it is being sent right now.")),
        }
    }

    /// Deliveries due now (the sender's poll), oldest first.
    pub async fn due(&self, limit: i64) -> Result<Vec<i64>> {
        store::due(self.deps.pool(), self.deps.now(), limit).await
    }

    /// Claims a due delivery for this sender and opens what it sends:
    /// `None` when another sender has it (or its endpoint is gone).
    pub async fn claim(&self, delivery: i64) -> Result<Option<Outgoing>> {
        let now = self.deps.now();
        let Some(attempt) = store::claim(self.deps.pool(), delivery, now, now + LEASE_SECS).await? else { return Ok(None) };
        let Some(t) = store::target(self.deps.pool(), delivery).await? else { return Ok(None) };
        if t.disabled_at.is_some() {
            // Turned off after its claim was due: nothing goes out.
            store::fail_waiting(&mut *self.deps.pool().acquire().await?, t.endpoint_id, now).await?;
            return Ok(None);
        }
        let account = AccountId::new(t.account_id);
        let open = |sealed: &str| -> Result<Secret> {
            let bytes = self.deps.secret_box.open(sealed, &seal_context(account))?;
            Ok(Secret::new(String::from_utf8(bytes).map_err(|_| Error::internal("webhook secret is not text"))?))
        };
        let mut secrets = vec![open(&t.secret_sealed)?];
        if let (Some(previous), Some(until)) = (&t.previous_secret_sealed, t.previous_until) {
            if until > now {
                secrets.push(open(previous)?);
            }
        }
        Ok(Some(Outgoing {
            delivery,
            endpoint: t.endpoint_id,
            url: t.url,
            message_id: t.message_id,
            timestamp: now,
            body: t.payload,
            secrets,
            attempt,
        }))
    }

    /// Writes down how an attempt went: delivered; or retried with backoff
    /// while the delivery is younger than a day, else given up; and an
    /// endpoint failing for a day is disabled, once, with a mail and an
    /// event.
    pub async fn settle(&self, out: &Outgoing, outcome: &Outcome) -> Result<()> {
        let now = self.deps.now();
        let db = self.deps.pool();
        match outcome {
            Outcome::Delivered(status) => store::mark_delivered(db, out.delivery, out.endpoint, now, i64::from(*status)).await,
            Outcome::Failed { status, error } => {
                let error: String = error.chars().take(300).collect();
                let next = now + retry_delay(out.attempt + 1);
                let created = store::target(db, out.delivery).await?.map_or(now, |t| t.created_at);
                let next = (next < created + self.cfg.retry_for_secs).then_some(next);
                store::mark_failed_attempt(db, out.delivery, out.endpoint, now, status.map(i64::from), &error, next).await?;
                // Off once it has failed for a day: a delivery given up
                // after its day of retries, or a day since the first
                // failure with no success since.
                let failing_before = if next.is_none() { now } else { now - self.cfg.disable_after_secs };
                let mut change = Change::begin(self.deps).await?;
                if !store::disable_if_failing(change.db(), out.endpoint, failing_before, now).await? {
                    return Ok(());
                }
                store::fail_waiting(change.db(), out.endpoint, now).await?;
                let Some(t) = store::target(db, out.delivery).await? else { return Ok(()) };
                let account = AccountId::new(t.account_id);
                let to = owner_email(&mut change, account).await?;
                let what = format!(
                    "Deliveries to your webhook {} have failed for a day, so it was turned off. Fix the endpoint, then turn it \
                     back on with \"Rotate secret\" on Login Security",
                    t.url
                );
                let notice = Notice { to, subject: "A webhook of your Warden account was turned off", what: what.into() };
                let system = ClientMeta { ip: "-".into(), user_agent: "Warden".into(), session_name: None };
                change.commit(Some(account), Event::with_detail(EventKind::WebhookDisabled, t.url), Some(notice), &system).await
            }
        }
    }

    /// Forgets finished deliveries older than 30 days. Part of the sweep.
    pub async fn sweep(&self) -> Result<u64> {
        store::delete_old_deliveries(self.deps.pool(), self.deps.now() - 30 * DAY).await
    }
}

/// Seals every endpoint secret again under the current key (`warden
/// rotate-key`, see [`crate::rekey`]).
pub async fn reseal(db: &sqlx::AnyPool, secret_box: &crate::support::secret_box::SecretBox) -> Result<crate::support::secret_box::Resealed> {
    let mut done = crate::support::secret_box::Resealed::default();
    for (id, account, current, previous) in store::sealed_secrets(db).await? {
        let context = seal_context(AccountId::new(account));
        for (is_previous, sealed) in [(false, Some(current)), (true, previous)] {
            let Some(sealed) = sealed else { continue };
            match secret_box.reseal(&sealed, &context) {
                Ok(None) => done.current += 1,
                Ok(Some(new)) => {
                    if store::replace_sealed(db, id, is_previous, &sealed, &new).await? {
                        done.resealed += 1;
                    }
                }
                Err(e) => {
                    tracing::error!(endpoint = id, error = %e, "a webhook secret opens with no key of the ring");
                    done.unreadable += 1;
                }
            }
        }
    }
    Ok(done)
}

async fn owner_email(change: &mut Change<'_>, account: AccountId) -> Result<String> {
    Ok(crate::accounts::find(change.db(), account).await?.email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_30_seconds_to_an_hour() {
        assert_eq!([1, 2, 3, 4].map(retry_delay), [30, 60, 120, 240]);
        assert_eq!(retry_delay(8), 3600);
        assert_eq!(retry_delay(50), 3600);
    }

    #[test]
    fn an_endpoint_must_be_https_and_not_a_refused_address() {
        assert_eq!(parse_url(" https://hooks.example.com/warden ", false).ok().as_deref(), Some("https://hooks.example.com/warden"));
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "https://user:pw@hooks.example.com/",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.5/",
            "not a url",
        ] {
            assert!(parse_url(bad, false).is_err(), "{bad}");
        }
        assert!(parse_url("http://127.0.0.1:8080/hook", true).is_ok(), "on premises");
        assert!(parse_url("https://169.254.169.254/", true).is_err(), "never the metadata service");
    }

    #[test]
    fn every_chosen_event_has_a_topic_and_credential_changes_say_what_changed() {
        for kind in [EventKind::SignedIn, EventKind::SessionEnded, EventKind::PasswordChanged, EventKind::PinSet, EventKind::NewSignIn] {
            assert!(topic_of(kind).is_some(), "{kind:?}");
        }
        assert!(topic_of(EventKind::SignInFailed).is_none());
        let meta = ClientMeta { ip: "203.0.113.9".into(), user_agent: "curl/8".into(), session_name: None };
        let (_, kind, body) = payload(&Event::with_detail(EventKind::SecurityKeyRemoved, "\"YubiKey\""), &meta, 1_800_000_000).expect("one");
        assert_eq!(kind, "credential-change");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["data"]["credential_type"], "fido2-roaming");
        assert_eq!(v["data"]["change_type"], "delete");
        assert_eq!(v["timestamp"], "2027-01-15T08:00:00Z");
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.code()), Some(t));
        }
    }
}
