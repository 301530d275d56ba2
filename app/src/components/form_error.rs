//! The error line under a form: announced to screen readers as it appears.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use proto::ApiError;

/// Why the last run of `action` was refused; nothing before it ran, while
/// it runs again, or after it went through.
pub fn refusal<S>(action: ServerAction<S>) -> Signal<Option<ApiError>>
where
    S: ServerFn<Error = ApiError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    Signal::derive(move || action.value().with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// The error line of a form that sends one action: `<ActionError action=change/>`.
#[component]
pub fn ActionError<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = ApiError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    view! { <FormError error=refusal(action)/> }
}

/// The error line from any signal, for a line that speaks for more than one
/// action.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p class="alert error" role="alert">{e.to_string()}</p> })
}
