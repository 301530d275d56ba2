//! Browser-only glue the pages share: what needs the DOM beyond Leptos.
//! Every function compiles on the server too (where it does nothing), so
//! pages call it without `cfg` of their own.

use leptos::web_sys::{HtmlDialogElement, HtmlFormElement, HtmlInputElement};

/// The value of the form's field `name`, if it has one that is filled in;
/// the field is emptied (a secret does not stay in the page).
pub fn take_field(form: &HtmlFormElement, name: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        let elements = js_sys::Reflect::get(form, &JsValue::from_str("elements")).ok()?;
        let field = js_sys::Reflect::get(&elements, &JsValue::from_str(name)).ok().filter(|f| !f.is_undefined() && !f.is_null())?;
        let value = js_sys::Reflect::get(&field, &JsValue::from_str("value")).ok()?.as_string()?;
        let _ = js_sys::Reflect::set(&field, &JsValue::from_str("value"), &JsValue::from_str(""));
        (!value.is_empty()).then_some(value)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (form, name);
        None
    }
}

/// Sends the field's form as the person pressing its submit button would
/// (its own submit handler, validation included).
pub fn submit_form_of(field: &HtmlInputElement) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{JsCast, JsValue};
        let form = js_sys::Reflect::get(field, &JsValue::from_str("form")).unwrap_or(JsValue::NULL);
        if let Ok(request_submit) = js_sys::Reflect::get(&form, &JsValue::from_str("requestSubmit")).and_then(|f| f.dyn_into::<js_sys::Function>()) {
            let _ = request_submit.call0(&form);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = field;
}

/// Puts `text` on the clipboard.
pub fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// A `<dialog>` the server rendered open (not modal) opened again as a
/// modal, without a close event; one already modal is left as it is.
pub fn reopen_as_modal(dialog: &HtmlDialogElement) {
    #[cfg(feature = "hydrate")]
    {
        if !dialog.matches(":modal").unwrap_or(false) {
            let _ = dialog.remove_attribute("open");
            let _ = dialog.show_modal();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}

/// The browser's IANA zone (`Europe/Berlin`), as JavaScript's `Intl` knows
/// it; `None` on the server.
pub fn time_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|v| v.as_string()).filter(|z| !z.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// A call waiting for its time; dropping it cancels the call.
pub struct Timer {
    #[cfg(feature = "hydrate")]
    _timeout: gloo_timers::callback::Timeout,
}

/// Calls `f` once, `ms` milliseconds from now, unless the `Timer` is
/// dropped first. On the server nothing is ever called.
pub fn after(ms: u32, f: impl FnOnce() + 'static) -> Timer {
    #[cfg(feature = "hydrate")]
    {
        Timer { _timeout: gloo_timers::callback::Timeout::new(ms, f) }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ms, f);
        Timer {}
    }
}

/// Fetches `url` (a CSV export) and hands the answer to the browser as a
/// file download, named as the server's `Content-Disposition` says. A
/// refusal comes back in the server's words when it said any.
pub async fn download(url: &str) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::{document, window};
        use leptos::wasm_bindgen::{JsCast, JsValue};
        use wasm_bindgen_futures::JsFuture;

        /// What went wrong, in the server's words when it said any.
        fn say(v: JsValue) -> String {
            v.as_string().unwrap_or_else(|| "the connection failed".to_owned())
        }

        let response: web_sys::Response = JsFuture::from(window().fetch_with_str(url)).await.map_err(say)?.unchecked_into();
        if !response.ok() {
            // The error contract's JSON: `{ code, message }`.
            let text = JsFuture::from(response.text().map_err(say)?).await.map_err(say)?;
            let message = text
                .as_string()
                .and_then(|t| js_sys::JSON::parse(&t).ok())
                .and_then(|j| js_sys::Reflect::get(&j, &"message".into()).ok())
                .and_then(|m| m.as_string());
            return Err(message.unwrap_or_else(|| format!("the server answered {}", response.status())));
        }
        let name = response
            .headers()
            .get("content-disposition")
            .ok()
            .flatten()
            .and_then(|d| d.split("filename=\"").nth(1).map(|n| n.trim_end_matches('"').to_owned()))
            .unwrap_or_else(|| "calls.csv".to_owned());
        let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(say)?).await.map_err(say)?.unchecked_into();
        let href = web_sys::Url::create_object_url_with_blob(&blob).map_err(say)?;
        let a: web_sys::HtmlAnchorElement = document().create_element("a").map_err(say)?.unchecked_into();
        a.set_href(&href);
        a.set_download(&name);
        a.click();
        // Revoked once the browser has surely taken the file.
        gloo_timers::callback::Timeout::new(60_000, move || {
            let _ = web_sys::Url::revoke_object_url(&href);
        })
        .forget();
        Ok(())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
        Err("a download needs the browser".to_owned())
    }
}
