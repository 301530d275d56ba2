//! The step-up of a sensitive change ("Confirm it's you"): inside the
//! change's form, the current password and, when the account has a second
//! factor, one of them (a code, a recovery code or a touch of a security
//! key); or, within the minutes after the person confirmed it is them in
//! this session, one line that says so instead ("Confirmed for 9 more
//! minutes"). The table of what each change takes is the server's
//! (`domain::sensitive`); these fields only ask for it.

use crate::components::form_error::ActionError;
use crate::components::second_factor_field::SecondFactorField;
use crate::components::submit::Submit;
use crate::server_fns::{ConfirmIdentity, StepUpView};
use leptos::prelude::*;

/// What a form asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asks {
    /// The password alone: ending sessions (one factor).
    Password,
    /// The password and a second factor when the account has one.
    AllFactors,
    /// The form asks for the username and password itself (a new API
    /// token): only the second factor, unless the window covers it.
    SecondFactor,
}

/// Whether this session's window spares the form from asking.
pub fn covered(s: &StepUpView, asks: Asks) -> bool {
    match asks {
        Asks::Password => s.confirmed_until.is_some(),
        Asks::AllFactors | Asks::SecondFactor => s.covers_all,
    }
}

/// "Confirmed it's you for 9 more minutes."
pub fn confirmed_line(s: &StepUpView) -> Option<String> {
    s.minutes_left.map(|m| match m {
        0 | 1 => "Confirmed it's you for 1 more minute.".to_owned(),
        m => format!("Confirmed it's you for {m} more minutes."),
    })
}

/// The fields of `asks` inside a form, or the line that the window covers it.
#[component]
pub fn ConfirmFields(s: StepUpView, asks: Asks) -> AnyView {
    if covered(&s, asks) {
        return view! { <p class="confirmed" role="status">{confirmed_line(&s)}</p> }.into_any();
    }
    let second = asks != Asks::Password && s.has_second_factor;
    view! {
        {(asks != Asks::SecondFactor).then(|| view! {
            <label>"Current password" <input type="password" name="password" autocomplete="current-password" required/></label>
        })}
        {second.then(|| view! { <SecondFactorField security_key=s.security_key/> })}
    }
    .into_any()
}

/// "Confirm it's you" on its own, for a page whose changes are buttons
/// (ending a session): the password (and with `asks` of every factor, a
/// second factor) opens this session's window; once open it says for how
/// long. Works as a plain form post too.
#[component]
pub fn ConfirmPanel(s: StepUpView, asks: Asks, action: ServerAction<ConfirmIdentity>, what: &'static str) -> AnyView {
    if covered(&s, asks) {
        return view! { <p class="confirmed" role="status">{confirmed_line(&s)}</p> }.into_any();
    }
    view! {
        <section class="subpanel confirm-it" aria-labelledby="confirm-it-title">
            <h3 id="confirm-it-title">"Confirm it's you"</h3>
            <p class="muted">{format!("{what} Enter your password; you will not be asked again for {} minutes.", s.window_minutes)}</p>
            <ActionForm action=action>
                <ConfirmFields s=s.clone() asks/>
                <ActionError action=action/>
                <Submit action=action>"Confirm"</Submit>
            </ActionForm>
        </section>
    }
    .into_any()
}
