//! API Access Tokens: make a named token (after the username and password
//! typed again, and a second factor when the account has one unless this
//! session confirmed it minutes ago), see it once, see every token's last
//! use, usage and scope, the networks it was used from and those it may be
//! used from, delete one. Every form is a plain form post too: without
//! JavaScript the new token is shown once on the page the post lands on,
//! and Delete asks on a confirm step (`?delete=<id>`) instead of a dialog.
//! Limiting a token's networks opens its form on `?networks=<id>`, and
//! regenerating its secret on `?regenerate=<id>` (where the expiry mail
//! links), with and without JavaScript, behind the same step-up as making
//! a token. The account's quota and this minute's use of it head the list.

use crate::components::confirm_fields::{Asks, ConfirmFields};
use crate::components::form_error::ActionError;
use crate::components::loaded::Loaded;
use crate::components::modal::Modal;
use crate::components::submit::Submit;
use crate::components::usage_chart::UsageChart;
use crate::components::when::When;
use crate::early::Early;
use crate::gate::paths;
use crate::server_fns::api_tokens::{
    api_tokens_status, ApiQuotaView, ApiTokenView, CreateApiToken, DeleteApiToken, NewApiToken, RegenerateApiToken, SetApiTokenNetworks,
};
use crate::server_fns::{step_up_status, StepUpView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `early_*`: the page's first data, asked for by its route ([`Early`]).
#[component]
pub fn ApiTokensPage(early_tokens: Early, early_step_up: Early) -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let delete = ServerAction::<DeleteApiToken>::new();
    let limit = ServerAction::<SetApiTokenNetworks>::new();
    let regenerate = ServerAction::<RegenerateApiToken>::new();
    let status = Resource::new(
        move || (create.version().get(), delete.version().get(), limit.version().get(), regenerate.version().get()),
        move |_| {
            let (tokens, step_up) = (early_tokens.clone(), early_step_up.clone());
            async move { Ok::<_, proto::ApiError>((tokens.or(api_tokens_status).await?, step_up.or(step_up_status).await?)) }
        },
    );
    let query = use_query_map();
    // The token this page's own form just made; lives only in this page's
    // memory, and is dropped when its dialog closes.
    let made = Signal::derive(move || create.value().get().and_then(Result::ok).flatten());
    let drop_made = move || create.value().set(None);
    // The same for a secret this page's regenerate form just made.
    let remade = Signal::derive(move || regenerate.value().get().and_then(Result::ok).flatten());
    let drop_remade = move || regenerate.value().set(None);
    // A fresh, empty form after each token made.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(f)) = (create.value().get(), form.get_untracked()) {
            f.reset();
        }
    });
    // With JavaScript, Delete asks in a dialog; without, on `?delete=<id>`.
    let confirming = RwSignal::new(None::<(i64, String)>);
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            confirming.set(None);
        }
    });
    let deleted = move || matches!(delete.value().get(), Some(Ok(()))) || query.read().get("deleted").is_some();
    let networks_saved = move || matches!(limit.value().get(), Some(Ok(()))) || query.read().get("networks_saved").is_some();
    view! {
        <Title text="API Access Tokens · Warden"/>
        <section class="panel" aria-labelledby="api-tokens">
            <h2 id="api-tokens">"API Access Tokens"</h2>
            <p class="muted">
                "Access tokens allow you to interact with Warden's API: to retrieve account information, to create, "
                "delete and modify campaigns and calls, and to build your own applications on it. "
                "Treat a token as you would treat your password: do not share it, and if you suspect it was "
                "compromised, delete it and create a new one."
            </p>
            <ul class="facts">
                <li>
                    <strong>"Rate limiting: "</strong>
                    "all requests are subject to rate limiting: at most 60 requests per minute per account "
                    "(all its tokens together), fewer when the server is under heavy load. Over the limit, "
                    "a request is refused with 429 and says when to try again."
                </li>
                <li>
                    <strong>"Not PIN-gated: "</strong>
                    "any token may read reports of every day, even with a Protection PIN set: the PIN guards "
                    "this dashboard, not the API. Give a token only to what you would trust with your password."
                </li>
                <li>
                    "How to call it: the "
                    <a href=paths::API_DOCS>"API reference"</a>
                    " and its "
                    <a href=paths::API_OPENAPI>"OpenAPI document"</a>
                    ". Send the token as "
                    <code>"Authorization: Bearer wdn_…"</code>
                    "."
                </li>
            </ul>
            {move || made.get().map(|t| view! { <NewTokenDialog t on_close=drop_made/> })}
            {move || remade.get().map(|t| view! { <NewTokenDialog t on_close=drop_remade/> })}
            <p class="alert success" role="status" hidden=move || !deleted()>"The token was deleted: it opens nothing from now on."</p>
            <p class="alert success" role="status" hidden=move || !networks_saved()>
                "The token's networks were saved: they apply from its next request on."
            </p>
            <Loaded resource=status fallback=|| view! { <p class="muted">"Loading…"</p> } let((v, s))>
                {
                    let asked = query.read_untracked().get("delete").and_then(|id| id.parse::<i64>().ok());
                    let confirm_step = asked.and_then(|id| v.tokens.iter().find(|t| t.id == id).cloned());
                    let limiting = query.read_untracked().get("networks").and_then(|id| id.parse::<i64>().ok());
                    let networks_step = limiting.and_then(|id| v.tokens.iter().find(|t| t.id == id).cloned());
                    let renewing = query.read_untracked().get("regenerate").and_then(|id| id.parse::<i64>().ok());
                    let regenerate_step = renewing.and_then(|id| v.tokens.iter().find(|t| t.id == id).cloned());
                    let shown_here = made.get_untracked().is_some() || remade.get_untracked().is_some();
                    view! {
                        // A token made by a plain form post (JavaScript off), shown once.
                        {v.fresh.filter(|_| !shown_here).map(|t| view! { <NewTokenDialog t on_close=|| ()/> })}
                        <QuotaLine q=v.quota/>
                        {confirm_step.map(|t| view! { <DeleteConfirm t delete confirming/> })}
                        {networks_step.map(|t| view! { <NetworksForm t limit s=s.clone()/> })}
                        {regenerate_step.map(|t| view! { <RegenerateForm t regenerate s=s.clone()/> })}
                        <TokenList tokens=v.tokens confirming/>
                        <CreateForm create form s/>
                    }
                }
            </Loaded>
            {move || confirming.get().map(|(id, name)| view! {
                <Modal on_close=move || confirming.set(None) labelled_by="delete-dialog-title">
                    <DeleteForm id name delete on_cancel=move || confirming.set(None)/>
                </Modal>
            })}
        </section>
    }
}

