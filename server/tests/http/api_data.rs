//! The domain behind the REST API's campaigns, calls, daily report and
//! idempotency keys (issue 10), on SQLite and PostgreSQL: the façade
//! (`warden.reporting()`, `warden.idempotency()`) driven with the actors
//! the doors resolve: a signed-in browser's session, and API tokens of
//! both accesses from `api_tokens().authenticate`.

use crate::common::*;
use domain::api_tokens::Access;
use domain::idempotency::{Begin, Fingerprint};
use domain::jiff::civil::{date, time, Date};
use domain::reporting::days::Zone;
use domain::reporting::entities::{CampaignStatus, Outcome};
use domain::reporting::{Call, CallId, CallPatch, CallQuery, CampaignId, CampaignPatch, NewCall, NewCampaign};
use domain::{AccountId, Actor, ClientMeta, ErrorCode, SessionToken};

const PW: &str = "correct horse battery";

fn here() -> ClientMeta {
    ClientMeta { ip: "203.0.113.7".into(), user_agent: CHROME_WINDOWS.into(), session_name: None }
}

fn now(app: &TestApp) -> i64 {
    domain::support::clock::Clock::now(&app.clock)
}

/// The actor the cookie door resolves for `b`'s session cookie.
async fn browser_actor(app: &TestApp, b: &Browser) -> Actor {
    let raw = b.cookie("__Host-warden_session").expect("a session cookie");
    let token = SessionToken::parse(&raw).expect("a session token");
    app.warden.sessions().authenticate(&token).await.expect("authenticate").expect("a live session")
}

/// The actor the REST door resolves for a new token of `access`.
async fn token_actor(app: &TestApp, owner: &Actor, username: &str, name: &str, access: Access) -> Actor {
    let form = TokenForm { access, ..TokenForm::new(name, username, PW) };
    let created = create_token(app, owner, &form, &here()).await.expect("token created");
    let meta = ClientMeta { ip: "198.51.100.4".into(), user_agent: "curl/8.5.0".into(), session_name: None };
    Actor::ApiToken(app.warden.api_tokens().authenticate(created.token.expose(), &meta).await.expect("a live token"))
}

/// A signed-in person: their browser's actor and a read-and-write token's.
async fn person(app: &TestApp, name: &str) -> (Actor, Actor) {
    let b = app.signed_in_user(name, PW, CHROME_WINDOWS).await;
    let a = browser_actor(app, &b).await;
    let t = token_actor(app, &a, name, "rw", Access::ReadWrite).await;
    (a, t)
}

fn refusal<T: std::fmt::Debug>(r: domain::Result<T>) -> (ErrorCode, Option<&'static str>) {
    let e = r.expect_err("a refusal");
    (e.code(), e.field())
}

fn campaign(name: &str) -> NewCampaign {
    NewCampaign { name: name.into(), tracking_number: "+1 415 555 0100".into(), status: None }
}

fn call(campaign: CampaignId, started_at: i64) -> NewCall {
    NewCall {
        campaign_id: campaign.get(),
        caller: "+44 20 7946 0958".into(),
        started_at,
        duration_secs: 125,
        outcome: "answered".into(),
        revenue_cents: Some(4_999),
        tags: vec!["new customer".into(), "quote".into()],
    }
}

async fn all_calls(app: &TestApp, a: &Actor) -> Vec<Call> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = app.warden.reporting().calls(a, CallQuery { cursor, limit: Some(100), ..CallQuery::default() }).await.expect("calls");
        out.extend(page.calls);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

on_both_backends!(
    campaigns_and_calls_round_trip_for_a_browser_and_a_read_write_token,
    another_accounts_campaigns_and_calls_are_not_found_and_stay_unchanged,
    a_read_only_token_reads_everything_and_changes_nothing,
    each_refusal_names_its_field_and_changes_nothing,
    a_campaign_name_is_unique_in_the_account_ignoring_case,
    deleting_a_campaign_deletes_its_calls,
    paging_through_120_calls_gives_each_once_newest_first,
    daily_totals_across_a_daylight_saving_change_agree_with_the_calls,
    a_retried_request_replays_its_answer_and_a_different_one_is_refused,
    two_concurrent_requests_with_one_key_make_one_fresh_claim,
    a_key_is_free_again_after_24_hours_and_keys_are_per_account,
);

