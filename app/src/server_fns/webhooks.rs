//! Server functions of the webhooks section of Login Security.

use leptos::prelude::*;
pub use proto::views::{WebhookSecretView, WebhooksView};
use proto::{ApiError, Password};
use std::collections::BTreeMap;

/// With JavaScript off the form post is answered by a redirect, which
/// would lose the secret: it travels sealed (bound to this session) in a
/// five-minute cookie to the webhooks page, which shows it once.
#[cfg(feature = "ssr")]
fn hand_over(c: &crate::ssr::Call, secret: &domain::Secret) -> domain::Result<()> {
    use crate::ssr::*;
    if is_plain_form_post() {
        set_cookie(c.cookies.set_webhook_flash(&c.warden.webhooks().seal_for_page(c.actor()?, secret)?));
        leptos_axum::redirect(crate::gate::paths::WEBHOOKS);
    }
    Ok(())
}

#[server(prefix = "/_fn", endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<WebhooksView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let hooks = c.warden.webhooks();
        let actor = c.actor()?;
        let mut view = views::webhooks(hooks.list(actor).await?, hooks.allow_private(), &c.times());
        if let Some(sealed) = request_cookie(|h| c.cookies.read_webhook_flash(h)) {
            set_cookie(c.cookies.clear_webhook_flash());
            view.fresh_secret = hooks.open_for_page(actor, &sealed).map(|s| s.expose().to_owned());
        }
        Ok(view)
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
        let ticked = topics.unwrap_or_default();
        let chosen: Vec<domain::webhooks::Topic> = domain::webhooks::Topic::ALL.into_iter().filter(|t| ticked.contains_key(t.code())).collect();
        let made = c.warden.webhooks().add(c.actor()?, &confirmed, &url, &chosen, &c.meta).await?;
        hand_over(&c, &made.secret)?;
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
        hand_over(&c, &made.secret)?;
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