/// The new token, with Copy and the warning that this is the only time it
/// is shown. Closing it leaves only the prefix in the list.
#[component]
fn NewTokenDialog(t: NewApiToken, on_close: impl Fn() + Clone + Send + Sync + 'static) -> impl IntoView {
    let copied = RwSignal::new(false);
    let token = t.token.clone();
    let copy = move |_| {
        crate::browser::copy_to_clipboard(&token);
        copied.set(true);
    };
    let expires = match t.expires {
        Some(e) => format!("expires {}", e.text),
        None => "never expires".to_owned(),
    };
    let title = match t.regenerated {
        true => format!("The new secret of your API token “{}”", t.name),
        false => format!("Your new API token “{}”", t.name),
    };
    let old = t.regenerated.then(|| match t.previous_until.clone() {
        Some(until) => view! {
            <p class="alert info" role="status">
                "The old secret keeps working until " <When at=until/> ": put the new one in its place before then."
            </p>
        }
        .into_any(),
        None => view! { <p class="alert info" role="status">"The old secret stopped working: only this one opens the API now."</p> }.into_any(),
    });
    view! {
        <Modal on_close labelled_by="new-token-title">
            <h3 id="new-token-title">{title}</h3>
            <p class="alert warning">
                <strong>"This is the only time the token is shown."</strong>
                " Copy it now and store it somewhere safe, like a password manager: after you close this window, "
                "only its beginning is listed."
            </p>
            <p><code class="token-text" id="new-token">{t.token.clone()}</code></p>
            <p class="muted">{format!("{}{}, {expires}.", t.access, if t.sessions { ", may see and end browser sessions" } else { "" })}</p>
            {old}
            <div class="actions">
                <button type="button" on:click=copy>"Copy"</button>
                {move || copied.get().then(|| view! { <span role="status">"Copied."</span> })}
                <form method="dialog">
                    <button type="submit" class="secondary">"Close"</button>
                </form>
            </div>
        </Modal>
    }
}

