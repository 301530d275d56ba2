//! Login Security's webhooks page (`/account/security/sessions/webhooks`):
//! the account's HTTPS endpoints for its security events (Standard
//! Webhooks), each with the events it chose, its state and its deliveries;
//! adding one or rotating its secret asks for the step-up and shows the
//! `whsec_` secret once. A page of its own, so Login Security's first load
//! does not carry its forms.

use crate::components::confirm_fields::{Asks, ConfirmFields};
use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::webhooks::{list_webhooks, AddWebhook, DeleteWebhook, RedeliverWebhook, RotateWebhookSecret, SendTestWebhook, WebhooksView};
use crate::server_fns::{step_up_status, StepUpView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn WebhooksPage(
    /// The step-up window, asked for by the route.
    early: Early,
) -> impl IntoView {
    let add = ServerAction::<AddWebhook>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let test = ServerAction::<SendTestWebhook>::new();
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    let data = Resource::new(
        move || (add.version().get(), rotate.version().get(), delete.version().get(), test.version().get(), redeliver.version().get()),
        move |_| {
            let early = early.clone();
            async move { Ok::<_, proto::ApiError>((list_webhooks().await?, early.or(step_up_status).await?)) }
        },
    );
    let secret =
        move || {
            add.value().get().and_then(Result::ok).map(|v| ("Your new webhook's signing secret", v.secret)).or_else(|| {
                rotate.value().get().and_then(Result::ok).map(|v| ("The new signing secret (the old one keeps signing for a day)", v.secret))
            })
        };
    view! {
        <Title text="Webhooks · Login Security · Warden"/>
        <section class="panel" aria-labelledby="webhooks-title">
            <h2 id="webhooks-title">"Webhooks"</h2>
            <p><a href="/account/security/sessions">"← Login Security"</a></p>
            <p class="muted">
                "Send your account's security events to your own tools: each one is a signed JSON request "
                "(Standard Webhooks) to an HTTPS address of yours, retried for a day if it fails."
            </p>
            {move || secret().map(|(what, secret)| view! {
                <div class="alert success" role="status">
                    <p>{what} ", shown only now: copy it into your receiver to check signatures."</p>
                    <p><code class="secret">{secret}</code></p>
                </div>
            })}
            <ActionError action=delete/>
            <ActionError action=test/>
            <ActionError action=redeliver/>
            <Loaded resource=data fallback=|| view! { <p class="muted">"Loading webhooks…"</p> } let((v, s))>
                <WebhookList v s add rotate delete test redeliver/>
            </Loaded>
        </section>
    }
}

#[component]
fn WebhookList(
    v: WebhooksView,
    s: StepUpView,
    add: ServerAction<AddWebhook>,
    rotate: ServerAction<RotateWebhookSecret>,
    delete: ServerAction<DeleteWebhook>,
    test: ServerAction<SendTestWebhook>,
    redeliver: ServerAction<RedeliverWebhook>,
) -> impl IntoView {
    let WebhooksView { endpoints, deliveries, topics, allow_private, fresh_secret } = v;
    let s_list = s.clone();
    let placeholder =
        if allow_private { "https://hooks.example.com/warden (or http:// on your network)" } else { "https://hooks.example.com/warden" };
    view! {
        {fresh_secret.map(|secret| view! {
            <div class="alert success" role="status">
                <p>"Your webhook's signing secret, shown only now: copy it into your receiver to check signatures."</p>
                <p><code class="secret">{secret}</code></p>
            </div>
        })}
        {if endpoints.is_empty() {
            view! { <p class="muted">"No webhooks yet."</p> }.into_any()
        } else {
            view! {
                <ul class="webhooks" aria-label="Webhooks">
                    {endpoints.into_iter().map(|e| {
                        let mine: Vec<_> = deliveries.iter().filter(|d| d.endpoint_id == e.id).take(10).cloned().collect();
                        let (s, delete_label, deliveries_label) =
                            (s_list.clone(), format!("Delete the webhook {}", e.url), format!("Deliveries to {}", e.url));
                        view! {
                            <li class="webhook">
                                <strong>{e.url.clone()}</strong>
                                <span class="muted">" · " {e.status.clone()} " · added " <When at=e.added.clone()/></span>
                                <p class="muted">{e.topics.join(", ")}</p>
                                {e.old_secret_until.clone().map(|u| view! { <p class="muted">"The old secret signs too until " <When at=u/> "."</p> })}
                                <div class="row">
                                    <ActionForm action=test attr:class="inline-form">
                                        <input type="hidden" name="id" value=e.id/>
                                        <Submit action=test class="secondary">"Send a test event"</Submit>
                                    </ActionForm>
                                    <ActionForm action=delete attr:class="inline-form">
                                        <input type="hidden" name="id" value=e.id/>
                                        <Submit action=delete class="danger" attr:aria-label=delete_label>"Delete"</Submit>
                                    </ActionForm>
                                </div>
                                <details>
                                    <summary>{if e.enabled { "Rotate secret" } else { "Rotate secret and turn back on" }}</summary>
                                    <ActionForm action=rotate attr:class="stack">
                                        <input type="hidden" name="id" value=e.id/>
                                        <ConfirmFields s asks=Asks::AllFactors/>
                                        <ActionError action=rotate/>
                                        <Submit action=rotate>"Rotate secret"</Submit>
                                    </ActionForm>
                                </details>
                                <h3>"Deliveries"</h3>
                                {if mine.is_empty() {
                                    view! { <p class="muted">"None yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="events deliveries" aria-label=deliveries_label>
                                            {mine.into_iter().map(|d| view! {
                                                <li>
                                                    <strong>{d.event_type}</strong>
                                                    <span class="muted">
                                                        " · " <When at=d.at/> " · attempt " {d.attempts} " · " {d.status}
                                                    </span>
                                                    <ActionForm action=redeliver attr:class="inline-form">
                                                        <input type="hidden" name="delivery_id" value=d.id/>
                                                        <Submit action=redeliver class="linklike">"Redeliver"</Submit>
                                                    </ActionForm>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <details class="add-webhook">
            <summary>"Add a webhook"</summary>
            <ActionForm action=add attr:class="stack" attr:aria-label="Add a webhook">
                <label>"Endpoint address" <input type="url" name="url" required maxlength="500" placeholder=placeholder/></label>
                <fieldset>
                    <legend>"Events to send"</legend>
                    {topics.into_iter().map(|(code, label)| view! {
                        <label class="check"><input type="checkbox" name=format!("topics[{code}]") checked/> {label}</label>
                    }).collect_view()}
                </fieldset>
                <ConfirmFields s asks=Asks::AllFactors/>
                <ActionError action=add/>
                <Submit action=add>"Add webhook"</Submit>
            </ActionForm>
        </details>
    }
}
