//! "This wasn't me": where the link in a new-sign-in alert lands, after
//! the link was traded for a cookie (this page's URL never holds it). By
//! then that sign-in's session is over and its browser forgotten; the page
//! says so, and offers the two next steps, once each. It asks for no
//! password or code, and says so: a copy of the page that does is not ours.

use crate::components::form_error::ActionError;
use crate::components::loaded::loaded;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::alerts::{not_me_status, NotMeEndEverything, NotMeSendReset};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn NotMePage(
    /// The link's status, asked for by the route.
    early: Early,
) -> impl IntoView {
    let end_all = ServerAction::<NotMeEndEverything>::new();
    let reset = ServerAction::<NotMeSendReset>::new();
    let query = use_query_map();
    let again = move || query.read().get("again").is_some();
    let link = Resource::new(
        move || (end_all.version().get(), reset.version().get()),
        move |_| {
            let early = early.clone();
            async move { early.or(not_me_status).await }
        },
    );
    view! {
        <Title text="This wasn't me · Warden"/>
        <section class="card narrow">
            <h1>"This wasn't me"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Checking your link…"</p> }>
                {loaded(link, move |v| match v {
                    Some(v) => view! {
                        <p class="alert success" role="status">
                            {if again() { "You already told us about this sign-in. " } else { "Done. " }}
                            "The session of " <strong>{v.device.clone()}</strong> " from IP address " {v.ip.clone()}
                            ", signed in " <When at=v.signed_in.clone() named=true/> ", was ended " <When at=v.followed.clone() named=true/>
                            ", and that browser is no longer remembered."
                        </p>
                        <h2>"What else you can do"</h2>
                        {match v.ended_all.clone() {
                            Some(at) => view! {
                                <p role="status">"Every session was ended and every API token deleted " <When at=at named=true/> "."</p>
                            }.into_any(),
                            None => view! {
                                <ActionForm action=end_all attr:class="stack">
                                    <p>"If someone else may still be in your account, end every session (yours too) and delete all API tokens."</p>
                                    <ActionError action=end_all/>
                                    <Submit action=end_all>"End every session and delete all API tokens"</Submit>
                                </ActionForm>
                            }.into_any(),
                        }}
                        {match (v.reset_sent.clone(), v.can_reset) {
                            (Some(at), _) => view! {
                                <p role="status">"A password reset link was sent to your confirmed address " <When at=at named=true/> "."</p>
                            }.into_any(),
                            (None, true) => view! {
                                <ActionForm action=reset attr:class="stack">
                                    <p>"Someone who signed in knew your password (or a passkey of yours): choose a new one."</p>
                                    <ActionError action=reset/>
                                    <Submit action=reset class="secondary">"Send me a password reset link"</Submit>
                                </ActionForm>
                            }.into_any(),
                            (None, false) => view! { <p class="muted">"Your account has no confirmed address to send a reset link to."</p> }.into_any(),
                        }}
                        <p class="muted">
                            "Nothing here asks for your password or a code. This page works until "
                            <When at=v.expires.clone() named=true/> "."
                        </p>
                    }.into_any(),
                    None => view! {
                        <p class="alert error" role="alert">
                            "This link is not valid, or its 7 days are over. If someone else may be in your account, "
                            "reset your password and use \"Log out of all devices\" on Login Security."
                        </p>
                        <p><a href="/password/forgot">"Reset your password"</a></p>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
