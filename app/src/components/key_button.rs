//! One button that gets a security key's answer: it fetches the server's
//! challenge (`start`), has the browser ask the key
//! (`navigator.credentials.get()`), and hands the answer on (`on_answer`:
//! the second sign-in step, a passkey sign-in, a key check). Disabled until
//! the page is live: WebAuthn needs JavaScript, and the note says so.

use leptos::prelude::*;
use proto::ApiError;
use std::future::Future;

#[component]
pub fn KeyButton<S, Fut>(
    /// Fetches the options for `navigator.credentials.get()`.
    start: S,
    /// Takes the key's answer.
    on_answer: Callback<String>,
    /// While the answer is being checked.
    #[prop(into, optional)]
    checking: Signal<bool>,
    /// The server's refusal of the answer, shown like the browser's own.
    #[prop(into, optional)]
    refused: Signal<Option<ApiError>>,
    label: &'static str,
    #[prop(optional)] class: &'static str,
    /// Said while the page is not live (no JavaScript); nothing if empty.
    #[prop(optional)]
    needs_js: &'static str,
) -> AnyView
where
    S: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<String, ApiError>> + 'static,
{
    let hydrated = crate::components::hydrated::use_hydrated();
    let asking = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let busy = move || asking.get() || checking.get();
    let click = move |_| {
        if busy() {
            return;
        }
        asking.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = async {
                let options = start().await.map_err(|e| e.to_string())?;
                crate::webauthn::get(&options).await.map_err(|e| e.to_string())
            }
            .await;
            asking.set(false);
            match answer {
                Ok(answer) => on_answer.run(answer),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let said = move || error.get().or_else(|| (!asking.get()).then(|| refused.get().map(|e| e.to_string())).flatten());
    view! {
        {move || said().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
        <button type="button" class=class on:click=click disabled=move || !hydrated.get() || busy() aria-busy=move || busy().then_some("true")>
            {label}
        </button>
        {move || (!hydrated.get() && !needs_js.is_empty()).then(|| view! { <p class="muted" role="note">{needs_js}</p> })}
    }
    .into_any()
}
