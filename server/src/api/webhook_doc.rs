//! The webhooks the account's owner can subscribe to on Login Security, as
//! the OpenAPI document's `webhooks` section describes them: one
//! `security-event` request per event, signed per Standard Webhooks. The
//! body's shape is [`WebhookEvent`]; a test checks that what the sender
//! sends reads as it (and nothing more).

use serde::Deserialize;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ObjectBuilder, PathsBuilder, Ref, Required, ResponseBuilder, Type};
use utoipa::ToSchema;

/// One security event of the account, as its webhooks receive it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEvent {
    /// What happened, named after CAEP where one fits: `session-established`
    /// (a sign-in), `session-revoked`, `credential-change` (password,
    /// authenticator app, security key, recovery codes), `pin-change`,
    /// `token-created`, `token-deleted`, `token-new-network`,
    /// `new-sign-in`, and `webhook-test` ("Send a test event").
    #[schema(example = "session-revoked")]
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened, RFC 3339 in UTC.
    #[schema(example = "2026-12-07T05:50:00Z", format = DateTime)]
    pub timestamp: String,
    pub data: WebhookEventData,
}

/// What the event says. Never a secret, token, code or password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEventData {
    /// Warden's own name of the event (as on Login Security's activity).
    #[schema(example = "session_ended")]
    pub event: Option<String>,
    #[schema(example = "Ended another session")]
    pub description: String,
    /// What it was about, as the activity list says it (a session's name,
    /// a token's name and prefix, …).
    #[schema(example = "\"Work laptop\" — Chrome on Windows, 203.0.113.7")]
    pub detail: Option<String>,
    /// The address of whoever did it.
    pub ip: Option<String>,
    #[schema(example = "Chrome on Windows")]
    pub device: Option<String>,
    /// The name its owner gave the session that did it, if any.
    #[schema(example = "Work laptop")]
    pub session_name: Option<String>,
    /// Unix seconds.
    pub event_timestamp: Option<i64>,
    /// For `credential-change`: `password`, `app`, `fido2-roaming`, `recovery-codes`.
    pub credential_type: Option<String>,
    /// For `credential-change`: `create`, `update`, `delete`.
    pub change_type: Option<String>,
}

/// The `webhooks` section: `security-event`, with its three headers.
pub fn add_to(doc: &mut utoipa::openapi::OpenApi) {
    let header = |name: &str, what: &str, example: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(what))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).examples([example])))
            .build()
    };
    let operation = OperationBuilder::new()
        .summary(Some("A security event of the account"))
        .description(Some(
            "Sent to each HTTPS endpoint added on Login Security for the event's type, as a POST with a JSON body, \
             signed per Standard Webhooks: `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of \
             `{webhook-id}.{webhook-timestamp}.{body}` under the endpoint's `whsec_` secret (during a rotation, two \
             signatures separated by a space). Answer 2xx within 10 seconds; anything else is retried with backoff \
             (30 s doubling to an hour) for a day. Redirects are not followed. Deliveries are at least once: \
             use `webhook-id` to drop duplicates.",
        ))
        .parameter(header("webhook-id", "The message's id: the same on every retry and redelivery.", "msg_5f0c9a1e_1"))
        .parameter(header("webhook-timestamp", "When this attempt was sent, Unix seconds.", "1796000000"))
        .parameter(header(
            "webhook-signature",
            "`v1,<base64 HMAC-SHA256>`, one per signing secret.",
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
        ))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("WebhookEvent"))).build())
                .required(Some(Required::True))
                .build(),
        ))
        .response("200", ResponseBuilder::new().description("Received (any 2xx)").build())
        .build();
    let paths = PathsBuilder::new().path("security-event", PathItem::new(HttpMethod::Post, operation)).build();
    doc.webhooks = Some(paths);
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::events::{Event, EventKind};

    #[test]
    fn what_the_sender_sends_reads_as_the_documented_schema() {
        let meta =
            domain::ClientMeta { ip: "203.0.113.7".into(), user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0".into(), session_name: None };
        for kind in [EventKind::SignedIn, EventKind::SessionEnded, EventKind::SecurityKeyAdded, EventKind::PinSet, EventKind::NewSignIn] {
            let (_, _, body) = domain::webhooks::payload(&Event::with_detail(kind, "x"), &meta, 1_800_000_000).expect("a topic");
            let read: WebhookEvent = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{kind:?}: {e}: {body}"));
            assert!(!read.kind.is_empty() && read.timestamp.ends_with('Z'));
        }
    }
}
