//! The confirmation before "Log out of all devices", in the product's words,
//! with the password (ASVS 7.5.2: one factor before ending sessions) unless
//! this session confirmed it is you minutes ago.

use crate::components::confirm_fields::{Asks, ConfirmFields};
use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::submit::Submit;
use crate::early::Early;
use crate::server_fns::{step_up_status, EndAllSessions};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn LogOutAllPage(
    /// The step-up window, asked for by the route.
    early: Early,
) -> impl IntoView {
    let action = ServerAction::<EndAllSessions>::new();
    // Asked again after a refusal (the window may have closed meanwhile),
    // never after the logout itself: this session is gone by then, and
    // asking would send the person to "Your session has ended" instead of
    // the sign-in page that says they logged out of all devices.
    // (An action stores its answer before it counts a new version.)
    let refusals = Memo::new(move |prev: Option<&usize>| {
        let version = action.version().get();
        let done = action.value().with_untracked(|r| matches!(r, Some(Ok(_))));
        match prev {
            Some(&seen) if done => seen,
            _ => version,
        }
    });
    let step_up = Resource::new(
        move || refusals.get(),
        move |_| {
            let early = early.clone();
            async move { early.or(step_up_status).await }
        },
    );
    view! {
        <Title text="Log out of all devices · Warden"/>
        <section class="panel confirm" role="region" aria-labelledby="log-out-all">
            <h2 id="log-out-all">"Log out of all devices?"</h2>
            <p>
                "All sessions will be terminated at the same time, including this one. "
                "A logout will be performed on all devices, and everyone signed in to this account "
                "will have to log in again."
            </p>
            <p class="alert warning">
                <strong>"Suspect unauthorized access? "</strong>
                "Change your password first, then log out of all devices — otherwise whoever has it can simply sign in again."
            </p>
            <ActionError action=action/>
            <div class="actions">
                <ActionForm action=action>
                    <label class="check">
                        <input type="checkbox" name="also_delete_api_tokens"/>
                        "Also delete all API tokens"
                    </label>
                    <p class="hint">
                        "API tokens are not sessions: without this, scripts and services that use one keep working. "
                        "Tick it if a token may have leaked; you can also delete tokens one by one on "
                        <a href="/account/security/api-tokens">"API Access Tokens"</a>
                        "."
                    </p>
                    <Loaded resource=step_up let:s>
                        <ConfirmFields s asks=Asks::Password/>
                    </Loaded>
                    <Submit action=action class="danger">
                        "Log out of all devices"
                    </Submit>
                </ActionForm>
                <a href="/account/security/sessions">"Cancel"</a>
            </div>
        </section>
    }
}
