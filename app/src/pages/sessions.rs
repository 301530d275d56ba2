//! Login Security: every session of the account, current and ended, with a
//! way to end one (after confirming it is you with your password; not again
//! for minutes), to name one, and to log out of all devices; the account's
//! security activity; the new-sign-in alert switch; and the mail log. Ended
//! sessions (`?page=`) and activity (`?activity=`) page with plain links, so
//! both work without JavaScript.

use crate::components::confirm_fields::{covered, Asks, ConfirmFields, ConfirmPanel};
use crate::components::email_banner::EmailBanner;
use crate::components::form_error::ActionError;
use crate::components::inert::Html;
use crate::components::loaded::Loaded;
use crate::components::submit::{Busy, Submit};
use crate::early::Early;
use crate::server_fns::alerts::{DismissPasskeyInvite, RenameSession, SetSignInAlerts};
use crate::server_fns::{list_sessions, step_up_status, ConfirmIdentity, EndSession, SessionView, SessionsView, StepUpView};
use leptos::prelude::*;
use leptos::tachys::html::InertElement;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use proto::views::{EventView, MailView};

/// `early_*`: the page's first data, asked for by its route ([`Early`]).
#[component]
pub fn SessionsPage(early_sessions: Early, early_step_up: Early, early_email: Early) -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let confirm = ServerAction::<ConfirmIdentity>::new();
    let alerts = ServerAction::<SetSignInAlerts>::new();
    let rename = ServerAction::<RenameSession>::new();
    let dismiss = ServerAction::<DismissPasskeyInvite>::new();
    let query = use_query_map();
    let number = move |name: &str| query.read().get(name).and_then(|p| p.parse::<i64>().ok()).unwrap_or(0).max(0);
    let data = Resource::new(
        move || {
            (
                end.version().get(),
                confirm.version().get(),
                alerts.version().get(),
                rename.version().get(),
                dismiss.version().get(),
                number("page"),
                number("activity"),
            )
        },
        move |(_, _, _, _, _, p, a)| {
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
                <a href="/account/security/sessions/log-out-all">"Log out of all devices"</a>
            </div>
            <EmailBanner early=early_email/>
            <ActionError action=end/>
            <ActionError action=rename/>
            <Loaded resource=data fallback=|| view! { <p class="muted">"Loading sessions…"</p> } let((v, s))>
                {v.passkey_invite.then(|| view! { <PasskeyInvite dismiss/> })}
                <SessionLists v s end confirm alerts rename/>
            </Loaded>
        </section>
    }
}

#[component]
fn SessionLists(
    v: SessionsView,
    s: StepUpView,
    end: ServerAction<EndSession>,
    confirm: ServerAction<ConfirmIdentity>,
    alerts: ServerAction<SetSignInAlerts>,
    rename: ServerAction<RenameSession>,
) -> impl IntoView {
    let SessionsView { active, ended, page, has_older, events, events_page, events_has_older, zone, sign_in_alerts, mails, .. } = v;
    let active_count = active.len();
    let others = active.iter().filter(|a| !a.this_device).count();
    let panel_shown = others > 0;
    let confirmed = s.confirmed_until.is_some();
    // One busy state per action and one "blocked" for all the sessions'
    // buttons, not a memo and a signal made per button (two per session).
    let items = Items { end, rename, end_busy: end.into(), rename_busy: rename.into(), blocked: Signal::stored(!confirmed), confirmed };
    let at = |p: i64, a: i64| format!("/account/security/sessions?page={p}&activity={a}");
    view! {
        <p class="muted zone-note">{format!("Times are on your clock ({zone}). ")} <a href="/account/time-zone">"Change time zone"</a></p>
        <h3>{format!("Active sessions ({active_count})")}</h3>
        {(others > 0).then(|| view! { <ConfirmPanel s=s.clone() asks=Asks::Password action=confirm what="Ending a session asks for your password first."/> })}
        <ul class="sessions" aria-label="Active sessions">
            {active.into_iter().map(|s| view! { <SessionItem s items/> }).collect_view()}
        </ul>
        <h3>"Ended sessions"</h3>
        {if ended.is_empty() {
            view! { <p class="muted">"No ended sessions yet."</p> }.into_any()
        } else {
            ended_list(&ended).into_any()
        }}
        <nav class="pager" aria-label="Ended sessions pages">
            {(page > 0).then(|| view! { <a href=at(page - 1, events_page)>"Newer sessions"</a> })}
            {has_older.then(|| view! { <a href=at(page + 1, events_page)>"Older sessions"</a> })}
        </nav>
        <h3 id="activity">"Recent security activity"</h3>
        {activity_list(&events)}
        <nav class="pager" aria-label="Security activity pages">
            {(events_page > 0).then(|| view! { <a href=at(page, events_page - 1)>"Newer activity"</a> })}
            {events_has_older.then(|| view! { <a href=at(page, events_page + 1)>"Older activity"</a> })}
        </nav>
        <AlertSwitch on=sign_in_alerts s action=alerts panel_says_it=panel_shown/>
        <MailLog mails/>
        <section class="subpanel" aria-labelledby="webhooks-link-title">
            <h3 id="webhooks-link-title">"Webhooks"</h3>
            <p class="muted">
                "Send your account's security events to your own tools, as signed JSON requests to an HTTPS address of yours. "
                <a href="/account/security/sessions/webhooks">"Manage webhooks"</a>
            </p>
        </section>
    }
}

