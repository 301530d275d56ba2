//! Two-Factor Auth: turn on an authenticator app with a QR code (after
//! confirming it is you: the current password, and the security key when
//! the account has one), keep recovery codes, regenerate them or turn 2FA off;
//! beside it, security keys and passkeys (see [`super::security_keys`]).
//! Each change offers "Sign out of other devices", ticked. Every form of the
//! authenticator app is a plain form post too, so it works without
//! JavaScript; adding a key needs it (WebAuthn has no form post).

use crate::components::confirm_fields::{Asks, ConfirmFields};
use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::recovery_codes::RecoveryCodeList;
use crate::components::sign_out_others::SignOutOthers;
use crate::components::submit::Submit;
use crate::components::switch_row::SwitchRow;
use crate::components::when::When;
use crate::early::Early;
use crate::gate::paths;
use crate::pages::security_keys::{KeyAdded, SecurityKeys};
use crate::server_fns::security_keys::security_keys;
use crate::server_fns::two_factor::{
    two_factor_status, ConfirmTotp, DisableTotp, EnrolmentView, RecoveryCodes, RegenerateRecoveryCodes, StartTotp, TwoFactorView,
};
use crate::server_fns::{step_up_status, StepUpView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use proto::ApiError;

/// `early_*`: the page's first data, asked for by its route ([`Early`]).
#[component]
pub fn TwoFactorPage(early_status: Early, early_keys: Early, early_step_up: Early) -> impl IntoView {
    let start = ServerAction::<StartTotp>::new();
    let confirm = ServerAction::<ConfirmTotp>::new();
    let disable = ServerAction::<DisableTotp>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    // Bumped by each key added or removed.
    let keys_changed = RwSignal::new(0u32);
    let key_added = RwSignal::new(None);
    let status = Resource::new(
        move || (start.version().get(), confirm.version().get(), disable.version().get(), regenerate.version().get(), keys_changed.get()),
        move |_| {
            let (status, keys, step_up) = (early_status.clone(), early_keys.clone(), early_step_up.clone());
            async move { Ok::<_, ApiError>((status.or(two_factor_status).await?, keys.or(security_keys).await?, step_up.or(step_up_status).await?)) }
        },
    );
    // Fresh recovery codes live only in this page's memory, from the action
    // that created them.
    let new_codes = Signal::derive(move || {
        let from = |v: Option<Result<RecoveryCodes, ApiError>>| v.and_then(Result::ok);
        from(regenerate.value().get()).or_else(|| confirm.value().get().and_then(Result::ok).flatten())
    });
    view! {
        <Title text="Two-Factor Auth · Warden"/>
        <section class="panel" aria-labelledby="two-factor">
            <h2 id="two-factor">"Two-Factor Auth"</h2>
            <p class="muted">
                "Two-factor authentication (2FA) guarantees double protection of your account: after your password, "
                "signing in asks for a code from an authenticator app on your phone, like Google Authenticator, "
                "or for a touch of your security key or passkey."
            </p>
            {move || new_codes.get().map(|codes| view! { <RecoveryCodeList codes=codes.0/> })}
            <KeyAdded added=key_added/>
            <Loaded resource=status fallback=|| view! { <p class="muted">"Loading…"</p> } let((mut v, keys, s))>
                // Codes carried over a plain form post (JavaScript off), shown once.
                {v.fresh_codes.take().filter(|_| new_codes.get_untracked().is_none()).map(|c| view! { <RecoveryCodeList codes=c.0/> })}
                <TwoFactorState v keys=keys.len() s=s.clone() start confirm disable regenerate/>
                <SecurityKeys keys s changed=keys_changed added=key_added/>
            </Loaded>
        </section>
    }
}

#[component]
fn TwoFactorState(
    v: TwoFactorView,
    /// How many security keys the account has.
    keys: usize,
    /// This session's step-up window.
    s: StepUpView,
    start: ServerAction<StartTotp>,
    confirm: ServerAction<ConfirmTotp>,
    disable: ServerAction<DisableTotp>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
) -> impl IntoView {
    let query = use_query_map();
    let (s_regenerate, s_disable) = (s.clone(), s.clone());
    match v.enabled_since {
        Some(since) => view! {
            <SwitchRow on=true href=paths::TWO_FACTOR label="Enable 2FA">
                <p>
                    <strong>"Two-factor authentication is on"</strong>
                    " since " <When at=since absolute=true/> "."
                </p>
            </SwitchRow>
            <p>
                "Method: " <strong>"Authenticator App"</strong>
                {(keys > 0).then(|| view! { " and " <strong>{if keys == 1 { "a security key".to_owned() } else { format!("{keys} security keys") }}</strong> })}
            </p>
            <p>{format!("Recovery codes left: {}", v.recovery_codes_left)}</p>
            <section class="subpanel" aria-labelledby="regenerate-title">
                <h3 id="regenerate-title">"Regenerate recovery codes"</h3>
                <p class="muted">"Your old recovery codes stop working at once."</p>
                <ActionForm action=regenerate>
                    <ConfirmFields s=s_regenerate asks=Asks::AllFactors/>
                    <SignOutOthers/>
                    <ActionError action=regenerate/>
                    <Submit action=regenerate class="secondary">
                        "Regenerate recovery codes"
                    </Submit>
                </ActionForm>
            </section>
            <section class="subpanel" aria-labelledby="disable-title">
                <h3 id="disable-title">"Disable 2FA"</h3>
                <p class="muted">"Signing in will ask for your password only."</p>
                <ActionForm action=disable>
                    <ConfirmFields s=s_disable asks=Asks::AllFactors/>
                    <SignOutOthers/>
                    <ActionError action=disable/>
                    <Submit action=disable class="danger">"Disable 2FA"</Submit>
                </ActionForm>
            </section>
        }
        .into_any(),
        None if keys > 0 => view! {
            <SwitchRow on=true href=paths::TWO_FACTOR label="Enable 2FA">
                <p><strong>"Two-factor authentication is on"</strong> ": signing in asks for your security key."</p>
            </SwitchRow>
            <p>"Method: " <strong>{if keys == 1 { "Security key".to_owned() } else { format!("Security keys ({keys})") }}</strong></p>
            <p>{format!("Recovery codes left: {}", v.recovery_codes_left)}</p>
            <p class="muted">"To turn two-factor authentication off, remove every key below."</p>
            <fieldset class="methods">
                <legend>"Add the authenticator app too"</legend>
                <AppMethod start s on=v.pending.is_some()/>
            </fieldset>
            {v.pending.map(|p| view! { <Enrol p confirm/> })}
        }
        .into_any(),
        None => {
            let choosing = move || query.read().get("enable").is_some();
            let pending = v.pending.clone();
            let on = pending.is_some();
            view! {
                <SwitchRow on=false choosing=Signal::derive(move || on || choosing()) href=paths::TWO_FACTOR label="Enable 2FA">
                    <p class="muted">"Two-factor authentication is off."</p>
                </SwitchRow>
                {move || { let s = s.clone(); (on || choosing()).then(move || view! {
                    <fieldset class="methods">
                        <legend>"Method"</legend>
                        <AppMethod start s on/>
                        <p class="method-other">
                            <a href="#add-key-title" class="button secondary">"Security key or passkey"</a>
                        </p>
                    </fieldset>
                })}}
                {pending.map(|p| view! { <Enrol p confirm/> })}
            }
            .into_any()
        }
    }
}

/// Choosing the authenticator app: confirming it is you first (the current
/// password, and a security key's touch or a recovery code when the account
/// has a key).
#[component]
fn AppMethod(start: ServerAction<StartTotp>, s: StepUpView, on: bool) -> impl IntoView {
    let asked = !crate::components::confirm_fields::covered(&s, Asks::AllFactors);
    view! {
        <ActionForm action=start>
            {asked.then(|| view! { <p class="muted">"First confirm it is you, then choose a method."</p> })}
            <ConfirmFields s asks=Asks::AllFactors/>
            <Submit action=start pressed=on>
                "Authenticator App"
            </Submit>
        </ActionForm>
        <ActionError action=start/>
    }
}

#[component]
fn Enrol(p: EnrolmentView, confirm: ServerAction<ConfirmTotp>) -> impl IntoView {
    view! {
        <div class="enrol">
            <ol>
                <li>"Open your authenticator app, tap the plus sign and choose Scan a QR code."</li>
                <li>"Scan this code:"</li>
            </ol>
            <div class="qr" inner_html=p.qr_svg></div>
            <details>
                <summary>"Can't scan the code?"</summary>
                <p>"Enter this key in your app instead (time-based, 6 digits):"</p>
                <p><code class="key">{p.key}</code></p>
            </details>
            <ol start="3">
                <li>"Enter the six-digit code the app shows, then select Enable."</li>
            </ol>
            <ActionForm action=confirm>
                <label>
                    "Six-digit code"
                    <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required/>
                </label>
                <SignOutOthers/>
                <ActionError action=confirm/>
                <Submit action=confirm>"Enable"</Submit>
            </ActionForm>
        </div>
    }
}
