//! Every page is a lazy route: built with `cargo leptos --split`, each
//! page's code is its own WASM chunk, fetched when the page is first shown
//! (the current page's chunk before hydration). The main bundle keeps the
//! router, the header and the Security tab bar.
//!
//! A page with data asks for it in `data()`, which runs as soon as the
//! router starts loading the page, before the page's chunk has arrived: the
//! calls travel with the code, not after it ([`Early`]), and the route hands
//! them to the page. Each `view()` marks the page
//! live (`body[data-hydrated]`) once the page's own view is hydrated.
//!
//! Written out one by one, not by a `macro_rules!`: `#[lazy_route]` names each
//! split point after the source location it is written at, so impls expanded
//! from one macro would collide.

use crate::components::hydrated::mark_page_hydrated;
use crate::early::Early;
use crate::pages;
use crate::server_fns::alerts::NotMeStatus;
use crate::server_fns::api_tokens::ApiTokensStatus;
use crate::server_fns::email::{EmailStatus, VerifyLinkStatus};
use crate::server_fns::password::{PasswordStatus, ResetLinkStatus};
use crate::server_fns::protection::ProtectionStatus;
use crate::server_fns::reports::{Report, ReportsContext, TimeZoneStatus};
use crate::server_fns::security_keys::{SecondStepMethods, SecurityKeys};
use crate::server_fns::two_factor::TwoFactorStatus;
use crate::server_fns::{ListSessions, StepUpStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
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

pub struct SecondFactorRoute {
    methods: Early,
}

#[lazy_route]
impl LazyRoute for SecondFactorRoute {
    fn data() -> Self {
        SecondFactorRoute { methods: Early::ask(SecondStepMethods {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::second_factor::SecondFactorPage early=this.methods/> }.into_any()
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

pub struct ResetPasswordRoute {
    link: Early,
}

#[lazy_route]
impl LazyRoute for ResetPasswordRoute {
    fn data() -> Self {
        ResetPasswordRoute { link: Early::ask(ResetLinkStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::password_reset::ResetPasswordPage early=this.link/> }.into_any()
    }
}

pub struct VerifyEmailRoute {
    link: Early,
}

#[lazy_route]
impl LazyRoute for VerifyEmailRoute {
    fn data() -> Self {
        VerifyEmailRoute { link: Early::ask(VerifyLinkStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::email_verify::VerifyEmailPage early=this.link/> }.into_any()
    }
}

pub struct NotMeRoute {
    link: Early,
}

#[lazy_route]
impl LazyRoute for NotMeRoute {
    fn data() -> Self {
        NotMeRoute { link: Early::ask(NotMeStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::not_me::NotMePage early=this.link/> }.into_any()
    }
}

pub struct SessionsRoute {
    sessions: Early,
    step_up: Early,
    email: Early,
}

#[lazy_route]
impl LazyRoute for SessionsRoute {
    fn data() -> Self {
        let query = use_query_map().get_untracked();
        let number = |name: &str| query.get(name).and_then(|p| p.parse::<i64>().ok()).unwrap_or(0).max(0);
        SessionsRoute {
            sessions: Early::ask(ListSessions { page: number("page"), activity: Some(number("activity")) }),
            step_up: Early::ask(StepUpStatus {}),
            email: Early::ask(EmailStatus {}),
        }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::sessions::SessionsPage early_sessions=this.sessions early_step_up=this.step_up early_email=this.email/> }.into_any()
    }
}

pub struct LogOutAllRoute {
    step_up: Early,
}

#[lazy_route]
impl LazyRoute for LogOutAllRoute {
    fn data() -> Self {
        LogOutAllRoute { step_up: Early::ask(StepUpStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::log_out_all::LogOutAllPage early=this.step_up/> }.into_any()
    }
}

pub struct WebhooksRoute {
    step_up: Early,
}

#[lazy_route]
impl LazyRoute for WebhooksRoute {
    fn data() -> Self {
        WebhooksRoute { step_up: Early::ask(StepUpStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::webhooks::WebhooksPage early=this.step_up/> }.into_any()
    }
}

pub struct PasswordRoute {
    status: Early,
}

#[lazy_route]
impl LazyRoute for PasswordRoute {
    fn data() -> Self {
        PasswordRoute { status: Early::ask(PasswordStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::password::PasswordPage early=this.status/> }.into_any()
    }
}

pub struct TwoFactorRoute {
    status: Early,
    keys: Early,
    step_up: Early,
}

#[lazy_route]
impl LazyRoute for TwoFactorRoute {
    fn data() -> Self {
        TwoFactorRoute { status: Early::ask(TwoFactorStatus {}), keys: Early::ask(SecurityKeys {}), step_up: Early::ask(StepUpStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::two_factor::TwoFactorPage early_status=this.status early_keys=this.keys early_step_up=this.step_up/> }.into_any()
    }
}

pub struct ProtectionRoute {
    status: Early,
    step_up: Early,
}

#[lazy_route]
impl LazyRoute for ProtectionRoute {
    fn data() -> Self {
        ProtectionRoute { status: Early::ask(ProtectionStatus {}), step_up: Early::ask(StepUpStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::protection::ProtectionPage early_status=this.status early_step_up=this.step_up/> }.into_any()
    }
}

pub struct ApiTokensRoute {
    tokens: Early,
    step_up: Early,
}

#[lazy_route]
impl LazyRoute for ApiTokensRoute {
    fn data() -> Self {
        ApiTokensRoute { tokens: Early::ask(ApiTokensStatus {}), step_up: Early::ask(StepUpStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::api_tokens::ApiTokensPage early_tokens=this.tokens early_step_up=this.step_up/> }.into_any()
    }
}

pub struct ReportsRoute {
    context: Early,
    figures: Early,
}

#[lazy_route]
impl LazyRoute for ReportsRoute {
    fn data() -> Self {
        let query = use_query_map().get_untracked();
        // As the page reads its address: an empty field is no field.
        let get = |k: &str| query.get(k).filter(|v| !v.is_empty());
        ReportsRoute {
            context: Early::ask(ReportsContext {}),
            figures: Early::ask(Report { range: get("range").unwrap_or_default(), from: get("from"), to: get("to"), campaign: get("campaign") }),
        }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::reports::ReportsPage early_context=this.context early_figures=this.figures/> }.into_any()
    }
}

pub struct TimeZoneRoute {
    status: Early,
}

#[lazy_route]
impl LazyRoute for TimeZoneRoute {
    fn data() -> Self {
        TimeZoneRoute { status: Early::ask(TimeZoneStatus {}) }
    }
    fn view(this: Self) -> AnyView {
        mark_page_hydrated();
        view! { <pages::time_zone::TimeZonePage early=this.status/> }.into_any()
    }
}
