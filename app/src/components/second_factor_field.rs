//! The second factor a change asks for while 2FA is on (setting the PIN,
//! creating an API token): a code typed (authenticator app or recovery
//! code) or, on an account with a security key, a touch of the key. The
//! key's answer to a check this session started travels in the same `code`
//! field, so the form and its server function stay one; the field is
//! emptied again as soon as the form has been sent.

use crate::server_fns::security_keys::start_key_check;
use leptos::prelude::*;

#[component]
pub fn SecondFactorField(security_key: bool) -> AnyView {
    let input = NodeRef::<leptos::html::Input>::new();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let use_key = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = async {
                let options = start_key_check().await.map_err(|e| e.to_string())?;
                crate::webauthn::get(&options).await.map_err(|e| e.to_string())
            }
            .await;
            busy.set(false);
            match (answer, input.get_untracked()) {
                (Ok(answer), Some(field)) => {
                    field.set_value(&answer);
                    #[cfg(feature = "hydrate")]
                    submit(&field);
                    field.set_value("");
                }
                (Err(e), _) => error.set(Some(e)),
                (Ok(_), None) => {}
            }
        });
    };
    view! {
        <label>
            "Authentication code or recovery code"
            <input type="text" node_ref=input name="code" autocomplete="one-time-code" required/>
        </label>
        {security_key.then(|| view! {
            <p class="key-check">
                <button type="button" class="secondary" on:click=use_key disabled=move || !hydrated.get() || busy.get() aria-busy=move || busy.get().then_some("true")>
                    "Use security key instead"
                </button>
            </p>
            {move || error.get().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
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
    if let Ok(request_submit) =
        js_sys::Reflect::get(&form, &JsValue::from_str("requestSubmit")).and_then(|f| f.dyn_into::<js_sys::Function>().map_err(JsValue::from))
    {
        let _ = request_submit.call0(&form);
    }
}
