//! Warden's pages, components and the server functions they call. Server
//! function bodies are thin: read the session, call `domain`, map the error.
//! Everything server-only sits behind the `ssr` feature so the WASM bundle
//! never carries it.
#![deny(clippy::unwrap_used)]
#![recursion_limit = "256"]

pub mod browser;
pub mod components;
pub mod early;
pub mod gate;
pub mod pages;
pub mod routes;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod url;
pub mod webauthn;

use components::header::Header;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::Lazy;
use leptos_router::{path, SsrMode};
use pages::{not_found::NotFound, security::SecurityLayout};
use routes::*;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The request's CSP nonce (chosen by the server's header middleware) must
    // be on the hydration scripts, or the browser refuses them.
    #[cfg(feature = "ssr")]
    ssr::provide_request_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // `body[data-hydrated]` is set by each page's view (see `routes`).
    view! {
        <Stylesheet id="leptos" href="/pkg/warden.css"/>
        <Title text="Warden"/>
        <Router>
            <Header/>
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("signin") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("signin/2fa") view={Lazy::<SecondFactorRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("signup") view={Lazy::<SignUpRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("password/forgot") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("password/reset") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("email/verify") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("wasnt-me") view={Lazy::<NotMeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("reports") view={Lazy::<ReportsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("account/time-zone") view={Lazy::<TimeZoneRoute>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=path!("account")
                        view=|| view! { <Redirect path="/account/security/sessions"/> }
                        ssr=SsrMode::Async
                    />
                    <ParentRoute path=path!("account/security") view=SecurityLayout ssr=SsrMode::Async>
                        <Route path=path!("sessions") view={Lazy::<SessionsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("sessions/log-out-all") view={Lazy::<LogOutAllRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("sessions/webhooks") view={Lazy::<WebhooksRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("password") view={Lazy::<PasswordRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("2fa") view={Lazy::<TwoFactorRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("protection") view={Lazy::<ProtectionRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("api-tokens") view={Lazy::<ApiTokensRoute>::new()} ssr=SsrMode::Async/>
                        <Route
                            path=path!("")
                            view=|| view! { <Redirect path="/account/security/sessions"/> }
                            ssr=SsrMode::Async
                        />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
