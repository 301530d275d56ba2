//! "New password" and "Confirm new password", with a strength meter that
//! follows the typing. The estimate runs on the server (its dictionaries
//! would swell the WASM bundle), asked at most once per pause in typing.

use crate::server_fns::password::StrengthView;
use leptos::prelude::*;

/// How long typing must pause before the meter asks the server.
const DEBOUNCE_MS: u32 = 300;

#[component]
pub fn NewPasswordFields(
    #[prop(default = "New password")] label: &'static str,
    /// The meter's reading; the parent clears it when it empties the form.
    #[prop(optional)]
    reading: Option<RwSignal<Option<StrengthView>>>,
) -> impl IntoView {
    let reading = reading.unwrap_or_else(|| RwSignal::new(None));
    let on_input = move |ev: leptos::ev::Event| ask_later(event_target_value(&ev), reading);
    view! {
        <label>
            {label}
            <input
                type="password"
                name="new_password"
                autocomplete="new-password"
                minlength="8"
                required
                aria-describedby="strength"
                on:input=on_input
            />
        </label>
        <div id="strength" class="strength" aria-live="polite">
            {move || reading.get().map(|s| {
                let class = format!("strength-bar score-{}", s.score);
                view! {
                    <meter class=class min="0" max="4" low="2" high="3" optimum="4" value=s.score.to_string()
                        aria-label="Password strength"></meter>
                    <span class="strength-label">{format!("Strength: {}", s.label)}</span>
                    {s.reason.map(|r| view! { <span class="strength-reason">{format!(" — {r}")}</span> })}
                }
            })}
        </div>
        <label>
            "Confirm new password"
            <input type="password" name="confirm_password" autocomplete="new-password" required/>
        </label>
    }
}

/// Restarts the pause timer on every keystroke; when it fires, asks the
/// server. A slower, older answer never overwrites a newer one.
fn ask_later(value: String, reading: RwSignal<Option<StrengthView>>) {
    use crate::browser::Timer;
    use std::cell::{Cell, RefCell};
    thread_local! {
        static TIMER: RefCell<Option<Timer>> = const { RefCell::new(None) };
        static ASKED: Cell<u64> = const { Cell::new(0) };
    }
    // Dropping a pending Timer cancels it.
    TIMER.with(|t| t.borrow_mut().take());
    if value.is_empty() {
        reading.set(None);
        return;
    }
    let timer = crate::browser::after(DEBOUNCE_MS, move || {
        let n = ASKED.with(|a| {
            a.set(a.get() + 1);
            a.get()
        });
        leptos::task::spawn_local(async move {
            let answer = crate::server_fns::password::password_strength(value.into()).await;
            if ASKED.with(Cell::get) == n {
                reading.set(answer.ok());
            }
        });
    });
    TIMER.with(|t| *t.borrow_mut() = Some(timer));
}
