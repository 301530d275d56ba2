//! The error line under a form: announced to screen readers as it appears.

use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })
}