async fn campaigns_and_calls_round_trip_for_a_browser_and_a_read_write_token(app: TestApp) {
    let (browser, token) = person(&app, "ada").await;
    let r = app.warden.reporting();

    let made = r.create_campaign(&token, campaign("  Spring Sale ")).await.expect("created");
    assert_eq!((made.name.as_str(), made.tracking_number.as_str(), made.status), ("Spring Sale", "+14155550100", CampaignStatus::Active));
    assert_eq!(made.created_at, now(&app));
    assert_eq!(r.campaign(&browser, made.id).await.expect("the browser sees it"), made);
    let paused = r.create_campaign(&browser, NewCampaign { status: Some("paused".into()), ..campaign("Autumn") }).await.expect("created");
    assert_eq!(paused.status, CampaignStatus::Paused);
    assert_eq!(r.campaigns(&token).await.expect("list").iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Autumn", "Spring Sale"]);

    let renamed = r
        .update_campaign(
            &token,
            made.id,
            CampaignPatch { name: Some("Spring Sale 2027".into()), status: Some("paused".into()), ..Default::default() },
        )
        .await
        .expect("updated");
    assert_eq!(
        (renamed.name.as_str(), renamed.status, renamed.tracking_number.as_str()),
        ("Spring Sale 2027", CampaignStatus::Paused, "+14155550100")
    );
    assert_eq!(r.campaign(&browser, made.id).await.expect("read"), renamed);
    // Renaming to its own name in another case is no clash with itself.
    r.update_campaign(&browser, made.id, CampaignPatch { name: Some("SPRING SALE 2027".into()), ..Default::default() }).await.expect("same campaign");

    let at = now(&app) - 3_600;
    let c = r.create_call(&token, call(made.id, at)).await.expect("call created");
    assert_eq!(
        (c.campaign_id, c.caller.as_str(), c.started_at, c.duration_secs, c.outcome, c.revenue_cents, c.tags.clone()),
        (made.id, "+442079460958", at, 125, Outcome::Answered, Some(4_999), vec!["new customer".to_owned(), "quote".to_owned()])
    );
    assert_eq!(r.call(&browser, c.id).await.expect("read"), c);

    let moved = r
        .update_call(
            &browser,
            c.id,
            CallPatch {
                campaign_id: Some(paused.id.get()),
                outcome: Some("voicemail".into()),
                revenue_cents: Some(None),
                tags: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!((moved.campaign_id, moved.outcome, moved.revenue_cents, moved.tags.len()), (paused.id, Outcome::Voicemail, None, 0));
    assert_eq!((moved.caller.as_str(), moved.started_at, moved.duration_secs), ("+442079460958", at, 125), "what was not patched stays");
    assert_eq!(r.call(&token, c.id).await.expect("read"), moved);

    r.delete_call(&token, c.id).await.expect("deleted");
    assert_eq!(refusal(r.call(&browser, c.id).await), (ErrorCode::NotFound, None));
    assert_eq!(refusal(r.delete_call(&token, c.id).await), (ErrorCode::NotFound, None), "deleting twice");
    r.delete_campaign(&browser, paused.id).await.expect("deleted");
    assert_eq!(refusal(r.campaign(&token, paused.id).await), (ErrorCode::NotFound, None));
    assert_eq!(r.campaigns(&browser).await.expect("list"), vec![r.campaign(&browser, made.id).await.expect("read")]);
}

async fn another_accounts_campaigns_and_calls_are_not_found_and_stay_unchanged(app: TestApp) {
    let (ann, _) = person(&app, "ann").await;
    let (_, bob) = person(&app, "bob").await;
    let r = app.warden.reporting();
    let hers = r.create_campaign(&ann, campaign("Ann's")).await.expect("created");
    let her_call = r.create_call(&ann, call(hers.id, now(&app) - 60)).await.expect("created");

    let unknown = (ErrorCode::NotFound, None);
    assert_eq!(refusal(r.campaign(&bob, hers.id).await), unknown);
    assert_eq!(refusal(r.campaign(&bob, CampaignId::new(987_654)).await), unknown, "exactly like an unknown id");
    assert_eq!(refusal(r.update_campaign(&bob, hers.id, CampaignPatch { name: Some("Bob's now".into()), ..Default::default() }).await), unknown);
    assert_eq!(refusal(r.delete_campaign(&bob, hers.id).await), unknown);
    assert_eq!(refusal(r.call(&bob, her_call.id).await), unknown);
    assert_eq!(refusal(r.call(&bob, CallId::new(987_654)).await), unknown);
    assert_eq!(refusal(r.update_call(&bob, her_call.id, CallPatch { duration_secs: Some(1), ..Default::default() }).await), unknown);
    assert_eq!(refusal(r.delete_call(&bob, her_call.id).await), unknown);
    assert_eq!(refusal(r.calls(&bob, CallQuery { campaign: Some(hers.id.get()), ..Default::default() }).await), unknown);
    assert_eq!(refusal(r.daily(&bob, None, None, Some(hers.id.get())).await), unknown);
    // Her campaign in the body of his call is not found, as by its path, and not used.
    let mine = r.create_campaign(&bob, campaign("Bob's")).await.expect("created");
    assert_eq!(refusal(r.create_call(&bob, call(hers.id, now(&app))).await), unknown);
    let his = r.create_call(&bob, call(mine.id, now(&app))).await.expect("created");
    let steal = CallPatch { campaign_id: Some(hers.id.get()), ..Default::default() };
    assert_eq!(refusal(r.update_call(&bob, his.id, steal).await), unknown);

    assert_eq!(r.campaign(&ann, hers.id).await.expect("still hers"), hers);
    assert_eq!(all_calls(&app, &ann).await, vec![her_call]);
    assert_eq!(all_calls(&app, &bob).await, vec![his], "his lists only his");
    assert_eq!(r.campaigns(&bob).await.expect("list"), vec![mine]);
}

async fn a_read_only_token_reads_everything_and_changes_nothing(app: TestApp) {
    let (browser, _) = person(&app, "cyd").await;
    let reader = token_actor(&app, &browser, "cyd", "reader", Access::Read).await;
    let r = app.warden.reporting();
    let c = r.create_campaign(&browser, campaign("Main")).await.expect("created");
    let k = r.create_call(&browser, call(c.id, now(&app) - 86_400 * 3)).await.expect("created");

    assert_eq!(r.campaigns(&reader).await.expect("list"), vec![c.clone()]);
    assert_eq!(r.call(&reader, k.id).await.expect("read"), k);
    assert_eq!(all_calls(&app, &reader).await, vec![k.clone()]);
    assert_eq!(r.daily(&reader, None, None, None).await.expect("earlier days too").totals.calls, 1);

    let scope = (ErrorCode::InsufficientScope, None);
    assert_eq!(refusal(r.create_campaign(&reader, campaign("Other")).await), scope);
    assert_eq!(refusal(r.update_campaign(&reader, c.id, CampaignPatch { name: Some("X".into()), ..Default::default() }).await), scope);
    assert_eq!(refusal(r.delete_campaign(&reader, c.id).await), scope);
    assert_eq!(refusal(r.create_call(&reader, call(c.id, now(&app))).await), scope);
    assert_eq!(refusal(r.update_call(&reader, k.id, CallPatch { duration_secs: Some(1), ..Default::default() }).await), scope);
    assert_eq!(refusal(r.delete_call(&reader, k.id).await), scope);
    // Scope is checked first: even a bad body or an unknown id says 403.
    assert_eq!(refusal(r.create_campaign(&reader, campaign("")).await), scope);
    assert_eq!(refusal(r.delete_call(&reader, CallId::new(987_654)).await), scope);
    assert_eq!(ErrorCode::InsufficientScope.status(), 403);

    assert_eq!(r.campaigns(&browser).await.expect("list"), vec![c]);
    assert_eq!(all_calls(&app, &browser).await, vec![k]);
}

async fn each_refusal_names_its_field_and_changes_nothing(app: TestApp) {
    let (_, t) = person(&app, "dee").await;
    let r = app.warden.reporting();
    let c = r.create_campaign(&t, campaign("Main")).await.expect("created");
    let k = r.create_call(&t, call(c.id, now(&app) - 600)).await.expect("created");
    let n = now(&app);

    let bad_campaigns = [
        (campaign("   "), "name"),
        (campaign(&"x".repeat(81)), "name"),
        (NewCampaign { tracking_number: "555-0100".into(), ..campaign("A") }, "tracking_number"),
        (NewCampaign { tracking_number: "+1 415 555 01a0".into(), ..campaign("A") }, "tracking_number"),
        (NewCampaign { status: Some("archived".into()), ..campaign("A") }, "status"),
    ];
    for (bad, field) in bad_campaigns {
        assert_eq!(refusal(r.create_campaign(&t, bad.clone()).await), (ErrorCode::InvalidInput, Some(field)), "{bad:?}");
    }
    let bad_patches = [
        (CampaignPatch { name: Some("".into()), ..Default::default() }, "name"),
        (CampaignPatch { tracking_number: Some("0800".into()), ..Default::default() }, "tracking_number"),
        (CampaignPatch { status: Some("ACTIVE".into()), ..Default::default() }, "status"),
    ];
    for (bad, field) in bad_patches {
        assert_eq!(refusal(r.update_campaign(&t, c.id, bad.clone()).await), (ErrorCode::InvalidInput, Some(field)), "{bad:?}");
    }

    let bad_calls = [
        (NewCall { caller: "anonymous".into(), ..call(c.id, n) }, "caller"),
        (call(c.id, n + 301), "started_at"),
        (call(c.id, 946_684_799), "started_at"),
        (NewCall { duration_secs: -1, ..call(c.id, n) }, "duration_secs"),
        (NewCall { duration_secs: 86_401, ..call(c.id, n) }, "duration_secs"),
        (NewCall { outcome: "busy".into(), ..call(c.id, n) }, "outcome"),
        (NewCall { revenue_cents: Some(-1), ..call(c.id, n) }, "revenue_cents"),
        (NewCall { revenue_cents: Some(1_000_000_001), ..call(c.id, n) }, "revenue_cents"),
        (NewCall { tags: vec!["t".into(); 11], ..call(c.id, n) }, "tags"),
        (NewCall { tags: vec!["a,b".into()], ..call(c.id, n) }, "tags"),
        (NewCall { tags: vec!["x".repeat(33)], ..call(c.id, n) }, "tags"),
        (NewCall { tags: vec!["".into()], ..call(c.id, n) }, "tags"),
        (NewCall { tags: vec!["line\nbreak".into()], ..call(c.id, n) }, "tags"),
    ];
    for (bad, field) in bad_calls {
        assert_eq!(refusal(r.create_call(&t, bad.clone()).await), (ErrorCode::InvalidInput, Some(field)), "{bad:?}");
    }
    // A campaign the account does not have is not found, like its own path.
    assert_eq!(refusal(r.create_call(&t, call(CampaignId::new(987_654), n)).await), (ErrorCode::NotFound, None));
    let bad_call_patches = [
        (CallPatch { caller: Some("+0".into()), ..Default::default() }, "caller"),
        (CallPatch { started_at: Some(n + 3_600), ..Default::default() }, "started_at"),
        (CallPatch { duration_secs: Some(100_000), ..Default::default() }, "duration_secs"),
        (CallPatch { outcome: Some("".into()), ..Default::default() }, "outcome"),
        (CallPatch { revenue_cents: Some(Some(-5)), ..Default::default() }, "revenue_cents"),
        (CallPatch { tags: Some(vec!["x\u{7}".into()]), ..Default::default() }, "tags"),
    ];
    for (bad, field) in bad_call_patches {
        assert_eq!(refusal(r.update_call(&t, k.id, bad.clone()).await), (ErrorCode::InvalidInput, Some(field)), "{bad:?}");
    }
    let elsewhere = CallPatch { campaign_id: Some(0), ..Default::default() };
    assert_eq!(refusal(r.update_call(&t, k.id, elsewhere).await), (ErrorCode::NotFound, None));
    let bad_queries = [
        (CallQuery { limit: Some(0), ..Default::default() }, "limit"),
        (CallQuery { limit: Some(101), ..Default::default() }, "limit"),
        (CallQuery { cursor: Some("bm90IGEgY3Vyc29y".into()), ..Default::default() }, "cursor"),
        (CallQuery { cursor: Some("%%%".into()), ..Default::default() }, "cursor"),
        (CallQuery { from: Some(n), to: Some(n - 1), ..Default::default() }, "to"),
    ];
    for (bad, field) in bad_queries {
        assert_eq!(refusal(r.calls(&t, bad.clone()).await), (ErrorCode::InvalidInput, Some(field)), "{bad:?}");
    }
    for (from, to, field) in [
        (Some("2027-1-5"), None, "from"),
        (None, Some("yesterday"), "to"),
        (Some("2027-01-10"), Some("2027-01-09"), "to"),
        (Some("2025-01-01"), Some("2026-01-02"), "to"),
    ] {
        assert_eq!(refusal(r.daily(&t, from, to, None).await), (ErrorCode::InvalidInput, Some(field)), "{from:?} {to:?}");
    }
    // The wire error carries the field.
    let wire = proto::ApiError::from(r.create_call(&t, NewCall { outcome: "busy".into(), ..call(c.id, n) }).await.expect_err("refused"));
    assert_eq!((wire.code.as_str(), wire.field.as_deref(), wire.status()), ("invalid_input", Some("outcome"), 422));

    assert_eq!(r.campaigns(&t).await.expect("list"), vec![c]);
    assert_eq!(all_calls(&app, &t).await, vec![k]);
}

async fn a_campaign_name_is_unique_in_the_account_ignoring_case(app: TestApp) {
    let (a, t) = person(&app, "eve").await;
    let (other, _) = person(&app, "fay").await;
    let r = app.warden.reporting();
    let first = r.create_campaign(&a, campaign("Spring Sale")).await.expect("created");
    let taken = (ErrorCode::CampaignNameTaken, Some("name"));
    assert_eq!(refusal(r.create_campaign(&t, campaign("spring SALE")).await), taken);
    assert_eq!(refusal(r.create_campaign(&t, campaign("  Spring Sale  ")).await), taken, "trimmed first");
    assert_eq!(ErrorCode::CampaignNameTaken.status(), 409);
    let second = r.create_campaign(&t, campaign("Summer")).await.expect("another name");
    assert_eq!(refusal(r.update_campaign(&t, second.id, CampaignPatch { name: Some("SPRING sale".into()), ..Default::default() }).await), taken);
    assert_eq!(r.campaigns(&a).await.expect("list"), vec![first, second], "nothing changed");
    r.create_campaign(&other, campaign("Spring Sale")).await.expect("another account may use the name");
}

async fn deleting_a_campaign_deletes_its_calls(app: TestApp) {
    let (a, t) = person(&app, "gus").await;
    let r = app.warden.reporting();
    let gone = r.create_campaign(&a, campaign("Gone")).await.expect("created");
    let kept = r.create_campaign(&a, campaign("Kept")).await.expect("created");
    for i in 0..3 {
        r.create_call(&t, call(gone.id, now(&app) - 100 - i)).await.expect("created");
    }
    let stays = r.create_call(&t, call(kept.id, now(&app) - 50)).await.expect("created");
    r.delete_campaign(&t, gone.id).await.expect("deleted");
    assert_eq!(all_calls(&app, &a).await, vec![stays], "its calls went with it, the other campaign's stayed");
    assert_eq!(r.daily(&a, None, None, None).await.expect("report").totals.calls, 1);
    assert_eq!(refusal(r.delete_campaign(&t, gone.id).await), (ErrorCode::NotFound, None));
}

async fn paging_through_120_calls_gives_each_once_newest_first(app: TestApp) {
    let (a, t) = person(&app, "hal").await;
    let r = app.warden.reporting();
    let one = r.create_campaign(&t, campaign("One")).await.expect("created");
    let two = r.create_campaign(&t, campaign("Two")).await.expect("created");
    let base = now(&app) - 86_400;
    let mut made = Vec::new();
    for i in 0..120 {
        // Three calls share each second, so the id breaks ties.
        let k = r.create_call(&t, call(if i % 2 == 0 { one.id } else { two.id }, base + (i / 3) * 60)).await.expect("created");
        made.push(k);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = Vec::new();
    loop {
        let page = r.calls(&a, CallQuery { cursor, limit: Some(50), ..Default::default() }).await.expect("page");
        pages.push(page.calls.len());
        seen.extend(page.calls);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, [50, 50, 20]);
    let mut expected = made.clone();
    expected.sort_by_key(|c| std::cmp::Reverse((c.started_at, c.id.get())));
    assert_eq!(seen, expected, "each call once, newest first");
    // The default page is 50; a filter by campaign and time pages the same way.
    assert_eq!(r.calls(&t, CallQuery::default()).await.expect("page").calls.len(), 50);
    let from = base + 10 * 60;
    let to = base + 30 * 60;
    let mut filtered = Vec::new();
    let mut cursor = None;
    loop {
        let q = CallQuery { from: Some(from), to: Some(to), campaign: Some(two.id.get()), cursor, limit: Some(7) };
        let page = r.calls(&t, q).await.expect("page");
        filtered.extend(page.calls);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let expected: Vec<Call> = expected.into_iter().filter(|c| c.campaign_id == two.id && c.started_at >= from && c.started_at < to).collect();
    assert_eq!(expected.len(), 30);
    assert_eq!(filtered, expected);
}

async fn daily_totals_across_a_daylight_saving_change_agree_with_the_calls(app: TestApp) {
    let (a, t) = person(&app, "ida").await;
    app.warden.reporting().set_time_zone(&a, "Europe/Berlin", &here()).await.expect("zone set");
    let r = app.warden.reporting();
    let berlin = Zone::parse("Europe/Berlin").expect("zone");
    let at = |d: Date, h: i8, m: i8| berlin.at(d, time(h, m, 0, 0)).expect("a time in Berlin");
    let c = r.create_campaign(&t, campaign("Main")).await.expect("created");
    let other = r.create_campaign(&t, campaign("Other")).await.expect("created");
    // Clocks went back on 2026-10-25 at 03:00 CEST: that day has 25 hours.
    let calls = [
        (at(date(2026, 10, 24), 23, 30), c.id, 60, Some(100)),   // the 24th, 21:30 UTC
        (at(date(2026, 10, 25), 0, 30), c.id, 30, None),         // the 25th, but the 24th in UTC
        (at(date(2026, 10, 25), 23, 30), other.id, 10, Some(5)), // the 25th, 22:30 UTC
        (at(date(2026, 10, 26), 0, 30), c.id, 20, None),         // the 26th, but the 25th in UTC
    ];
    for (started_at, campaign_id, duration_secs, revenue_cents) in calls {
        let new = NewCall { duration_secs, revenue_cents, outcome: "missed".into(), ..call(campaign_id, started_at) };
        r.create_call(&t, new).await.expect("created");
    }
    let report = r.daily(&t, Some("2026-10-24"), Some("2026-10-26"), None).await.expect("report");
    assert_eq!((report.from, report.to, report.time_zone.as_str()), (date(2026, 10, 24), date(2026, 10, 26), "Europe/Berlin"));
    let per_day: Vec<(Date, i64, i64, i64)> =
        report.days.iter().map(|d| (d.date, d.totals.calls, d.totals.duration_secs, d.totals.revenue_cents)).collect();
    assert_eq!(per_day, [(date(2026, 10, 24), 1, 60, 100), (date(2026, 10, 25), 2, 40, 5), (date(2026, 10, 26), 1, 20, 0)]);
    assert_eq!((report.totals.calls, report.totals.missed, report.totals.duration_secs), (4, 4, 120));
    let one = r.daily(&a, Some("2026-10-24"), Some("2026-10-26"), Some(other.id.get())).await.expect("report");
    assert_eq!((one.campaign, one.totals.calls, one.days[1].totals.calls), (Some(other.id), 1, 1));
    // The default is the last 7 days up to today in Berlin.
    let today = berlin.date_of(now(&app)).expect("today");
    let week = r.daily(&t, None, None, None).await.expect("report");
    assert_eq!((week.to, week.days.len(), week.totals.calls), (today, 7, 0));
}

fn fp(body: &str) -> Fingerprint {
    Fingerprint::of("POST", "/api/v1/campaigns", body.as_bytes())
}

fn account_of(a: &Actor) -> AccountId {
    a.account().expect("an account")
}

async fn a_retried_request_replays_its_answer_and_a_different_one_is_refused(app: TestApp) {
    let (_, t) = person(&app, "jon").await;
    let account = account_of(&t);
    let idem = app.warden.idempotency();
    let body = r#"{"name":"Spring","tracking_number":"+14155550100"}"#;

    let Begin::Fresh(claim) = idem.begin(account, "retry-1", &fp(body)).await.expect("begin") else { panic!("the first is fresh") };
    // While the first runs, its retry waits.
    assert_eq!(refusal(idem.begin(account, "retry-1", &fp(body)).await), (ErrorCode::IdempotencyKeyInProgress, Some("Idempotency-Key")));
    let made = app.warden.reporting().create_campaign(&t, campaign("Spring")).await.expect("created");
    let answer = format!(r#"{{"id":{}}}"#, made.id);
    idem.complete(claim, 201, &answer).await.expect("completed");

    for _ in 0..2 {
        match idem.begin(account, "retry-1", &fp(body)).await.expect("begin") {
            Begin::Replay { status, body } => assert_eq!((status, body.as_str()), (201, answer.as_str())),
            Begin::Fresh(_) => panic!("a retry must not run again"),
        }
    }
    assert_eq!(app.warden.reporting().campaigns(&t).await.expect("list").len(), 1, "one campaign");
    let reused = refusal(idem.begin(account, "retry-1", &fp(r#"{"name":"Other"}"#)).await);
    assert_eq!(reused, (ErrorCode::IdempotencyKeyReused, Some("Idempotency-Key")));
    assert_eq!(ErrorCode::IdempotencyKeyReused.status(), 422);
    let other_path = Fingerprint::of("POST", "/api/v1/calls", body.as_bytes());
    assert_eq!(refusal(idem.begin(account, "retry-1", &other_path).await).0, ErrorCode::IdempotencyKeyReused);

    // A released claim (the attempt failed) lets the retry try again.
    let Begin::Fresh(claim) = idem.begin(account, "retry-2", &fp(body)).await.expect("begin") else { panic!("fresh") };
    idem.release(claim).await.expect("released");
    let Begin::Fresh(claim) = idem.begin(account, "retry-2", &fp(body)).await.expect("begin") else { panic!("fresh after release") };
    idem.complete(claim, 422, r#"{"code":"invalid_input"}"#).await.expect("completed");

    for bad in ["", "has space", &"k".repeat(256), "é"] {
        assert_eq!(refusal(idem.begin(account, bad, &fp(body)).await), (ErrorCode::InvalidInput, Some("Idempotency-Key")), "{bad:?}");
    }
}

async fn two_concurrent_requests_with_one_key_make_one_fresh_claim(app: TestApp) {
    let (_, t) = person(&app, "kim").await;
    let account = account_of(&t);
    let body = r#"{"name":"Race"}"#;
    for round in 0..8 {
        let key = format!("race-{round}");
        let (w1, w2) = (app.warden.clone(), app.warden.clone());
        let (k1, k2) = (key.clone(), key.clone());
        let one = tokio::spawn(async move { w1.idempotency().begin(account, &k1, &fp(body)).await });
        let two = tokio::spawn(async move { w2.idempotency().begin(account, &k2, &fp(body)).await });
        let results = [one.await.expect("task"), two.await.expect("task")];
        let fresh = results.iter().filter(|r| matches!(r, Ok(Begin::Fresh(_)))).count();
        let waiting = results.iter().filter(|r| r.as_ref().is_err_and(|e| e.code() == ErrorCode::IdempotencyKeyInProgress)).count();
        assert_eq!((fresh, waiting), (1, 1), "round {round}: {results:?}");
        for r in results {
            if let Ok(Begin::Fresh(claim)) = r {
                app.warden.idempotency().complete(claim, 201, "{}").await.expect("completed");
            }
        }
    }
}

async fn a_key_is_free_again_after_24_hours_and_keys_are_per_account(app: TestApp) {
    let (_, t) = person(&app, "lee").await;
    let (_, u) = person(&app, "max").await;
    let (mine, theirs) = (account_of(&t), account_of(&u));
    let idem = app.warden.idempotency();
    let Begin::Fresh(c) = idem.begin(mine, "daily-import", &fp("a")).await.expect("begin") else { panic!("fresh") };
    idem.complete(c, 201, "first").await.expect("completed");
    // Another account's same key is its own, even with another request.
    let Begin::Fresh(c) = idem.begin(theirs, "daily-import", &fp("b")).await.expect("begin") else { panic!("keys are per account") };
    idem.complete(c, 201, "theirs").await.expect("completed");

    app.clock.advance(24 * 3600 - 1);
    assert!(matches!(idem.begin(mine, "daily-import", &fp("a")).await, Ok(Begin::Replay { status: 201, ref body }) if body == "first"));
    app.clock.advance(1);
    let Begin::Fresh(c) = idem.begin(mine, "daily-import", &fp("new")).await.expect("begin") else { panic!("free after 24 h") };
    idem.complete(c, 201, "second").await.expect("completed");

    // The sweep forgets the other account's old key.
    let swept = app.warden.sweep().await.expect("sweep");
    assert_eq!(swept.idempotency_keys, 1, "only theirs was 24 h old");
    let Begin::Fresh(c) = idem.begin(theirs, "daily-import", &fp("c")).await.expect("begin") else { panic!("swept") };
    idem.release(c).await.expect("released");
    assert!(matches!(idem.begin(mine, "daily-import", &fp("new")).await, Ok(Begin::Replay { ref body, .. }) if body == "second"));
}
