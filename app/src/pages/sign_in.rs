//! Sign in with username or email and password, or with a passkey alone
//! (a discoverable credential that checked the person's PIN or biometrics:
//! both factors in one touch): from the button, or, where the browser
//! offers it, from the username field's autofill (conditional mediation).

use crate::components::form_error::{refusal, ActionError};
use crate::components::key_button::KeyButton;
use crate::components::submit::Submit;
use crate::server_fns::security_keys::{start_passkey_autofill, start_passkey_sign_in, FinishPasskeySignIn};
use crate::server_fns::SignIn;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Why someone landed here, said in words.
fn notice(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "logged_out_all" => "You have been logged out of all devices. Sign in again to continue.",
        "signed_out" => "You have signed out.",
        "session_ended" => "Your session has ended. Please sign in again.",
        "signed_up" => "Your account is ready. Check your inbox: we sent a message to confirm your email address. Sign in to continue.",
        "password_reset" => "Your password has been changed and every session of your account was signed out. Sign in with your new password.",
        _ => return None,
    })
}

#[component]
pub fn SignInPage() -> AnyView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let message = move || query.read().get("reason").and_then(|r| notice(&r));
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in · Warden"/>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            {move || message().map(|m| view! { <p class="alert info" role="status">{m}</p> })}
            <ActionForm action=action>
                <input type="hidden" name="next" value=next/>
                <label>
                    "Username or email"
                    <input type="text" name="login" autocomplete="username webauthn" required autofocus/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <ActionError action=action/>
                <Submit action=action>"Sign in"</Submit>
            </ActionForm>
            <PasskeySignIn next=Signal::derive(next)/>
            <p><a href="/password/forgot">"Forgot your password?"</a></p>
            <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
    .into_any()
}

/// "Sign in with a passkey": the browser offers the passkeys it has for
/// Warden, the person picks one and unlocks it. Needs JavaScript (the
/// button stays disabled without it, and says why).
#[component]
fn PasskeySignIn(next: Signal<String>) -> AnyView {
    let finish = ServerAction::<FinishPasskeySignIn>::new();
    let on_answer = Callback::new(move |credential| {
        finish.dispatch(FinishPasskeySignIn { credential, next: next.get_untracked() });
    });
    // Once the page is live: where the browser offers passkeys in the
    // username field's autofill, ask it to; picking one signs in like the
    // button. Where it does not, nothing is started (and nothing spent).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if !crate::webauthn::conditional_available().await {
                return;
            }
            let Ok(options) = start_passkey_autofill().await else { return };
            if let Ok(credential) = crate::webauthn::get_conditional(&options).await {
                on_answer.run(credential);
            }
        });
    });
    view! {
        <div class="passkey">
            <p class="divider" aria-hidden="true">"or"</p>
            <KeyButton
                start=start_passkey_sign_in
                on_answer
                checking=finish.pending()
                refused=refusal(finish)
                label="Sign in with a passkey"
                class="secondary"
                needs_js="Passkeys need a browser with JavaScript turned on."
            />
        </div>
    }
    .into_any()
}