/// One line after a sign-in on an account without a passkey: add one, or
/// never be asked again.
#[component]
fn PasskeyInvite(dismiss: ServerAction<DismissPasskeyInvite>) -> impl IntoView {
    view! {
        <div class="alert info passkey-invite" role="note">
            "Next time, sign in with your fingerprint, face or screen lock instead of your password: "
            <a href="/account/security/2fa#security-keys">"add a passkey"</a> ". "
            <ActionForm action=dismiss attr:class="inline-form">
                <Submit action=dismiss class="linklike">"Don't ask again"</Submit>
            </ActionForm>
        </div>
    }
}

/// "New-sign-in alerts": on by default; off asks for the step-up.
#[component]
fn AlertSwitch(
    on: bool,
    s: StepUpView,
    action: ServerAction<SetSignInAlerts>,
    /// The "Confirm it's you" panel is on the page (other sessions to end).
    panel_says_it: bool,
) -> impl IntoView {
    view! {
        <section class="subpanel" aria-labelledby="alerts-title">
            <h3 id="alerts-title">"New-sign-in alerts"</h3>
            <p class="muted">
                "We email you when someone signs in from a browser that has not signed in to your account before "
                "and from a network your account has not used in the last 90 days. The mail has a \"This wasn't me\" "
                "link that ends that session at once; it never asks for your password."
            </p>
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="on" value=if on { "false" } else { "true" }/>
                {if on {
                    view! {
                        <p id="alerts-state"><strong>"Alerts are on."</strong></p>
                        // Within this session's window, the "Confirm it's you" panel above
                        // says so when it is shown (other sessions to end); else this does.
                        {(!covered(&s, Asks::AllFactors) || !panel_says_it).then(|| view! { <ConfirmFields s asks=Asks::AllFactors/> })}
                    }.into_any()
                } else {
                    view! { <p id="alerts-state"><strong>"Alerts are off."</strong> " New sign-ins are only listed under activity."</p> }.into_any()
                }}
                <ActionError action=action/>
                <Submit action=action class="secondary">{if on { "Turn off alerts" } else { "Turn on alerts" }}</Submit>
            </ActionForm>
        </section>
    }
}

/// "Mails": every security mail of the last 90 days, so a copied one can be told apart.
#[component]
fn MailLog(mails: Vec<MailView>) -> impl IntoView {
    view! {
        <h3 id="mails">"Mails"</h3>
        <p class="muted">
            "Every mail we sent about your account's security in the last 90 days: the subject, when and to which address. "
            "A mail that claims to be from us and is not listed here did not come from us."
        </p>
        {if mails.is_empty() {
            view! { <p class="muted">"No mail in the last 90 days."</p> }.into_any()
        } else {
            mail_list(&mails).into_any()
        }}
    }
}

// The lists below never change once drawn: each is one inert element
// (`components::inert`), not a view per line and per time.

/// "Recent security activity": what, when, from which device and address.
fn activity_list(events: &[EventView]) -> InertElement {
    Html::list(&[("class", "events"), ("aria-label", "Recent security activity")], events, 360, |h, e| {
        h.open("li", &[]).element("strong", &[], &e.what);
        if !e.detail.is_empty() {
            h.text(" — ").text(&e.detail);
        }
        h.open("span", &[("class", "muted")]);
        if let Some(first) = &e.first {
            h.text(" · first ").time(first).text(", last");
        }
        h.text(" · ").time(&e.at).text(" · ").text(&e.device).text(" · ").text(&e.ip);
        h.close("span").close("li");
    })
}

