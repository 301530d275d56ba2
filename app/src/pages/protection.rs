//! Protection: a PIN that guards the reports of previous days. Setting,
//! changing and removing it take confirming it is you (the account
//! password, and a second factor when the account has one; not again within
//! minutes of the last time). Every form is a plain form post too, so the
//! page works without JavaScript.

use crate::components::confirm_fields::{Asks, ConfirmFields};
use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::submit::Submit;
use crate::components::switch_row::SwitchRow;
use crate::components::when::When;
use crate::early::Early;
use crate::gate::paths;
use crate::server_fns::protection::{protection_status, ChangePin, LockReports, ProtectionView, RemovePin, SetPin};
use crate::server_fns::{step_up_status, StepUpView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `early_*`: the page's first data, asked for by its route ([`Early`]).
#[component]
pub fn ProtectionPage(early_status: Early, early_step_up: Early) -> impl IntoView {
    let set = ServerAction::<SetPin>::new();
    let change = ServerAction::<ChangePin>::new();
    let remove = ServerAction::<RemovePin>::new();
    let lock = ServerAction::<LockReports>::new();
    let status = Resource::new(
        move || (set.version().get(), change.version().get(), remove.version().get(), lock.version().get()),
        move |_| {
            let (status, step_up) = (early_status.clone(), early_step_up.clone());
            async move { Ok::<_, proto::ApiError>((status.or(protection_status).await?, step_up.or(step_up_status).await?)) }
        },
    );
    view! {
        <Title text="Protection · Warden"/>
        <section class="panel" aria-labelledby="protection">
            <h2 id="protection">"Protection"</h2>
            <p class="muted">
                "Enabling a personal identification number (PIN) code adds an extra layer of security. Once activated, "
                "this feature requires the entry of a unique PIN code if someone needs to check the reporting for the previous days. "
                "Today's figures never ask for it."
            </p>
            <p class="muted">
                "The PIN guards this dashboard only. API tokens are not PIN-gated: any token may read the reports of "
                "every day, because it was created with your password. Manage them on "
                <a href="/account/security/api-tokens">"API Access Tokens"</a>
                "."
            </p>
            <Loaded resource=status fallback=|| view! { <p class="muted">"Loading…"</p> } let((v, s))>
                <PinState v s set change remove lock/>
            </Loaded>
        </section>
    }
}

#[component]
fn PinState(
    v: ProtectionView,
    /// This session's step-up window.
    s: StepUpView,
    set: ServerAction<SetPin>,
    change: ServerAction<ChangePin>,
    remove: ServerAction<RemovePin>,
    lock: ServerAction<LockReports>,
) -> impl IntoView {
    let query = use_query_map();
    let minutes = v.unlock_minutes;
    let (s_change, s_remove) = (s.clone(), s.clone());
    match v.set_since {
        Some(since) => view! {
            <SwitchRow on=true href=paths::PROTECTION label="Enable PIN">
                <p>
                    <strong>"A PIN protects the reports of previous days"</strong>
                    " since " <When at=since absolute=true/> "."
                </p>
            </SwitchRow>
            <p class="muted">{format!("Entering it on Reporting unlocks previous days for that session only, for {minutes} minutes.")}</p>
            {v.unlocked_until_clock.map(|clock| view! {
                <div class="unlock-line">
                    <span>{format!("This session: unlocked until {clock}")}</span>
                    " · "
                    <ActionForm action=lock attr:class="inline">
                        <Submit action=lock class="linklike">"Lock now"</Submit>
                    </ActionForm>
                </div>
            })}
            {v.wait_secs.map(|w| view! {
                <p class="alert warning" role="status">{format!("After wrong PINs, the PIN takes no guesses for {}.", wait_words(w))}</p>
            })}
            <section class="subpanel" aria-labelledby="change-pin-title">
                <h3 id="change-pin-title">"Change PIN"</h3>
                <ActionForm action=change>
                    <ConfirmFields s=s_change asks=Asks::AllFactors/>
                    {pin_fields("New PIN")}
                    <ActionError action=change/>
                    <p class="alert success" role="status" hidden=move || !matches!(change.value().get(), Some(Ok(())))>"Your PIN was changed."</p>
                    <Submit action=change>"Change PIN"</Submit>
                </ActionForm>
            </section>
            <section class="subpanel" aria-labelledby="remove-pin-title">
                <h3 id="remove-pin-title">"Remove PIN"</h3>
                <p class="muted">
                    "Forgot your PIN? Remove it with your password, then set a new one. "
                    "Without a PIN, the reports of previous days open without one."
                </p>
                <ActionForm action=remove>
                    <ConfirmFields s=s_remove asks=Asks::AllFactors/>
                    <ActionError action=remove/>
                    <Submit action=remove class="danger">"Remove PIN"</Submit>
                </ActionForm>
            </section>
        }
        .into_any(),
        None => {
            let choosing = move || query.read().get("enable").is_some();
            view! {
                <SwitchRow on=false choosing=Signal::derive(choosing) href=paths::PROTECTION label="Enable PIN">
                    <p class="muted">"No PIN is set: the reports of previous days open without one."</p>
                </SwitchRow>
                {move || { let s = s.clone(); choosing().then(move || view! {
                    <section class="subpanel" aria-labelledby="set-pin-title">
                        <h3 id="set-pin-title">"Set a PIN"</h3>
                        <p class="muted">
                            "4 to 8 digits: short enough to type often, and guarded by a lock: after 10 wrong PINs in an hour "
                            "the PIN locks for an hour and we email you. A PIN of one digit repeated, a straight run (1234, 9876), "
                            "one of the most common PINs or digits from your username is refused."
                        </p>
                        <ActionForm action=set>
                            <ConfirmFields s asks=Asks::AllFactors/>
                            {pin_fields("PIN")}
                            <ActionError action=set/>
                            <Submit action=set>"Enable PIN"</Submit>
                        </ActionForm>
                    </section>
                })}}
            }
            .into_any()
        }
    }
}

/// "12 seconds", "4 minutes".
fn wait_words(secs: i64) -> String {
    match secs {
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", (s + 59) / 60),
    }
}

fn pin_fields(label: &'static str) -> impl IntoView {
    view! {
        <label>
            {label}
            <input type="password" name="pin" inputmode="numeric" autocomplete="off" pattern="[0-9]{4,8}" minlength="4" maxlength="8" required/>
        </label>
        <label>
            {format!("Confirm {}", label.to_lowercase().replace("pin", "PIN"))}
            <input type="password" name="confirm_pin" inputmode="numeric" autocomplete="off" pattern="[0-9]{4,8}" minlength="4" maxlength="8" required/>
        </label>
    }
}
