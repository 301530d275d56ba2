//! Create an account: email, username, password twice.

use crate::components::form_error::ActionError;
use crate::components::submit::Submit;
use crate::server_fns::SignUp;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    // Days in Reporting are the person's: the browser says its zone once
    // JavaScript runs; without it the account starts on UTC.
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| zone.set(crate::browser::time_zone().unwrap_or_default()));
    view! {
        <Title text="Sign up · Warden"/>
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ActionForm action=action>
                <label>"Email" <input type="email" name="email" autocomplete="email" required/></label>
                <label>
                    "Username"
                    <input type="text" name="username" autocomplete="username" required minlength="3" maxlength="32"/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="new-password" required minlength="8" aria-describedby="pw-hint"/>
                </label>
                <p id="pw-hint" class="hint">"At least 8 characters. A few unrelated words make a strong, memorable password."</p>
                <label>
                    "Confirm password"
                    <input type="password" name="confirm_password" autocomplete="new-password" required minlength="8"/>
                </label>
                <input type="hidden" name="time_zone" prop:value=move || zone.get()/>
                <ActionError action=action/>
                <Submit action=action>"Sign up"</Submit>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </section>
    }
}