#[component]
fn DeleteForm(id: i64, name: String, delete: ServerAction<DeleteApiToken>, on_cancel: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <h3 id="delete-dialog-title">{format!("Delete the token “{name}”?")}</h3>
        <p>"Anything that uses it is refused from its next request on. This cannot be undone."</p>
        <ActionError action=delete/>
        <div class="actions">
            <ActionForm action=delete>
                <input type="hidden" name="id" value=id.to_string()/>
                <Submit action=delete class="danger">"Delete token"</Submit>
            </ActionForm>
            <button type="button" class="secondary" on:click=move |_| on_cancel()>"Cancel"</button>
        </div>
    }
}

/// The confirm step without JavaScript (`?delete=<id>`).
#[component]
fn DeleteConfirm(t: ApiTokenView, delete: ServerAction<DeleteApiToken>, confirming: RwSignal<Option<(i64, String)>>) -> impl IntoView {
    let hidden = move || confirming.get().is_some() || matches!(delete.value().get(), Some(Ok(())));
    view! {
        <section class="subpanel confirm" role="region" aria-labelledby="delete-confirm-title" hidden=hidden>
            <h3 id="delete-confirm-title">{format!("Delete the token “{}” (wdn_{}…)?", t.name, t.prefix)}</h3>
            <p>"Anything that uses it is refused from its next request on. This cannot be undone."</p>
            <ActionError action=delete/>
            <div class="actions">
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=t.id.to_string()/>
                    <Submit action=delete class="danger">"Delete token"</Submit>
                </ActionForm>
                <a href=paths::API_TOKENS>"Cancel"</a>
            </div>
        </section>
    }
}

