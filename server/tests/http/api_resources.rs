//! Campaigns, calls and daily reports through the REST API, on SQLite and
//! PostgreSQL: every endpoint's success, read-only tokens refused, other
//! accounts' ids 404, refused fields named, unknown fields and wrong
//! content types refused, `Idempotency-Key` on POST. Every answer is
//! checked against the served OpenAPI document.

use crate::api::{assert_problem, token_with, user_with_token, Api};
use crate::common::*;
use domain::api_tokens::{Access, Expiry};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    campaigns_are_listed_created_read_changed_and_deleted,
    calls_are_recorded_paged_filtered_changed_and_deleted,
    the_daily_report_counts_calls_per_day_in_the_accounts_zone,
    a_read_only_token_reads_but_never_writes,
    another_accounts_ids_are_not_found_and_stay_unchanged,
    refused_input_names_its_field_and_changes_nothing,
    a_retried_post_with_the_same_idempotency_key_creates_once,
    the_document_says_what_the_server_takes,
);

fn now(app: &TestApp) -> i64 {
    domain::support::clock::Clock::now(&app.clock)
}

async fn campaign(api: &Api, token: &str, name: &str) -> Value {
    let r = api.post("/api/v1/campaigns", token, &json!({"name": name, "tracking_number": "+1 415 555 0100"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn call(api: &Api, token: &str, campaign: i64, started_at: i64) -> Value {
    let body = json!({"campaign_id": campaign, "caller": "+44 20 7946 0958", "started_at": started_at, "duration_secs": 60, "outcome": "answered"});
    let r = api.post("/api/v1/calls", token, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()
}

async fn campaigns_are_listed_created_read_changed_and_deleted(app: TestApp) {
    let (_b, token) = user_with_token(&app, "nia").await;
    let api = Api::new(&app);
    assert_eq!(api.get("/api/v1/campaigns", &token).await.json(), json!({"campaigns": []}));
    let made = campaign(&api, &token, "Spring Sale").await;
    assert_eq!(
        (made["name"].as_str(), made["tracking_number"].as_str(), made["status"].as_str()),
        (Some("Spring Sale"), Some("+14155550100"), Some("active"))
    );
    assert_eq!(made["created_at"].as_i64(), Some(now(&app)));
    let id = made["id"].as_i64().expect("id");
    assert_eq!(api.get(&format!("/api/v1/campaigns/{id}"), &token).await.json(), made);
    let list = api.get("/api/v1/campaigns", &token).await.json();
    assert_eq!(list["campaigns"], json!([made.clone()]));

    let r = api.patch(&format!("/api/v1/campaigns/{id}"), &token, &json!({"status": "paused", "name": "Spring Sale 2027"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let changed = r.json();
    assert_eq!(
        (changed["name"].as_str(), changed["status"].as_str(), changed["tracking_number"].as_str()),
        (Some("Spring Sale 2027"), Some("paused"), Some("+14155550100"))
    );

    let r = api.post("/api/v1/campaigns", &token, &json!({"name": "spring sale 2027", "tracking_number": "+14155550101"})).await;
    let p = assert_problem(&r, StatusCode::CONFLICT, "campaign_name_taken");
    assert_eq!(p["field"], "name", "{p}");

    let c = call(&api, &token, id, now(&app) - 60).await;
    let r = api.delete(&format!("/api/v1/campaigns/{id}"), &token).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::NO_CONTENT, ""));
    assert_problem(&api.get(&format!("/api/v1/campaigns/{id}"), &token).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(&api.get(&format!("/api/v1/calls/{}", c["id"]), &token).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(&api.delete(&format!("/api/v1/campaigns/{id}"), &token).await, StatusCode::NOT_FOUND, "not_found");
    api.check_contract().await;
}

async fn calls_are_recorded_paged_filtered_changed_and_deleted(app: TestApp) {
    let (_b, token) = user_with_token(&app, "oli").await;
    let api = Api::new(&app);
    let one = campaign(&api, &token, "One").await["id"].as_i64().expect("id");
    let two = campaign(&api, &token, "Two").await["id"].as_i64().expect("id");
    let t = now(&app) - 10_000;
    let body = json!({"campaign_id": one, "caller": "+49 30 901820", "started_at": t, "duration_secs": 125, "outcome": "answered", "revenue_cents": 4999, "tags": ["new customer", "quote"]});
    let r = api.post("/api/v1/calls", &token, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let first = r.json();
    assert_eq!(
        (
            first["campaign_id"].as_i64(),
            first["caller"].as_str(),
            first["started_at"].as_i64(),
            first["outcome"].as_str(),
            first["revenue_cents"].as_i64()
        ),
        (Some(one), Some("+4930901820"), Some(t), Some("answered"), Some(4999))
    );
    assert_eq!(first["tags"], json!(["new customer", "quote"]));
    let id = first["id"].as_i64().expect("id");
    assert_eq!(api.get(&format!("/api/v1/calls/{id}"), &token).await.json(), first);
    for i in 1..5 {
        call(&api, &token, if i % 2 == 0 { one } else { two }, t + i * 100).await;
    }
    // Newest first, two a page, each once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/calls?limit=2".to_owned();
    loop {
        let page = api.get(&path, &token).await.json();
        let calls = page["calls"].as_array().expect("calls");
        assert!(calls.len() <= 2);
        seen.extend(calls.iter().map(|c| c["started_at"].as_i64().expect("started_at")));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/calls?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, vec![t + 400, t + 300, t + 200, t + 100, t]);
    let filtered = api.get(&format!("/api/v1/calls?campaign={two}&from={}&to={}", t + 50, t + 400), &token).await.json();
    let starts: Vec<i64> = filtered["calls"].as_array().expect("calls").iter().map(|c| c["started_at"].as_i64().expect("t")).collect();
    assert_eq!(starts, vec![t + 300, t + 100]);

    let r = api.patch(&format!("/api/v1/calls/{id}"), &token, &json!({"revenue_cents": null, "outcome": "voicemail", "campaign_id": two})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let changed = r.json();
    assert_eq!(
        (changed["revenue_cents"].clone(), changed["outcome"].as_str(), changed["campaign_id"].as_i64()),
        (Value::Null, Some("voicemail"), Some(two))
    );
    assert_eq!((changed["duration_secs"].as_i64(), changed["caller"].as_str()), (Some(125), Some("+4930901820")), "what was not sent stays");
    let r = api.patch(&format!("/api/v1/calls/{id}"), &token, &json!({"duration_secs": 30})).await;
    assert_eq!(r.json()["revenue_cents"], Value::Null);
    assert_eq!(api.delete(&format!("/api/v1/calls/{id}"), &token).await.status, StatusCode::NO_CONTENT);
    assert_problem(&api.get(&format!("/api/v1/calls/{id}"), &token).await, StatusCode::NOT_FOUND, "not_found");
    api.check_contract().await;
}

async fn the_daily_report_counts_calls_per_day_in_the_accounts_zone(app: TestApp) {
    let (_b, token) = user_with_token(&app, "pia").await;
    let api = Api::new(&app);
    let c = campaign(&api, &token, "Daily").await["id"].as_i64().expect("id");
    // Today and yesterday in UTC (the account's zone), by the test clock.
    let today_start = now(&app) - now(&app) % 86_400;
    call(&api, &token, c, today_start + 10).await;
    call(&api, &token, c, today_start + 20).await;
    call(&api, &token, c, today_start - 86_400 + 5).await;
    let r = api.get("/api/v1/reports/daily", &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rep = r.json();
    assert_eq!(rep["time_zone"], "UTC");
    let days = rep["days"].as_array().expect("days");
    assert_eq!(days.len(), 7, "the last 7 days by default: {rep}");
    assert_eq!(days[6]["totals"]["calls"], 2, "{rep}");
    assert_eq!(days[5]["totals"]["calls"], 1, "{rep}");
    assert_eq!(rep["totals"]["calls"], 3);
    assert_eq!(rep["totals"]["answer_rate_percent"], 100.0);
    let to = days[6]["date"].as_str().expect("date").to_owned();
    let one_day = api.get(&format!("/api/v1/reports/daily?from={to}&to={to}&campaign={c}"), &token).await.json();
    assert_eq!(
        (one_day["days"].as_array().map(Vec::len), one_day["totals"]["calls"].as_i64(), one_day["campaign"].as_i64()),
        (Some(1), Some(2), Some(c))
    );
    let p = assert_problem(&api.get("/api/v1/reports/daily?from=2026-02-30", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "from", "{p}");
    let p = assert_problem(
        &api.get("/api/v1/reports/daily?from=2026-03-02&to=2026-03-01", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_eq!(p["field"], "to", "{p}");
    api.check_contract().await;
}

async fn a_read_only_token_reads_but_never_writes(app: TestApp) {
    let (b, token) = user_with_token(&app, "quin").await;
    let reader = token_with(&app, &b, "quin", "reader", Access::Read, Expiry::Days30).await;
    let api = Api::new(&app);
    let c = campaign(&api, &token, "Mine").await;
    let id = c["id"].as_i64().expect("id");
    let k = call(&api, &token, id, now(&app) - 100).await;
    assert_eq!(api.get("/api/v1/campaigns", &reader).await.status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/calls", &reader).await.status, StatusCode::OK);
    assert_eq!(api.get("/api/v1/reports/daily", &reader).await.status, StatusCode::OK);
    for r in [
        api.post("/api/v1/campaigns", &reader, &json!({"name": "Theirs", "tracking_number": "+14155550100"})).await,
        api.patch(&format!("/api/v1/campaigns/{id}"), &reader, &json!({"name": "Renamed"})).await,
        api.delete(&format!("/api/v1/campaigns/{id}"), &reader).await,
        api.post(
            "/api/v1/calls",
            &reader,
            &json!({"campaign_id": id, "caller": "+14155550100", "started_at": now(&app), "duration_secs": 1, "outcome": "missed"}),
        )
        .await,
        api.patch(&format!("/api/v1/calls/{}", k["id"]), &reader, &json!({"duration_secs": 1})).await,
        api.delete(&format!("/api/v1/calls/{}", k["id"]), &reader).await,
    ] {
        assert_problem(&r, StatusCode::FORBIDDEN, "insufficient_scope");
        assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="warden", error="insufficient_scope""#));
    }
    assert_eq!(api.get("/api/v1/campaigns", &token).await.json()["campaigns"], json!([c]), "nothing changed");
    assert_eq!(api.get(&format!("/api/v1/calls/{}", k["id"]), &token).await.json(), k);
    api.check_contract().await;
}

async fn another_accounts_ids_are_not_found_and_stay_unchanged(app: TestApp) {
    let (_r, rae) = user_with_token(&app, "rae").await;
    let (_s, sol) = user_with_token(&app, "sol").await;
    let api = Api::new(&app);
    let theirs = campaign(&api, &sol, "Sol's").await;
    let cid = theirs["id"].as_i64().expect("id");
    let their_call = call(&api, &sol, cid, now(&app) - 100).await;
    let kid = their_call["id"].as_i64().expect("id");
    let unknown = api.get("/api/v1/campaigns/999999", &rae).await;
    for r in [
        api.get(&format!("/api/v1/campaigns/{cid}"), &rae).await,
        api.patch(&format!("/api/v1/campaigns/{cid}"), &rae, &json!({"name": "Taken over"})).await,
        api.delete(&format!("/api/v1/campaigns/{cid}"), &rae).await,
        api.get(&format!("/api/v1/calls/{kid}"), &rae).await,
        api.patch(&format!("/api/v1/calls/{kid}"), &rae, &json!({"duration_secs": 1})).await,
        api.delete(&format!("/api/v1/calls/{kid}"), &rae).await,
    ] {
        assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    }
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Their campaign in my call's body is refused on the field, like a made-up id.
    let r = api
        .post(
            "/api/v1/calls",
            &rae,
            &json!({"campaign_id": cid, "caller": "+14155550100", "started_at": now(&app), "duration_secs": 1, "outcome": "missed"}),
        )
        .await;
    // Exactly as an id that does not exist: 404.
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(api.get("/api/v1/calls", &rae).await.json()["calls"], json!([]));
    assert!(api.get("/api/v1/campaigns", &rae).await.json()["campaigns"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(api.get(&format!("/api/v1/campaigns/{cid}"), &sol).await.json(), theirs, "unchanged");
    assert_eq!(api.get(&format!("/api/v1/calls/{kid}"), &sol).await.json(), their_call, "unchanged");
    api.check_contract().await;
}

async fn refused_input_names_its_field_and_changes_nothing(app: TestApp) {
    let (_b, token) = user_with_token(&app, "tam").await;
    let api = Api::new(&app);
    let c = campaign(&api, &token, "Base").await["id"].as_i64().expect("id");
    let good = json!({"campaign_id": c, "caller": "+14155550100", "started_at": now(&app) - 10, "duration_secs": 5, "outcome": "missed"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().expect("object").remove(k);
        b
    };
    let cases = [
        ("/api/v1/campaigns", json!({"tracking_number": "+14155550100"}), "name"),
        ("/api/v1/campaigns", json!({"name": "", "tracking_number": "+14155550100"}), "name"),
        ("/api/v1/campaigns", json!({"name": "X", "tracking_number": "555-0100"}), "tracking_number"),
        ("/api/v1/campaigns", json!({"name": "X", "tracking_number": 14155550100_i64}), "tracking_number"),
        ("/api/v1/campaigns", json!({"name": "X", "tracking_number": "+14155550100", "status": "deleted"}), "status"),
        ("/api/v1/campaigns", json!({"name": "X", "tracking_number": "+14155550100", "colour": "red"}), "colour"),
        ("/api/v1/calls", without("caller"), "caller"),
        ("/api/v1/calls", with("duration_secs", json!("long")), "duration_secs"),
        ("/api/v1/calls", with("duration_secs", json!(90_000)), "duration_secs"),
        ("/api/v1/calls", with("started_at", json!(now(&app) + 3_600)), "started_at"),
        ("/api/v1/calls", with("outcome", json!("hung up")), "outcome"),
        ("/api/v1/calls", with("revenue_cents", json!(-1)), "revenue_cents"),
        ("/api/v1/calls", with("tags", json!(["a,b"])), "tags"),
        ("/api/v1/calls", with("tags", json!([1])), "tags[0]"),
        ("/api/v1/calls", with("id", json!(5)), "id"),
    ];
    for (path, body, field) in cases {
        let r = api.post(path, &token, &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {}", r.body);
        let p = r.json();
        assert_eq!((p["code"].as_str(), p["field"].as_str()), (Some("invalid_input"), Some(field)), "{path} {body}: {p}");
        assert_eq!(p["errors"][0]["field"].as_str(), Some(field));
    }
    // A campaign that is not the account's is not found, as by its own path.
    assert_problem(&api.post("/api/v1/calls", &token, &with("campaign_id", json!(999_999))).await, StatusCode::NOT_FOUND, "not_found");
    let p = assert_problem(&api.get("/api/v1/calls?limit=500", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "limit");
    let p = assert_problem(&api.get("/api/v1/calls?cursor=not-ours", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "cursor");
    let p = assert_problem(&api.get("/api/v1/calls?from=yesterday", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "from");
    let p = assert_problem(
        &api.patch(&format!("/api/v1/campaigns/{c}"), &token, &json!({"nmae": "typo"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_eq!(p["field"], "nmae");
    // Not JSON: 415, or 400 when it says JSON and is not.
    let auth = format!("Bearer {token}");
    let r = api.send("POST", "/api/v1/campaigns", &[("authorization", &auth)], Some(("text/plain", "name=X".into()))).await;
    assert_problem(&r, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = api.send("POST", "/api/v1/campaigns", &[("authorization", &auth)], Some(("application/json", "{\"name\":".into()))).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "bad_request");
    // Nothing was made by any of them.
    assert_eq!(api.get("/api/v1/campaigns", &token).await.json()["campaigns"].as_array().map(Vec::len), Some(1));
    assert_eq!(api.get("/api/v1/calls", &token).await.json()["calls"], json!([]));
    api.check_contract().await;
}

async fn a_retried_post_with_the_same_idempotency_key_creates_once(app: TestApp) {
    let (b, token) = user_with_token(&app, "uri").await;
    let second = token_with(&app, &b, "uri", "second", Access::ReadWrite, Expiry::Days30).await;
    let api = Api::new(&app);
    let body = json!({"name": "Once", "tracking_number": "+14155550100"});
    let key = [("idempotency-key", "3f1c0e5e-retry-1")];
    let first = api.json("POST", "/api/v1/campaigns", &token, &body, &key).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(first.header("idempotent-replayed").is_none());
    // The retry (even with the account's other token) gets the same answer; nothing new is made.
    let again = api.json("POST", "/api/v1/campaigns", &second, &body, &key).await;
    assert_eq!((again.status, again.json()), (StatusCode::CREATED, first.json()));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(api.get("/api/v1/campaigns", &token).await.json()["campaigns"].as_array().map(Vec::len), Some(1));
    // The same key with another body is refused, and makes nothing.
    let other = api.json("POST", "/api/v1/campaigns", &token, &json!({"name": "Twice", "tracking_number": "+14155550100"}), &key).await;
    let p = assert_problem(&other, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    assert_eq!(p["field"], "Idempotency-Key");
    assert_eq!(api.get("/api/v1/campaigns", &token).await.json()["campaigns"].as_array().map(Vec::len), Some(1));
    // A refused first attempt keeps nothing: fixed, the same key goes through.
    let bad = json!({"campaign_id": 999_999, "caller": "+14155550100", "started_at": now(&app), "duration_secs": 1, "outcome": "missed"});
    let call_key = [("idempotency-key", "call-1")];
    assert_eq!(api.json("POST", "/api/v1/calls", &token, &bad, &call_key).await.status, StatusCode::NOT_FOUND);
    let c = first.json()["id"].as_i64().expect("id");
    let fixed = json!({"campaign_id": c, "caller": "+14155550100", "started_at": now(&app), "duration_secs": 1, "outcome": "missed"});
    let made = api.json("POST", "/api/v1/calls", &token, &fixed, &call_key).await;
    assert_eq!(made.status, StatusCode::CREATED, "the refused attempt released its key: {}", made.body);
    let replay = api.json("POST", "/api/v1/calls", &token, &fixed, &call_key).await;
    assert_eq!((replay.status, replay.json()), (StatusCode::CREATED, made.json()));
    assert_eq!(api.get("/api/v1/calls", &token).await.json()["calls"].as_array().map(Vec::len), Some(1));
    // A bad key is refused by name.
    let p = assert_problem(
        &api.json("POST", "/api/v1/campaigns", &token, &body, &[("idempotency-key", "has space")]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_eq!(p["field"], "Idempotency-Key");
    // After 24 hours the key is free again: the same request makes a new campaign (the name is then taken).
    app.clock.advance(24 * 3600 + 1);
    let later = api.json("POST", "/api/v1/campaigns", &token, &body, &key).await;
    assert_problem(&later, StatusCode::CONFLICT, "campaign_name_taken");
    api.check_contract().await;
}

/// Where a property-based tester found the document and the server
/// disagreeing: each now agrees, both ways.
async fn the_document_says_what_the_server_takes(app: TestApp) {
    let (_b, token) = user_with_token(&app, "ulf").await;
    let api = Api::new(&app);
    let doc = api.send("GET", "/api/v1/openapi.json", &[], None).await.json();
    let param = |path: &str, method: &str, name: &str| -> Value {
        let params = doc["paths"][path][method]["parameters"].as_array().cloned().unwrap_or_default();
        params.into_iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{method} {path} documents {name}"))
    };
    // Query parameters are documented in the query (they were said to be in the path).
    for (path, name) in [("/calls", "limit"), ("/calls", "cursor"), ("/calls", "from"), ("/sessions", "page"), ("/reports/daily", "campaign")] {
        assert_eq!(param(path, "get", name)["in"], "query", "{path} {name}");
    }
    assert_eq!(
        (param("/calls", "get", "limit")["schema"]["minimum"].as_i64(), param("/calls", "get", "limit")["schema"]["maximum"].as_i64()),
        (Some(1), Some(100))
    );
    assert_problem(&api.get("/api/v1/calls?limit=0", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_problem(&api.get("/api/v1/sessions?page=-1", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // The Idempotency-Key's rule is in the document.
    let key = param("/campaigns", "post", "Idempotency-Key");
    assert_eq!((key["in"].as_str(), key["schema"]["pattern"].as_str()), (Some("header"), Some("^[!-~]{1,255}$")), "{key}");
    let bad_key = api
        .json("POST", "/api/v1/campaigns", &token, &json!({"name": "K", "tracking_number": "+14155550100"}), &[("idempotency-key", "has space")])
        .await;
    assert_problem(&bad_key, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    // The earliest start of a call is in the document, and the server holds to it.
    let new_call = &doc["components"]["schemas"]["NewCall"]["properties"];
    assert_eq!(new_call["started_at"]["minimum"].as_i64(), Some(domain::reporting::manage::EARLIEST_CALL));
    assert_eq!((new_call["duration_secs"]["minimum"].as_i64(), new_call["duration_secs"]["maximum"].as_i64()), (Some(0), Some(86_400)));
    let c = campaign(&api, &token, "Doc").await["id"].as_i64().expect("id");
    let body = |started_at: Value, duration: Value| json!({"campaign_id": c, "caller": "+14155550100", "started_at": started_at, "duration_secs": duration, "outcome": "missed"});
    let r = api.post("/api/v1/calls", &token, &body(json!(domain::reporting::manage::EARLIEST_CALL - 1), json!(1))).await;
    assert_eq!(assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")["field"], "started_at");
    // An integral JSON number is an integer, however it is written.
    let made = api.post("/api/v1/calls", &token, &body(json!(now(&app) - 60), json!(255.0))).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["duration_secs"], 255);
    let id = made.json()["id"].as_i64().expect("id");
    let r = api.patch(&format!("/api/v1/calls/{id}"), &token, &json!({"duration_secs": 86_400.0})).await;
    assert_eq!((r.status, r.json()["duration_secs"].as_i64()), (StatusCode::OK, Some(86_400)), "{}", r.body);
    assert_problem(
        &api.patch(&format!("/api/v1/calls/{id}"), &token, &json!({"duration_secs": 1.5})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    // A body is an object: an array is refused, not read as the fields in order.
    let p = assert_problem(
        &api.patch(&format!("/api/v1/campaigns/{c}"), &token, &json!([null, null])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
    );
    assert_eq!(p["field"], "body");
    assert_eq!(api.get(&format!("/api/v1/campaigns/{c}"), &token).await.json()["name"], "Doc");
    // A cursor is what the document's pattern says, and any such one is a place to start.
    let pattern = param("/calls", "get", "cursor")["schema"]["pattern"].as_str().map(str::to_owned);
    assert_eq!(pattern.as_deref(), Some(domain::reporting::manage::CURSOR_PATTERN));
    let page = api.get(&format!("/api/v1/calls?limit=1&cursor={}.{}", now(&app), i64::from(i32::MAX)), &token).await;
    assert_eq!((page.status, page.json()["calls"][0]["id"].as_i64()), (StatusCode::OK, Some(id)), "{}", page.body);
    api.check_contract().await;
}
