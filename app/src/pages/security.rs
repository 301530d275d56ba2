//! The Security area: heading, the tab bar, and the current tab below it.
//! Only tabs whose page exists are listed.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

#[component]
pub fn SecurityLayout() -> impl IntoView {
    view! {
        <div class="security">
            <p class="breadcrumb">"Account"</p>
            <h1>"Security"</h1>
            <nav class="tabs" aria-label="Security">
                <A href="/account/security/sessions">"Login Security"</A>
                <A href="/account/security/password">"Password"</A>
                <A href="/account/security/2fa">"Two-Factor Auth"</A>
                <A href="/account/security/protection">"Protection"</A>
                <A href="/account/security/api-tokens">"API Access Tokens"</A>
            </nav>
            <Outlet/>
        </div>
    }
}
