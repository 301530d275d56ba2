//! Login Security: every session of the account, current and ended, with a
//! way to end one (after confirming it is you with your password; not again
//! for minutes) and to log out of all devices, and the account's security
//! activity. Ended sessions (`?page=`) and activity (`?activity=`) page with
//! plain links, so both work without JavaScript.

use crate::components::confirm_fields::{Asks, ConfirmPanel};
use crate::components::email_banner::EmailBanner;
use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::submit::Submit;
use crate::components::when::When;
use crate::early::Early;
use crate::server_fns::{list_sessions, step_up_status, ConfirmIdentity, EndSession, SessionView, SessionsView, StepUpView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// `early_*`: the page's first data, asked for by its route ([`Early`]).
#[component]
pub fn SessionsPage(early_sessions: Early, early_step_up: Early, early_email: Early) -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let confirm = ServerAction::<ConfirmIdentity>::new();
    let query = use_query_map();
    let number = move |name: &str| query.read().get(name).and_then(|p| p.parse::<i64>().ok()).unwrap_or(0).max(0);
    let data = Resource::new(
        move || (end.version().get(), confirm.version().get(), number("page"), number("activity")),
        move |(_, _, p, a)| {
            let (sessions, step_up) = (early_sessions.clone(), early_step_up.clone());
            async move { Ok::<_, proto::ApiError>((sessions.or(|| list_sessions(p, Some(a))).await?, step_up.or(step_up_status).await?)) }
        },
    );
    view! {
        <Title text="Login Security · Warden"/>
        <section class="panel" aria-labelledby="login-security">
            <div class="panel-head">
                <div>
                    <h2 id="login-security">"Login Security"</h2>
                    <p class="muted">
                        "All sessions, current and completed: from which devices and when you were signed in. "
                        "End any session you don't recognise."
                    </p>
                </div>
                <A href="/account/security/sessions/log-out-all">"Log out of all devices"</A>
            </div>
            <EmailBanner early=early_email/>
            <ActionError action=end/>
            <Loaded resource=data fallback=|| view! { <p class="muted">"Loading sessions…"</p> } let((v, s))>
                <SessionLists v s end confirm/>
            </Loaded>
        </section>
    }
}

#[component]
fn SessionLists(v: SessionsView, s: StepUpView, end: ServerAction<EndSession>, confirm: ServerAction<ConfirmIdentity>) -> impl IntoView {
    let SessionsView { active, ended, page, has_older, events, events_page, events_has_older, zone } = v;
    let active_count = active.len();
    let others = active.iter().filter(|a| !a.this_device).count();
    let confirmed = s.confirmed_until.is_some();
    let at = |p: i64, a: i64| format!("/account/security/sessions?page={p}&activity={a}");
    view! {
        <p class="muted zone-note">{format!("Times are on your clock ({zone}). ")} <A href="/account/time-zone">"Change time zone"</A></p>
        <h3>{format!("Active sessions ({active_count})")}</h3>
        {(others > 0).then(|| view! { <ConfirmPanel s asks=Asks::Password action=confirm what="Ending a session asks for your password first."/> })}
        <ul class="sessions" aria-label="Active sessions">
            {active.into_iter().map(|s| view! { <SessionItem s end confirmed/> }).collect_view()}
        </ul>
        <h3>"Ended sessions"</h3>
        {if ended.is_empty() {
            view! { <p class="muted">"No ended sessions yet."</p> }.into_any()
        } else {
            view! {
                <ul class="sessions ended" aria-label="Ended sessions">
                    {ended.into_iter().map(|s| view! { <SessionItem s end confirmed/> }).collect_view()}
                </ul>
            }.into_any()
        }}
        <nav class="pager" aria-label="Ended sessions pages">
            {(page > 0).then(|| view! { <a href=at(page - 1, events_page)>"Newer sessions"</a> })}
            {has_older.then(|| view! { <a href=at(page + 1, events_page)>"Older sessions"</a> })}
        </nav>
        <h3 id="activity">"Recent security activity"</h3>
        <ul class="events" aria-label="Recent security activity">
            {events.into_iter().map(|e| view! {
                <li>
                    <strong>{e.what}</strong>
                    {(!e.detail.is_empty()).then(|| format!(" — {}", e.detail))}
                    <span class="muted">
                        {e.first.map(|f| view! { " · first " <When at=f/> ", last" })}
                        " · " <When at=e.at/> " · " {e.device} " · " {e.ip}
                    </span>
                </li>
            }).collect_view()}
        </ul>
        <nav class="pager" aria-label="Security activity pages">
            {(events_page > 0).then(|| view! { <a href=at(page, events_page - 1)>"Newer activity"</a> })}
            {events_has_older.then(|| view! { <a href=at(page, events_page + 1)>"Older activity"</a> })}
        </nav>
    }
}

#[component]
fn SessionItem(s: SessionView, end: ServerAction<EndSession>, confirmed: bool) -> impl IntoView {
    let label = format!("{} on {}", s.browser, s.os);
    let active = s.ended.is_none();
    let end_label = format!("End session: {label}, {}", s.ip);
    view! {
        <li class="session" class:current=s.this_device>
            <div class="session-main">
                <strong>{label.clone()}</strong>
                {s.this_device.then(|| view! { <span class="badge">"This device"</span> })}
                <dl>
                    <dt>"Device"</dt><dd>{s.device}</dd>
                    <dt>"IP address"</dt><dd>{s.ip}</dd>
                    <dt>"Signed in"</dt><dd><When at=s.started/></dd>
                    <dt>"Last active"</dt><dd><When at=s.last_active/></dd>
                    {s.ended.map(|e| view! {
                        <dt>"Ended"</dt><dd><When at=e/></dd>
                    })}
                    {s.end_reason.map(|r| view! { <dt>"Why"</dt><dd class="reason">{r}</dd> })}
                </dl>
            </div>
            {(active && !s.this_device).then(|| view! {
                <ActionForm action=end>
                    <input type="hidden" name="session_id" value=s.id/>
                    <Submit
                        action=end
                        class="secondary"
                        blocked=!confirmed
                        attr:aria-label=end_label
                        attr:title=(!confirmed).then_some("Confirm it's you above first")
                    >
                        "End"
                    </Submit>
                </ActionForm>
            })}
        </li>
    }
}
