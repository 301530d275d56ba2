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
            #[cfg(feature = "hydrate")]
            submit(&field);
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

/// Sends the field's form as the person pressing its submit button would
/// (its own submit handler, validation included).
#[cfg(feature = "hydrate")]
fn submit(field: &web_sys::HtmlInputElement) {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    let form = js_sys::Reflect::get(field, &JsValue::from_str("form")).unwrap_or(JsValue::NULL);
    if let Ok(request_submit) = js_sys::Reflect::get(&form, &JsValue::from_str("requestSubmit")).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = request_submit.call0(&form);
    }
}
