//! A page's data as it loads: drawn when it is there, or what went wrong.

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

/// The resource's value drawn by `draw`, or [`load_error`]; nothing while it
/// loads. For the inside of a `<Suspense>` or `<Transition>`.
pub fn loaded<T, V>(resource: Resource<Result<T, ApiError>>, draw: impl Fn(T) -> V + Send + Sync + 'static) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || {
        resource.get().map(|r| match r {
            Ok(v) => draw(v).into_any(),
            Err(e) => load_error(e),
        })
    }
}

/// `<Loaded resource=status let:v>…</Loaded>`: [`loaded`] in a
/// `<Transition>` (what is drawn stays while the resource loads again).
#[component]
pub fn Loaded<T, V, F>(
    resource: Resource<Result<T, ApiError>>,
    /// Shown before the first value; nothing by default.
    #[prop(optional, into)]
    fallback: ViewFnOnce,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
{
    view! { <Transition fallback>{loaded(resource, children)}</Transition> }
}
