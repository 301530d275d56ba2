//! Server functions of the webhooks section of Login Security.

use leptos::prelude::*;
pub use proto::views::{WebhookSecretView, WebhooksView};
use proto::{ApiError, Password};
use std::collections::BTreeMap;

#[server(prefix = "/_fn", endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<WebhooksView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let hooks = c.warden.webhooks();
        Ok(views::webhooks(hooks.list(c.actor()?).await?, hooks.allow_private(), &c.times()))
    })
    .await
}

/// Adds an endpoint after the step-up. `topics`: the checked boxes
/// (`topics[sign_in]=on`, …). The secret is in the answer, once.
#[server(prefix = "/_fn", endpoint = "add_webhook")]
pub async fn add_webhook(
    url: String,
    topics: Option<BTreeMap<String, String>>,
    password: Option<Password>,
    code: Option<String>,
) -> Result<WebhookSecretView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::ManageWebhooks, password, None, code.as_deref()).await?;
        let chosen: Vec<domain::webhooks::Topic> = topics.unwrap_or_default().keys().filter_map(|k| domain::webhooks::Topic::parse(k)).collect();
        let made = c.warden.webhooks().add(c.actor()?, &confirmed, &url, &chosen, &c.meta).await?;
        Ok(WebhookSecretView { id: made.id, secret: made.secret.expose().to_owned() })
    })
    .await
}

/// A new secret for an endpoint after the step-up (the old one signs on
/// for a day); turns a disabled endpoint back on. The secret, once.
#[server(prefix = "/_fn", endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: i64, password: Option<Password>, code: Option<String>) -> Result<WebhookSecretView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::ManageWebhooks, password, None, code.as_deref()).await?;
        let made = c.warden.webhooks().rotate(c.actor()?, &confirmed, id, &c.meta).await?;
        Ok(WebhookSecretView { id: made.id, secret: made.secret.expose().to_owned() })
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.webhooks().delete(c.actor()?, id, &c.meta).await }).await
}

/// "Send a test event".
#[server(prefix = "/_fn", endpoint = "send_test_webhook")]
pub async fn send_test_webhook(id: i64) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.webhooks().send_test(c.actor()?, id).await }).await
}

/// "Redeliver" one delivery, now.
#[server(prefix = "/_fn", endpoint = "redeliver_webhook")]
pub async fn redeliver_webhook(delivery_id: i64) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.webhooks().redeliver(c.actor()?, delivery_id).await }).await
}
