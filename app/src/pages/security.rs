//! The Security area: heading, the tab bar, and the current tab below it.
//! Only tabs whose page exists are listed.

use crate::components::nav_link::NavLink;
use leptos::prelude::*;
use leptos_router::components::Outlet;

#[component]
pub fn SecurityLayout() -> impl IntoView {
    view! {
        <div class="security">
            <p class="breadcrumb">"Account"</p>
            <h1>"Security"</h1>
            <nav class="tabs" aria-label="Security">
                <NavLink href="/account/security/sessions">"Login Security"</NavLink>
                <NavLink href="/account/security/password">"Password"</NavLink>
                <NavLink href="/account/security/2fa">"Two-Factor Auth"</NavLink>
                <NavLink href="/account/security/protection">"Protection"</NavLink>
                <NavLink href="/account/security/api-tokens">"API Access Tokens"</NavLink>
            </nav>
            <Outlet/>
        </div>
    }
}
