//! A link of the site's navigation (the top bar, the profile menu, the
//! Security tabs): `aria-current="page"` while the page is the link's or
//! one under it, as the router's `<A>` says it.
//!
//! `<A>` also resolves relative addresses and keeps a memo of its own per
//! link; these links are absolute, so one comparison with the router's path
//! is all they need (every page draws about ten of them). A click on any
//! `<a>` of the site is the router's to handle either way, so links in a
//! page's text are plain `<a>`.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn NavLink(href: &'static str, children: Children) -> impl IntoView {
    let path = use_location().pathname;
    view! { <a href=href aria-current=move || path.with(|p| is_at(p, href)).then_some("page")>{children()}</a> }
}

/// The page at `path` is `href`'s or one under it (`/a` is at `/a`, `/a/`
/// and `/a/b`, not at `/ab`).
fn is_at(path: &str, href: &str) -> bool {
    let href = href.strip_suffix('/').unwrap_or(href);
    match path.strip_prefix(href) {
        Some(rest) => rest.is_empty() || rest.starts_with('/') || href.is_empty(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_at;

    #[test]
    fn a_link_is_current_on_its_page_and_the_pages_under_it_only() {
        let sessions = "/account/security/sessions";
        for path in [sessions, "/account/security/sessions/", "/account/security/sessions/webhooks"] {
            assert!(is_at(path, sessions), "{path}");
        }
        for path in ["/account/security/sessionsx", "/account/security/password", "/account/security", "/", "/reports"] {
            assert!(!is_at(path, sessions), "{path}");
        }
        assert!(is_at("/reports", "/reports") && !is_at("/account/time-zone", "/reports"));
        assert!(is_at("/", "/") && is_at("/reports", "/"), "the root is over every page, as <A> has it");
    }
}
