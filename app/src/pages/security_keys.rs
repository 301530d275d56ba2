//! The Two-Factor Auth page's second method: security keys and passkeys
//! (WebAuthn). Adding one names it, asks to confirm it is you (the current
//! password, and a second factor when the account has one), then for a
//! touch of the key (or the device's PIN, fingerprint or face for a
//! passkey); the list shows each key with when it was added and last used,
//! and removes one after the same confirmation.
//!
//! Adding needs JavaScript (WebAuthn has no form post): without it the form
//! says so and stays disabled, while removing is a plain form post.

use crate::components::confirm_fields::{Asks, ConfirmFields};
use crate::components::form_error::ActionError;
use crate::components::hydrated::use_hydrated;
use crate::components::recovery_codes::RecoveryCodeList;
use crate::components::sign_out_others::SignOutOthers;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::server_fns::security_keys::{finish_security_key, start_security_key, RemoveSecurityKey, SecurityKeyAdded, SecurityKeyView};
use crate::server_fns::StepUpView;
use leptos::prelude::*;
use proto::ApiError;

/// The keys of the account and the form that adds one. `changed` is bumped
/// after each add or removal, so the page's status above follows (and this
/// section is drawn anew); a key just added goes to `added`, which the page
/// keeps, so its recovery codes outlive that.
#[component]
pub fn SecurityKeys(keys: Vec<SecurityKeyView>, s: StepUpView, changed: RwSignal<u32>, added: RwSignal<Option<SecurityKeyAdded>>) -> AnyView {
    let remove = ServerAction::<RemoveSecurityKey>::new();
    Effect::new(move |_| {
        if let Some(Ok(credential_id)) = remove.value().get() {
            // So the browser stops offering a passkey that is gone (where it can be told).
            crate::webauthn::signal_removed(&credential_id);
            changed.update(|n| *n += 1);
        }
    });
    let count = keys.len();
    view! {
        <section class="subpanel" id="security-keys" aria-labelledby="keys-title">
            <h3 id="keys-title">"Security keys and passkeys"</h3>
            <p class="muted">
                "A security key (like a YubiKey) or a passkey on your phone or computer: at sign-in you touch the key, "
                "or unlock the device with its PIN, fingerprint or face, instead of typing a code. "
                "A key only answers Warden's own address, so a fake sign-in page cannot use it."
            </p>
            {if count == 0 {
                view! { <p>"No security keys yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="keys" aria-label="Your security keys">
                        {keys.into_iter().map(|k| view! { <KeyRow k s=s.clone() remove/> }).collect_view()}
                    </ul>
                    <ActionError action=remove/>
                }
                .into_any()
            }}
            <AddKey s changed added/>
        </section>
    }
    .into_any()
}

#[component]
fn KeyRow(k: SecurityKeyView, s: StepUpView, remove: ServerAction<RemoveSecurityKey>) -> AnyView {
    let label = format!("Remove {}", k.name);
    let kind = if k.passkey { "Passkey" } else { "Security key" };
    view! {
        <li class="key-row">
            <div>
                <strong class="key-name">{k.name.clone()}</strong>
                " "
                <span class="badge">{kind}</span>
                <p class="muted">
                    "Added " <When at=k.added absolute=true/> " · "
                    {match k.last_used {
                        Some(at) => view! { "Last used " <When at=at/> }.into_any(),
                        None => view! { "Never used to sign in" }.into_any(),
                    }}
                </p>
            </div>
            <details class="remove-key">
                <summary aria-label=label.clone()>"Remove"</summary>
                <ActionForm action=remove>
                    <input type="hidden" name="id" value=k.id.to_string()/>
                    <ConfirmFields s asks=Asks::AllFactors/>
                    <SignOutOthers/>
                    <Submit action=remove class="danger">
                        {label}
                    </Submit>
                </ActionForm>
            </details>
        </li>
    }
    .into_any()
}

