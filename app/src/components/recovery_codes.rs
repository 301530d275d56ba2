//! Ten recovery codes, shown once, with Copy and Download.

use leptos::prelude::*;

#[component]
pub fn RecoveryCodeList(codes: Vec<String>) -> impl IntoView {
    let text = format!("Warden recovery codes\nEach code works once, in place of a code from your authenticator app.\n\n{}\n", codes.join("\n"));
    let href = format!("data:text/plain;charset=utf-8,{}", crate::url::encode(&text));
    let copied = RwSignal::new(false);
    let to_copy = codes.join("\n");
    let copy = move |_| {
        crate::browser::copy_to_clipboard(&to_copy);
        copied.set(true);
    };
    view! {
        <section class="alert warning recovery" aria-labelledby="recovery-title">
            <h3 id="recovery-title">"Your recovery codes"</h3>
            <p>
                "Store these codes somewhere safe, like a password manager. Each works once if you lose your phone. "
                <strong>"This is the only time they are shown."</strong>
            </p>
            <ul class="codes" aria-label="Recovery codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <div class="actions">
                <button type="button" class="secondary" on:click=copy>"Copy"</button>
                <a class="button" download="warden-recovery-codes.txt" href=href>"Download"</a>
                {move || copied.get().then(|| view! { <span role="status">"Copied."</span> })}
            </div>
        </section>
    }
}
