//! The second step of signing in: a code from the authenticator app, or a
//! recovery code instead.

use crate::components::form_error::FormError;
use crate::server_fns::two_factor::VerifySecondFactor;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<VerifySecondFactor>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let recovery = move || query.read().get("method").as_deref() == Some("recovery");
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let other = move || {
        let n = crate::url::encode(&next());
        if recovery() {
            (format!("/signin/2fa?next={n}"), "Use your authenticator app instead")
        } else {
            (format!("/signin/2fa?method=recovery&next={n}"), "Use a recovery code instead")
        }
    };
    view! {
        <Title text="Two-factor authentication · Warden"/>
        <section class="card narrow">
            <h1>"Two-factor authentication"</h1>
            <ActionForm action=action>
                <input type="hidden" name="next" value=next/>
                {move || if recovery() {
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
                <FormError error/>
                <button type="submit" disabled=move || action.pending().get() aria-busy=move || action.pending().get().then_some("true")>"Verify"</button>
            </ActionForm>
            <p>{move || { let (href, text) = other(); view! { <a href=href>{text}</a> } }}</p>
            <p class="muted">"This step expires a few minutes after you entered your password."</p>
        </section>
    }
}
