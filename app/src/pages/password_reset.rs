//! Choose a new password through an emailed link. The link's token arrives
//! in a short-lived cookie; this page's URL never holds it.

use crate::components::form_error::ActionError;
use crate::components::loaded::loaded;
use crate::components::new_password::NewPasswordFields;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::password::{reset_link_status, CompletePasswordReset};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ResetPasswordPage(
    /// The link's status, asked for by the route.
    early: Early,
) -> impl IntoView {
    let action = ServerAction::<CompletePasswordReset>::new();
    let link = Resource::new(
        || (),
        move |_| {
            let early = early.clone();
            async move { early.or(reset_link_status).await }
        },
    );
    view! {
        <Title text="Choose a new password · Warden"/>
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Checking your link…"</p> }>
                {loaded(link, move |v| match v {
                    Some(v) => view! {
                        <p>
                            "For the account " <strong>{v.username}</strong> ". This link works until "
                            <When at=v.expires named=true/> "."
                        </p>
                        <p class="muted">"Every session of the account will be signed out; then sign in with the new password."</p>
                        <ActionForm action=action attr:class="stack">
                            <NewPasswordFields/>
                            <input type="hidden" name="api_tokens_choice" value="1"/>
                            <label class="check">
                                <input type="checkbox" name="delete_api_tokens" checked/>
                                "Also delete my API tokens"
                            </label>
                            <p class="hint">
                                "If someone else got into your account, a token they made would keep working after the reset. "
                                "Untick only if every token is yours and you want your scripts to keep running."
                            </p>
                            <ActionError action=action/>
                            <Submit action=action>"Set new password"</Submit>
                        </ActionForm>
                    }.into_any(),
                    None => view! {
                        <p class="alert error" role="alert">
                            "This password-reset link is invalid or has expired. A link works once, for a limited time, "
                            "and only the newest one you asked for works."
                        </p>
                        <p><a href="/password/forgot">"Ask for a new link"</a></p>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
