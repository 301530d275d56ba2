//! The landing page: where to go next.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Home() -> impl IntoView {
    view! {
        <Title text="Warden"/>
        <section class="card narrow">
            <h1>"Warden"</h1>
            <p>
                "Your account's Security centre: see every session, sign out devices you don't recognise, "
                "and keep your account under your control."
            </p>
            <p class="actions">
                <a class="button" href="/account/security/sessions">"Open Security"</a>
                <a href="/signup">"Create an account"</a>
            </p>
        </section>
    }
}