#[component]
fn TokenList(tokens: Vec<ApiTokenView>, confirming: RwSignal<Option<(i64, String)>>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted">"You have no API tokens yet."</p> }.into_any();
    }
    view! {
        <ul class="tokens" aria-label="Your API tokens">
            {tokens.into_iter().map(|t| view! { <TokenItem t confirming/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn TokenItem(t: ApiTokenView, confirming: RwSignal<Option<(i64, String)>>) -> impl IntoView {
    let (id, name) = (t.id, t.name.clone());
    let ask = move |ev: leptos::ev::MouseEvent| {
        // With JavaScript the dialog asks; the form is the way without.
        ev.prevent_default();
        confirming.set(Some((id, name.clone())));
    };
    let expires = match (t.expires, t.expired) {
        (Some(e), true) => view! { <span class="expired">"Expired " <When at=e/></span> }.into_any(),
        (Some(e), false) => view! { <When at=e/> }.into_any(),
        (None, _) => view! { "Never" }.into_any(),
    };
    let last_used = match t.last_used {
        Some(u) => view! { <When at=u.at/> {format!(" · {} · {}", u.ip, u.device)} }.into_any(),
        None => view! { "Never used" }.into_any(),
    };
    let used_from = if t.networks.is_empty() {
        view! { "Not used yet" }.into_any()
    } else {
        view! {
            <ul class="networks" aria-label=format!("Networks {} was used from", t.name)>
                {t.networks.into_iter().map(|n| view! {
                    <li>
                        <code>{n.ip}</code>
                        {format!(" · {} · first seen ", n.device)}
                        <When at=n.first_seen/>
                        " · last seen "
                        <When at=n.last_seen/>
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let limited = !t.allowed_networks.is_empty();
    let networks_label = if limited { "Change networks" } else { "Limit networks" };
    let allowed = if limited {
        view! {
            <ul class="networks allowed" aria-label=format!("Networks {} may be used from", t.name)>
                {t.allowed_networks.into_iter().map(|n| view! { <li><code>{n}</code></li> }).collect_view()}
            </ul>
        }
        .into_any()
    } else {
        view! { "Any network" }.into_any()
    };
    let title_id = format!("token-{}", t.id);
    view! {
        <li class="session token-item" aria-labelledby=title_id.clone()>
            <div class="token-main">
                <strong id=title_id.clone()>{t.name.clone()}</strong>
                <code class="prefix">{format!("wdn_{}…", t.prefix)}</code>
                <span class="badge">{t.access}</span>
                {t.sessions.then(|| view! { <span class="badge">"Sessions"</span> })}
                {t.expired.then(|| view! { <span class="badge badge-expired">"Expired"</span> })}
                {t.previous.map(|p| view! {
                    <p class="overlap" role="note">
                        {format!("Old secret wdn_{}… works until ", p.prefix)}
                        <When at=p.until/>
                    </p>
                })}
                <dl>
                    <dt>"Created"</dt>
                    <dd><When at=t.created/></dd>
                    {t.regenerated.map(|r| view! { <dt>"Regenerated"</dt> <dd><When at=r/></dd> })}
                    <dt>"Expires"</dt>
                    <dd>{expires}</dd>
                    <dt>"Last used"</dt>
                    <dd>{last_used}</dd>
                    <dt>"Used from"</dt>
                    <dd>{used_from}</dd>
                    <dt>"Allowed networks"</dt>
                    <dd>{allowed}</dd>
                </dl>
                <UsageChart days=t.usage name=t.name.clone()/>
            </div>
            // A plain GET form: it opens the regenerate form, with or without JavaScript.
            <form method="get" action=paths::API_TOKENS class="inline">
                <input type="hidden" name="regenerate" value=t.id.to_string()/>
                <button type="submit" class="secondary" aria-label=format!("Regenerate {}", t.name)>"Regenerate"</button>
            </form>
            // A plain GET form: it opens the networks form, with or without JavaScript.
            <form method="get" action=paths::API_TOKENS class="inline">
                <input type="hidden" name="networks" value=t.id.to_string()/>
                // The visible words begin the accessible name (WCAG 2.5.3).
                <button type="submit" class="secondary" aria-label=format!("{networks_label} of {}", t.name)>
                    {networks_label}
                </button>
            </form>
            // A plain GET form: without JavaScript it opens the confirm step.
            <form method="get" action=paths::API_TOKENS class="inline">
                <input type="hidden" name="delete" value=t.id.to_string()/>
                <button type="submit" class="danger-outline" on:click=ask aria-label=format!("Delete {}", t.name)>"Delete"</button>
            </form>
        </li>
    }
}

/// Where a token may be used from (`?networks=<id>`): CIDR ranges, behind
/// the same step-up as making a token (the username and password, and the
/// second factor unless this session's window covers it).
#[component]
fn NetworksForm(t: ApiTokenView, limit: ServerAction<SetApiTokenNetworks>, s: StepUpView) -> impl IntoView {
    let hidden = move || matches!(limit.value().get(), Some(Ok(())));
    view! {
        <section class="subpanel" role="region" aria-labelledby="networks-title" hidden=hidden>
            <h3 id="networks-title">{format!("Where “{}” (wdn_{}…) may be used from", t.name, t.prefix)}</h3>
            <p class="muted">
                "One network per line (or separated by commas): IPv4 or IPv6 ranges such as 203.0.113.0/24 or "
                "2001:db8::/32, or single addresses; at most 20. Leave it empty to allow any network. A request with "
                "this token from anywhere else is refused, and shown in your security activity. Confirm it is you "
                "with your username and password."
            </p>
            <ActionForm action=limit attr:class="stack">
                <input type="hidden" name="id" value=t.id.to_string()/>
                <label>
                    "Allowed networks"
                    <textarea name="networks" rows="4" autocomplete="off" spellcheck="false">{t.allowed_networks.join("\n")}</textarea>
                </label>
                <Credentials s/>
                <ActionError action=limit/>
                <div class="actions">
                    <Submit action=limit>"Save networks"</Submit>
                    <a href=paths::API_TOKENS>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

/// What every token form asks, as the help article says ("confirm your
/// authorization by entering your login credentials"): the username and
/// the password typed again, and a second factor when the account has one,
/// unless this session's window covers it.
#[component]
fn Credentials(s: StepUpView) -> impl IntoView {
    view! {
        <label>"Username" <input type="text" name="username" autocomplete="username" required/></label>
        <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
        <ConfirmFields s asks=Asks::SecondFactor/>
    }
}

/// The account's quota and how much of it the last minute used, as the
/// REST API's `RateLimit` headers would say it for the next request.
#[component]
fn QuotaLine(q: ApiQuotaView) -> impl IntoView {
    let back = match (q.used, q.full_in_secs) {
        (0, _) | (_, 0) => String::new(),
        (_, s) => format!(" All of it is back in {s} seconds."),
    };
    view! {
        <div class="quota" role="group" aria-labelledby="quota-title">
            <p id="quota-title">
                <strong>"Your quota now: "</strong>
                {format!("{} requests a minute, all your tokens together. ", q.limit)}
                <span id="quota-used">{format!("Used: {} of {}.", q.used, q.limit)}</span>
                {back}
            </p>
            <meter min="0" max=q.limit.to_string() value=q.used.to_string() aria-labelledby="quota-used"></meter>
            {q.busy.then(|| view! {
                <p class="alert warning" role="status">
                    {format!(
                        "The server is under heavy load: until it is not, the quota is {} requests a minute instead of {}.",
                        q.limit, q.normal
                    )}
                </p>
            })}
        </div>
    }
}

/// A new secret for a token (`?regenerate=<id>`, where the expiry mail
/// links): same name, access, networks and lifetime, counted again from
/// now; the old secret may keep working for an hour or a day. Behind the
/// same step-up as making a token.
#[component]
fn RegenerateForm(t: ApiTokenView, regenerate: ServerAction<RegenerateApiToken>, s: StepUpView) -> impl IntoView {
    let hidden = move || matches!(regenerate.value().get(), Some(Ok(_)));
    let older = t.previous.as_ref().map(|p| {
        view! {
            <p class="alert warning">
                {format!("The older secret wdn_{}… still works until ", p.prefix)}
                <When at=p.until.clone()/>
                ": regenerating now stops it at once."
            </p>
        }
    });
    view! {
        <section class="subpanel" role="region" aria-labelledby="regenerate-title" hidden=hidden>
            <h3 id="regenerate-title">{format!("Regenerate “{}” (wdn_{}…)", t.name, t.prefix)}</h3>
            <p class="muted">
                "The token gets a new secret, shown once, and keeps its name, access, networks and usage. Its lifetime starts "
                "again from now. Choose how long the old secret keeps working, so you can put the new one in its place first. "
                "Confirm it is you with your username and password."
            </p>
            {older}
            <ActionForm action=regenerate attr:class="stack">
                <input type="hidden" name="id" value=t.id.to_string()/>
                <fieldset class="methods">
                    <legend>"The old secret keeps working"</legend>
                    <label class="check"><input type="radio" name="overlap" value="none"/>"No: it stops now"</label>
                    <label class="check"><input type="radio" name="overlap" value="1h" checked/>"For 1 hour"</label>
                    <label class="check"><input type="radio" name="overlap" value="24h"/>"For 24 hours"</label>
                </fieldset>
                <Credentials s/>
                <ActionError action=regenerate/>
                <div class="actions">
                    <Submit action=regenerate>"Regenerate token"</Submit>
                    <a href=paths::API_TOKENS>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn CreateForm(create: ServerAction<CreateApiToken>, form: NodeRef<leptos::html::Form>, s: StepUpView) -> impl IntoView {
    view! {
        <section class="subpanel" aria-labelledby="create-token-title">
            <h3 id="create-token-title">"Create a token"</h3>
            <p class="muted">
                "Enter a unique name for the token, one that tells you what it is for. Then confirm it is you "
                "by entering your username and password."
            </p>
            <ActionForm action=create node_ref=form attr:class="stack">
                <label>"Token name" <input type="text" name="name" maxlength="64" required autocomplete="off"/></label>
                <Credentials s/>
                <label>
                    "Expiry"
                    <select name="expiry">
                        <option value="30">"30 days"</option>
                        <option value="90" selected>"90 days"</option>
                        <option value="365">"365 days"</option>
                        <option value="never">"No expiry"</option>
                    </select>
                </label>
                <fieldset class="methods">
                    <legend>"Access"</legend>
                    <label class="check"><input type="radio" name="access" value="read" checked/>"Read only"</label>
                    <label class="check"><input type="radio" name="access" value="read_write"/>"Read and write"</label>
                    <label class="check">
                        <input type="checkbox" name="sessions_scope"/>
                        "Sessions: may also list and end your browser sessions"
                    </label>
                    <p class="hint">
                        "Campaigns, calls and reports need no more. Tick Sessions only for a tool that watches your sign-ins: "
                        "a token with it can sign your browsers out."
                    </p>
                </fieldset>
                <label>
                    "Allowed networks (optional)"
                    <textarea name="networks" rows="2" autocomplete="off" spellcheck="false" placeholder="203.0.113.0/24"></textarea>
                </label>
                <p class="hint">
                    "IPv4 or IPv6 ranges, one per line, at most 20; empty: any network. You can change them later."
                </p>
                <ActionError action=create/>
                <Submit action=create>"Create token"</Submit>
            </ActionForm>
        </section>
    }
}