/// The add form. Without JavaScript (before hydration) it explains why it
/// cannot be used; in a browser without WebAuthn it says that instead.
#[component]
fn AddKey(s: StepUpView, changed: RwSignal<u32>, added: RwSignal<Option<SecurityKeyAdded>>) -> AnyView {
    let hydrated = use_hydrated();
    let can = move || hydrated.get() && crate::webauthn::supported();
    let busy = RwSignal::new(false);
    let step = RwSignal::new(None::<&'static str>);
    let error = RwSignal::new(None::<String>);
    let name = NodeRef::<leptos::html::Input>::new();
    let passkey = NodeRef::<leptos::html::Input>::new();
    let others = NodeRef::<leptos::html::Input>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (Some(n), Some(k), Some(f)) = (name.get_untracked(), passkey.get_untracked(), form.get_untracked()) else {
            return;
        };
        // The step-up fields, when the form has them: read by name, then emptied.
        let (pw, code) = (crate::browser::take_field(&f, "password"), crate::browser::take_field(&f, "code"));
        let (key_name, as_passkey) = (n.value(), k.checked());
        let sign_out_others = others.get_untracked().is_some_and(|o| o.checked()).then(|| "on".to_owned());
        busy.set(true);
        error.set(None);
        added.set(None);
        leptos::task::spawn_local(async move {
            step.set(Some("Checking it's you…"));
            let outcome = async {
                let options = start_security_key(key_name, pw.map(Into::into), code, as_passkey).await.map_err(|e: ApiError| e.to_string())?;
                step.set(Some("Touch your security key, or follow your browser's steps for a passkey…"));
                let answer = crate::webauthn::create(&options).await.map_err(|e| e.to_string())?;
                step.set(Some("Saving the key…"));
                finish_security_key(answer, sign_out_others).await.map_err(|e: ApiError| e.to_string())
            }
            .await;
            step.set(None);
            busy.set(false);
            match outcome {
                // Last: the section is drawn anew with the new list.
                Ok(a) => {
                    n.set_value("");
                    added.set(Some(a));
                    changed.update(|c| *c += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="add-key" node_ref=form on:submit=on_submit aria-labelledby="add-key-title">
            <h4 id="add-key-title">"Add a security key or passkey"</h4>
            {move || (!hydrated.get()).then(|| view! {
                <p class="alert info" role="note">
                    "Adding a security key needs a browser with JavaScript turned on: the key talks to this page, not to a form. "
                    "The authenticator app works without it."
                </p>
            })}
            {move || (hydrated.get() && !crate::webauthn::supported()).then(|| view! {
                <p class="alert info" role="note">"This browser cannot use security keys or passkeys. Try a current Chrome, Edge, Firefox or Safari."</p>
            })}
            <label>
                "Name of the key"
                <input type="text" node_ref=name name="name" maxlength="64" placeholder="YubiKey 5, Phone" required/>
            </label>
            <ConfirmFields s asks=Asks::AllFactors/>
            <label class="check">
                <input type="checkbox" node_ref=passkey name="passkey"/>
                "Passkey: also sign in with it alone, without typing a password (the key or device checks your PIN, fingerprint or face)"
            </label>
            <SignOutOthers node_ref=others/>
            <div class="progress" role="status">
                {move || step.get().map(|s| view! { <progress aria-label="Adding the key"></progress> <span>{s}</span> })}
            </div>
            {move || error.get().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
            <button type="submit" disabled=move || !can() || busy.get() aria-busy=move || busy.get().then_some("true")>"Add security key"</button>
        </form>
    }
    .into_any()
}

/// A key just added, said once, with the recovery codes it came with.
#[component]
pub fn KeyAdded(added: RwSignal<Option<SecurityKeyAdded>>) -> AnyView {
    (move || {
        added.get().map(|a| {
            view! {
                <p class="alert success" role="status">{format!("Security key \u{201c}{}\u{201d} added. You can use it the next time you sign in.", a.name)}</p>
                {a.recovery_codes.map(|c| view! { <RecoveryCodeList codes=c.0/> })}
            }
        })
    })
    .into_any()
}
