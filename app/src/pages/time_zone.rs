//! The account's time zone: the days Reporting counts in, and the clock
//! times are shown on. Set at sign-up from the browser's zone; changed here.

use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::submit::Submit;
use crate::early::Early;
use crate::server_fns::reports::{time_zone_status, SetTimeZone};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TimeZonePage(
    /// The page's first status, asked for by its route.
    early: Early,
) -> impl IntoView {
    let save = ServerAction::<SetTimeZone>::new();
    let status = Resource::new(
        move || save.version().get(),
        move |_| {
            let early = early.clone();
            async move { early.or(time_zone_status).await }
        },
    );
    // Only the hydrated page knows the browser's zone.
    let browser = RwSignal::new(None::<String>);
    Effect::new(move |_| browser.set(crate::browser::time_zone()));
    view! {
        <Title text="Time zone · Warden"/>
        <section class="card narrow" aria-labelledby="tz-title">
            <p class="breadcrumb">"Account"</p>
            <h1 id="tz-title">"Time zone"</h1>
            <p class="muted">
                "Every time on these pages and in Warden's mails is shown on this zone's clock, and Reporting counts "
                "calls by its days: “Today” and “previous days” start at midnight here, daylight saving included."
            </p>
            <Loaded resource=status fallback=|| view! { <p class="muted">"Loading…"</p> } let:v>
                {
                    let current = v.zone.clone();
                    view! {
                        <p>"Your time zone: " <strong>{v.zone.clone()}</strong></p>
                        <ActionForm action=save>
                            <label>
                                "Time zone"
                                <select name="zone" required>
                                    {v.zones.into_iter().map(|z| {
                                        let selected = z == current;
                                        let label = z.clone();
                                        view! { <option value=z selected=selected>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <ActionError action=save/>
                            <p class="alert success" role="status" hidden=move || !matches!(save.value().get(), Some(Ok(())))>"Saved."</p>
                            <Submit action=save>"Save"</Submit>
                        </ActionForm>
                        {move || browser.get().filter(|b| *b != v.zone).map(|b| view! {
                            <ActionForm action=save>
                                <input type="hidden" name="zone" value=b.clone()/>
                                <Submit action=save class="secondary">{format!("Use this browser's zone ({b})")}</Submit>
                            </ActionForm>
                        })}
                    }
                }
            </Loaded>
            <p class="muted"><a href="/reports">"Back to Reporting"</a></p>
        </section>
    }
}
