//! The route table's companions: the paths pages link to, the gate each
//! page sits behind, and the lazy route of every page.
//!
//! Every page is a lazy route: built with `cargo leptos --split`, each
//! page's code is its own WASM chunk, fetched when the page is first shown
//! (the current page's chunk before hydration). The main bundle keeps the
//! router, the header and the Security tab bar.
//!
//! Written out one by one, not by a `macro_rules!`: `#[lazy_route]` names each
//! split point after the source location it is written at, so impls expanded
//! from one macro would collide.

use crate::pages;
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Paths that code links or redirects to.
pub mod paths {
    pub const HOME: &str = "/";
    pub const SIGN_IN: &str = "/signin";
    pub const SECOND_STEP: &str = "/signin/2fa";
    pub const SIGN_UP: &str = "/signup";
    pub const ACCOUNT: &str = "/account";
    pub const SESSIONS: &str = "/account/security/sessions";
    pub const LOG_OUT_ALL: &str = "/account/security/sessions/log-out-all";
    pub const PASSWORD: &str = "/account/security/password";
    pub const TWO_FACTOR: &str = "/account/security/2fa";
    pub const FORGOT_PASSWORD: &str = "/password/forgot";
    pub const RESET_PASSWORD: &str = "/password/reset";
}

/// What a page (or a server function) needs from the person asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Anyone.
    Public,
    /// Only someone not signed in (a signed-in person goes to their account).
    GuestOnly,
    /// Only a sign-in waiting for its second factor.
    SecondStep,
    /// A fully signed-in session.
    SignedIn,
}

/// The one table of which page needs what; the server's session layer
/// enforces it before a page renders. Server functions name their own gate.
pub fn gate(path: &str) -> Gate {
    let path = path.trim_end_matches('/');
    match path {
        paths::SIGN_IN | paths::SIGN_UP => Gate::GuestOnly,
        paths::SECOND_STEP => Gate::SecondStep,
        _ if path == paths::ACCOUNT || path.starts_with("/account/") => Gate::SignedIn,
        _ => Gate::Public,
    }
}

#[cfg(test)]
mod gate_tests {
    use super::*;

    #[test]
    fn every_account_page_needs_a_session_and_nothing_else_does() {
        for p in [paths::ACCOUNT, paths::SESSIONS, paths::LOG_OUT_ALL, paths::PASSWORD, paths::TWO_FACTOR, "/account/"] {
            assert_eq!(gate(p), Gate::SignedIn, "{p}");
        }
        assert_eq!(gate(paths::SIGN_IN), Gate::GuestOnly);
        assert_eq!(gate(paths::SIGN_UP), Gate::GuestOnly);
        assert_eq!(gate(paths::SECOND_STEP), Gate::SecondStep);
        for p in [paths::HOME, paths::FORGOT_PASSWORD, paths::RESET_PASSWORD, "/accounts", "/favicon.svg"] {
            assert_eq!(gate(p), Gate::Public, "{p}");
        }
    }
}

pub struct HomeRoute;

#[lazy_route]
impl LazyRoute for HomeRoute {
    fn data() -> Self {
        HomeRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::home::Home/> }.into_any()
    }
}

pub struct SignInRoute;

#[lazy_route]
impl LazyRoute for SignInRoute {
    fn data() -> Self {
        SignInRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::sign_in::SignInPage/> }.into_any()
    }
}

pub struct SecondFactorRoute;

#[lazy_route]
impl LazyRoute for SecondFactorRoute {
    fn data() -> Self {
        SecondFactorRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::second_factor::SecondFactorPage/> }.into_any()
    }
}

pub struct SignUpRoute;

#[lazy_route]
impl LazyRoute for SignUpRoute {
    fn data() -> Self {
        SignUpRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::sign_up::SignUpPage/> }.into_any()
    }
}

pub struct ForgotPasswordRoute;

#[lazy_route]
impl LazyRoute for ForgotPasswordRoute {
    fn data() -> Self {
        ForgotPasswordRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::password_forgot::ForgotPasswordPage/> }.into_any()
    }
}

pub struct ResetPasswordRoute;

#[lazy_route]
impl LazyRoute for ResetPasswordRoute {
    fn data() -> Self {
        ResetPasswordRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::password_reset::ResetPasswordPage/> }.into_any()
    }
}

pub struct SessionsRoute;

#[lazy_route]
impl LazyRoute for SessionsRoute {
    fn data() -> Self {
        SessionsRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::sessions::SessionsPage/> }.into_any()
    }
}

pub struct LogOutAllRoute;

#[lazy_route]
impl LazyRoute for LogOutAllRoute {
    fn data() -> Self {
        LogOutAllRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::log_out_all::LogOutAllPage/> }.into_any()
    }
}

pub struct PasswordRoute;

#[lazy_route]
impl LazyRoute for PasswordRoute {
    fn data() -> Self {
        PasswordRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::password::PasswordPage/> }.into_any()
    }
}

pub struct TwoFactorRoute;

#[lazy_route]
impl LazyRoute for TwoFactorRoute {
    fn data() -> Self {
        TwoFactorRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::two_factor::TwoFactorPage/> }.into_any()
    }
}
