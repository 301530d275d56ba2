//! Server functions for security keys and passkeys (WebAuthn): adding,
//! listing and removing them on the Two-Factor Auth page, the second
//! sign-in step by key, and signing in with a passkey alone. The WebAuthn options and the authenticator's
//! answers travel as JSON strings (webauthn-rs's wire types): the page hands
//! the options to `navigator.credentials.create()`/`get()` and posts back
//! what the browser returns.

use leptos::prelude::*;
pub use proto::views::{SecondStepView, SecurityKeyAdded, SecurityKeyView};
use proto::{ApiError, Password};

#[server(prefix = "/_fn", endpoint = "security_keys")]
pub async fn security_keys() -> Result<Vec<SecurityKeyView>, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let keys = c.warden.security_keys().list(c.actor()?).await?;
        let t = c.times();
        Ok(keys.into_iter().map(|k| views::security_key(k, &t)).collect())
    })
    .await
}

/// Starts adding a key named `name` (after the step-up: the password, and
/// a second factor when the account has one); with `passkey`, as a passkey
/// that can also sign in without the password (a discoverable credential,
/// user verification required). Returns the options for
/// `navigator.credentials.create()` as JSON.
#[server(prefix = "/_fn", endpoint = "start_security_key")]
pub async fn start_security_key(
    name: String,
    password: Option<Password>,
    code: Option<String>,
    #[server(default)] passkey: bool,
) -> Result<String, ApiError> {
    use crate::ssr::*;
    use domain::sensitive::Operation;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, Operation::AddSecurityKey, password, None, code.as_deref()).await?;
        c.warden.security_keys().start_registration(c.actor()?, &confirmed, &name, passkey).await
    })
    .await
}

/// Finishes adding the key with the browser's answer (JSON); with
/// `sign_out_others` ("on", a ticked checkbox), every other session ends and
/// this one carries on under a new token.
#[server(prefix = "/_fn", endpoint = "finish_security_key")]
pub async fn finish_security_key(credential: String, sign_out_others: Option<String>) -> Result<SecurityKeyAdded, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let added = c.warden.security_keys().finish_registration(c.actor()?, &credential, sign_out_others.is_some(), &c.meta).await?;
        if let Some(renewed) = &added.renewed {
            set_cookie(c.cookies.set(renewed.token.expose()));
        }
        Ok(SecurityKeyAdded { name: added.name, recovery_codes: added.recovery_codes.map(views::recovery_codes) })
    })
    .await
}

/// Removes a key, after the step-up (the password and a second factor,
/// which may be this key).
#[server(prefix = "/_fn", endpoint = "remove_security_key")]
/// The answer is the removed key's credential id (public, base64url), for
/// the page to tell the browser's credential manager (the Signal API).
pub async fn remove_security_key(
    id: i64,
    password: Option<Password>,
    code: Option<String>,
    sign_out_others: Option<String>,
) -> Result<String, ApiError> {
    use crate::ssr::*;
    use domain::sensitive::Operation;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, Operation::RemoveSecurityKey, password, None, code.as_deref()).await?;
        let applied = c.warden.security_keys().remove(c.actor()?, &confirmed, id, sign_out_others.is_some(), &c.meta).await?;
        if let Some(renewed) = &applied.renewed {
            set_cookie(c.cookies.set(renewed.token.expose()));
        }
        Ok(applied.value)
    })
    .await
}

/// What this pending sign-in's second step can be answered with (a key,
/// the authenticator app, a recovery code), so the page offers those.
#[server(prefix = "/_fn", endpoint = "second_step_methods")]
pub async fn second_step_methods() -> Result<SecondStepView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SecondStep, |c| async move {
        let m = c.warden.sign_in().second_step_methods(c.actor()?).await?;
        Ok(SecondStepView { security_key: m.security_key, authenticator_app: m.authenticator_app, recovery_code: m.recovery_code })
    })
    .await
}

/// The second sign-in step by key: the options for
/// `navigator.credentials.get()` as JSON, for this pending sign-in.
#[server(prefix = "/_fn", endpoint = "start_key_sign_in")]
pub async fn start_key_sign_in() -> Result<String, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SecondStep, |c| async move { c.warden.security_keys().start_sign_in(c.actor()?).await }).await
}

/// Completes the sign-in with the key's answer (JSON).
#[server(prefix = "/_fn", endpoint = "finish_key_sign_in")]
pub async fn finish_key_sign_in(credential: String, next: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SecondStep, |c| async move {
        let device = super::device_cookie(&c);
        let signed_in = c.warden.sign_in().complete_with_key(c.actor()?, &credential, &c.meta, &device).await?;
        super::finish_sign_in(&c, &signed_in, &next);
        Ok(())
    })
    .await
}

/// Starts signing in with a passkey alone: the options for
/// `navigator.credentials.get()` as JSON (no keys named, user verification
/// required). The challenge is bound to this browser by a short-lived
/// cookie.
#[server(prefix = "/_fn", endpoint = "start_passkey_sign_in")]
pub async fn start_passkey_sign_in() -> Result<String, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::GuestOnly, |c| async move {
        let started = c.warden.sign_in().start_with_passkey(&c.meta).await?;
        set_cookie(c.cookies.set_passkey(started.browser.expose(), domain::second_factor::CHALLENGE_SECS));
        Ok(started.options)
    })
    .await
}

/// Starts the sign-in page's passkey autofill (conditional mediation): the
/// same options as [`start_passkey_sign_in`], on a budget of its own, its
/// challenge bound to this browser by the same cookie.
#[server(prefix = "/_fn", endpoint = "start_passkey_autofill")]
pub async fn start_passkey_autofill() -> Result<String, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::GuestOnly, |c| async move {
        let started = c.warden.sign_in().start_passkey_autofill(&c.meta).await?;
        set_cookie(c.cookies.set_passkey(started.browser.expose(), domain::second_factor::CHALLENGE_SECS));
        Ok(started.options)
    })
    .await
}

/// Completes signing in with a passkey's answer (JSON) to this browser's
/// challenge: a full session at once, then on to `next`.
#[server(prefix = "/_fn", endpoint = "finish_passkey_sign_in")]
pub async fn finish_passkey_sign_in(credential: String, next: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::GuestOnly, |c| async move {
        let browser = request_cookie(|h| c.cookies.read_passkey(h)).map(domain::Secret::new);
        // The challenge is used up whatever the answer.
        set_cookie(c.cookies.clear_passkey());
        let device = super::device_cookie(&c);
        let signed_in = c.warden.sign_in().complete_with_passkey(browser.as_ref(), &credential, &c.meta, c.actor_if_any(), &device).await?;
        super::finish_sign_in(&c, &signed_in, &next);
        Ok(())
    })
    .await
}

/// Starts a key check in this signed-in session, for a change that asks
/// for the second factor (the step-up of the PIN's settings, a new API
/// token, a change of factors): the options for
/// `navigator.credentials.get()` as JSON. The answer goes in that change's
/// `code` field.
#[server(prefix = "/_fn", endpoint = "start_key_check")]
pub async fn start_key_check() -> Result<String, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.security_keys().start_check(c.actor()?).await }).await
}
