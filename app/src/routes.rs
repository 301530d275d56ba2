//! Every page is a lazy route: built with `cargo leptos --split`, each
//! page's code is its own WASM chunk, fetched when the page is first shown
//! (the current page's chunk before hydration). The main bundle keeps the
//! router, the header and the Security tab bar.
//!
//! A page's data is made in `data()`, which runs before the page's chunk has
//! arrived: its resources start fetching while the chunk loads, rather than
//! after. Actions whose versions those resources follow are made there too,
//! and the route hands both to the page. Each `view()` marks the page live
//! (`body[data-hydrated]`) once the page's own view is hydrated.
//!
//! Written out one by one, not by a `macro_rules!`: `#[lazy_route]` names each
//! split point after the source location it is written at, so impls expanded
//! from one macro would collide.

use crate::components::hydrated::mark_page_hydrated;
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
        mark_page_hydrated();
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
        mark_page_hydrated();
        view! { <pages::sign_in::SignInPage/> }.into_any()
    }
}

pub struct SecondFactorRoute(pages::second_factor::SecondFactorData);

#[lazy_route]
impl LazyRoute for SecondFactorRoute {
    fn data() -> Self {
        SecondFactorRoute(pages::second_factor::SecondFactorData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::second_factor::SecondFactorPage data=this.0/> }.into_any()
    }
}

pub struct SignUpRoute;

#[lazy_route]
impl LazyRoute for SignUpRoute {
    fn data() -> Self {
        SignUpRoute
    }
    fn view(_this: Self) -> AnyView {
        mark_page_hydrated();
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
        mark_page_hydrated();
        view! { <pages::password_forgot::ForgotPasswordPage/> }.into_any()
    }
}

pub struct ResetPasswordRoute(pages::password_reset::ResetPasswordData);

#[lazy_route]
impl LazyRoute for ResetPasswordRoute {
    fn data() -> Self {
        ResetPasswordRoute(pages::password_reset::ResetPasswordData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::password_reset::ResetPasswordPage data=this.0/> }.into_any()
    }
}

pub struct VerifyEmailRoute(pages::email_verify::VerifyEmailData);

#[lazy_route]
impl LazyRoute for VerifyEmailRoute {
    fn data() -> Self {
        VerifyEmailRoute(pages::email_verify::VerifyEmailData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::email_verify::VerifyEmailPage data=this.0/> }.into_any()
    }
}

pub struct SessionsRoute(pages::sessions::SessionsData);

#[lazy_route]
impl LazyRoute for SessionsRoute {
    fn data() -> Self {
        SessionsRoute(pages::sessions::SessionsData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::sessions::SessionsPage data=this.0/> }.into_any()
    }
}

pub struct LogOutAllRoute(pages::log_out_all::LogOutAllData);

#[lazy_route]
impl LazyRoute for LogOutAllRoute {
    fn data() -> Self {
        LogOutAllRoute(pages::log_out_all::LogOutAllData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::log_out_all::LogOutAllPage data=this.0/> }.into_any()
    }
}

pub struct PasswordRoute(pages::password::PasswordData);

#[lazy_route]
impl LazyRoute for PasswordRoute {
    fn data() -> Self {
        PasswordRoute(pages::password::PasswordData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::password::PasswordPage data=this.0/> }.into_any()
    }
}

pub struct TwoFactorRoute(pages::two_factor::TwoFactorData);

#[lazy_route]
impl LazyRoute for TwoFactorRoute {
    fn data() -> Self {
        TwoFactorRoute(pages::two_factor::TwoFactorData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::two_factor::TwoFactorPage data=this.0/> }.into_any()
    }
}

pub struct ProtectionRoute(pages::protection::ProtectionData);

#[lazy_route]
impl LazyRoute for ProtectionRoute {
    fn data() -> Self {
        ProtectionRoute(pages::protection::ProtectionData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::protection::ProtectionPage data=this.0/> }.into_any()
    }
}

pub struct ApiTokensRoute(pages::api_tokens::ApiTokensData);

#[lazy_route]
impl LazyRoute for ApiTokensRoute {
    fn data() -> Self {
        ApiTokensRoute(pages::api_tokens::ApiTokensData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::api_tokens::ApiTokensPage data=this.0/> }.into_any()
    }
}

pub struct ReportsRoute(pages::reports::ReportsData);

#[lazy_route]
impl LazyRoute for ReportsRoute {
    fn data() -> Self {
        ReportsRoute(pages::reports::ReportsData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::reports::ReportsPage data=this.0/> }.into_any()
    }
}

pub struct TimeZoneRoute(pages::time_zone::TimeZoneData);

#[lazy_route]
impl LazyRoute for TimeZoneRoute {
    fn data() -> Self {
        TimeZoneRoute(pages::time_zone::TimeZoneData::load())
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::time_zone::TimeZonePage data=this.0/> }.into_any()
    }
}
