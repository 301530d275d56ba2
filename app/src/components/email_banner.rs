//! "Confirm your email address" on Login Security, while the account's
//! address is unverified: until then it receives no reset links and no
//! security notices, and an account never confirmed is removed seven days
//! after sign-up.

use crate::components::form_error::ActionError;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::email::{email_status, ResendVerification};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn EmailBanner(
    /// The banner's first status, asked for by the page's route.
    #[prop(optional)]
    early: Early,
) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let query = use_query_map();
    let status = Resource::new(
        move || resend.version().get(),
        move |_| {
            let early = early.clone();
            async move { early.or(email_status).await }
        },
    );
    let sent = move || query.read().get("link_sent").is_some() && !matches!(resend.value().get(), Some(Err(_)));
    view! {
        <Transition fallback=|| ()>
            {move || status.get().and_then(|r| r.ok()).flatten().map(|v| view! {
                <div class="alert warning email-banner" role="status">
                    <p>
                        <strong>"Confirm your email address:"</strong>
                        " we sent a link to " {v.email} ". Until you open it, password-reset links and security notices "
                        "are not sent to this address, and you sign in with your username."
                    </p>
                    <p>"If it is not confirmed by " <When at=v.removed_at absolute=true/> ", the account is removed with everything in it."</p>
                    {move || sent().then(|| view! { <p>"We sent it again. Only the newest link works."</p> })}
                    <ActionForm action=resend>
                        <Submit action=resend class="secondary">"Send the link again"</Submit>
                    </ActionForm>
                    <ActionError action=resend/>
                </div>
            })}
        </Transition>
    }
}
