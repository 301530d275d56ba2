//! Confirm an email address through an emailed link. The link's token
//! arrives in a short-lived cookie; this page's URL never holds it. Opening
//! the link changes nothing: the address is confirmed by the button.

use crate::components::form_error::ActionError;
use crate::components::loaded::loaded;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::email::{verify_link_status, ConfirmEmail};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn VerifyEmailPage(
    /// The link's status, asked for by the route.
    early: Early,
) -> impl IntoView {
    let action = ServerAction::<ConfirmEmail>::new();
    let query = use_query_map();
    let confirmed = move || query.read().get("confirmed").is_some();
    let link = Resource::new(
        || (),
        move |_| {
            let early = early.clone();
            async move { early.or(verify_link_status).await }
        },
    );
    view! {
        <Title text="Confirm your email address · Warden"/>
        <section class="card narrow">
            <h1>"Confirm your email address"</h1>
            <Show
                when=confirmed
                fallback=move || view! {
                    <Suspense fallback=|| view! { <p class="muted">"Checking your link…"</p> }>
                        {loaded(link, move |v| match v {
                            Some(v) => view! {
                                <p>
                                    "Confirm " <strong>{v.email}</strong> " as the address of the Warden account "
                                    <strong>{v.username}</strong> ". Password-reset links and security notices of that "
                                    "account will come to it. This link works until "
                                    <When at=v.expires named=true/> "."
                                </p>
                                <ActionForm action=action>
                                    <ActionError action=action/>
                                    <Submit action=action>"Confirm email address"</Submit>
                                </ActionForm>
                                <p class="muted">"Not your account? Close this page: nothing changes."</p>
                            }.into_any(),
                            None => view! {
                                <p class="alert error" role="alert">
                                    "This confirmation link is invalid or has expired. A link works once, for a limited time, "
                                    "and only the newest one works."
                                </p>
                                <p>"Sign in and use " <strong>"Send the link again"</strong> " on " <a href="/account/security/sessions">"Login Security"</a> "."</p>
                            }.into_any(),
                        })}
                    </Suspense>
                }
            >
                <p class="alert success" role="status">
                    "Your email address is confirmed. Password-reset links and security notices now go to it, "
                    "and you can sign in with it."
                </p>
                <p><a href="/account/security/sessions">"Go to Login Security"</a></p>
            </Show>
        </section>
    }
}
