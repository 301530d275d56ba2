//! The top bar: product name, and on the right the Profile menu (username →
//! Account → Security, Sign out) or the sign-in links. The menu is a
//! `<details>` element, so it opens without JavaScript too.

use crate::components::nav_link::NavLink;
use crate::components::submit::Submit;
use crate::server_fns::{current_user, SignOut};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn Header() -> impl IntoView {
    let location = use_location();
    // Re-read on every navigation: sign-in, sign-out and "log out of all
    // devices" all end in one, and a session ended elsewhere shows at once.
    let user = Resource::new(move || location.pathname.get(), |_| current_user());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Warden"</a>
            <Transition fallback=|| ()>
                {move || {
                    user.get()
                        .map(|u| match u {
                            Ok(Some(u)) => {
                                view! {
                                    <nav class="mainnav" aria-label="Main">
                                        <NavLink href="/reports">"Reporting"</NavLink>
                                        <NavLink href="/account/security/sessions">"Security"</NavLink>
                                    </nav>
                                    // Closed again after every navigation.
                                    <details class="profile-menu" prop:open=move || { location.pathname.track(); false }>
                                        <summary aria-label=format!("Profile menu for {}", u.username)>
                                            <span class="avatar" aria-hidden="true">
                                                {u.username.chars().next().unwrap_or('?').to_ascii_uppercase().to_string()}
                                            </span>
                                            <span class="username">{u.username.clone()}</span>
                                        </summary>
                                        <div class="menu">
                                            <p class="menu-heading">"Account"</p>
                                            <NavLink href="/account/security/sessions">"Security"</NavLink>
                                            <NavLink href="/account/time-zone">"Time zone"</NavLink>
                                            <ActionForm action=sign_out>
                                                <Submit action=sign_out class="linklike">"Sign out"</Submit>
                                            </ActionForm>
                                        </div>
                                    </details>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <nav class="guest" aria-label="Account">
                                        <NavLink href="/signin">"Sign in"</NavLink>
                                        <NavLink href="/signup">"Sign up"</NavLink>
                                    </nav>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </header>
    }
}
