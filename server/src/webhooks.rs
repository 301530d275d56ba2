//! The webhook sender: takes due deliveries off the queue
//! ([`domain::webhooks`]), one sender per delivery across instances (a
//! claim with a lease), and sends each as a Standard Webhooks request
//! signed by the `standardwebhooks` crate.
//!
//! The SSRF guard lives here, where the connection is made: the host is
//! resolved once, refused when any of its addresses is one
//! [`domain::webhooks::guard`] forbids, and the connection goes to the
//! address that was checked (reqwest's resolver is told it, so there is no
//! second lookup to rebind). No proxy from the environment, no redirects,
//! ten seconds at most, and at most 4 KB of the answer is read.

use domain::webhooks::{guard, Outcome, Outgoing};
use domain::Warden;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How long one attempt may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer that is read.
const MAX_ANSWER_BYTES: usize = 4096;

/// Sends every delivery due now that this sender can claim; how many it sent.
pub async fn deliver_due(warden: &Warden) -> usize {
    let hooks = warden.webhooks();
    let due = match hooks.due(50).await {
        Ok(due) => due,
        Err(e) => {
            tracing::error!(error = %e, "webhook queue unreadable");
            return 0;
        }
    };
    let mut sent = 0;
    for id in due {
        let out = match hooks.claim(id).await {
            Ok(Some(out)) => out,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(error = %e, delivery = id, "webhook delivery could not be claimed");
                continue;
            }
        };
        let outcome = send(&out, hooks.allow_private()).await;
        if let Outcome::Failed { error, .. } = &outcome {
            tracing::warn!(delivery = id, endpoint = out.endpoint, attempt = out.attempt + 1, error = %error, "webhook delivery failed");
        }
        if let Err(e) = hooks.settle(&out, &outcome).await {
            tracing::error!(error = %e, delivery = id, "webhook delivery outcome not written");
        }
        sent += 1;
    }
    sent
}

/// Polls the queue every second.
pub fn spawn_sender(warden: Arc<Warden>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            deliver_due(&warden).await;
        }
    })
}

fn failed(error: impl Into<String>) -> Outcome {
    Outcome::Failed { status: None, error: error.into() }
}

/// The address to connect to for `host`: every address it resolves to is
/// checked, and the first is used.
pub async fn checked_address(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, String> {
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    let addrs: Vec<SocketAddr> = match literal {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => tokio::net::lookup_host((host, port)).await.map_err(|_| format!("{host} could not be resolved"))?.collect(),
    };
    if let Some(why) = addrs.iter().find_map(|a| guard::forbidden(a.ip(), allow_private)) {
        return Err(format!("refused: {host} is {why}"));
    }
    addrs.first().copied().ok_or_else(|| format!("{host} has no address"))
}

/// The `webhook-signature` header: one `v1,` signature per secret (two
/// during a rotation), by the Standard Webhooks crate.
pub fn signature(out: &Outgoing, timestamp: i64) -> Result<String, String> {
    let mut all = Vec::with_capacity(out.secrets.len());
    for secret in &out.secrets {
        let hook = standardwebhooks::Webhook::new(secret.expose()).map_err(|_| "the endpoint's secret is unreadable".to_owned())?;
        all.push(hook.sign(&out.message_id, timestamp, out.body.as_bytes()).map_err(|_| "the body could not be signed".to_owned())?);
    }
    Ok(all.join(" "))
}

async fn send(out: &Outgoing, allow_private: bool) -> Outcome {
    let Ok(url) = url::Url::parse(&out.url) else { return failed("the endpoint's address is unreadable") };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else { return failed("the endpoint's address has no host") };
    let addr = match checked_address(host, port, allow_private).await {
        Ok(addr) => addr,
        Err(e) => return failed(e),
    };
    // The receiver judges replays by its own clock: the header says the
    // real time of this attempt.
    let timestamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let signature = match signature(out, timestamp) {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .resolve(host, addr)
        .user_agent("Warden-Webhooks/1")
        .build()
    {
        Ok(c) => c,
        Err(_) => return failed("no HTTP client"),
    };
    let sent = client
        .post(url.as_str())
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &out.message_id)
        .header(standardwebhooks::HEADER_WEBHOOK_TIMESTAMP, timestamp.to_string())
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(out.body.clone())
        .send()
        .await;
    let mut res = match sent {
        Ok(res) => res,
        Err(e) if e.is_timeout() => return failed("no answer within 10 seconds"),
        Err(e) if e.is_connect() => return failed(format!("could not connect to {host}")),
        Err(_) => return failed("the request failed"),
    };
    let status = res.status();
    let mut read = 0;
    while let Ok(Some(chunk)) = res.chunk().await {
        read += chunk.len();
        if read >= MAX_ANSWER_BYTES {
            break;
        }
    }
    match status.as_u16() {
        s @ 200..=299 => Outcome::Delivered(s),
        s if status.is_redirection() => Outcome::Failed { status: Some(s), error: format!("answered {s}: redirects are not followed") },
        s => Outcome::Failed { status: Some(s), error: format!("answered {s}") },
    }
}