/// The mail log's lines: subject, when, to whom, how it went.
fn mail_list(mails: &[MailView]) -> InertElement {
    Html::list(&[("class", "events mails"), ("aria-label", "Mails")], mails, 300, |h, m| {
        h.open("li", &[]).element("strong", &[], &m.subject);
        h.open("span", &[("class", "muted")]).text(" · ").time(&m.queued).text(" · to ").text(&m.to).text(" · ").text(&m.status);
        h.close("span").close("li");
    })
}

/// Ended sessions: nothing on them to do, so the whole list is one string.
fn ended_list(ended: &[SessionView]) -> InertElement {
    Html::list(&[("class", "sessions ended"), ("aria-label", "Ended sessions")], ended, 900, |h, s| {
        h.open("li", &[("class", if s.this_device { "session current" } else { "session" })]);
        h.open("div", &[("class", "session-main")]).element("strong", &[], &heading(s));
        session_facts(h, s);
        h.close("div").close("li");
    })
}

/// "Chrome on Windows": the browser and its system.
fn label(s: &SessionView) -> String {
    format!("{} on {}", s.browser, s.os)
}

/// "Work laptop — Chrome on Windows", or the [`label`] alone.
fn heading(s: &SessionView) -> String {
    match &s.name {
        Some(n) => format!("{n} — {}", label(s)),
        None => label(s),
    }
}

/// A session's device, address, times and (when it ended) why, as `<dl>`.
fn session_facts(h: &mut Html, s: &SessionView) {
    h.open("dl", &[]);
    h.element("dt", &[], "Device").element("dd", &[], &s.device);
    h.element("dt", &[], "IP address").element("dd", &[], &s.ip);
    h.element("dt", &[], "Signed in").open("dd", &[]).time(&s.started).close("dd");
    h.element("dt", &[], "Last active").open("dd", &[]).time(&s.last_active).close("dd");
    if let Some(e) = &s.ended {
        h.element("dt", &[], "Ended").open("dd", &[]).time(e).close("dd");
    }
    if let Some(r) = &s.end_reason {
        h.element("dt", &[], "Why").element("dd", &[("class", "reason")], r);
    }
    h.close("dl");
}

/// What every session's forms share.
#[derive(Clone, Copy)]
struct Items {
    end: ServerAction<EndSession>,
    rename: ServerAction<RenameSession>,
    end_busy: Busy,
    rename_busy: Busy,
    /// "End" waits for "Confirm it's you".
    blocked: Signal<bool>,
    confirmed: bool,
}

/// An active session: its facts, a name, and "End" (not for this device).
/// Ended ones are [`ended_list`].
#[component]
fn SessionItem(s: SessionView, items: Items) -> impl IntoView {
    let Items { end, rename, end_busy, rename_busy, blocked, confirmed } = items;
    let label = label(&s);
    let end_label = format!("End session: {label}, {}", s.ip);
    let heading = heading(&s);
    let mut facts = Html::with_capacity(700);
    session_facts(&mut facts, &s);
    let rename_label = format!("Name for the session {label}, {}", s.ip);
    let (rename_id, rename_name) = (s.id.clone(), s.name.clone());
    view! {
        <li class="session" class:current=s.this_device>
            <div class="session-main">
                <strong>{heading}</strong>
                {s.this_device.then(|| view! { <span class="badge">"This device"</span> })}
                {facts.into_view()}
                <details class="rename">
                    <summary>{if rename_name.is_some() { "Rename" } else { "Name this session" }}</summary>
                    <ActionForm action=rename attr:class="inline-form">
                        <input type="hidden" name="session_id" value=rename_id/>
                        <input type="text" name="name" maxlength="40" value=rename_name.unwrap_or_default()
                            placeholder="Work laptop" aria-label=rename_label/>
                        <Submit action=rename_busy class="secondary">"Save name"</Submit>
                    </ActionForm>
                </details>
            </div>
            {(!s.this_device).then(|| view! {
                <ActionForm action=end>
                    <input type="hidden" name="session_id" value=s.id/>
                    <Submit
                        action=end_busy
                        class="secondary"
                        blocked
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
