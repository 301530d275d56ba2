//! The second step of signing in: the security key when the account has
//! one, a code from the authenticator app, or a recovery code instead.
//! `?method=app` and `?method=recovery` pick a method; without one the key
//! comes first when there is one (it resists phishing, a code does not).

use crate::components::form_error::{refusal, ActionError};
use crate::components::key_button::KeyButton;
use crate::components::loaded::loaded;
use crate::components::submit::Submit;
use crate::early::Early;
use crate::server_fns::security_keys::{second_step_methods, start_key_sign_in, FinishKeySignIn, SecondStepView};
use crate::server_fns::two_factor::VerifySecondFactor;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy, PartialEq)]
enum Method {
    Key,
    App,
    Recovery,
}

impl Method {
    fn param(self) -> &'static str {
        match self {
            Method::Key => "key",
            Method::App => "app",
            Method::Recovery => "recovery",
        }
    }

    fn switch_text(self) -> &'static str {
        match self {
            Method::Key => "Use your security key instead",
            Method::App => "Use your authenticator app instead",
            Method::Recovery => "Use a recovery code instead",
        }
    }
}

#[component]
pub fn SecondFactorPage(
    /// The ways this account can take the second step, asked for by the route.
    early: Early,
) -> AnyView {
    let methods = Resource::new(
        || (),
        move |_| {
            let early = early.clone();
            async move { early.or(second_step_methods).await }
        },
    );
    view! {
        <Title text="Two-factor authentication · Warden"/>
        <section class="card narrow">
            <h1>"Two-factor authentication"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {loaded(methods, |m| view! { <SecondStep m/> })}
            </Suspense>
            <p class="muted">"This step expires a few minutes after you entered your password."</p>
        </section>
    }
    .into_any()
}

#[component]
fn SecondStep(m: SecondStepView) -> AnyView {
    let action = ServerAction::<VerifySecondFactor>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let offered = move |x: Method| match x {
        Method::Key => m.security_key,
        Method::App => m.authenticator_app,
        Method::Recovery => true,
    };
    let method = move || {
        let asked = match query.read().get("method").as_deref() {
            Some("recovery") => Some(Method::Recovery),
            Some("app") => Some(Method::App),
            Some("key") => Some(Method::Key),
            _ => None,
        };
        asked.filter(|x| offered(*x)).unwrap_or(if m.security_key { Method::Key } else { Method::App })
    };
    let others = move || {
        let n = crate::url::encode(&next());
        let current = method();
        [Method::Key, Method::App, Method::Recovery]
            .into_iter()
            .filter(|x| *x != current && offered(*x))
            .map(|x| {
                let href = format!("/signin/2fa?method={}&next={n}", x.param());
                view! { <li><a href=href>{x.switch_text()}</a></li> }
            })
            .collect_view()
    };
    view! {
        {move || if method() == Method::Key {
            view! { <KeyStep next=Signal::derive(next)/> }.into_any()
        } else {
            let recovery = method() == Method::Recovery;
            view! {
                <ActionForm action=action>
                    <input type="hidden" name="next" value=next/>
                    {if recovery {
                        view! {
                            <p class="muted">"Enter one of the recovery codes you saved when you turned on 2FA. Each works once."</p>
                            <label>"Recovery code" <input type="text" name="code" autocomplete="off" required autofocus/></label>
                        }.into_any()
                    } else {
                        view! {
                            <p class="muted">"Open your authenticator app and enter the six-digit code for Warden."</p>
                            <label>
                                "Six-digit code"
                                <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="7" required autofocus/>
                            </label>
                        }.into_any()
                    }}
                    <ActionError action=action/>
                    <Submit action=action>"Verify"</Submit>
                </ActionForm>
            }.into_any()
        }}
        <ul class="other-methods">{others}</ul>
    }
    .into_any()
}

/// Signing in with a security key: one button, then the browser's own
/// prompt. Needs JavaScript; without it the page says so and the links to
/// the other methods stay.
#[component]
fn KeyStep(next: Signal<String>) -> AnyView {
    let finish = ServerAction::<FinishKeySignIn>::new();
    let on_answer = Callback::new(move |credential| {
        finish.dispatch(FinishKeySignIn { credential, next: next.get_untracked() });
    });
    view! {
        <p class="muted">"Insert or hold your security key near the device and touch it, or use the passkey on this device or your phone."</p>
        <KeyButton
            start=start_key_sign_in
            on_answer
            checking=finish.pending()
            refused=refusal(finish)
            label="Use security key"
            needs_js="A security key needs a browser with JavaScript turned on. Use another method below."
        />
    }
    .into_any()
}
