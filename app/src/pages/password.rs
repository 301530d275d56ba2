//! Password: change it with the old one, or follow "Forgot your password?".

use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::new_password::NewPasswordFields;
use crate::components::sign_out_others::SignOutOthers;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::password::{password_status, ChangePassword, PasswordChanged};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn confirmation(other_sessions_ended: u64) -> String {
    let others = match other_sessions_ended {
        0 => String::new(),
        1 => " 1 other session was signed out.".into(),
        n => format!(" {n} other sessions were signed out."),
    };
    format!("Your password has been changed.{others} We have emailed you a notice of the change.")
}

#[component]
pub fn PasswordPage(
    /// The page's first status, asked for by its route.
    early: Early,
) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let status = Resource::new(
        move || change.version().get(),
        move |_| {
            let early = early.clone();
            async move { early.or(password_status).await }
        },
    );
    let query = use_query_map();
    // The result of this page's own form, or of a plain form post (JavaScript
    // off) that was redirected back here.
    let done = move || match change.value().get() {
        Some(Ok(PasswordChanged { other_sessions_ended })) => Some(confirmation(other_sessions_ended)),
        Some(Err(_)) => None,
        None => query.read().get("changed").and_then(|n| n.parse().ok()).map(confirmation),
    };
    // A fresh, empty form after each successful change (in the browser; a
    // plain form post lands on a freshly rendered page anyway).
    let form = NodeRef::<leptos::html::Form>::new();
    let reading = RwSignal::new(None);
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(f)) = (change.value().get(), form.get_untracked()) {
            f.reset();
            reading.set(None);
        }
    });
    view! {
        <Title text="Password · Warden"/>
        <section class="panel" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <p class="muted">
                "To change the password, you will need to enter your old password. If you forgot your old password, "
                "you can restore it by clicking on the link “Forgot your password?”. A link with further instructions "
                "will be sent to your email."
            </p>
            <Loaded resource=status let:v>
                {match v.changed {
                    Some(at) => view! { <p>"Last changed " <When at=at/> "."</p> }.into_any(),
                    None => view! {
                        <p>"Not changed since your account was created on " <When at=v.created absolute=true/> "."</p>
                    }.into_any(),
                }}
            </Loaded>
            {move || done().map(|m| view! { <p class="alert success" role="status">{m}</p> })}
            <ActionForm action=change node_ref=form attr:class="stack">
                <label>
                    "Current password"
                    <input type="password" name="current_password" autocomplete="current-password" required/>
                </label>
                <NewPasswordFields reading/>
                <SignOutOthers/>
                <ActionError action=change/>
                <Submit action=change>"Change password"</Submit>
            </ActionForm>
            <p><a href="/password/forgot">"Forgot your password?"</a></p>
            <p class="muted">
                "Changing the password does not delete your API tokens: they keep working. To stop one, delete it on "
                <a href="/account/security/api-tokens">"API Access Tokens"</a>
                ", or tick “Also delete all API tokens” when you "
                <a href="/account/security/sessions/log-out-all">"log out of all devices"</a>
                "."
            </p>
        </section>
    }
}
