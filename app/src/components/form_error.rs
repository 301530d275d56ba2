//! The error line under a form: announced to screen readers as it appears.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use proto::{ApiError, ErrorCode};

/// What a page shows when its data cannot be loaded: a signed-out visitor
/// goes to sign in, anything else is said in words.
pub fn load_error(e: ApiError) -> AnyView {
    match e.code {
        ErrorCode::NotSignedIn => view! { <Redirect path="/signin?reason=session_ended"/> }.into_any(),
        _ => view! { <p class="alert error" role="alert">{e.to_string()}</p> }.into_any(),
    }
}

#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })
}
