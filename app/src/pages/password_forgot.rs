//! "Forgot your password?": ask for a reset link by email. The answer is the
//! same whether or not an account has that address.

use crate::components::form_error::ActionError;
use crate::components::submit::Submit;
use crate::server_fns::password::RequestPasswordReset;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some() && !matches!(action.value().get(), Some(Err(_)));
    view! {
        <Title text="Forgot your password? · Warden"/>
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            {move || sent().then(|| view! {
                <p class="alert info" role="status">
                    "If an account exists for that address, we have sent it a link to choose a new password. "
                    "Check your inbox: the link works once, for a short time."
                </p>
            })}
            <p class="muted">"Enter the email address of your account and we will send you a link with further instructions."</p>
            <ActionForm action=action>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="email" required autofocus/>
                </label>
                <ActionError action=action/>
                <Submit action=action>"Send reset link"</Submit>
            </ActionForm>
            <p class="muted"><a href="/signin">"Back to sign in"</a></p>
        </section>
    }
}
