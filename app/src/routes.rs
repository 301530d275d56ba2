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

pub struct VerifyEmailRoute;

#[lazy_route]
impl LazyRoute for VerifyEmailRoute {
    fn data() -> Self {
        VerifyEmailRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::email_verify::VerifyEmailPage/> }.into_any()
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

pub struct ProtectionRoute;

#[lazy_route]
impl LazyRoute for ProtectionRoute {
    fn data() -> Self {
        ProtectionRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::protection::ProtectionPage/> }.into_any()
    }
}

pub struct ApiTokensRoute;

#[lazy_route]
impl LazyRoute for ApiTokensRoute {
    fn data() -> Self {
        ApiTokensRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::api_tokens::ApiTokensPage/> }.into_any()
    }
}

pub struct ReportsRoute;

#[lazy_route]
impl LazyRoute for ReportsRoute {
    fn data() -> Self {
        ReportsRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::reports::ReportsPage/> }.into_any()
    }
}

pub struct TimeZoneRoute;

#[lazy_route]
impl LazyRoute for TimeZoneRoute {
    fn data() -> Self {
        TimeZoneRoute
    }
    fn view(_this: Self) -> AnyView {
        view! { <pages::time_zone::TimeZonePage/> }.into_any()
    }
}
