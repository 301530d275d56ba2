//! The second factor a change asks for while 2FA is on (setting the PIN,
//! creating an API token): a code typed (authenticator app or recovery
//! code) or, on an account with a security key, a touch of the key. The
//! key's answer to a check this session started travels in the same `code`
//! field, so the form and its server function stay one; the field is
//! emptied again as soon as the form has been sent.

use crate::components::key_button::KeyButton;
use crate::server_fns::security_keys::start_key_check;
use leptos::prelude::*;

#[component]
pub fn SecondFactorField(security_key: bool) -> AnyView {
    let input = NodeRef::<leptos::html::Input>::new();
    let on_answer = Callback::new(move |answer: String| {
        if let Some(field) = input.get_untracked() {
            field.set_value(&answer);
            crate::browser::submit_form_of(&field);
            field.set_value("");
        }
    });
    view! {
        <label>
            "Authentication code or recovery code"
            <input type="text" node_ref=input name="code" autocomplete="one-time-code" required/>
        </label>
        {security_key.then(|| view! {
            <div class="key-check">
                <KeyButton start=start_key_check on_answer label="Use security key instead" class="secondary"/>
            </div>
        })}
    }
    .into_any()
}
