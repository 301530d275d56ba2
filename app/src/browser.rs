//! Browser-only glue the pages share: what needs the DOM beyond Leptos.
//! Every function compiles on the server too (where it does nothing), so
//! pages call it without `cfg` of their own.

/// The value of the form's field `name`, if it has one that is filled in;
/// the field is emptied (a secret does not stay in the page).
pub fn take_field(form: &leptos::web_sys::HtmlFormElement, name: &str) -> Option<String> {
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
