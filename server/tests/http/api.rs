//! The REST door at `/api/v1`, on SQLite and PostgreSQL, as a program
//! with an API token sees it: bearer tokens only, problems for every
//! refusal, the per-account rate limit and its load policy, and the
//! contract: every answer of these tests is checked against the OpenAPI
//! document the server serves (`contract`).

use crate::common::*;
use domain::api_tokens::{Access, ApiToken, Expiry};
use domain::{Actor, ClientMeta, SessionToken};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub const PW: &str = "correct horse battery";

/// One answer of the API, kept for the contract check.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// A plain HTTP client for the API (no cookies unless given), recording
/// every answer.
pub struct Api {
    base: String,
    http: reqwest::Client,
    pub recorded: Arc<Mutex<Vec<Exchange>>>,
}

impl Api {
    pub fn new(app: &TestApp) -> Api {
        Api {
            base: format!("http://{}", app.addr),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .expect("client"),
            recorded: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Sends `method path` with `headers` and an optional body (content type, text).
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<(&str, String)>) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base)).header("user-agent", "warden-api-test/1.0");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((ct, b)) = body {
            req = req.header("content-type", ct).body(b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await.unwrap_or_default();
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        self.recorded.lock().expect("lock").push(Exchange {
            method: method.as_str().to_ascii_lowercase(),
            path: path.to_owned(),
            status: status.as_u16(),
            content_type,
            body: body.clone(),
        });
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.send("GET", path, &[("authorization", &auth)], None).await
    }
    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.send("DELETE", path, &[("authorization", &auth)], None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.json("POST", path, token, body, &[]).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Resp {
        self.json("PATCH", path, token, body, &[]).await
    }
    pub async fn json(&self, method: &str, path: &str, token: &str, body: &Value, extra: &[(&str, &str)]) -> Resp {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        self.send(method, path, &headers, Some(("application/json", body.to_string()))).await
    }

    /// Checks every recorded answer against the document the server serves.
    pub async fn check_contract(&self) {
        let doc = self.send("GET", "/api/v1/openapi.json", &[], None).await.json();
        let recorded = self.recorded.lock().expect("lock").clone();
        assert!(!recorded.is_empty());
        for x in &recorded {
            crate::api::contract::check(&doc, x);
        }
    }
}

/// Token checks and schema validation of answers against the document.
pub mod contract {
    use super::Exchange;
    use serde_json::{json, Value};

    /// The document's template for a concrete path (`/campaigns/7` → `/campaigns/{id}`).
    pub fn template<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
        let path = path.split('?').next().unwrap_or(path);
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        let want: Vec<&str> = path.split('/').collect();
        doc["paths"].as_object()?.keys().map(String::as_str).find(|t| {
            let have: Vec<&str> = t.split('/').collect();
            have.len() == want.len() && have.iter().zip(&want).all(|(h, w)| h == w || (h.starts_with('{') && h.ends_with('}')))
        })
    }

    /// A validator for `schema`, with the document's components in reach of its `$ref`s.
    pub fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
        let mut s = schema.clone();
        if let Value::Object(map) = &mut s {
            map.insert("components".into(), doc["components"].clone());
            map.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        }
        jsonschema::draft202012::new(&s).unwrap_or_else(|e| panic!("the document's schema does not compile: {e}: {s}"))
    }

    pub fn check(doc: &Value, x: &Exchange) {
        let what = format!("{} {} → {}", x.method.to_uppercase(), x.path, x.status);
        let Some(t) = template(doc, &x.path) else {
            // Unknown routes are refused as problems; the document cannot list what does not exist.
            assert_eq!(x.status, 404, "{what}: not in the document");
            assert!(x.content_type.starts_with("application/problem+json"), "{what}: {}", x.content_type);
            return check_problem(doc, x);
        };
        let Some(op) = doc["paths"][t].get(&x.method) else {
            assert_eq!(x.status, 405, "{what}: the document has no such operation");
            return check_problem(doc, x);
        };
        let response = op["responses"].get(x.status.to_string()).or_else(|| op["responses"].get("default"));
        let response = response.unwrap_or_else(|| panic!("{what}: the document lists no such answer"));
        if x.body.is_empty() {
            return;
        }
        let essence = x.content_type.split(';').next().unwrap_or("").trim();
        let content = response["content"].get(essence).unwrap_or_else(|| panic!("{what}: {essence} is not documented: {response}"));
        let Some(schema) = content.get("schema") else { return };
        if !essence.contains("json") {
            return;
        }
        let body: Value = serde_json::from_str(&x.body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", x.body));
        let v = validator(doc, schema);
        let errors: Vec<String> = v.iter_errors(&body).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{what}: the answer does not match the document: {errors:?}\n{body}");
    }

    fn check_problem(doc: &Value, x: &Exchange) {
        let body: Value = serde_json::from_str(&x.body).expect("a problem is JSON");
        let v = validator(doc, &json!({"$ref": "#/components/schemas/ProblemBody"}));
        assert!(v.is_valid(&body), "not a problem: {body}");
    }
}

pub fn here() -> ClientMeta {
    ClientMeta { ip: "203.0.113.7".into(), user_agent: CHROME_WINDOWS.into(), session_name: None }
}

/// The actor the cookie door resolves for `b`'s session cookie.
pub async fn actor(app: &TestApp, b: &Browser) -> Actor {
    let raw = b.cookie("__Host-warden_session").expect("a session cookie");
    let token = SessionToken::parse(&raw).expect("a session token");
    app.warden.sessions().authenticate(&token).await.expect("authenticate").expect("a live session")
}

/// A token for `user` (signed in as `b`), made the way the tokens tab makes it.
pub async fn token_with(app: &TestApp, b: &Browser, user: &str, name: &str, access: Access, expiry: Expiry) -> String {
    scoped_token_with(app, b, user, name, access, expiry, false).await
}

/// The same, with the `sessions` scope when `sessions`.
pub async fn scoped_token_with(app: &TestApp, b: &Browser, user: &str, name: &str, access: Access, expiry: Expiry, sessions: bool) -> String {
    let a = actor(app, b).await;
    let form = TokenForm { expiry, access, sessions_scope: sessions, ..TokenForm::new(name, user, PW) };
    create_token(app, &a, &form, &here()).await.expect("token created").token.expose().to_owned()
}

/// A signed-in user and a read-and-write token of theirs that may also
/// see and end browser sessions (the `sessions` scope).
pub async fn user_with_token(app: &TestApp, user: &str) -> (Browser, String) {
    let b = app.signed_in_user(user, PW, CHROME_WINDOWS).await;
    let t = scoped_token_with(app, &b, user, "script", Access::ReadWrite, Expiry::Days90, true).await;
    (b, t)
}

pub fn assert_problem(r: &Resp, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/problem+json")), "{:?}", r.headers);
    let p = r.json();
    assert_eq!((p["status"].as_u64(), p["code"].as_str()), (Some(u64::from(status.as_u16())), Some(code)), "{p}");
    assert!(p["title"].is_string() && p["detail"].as_str().is_some_and(|d| !d.is_empty()) && p["type"].is_string(), "{p}");
    p
}

fn rate_headers(r: &Resp) -> (String, String, u32) {
    let policy = r.header("ratelimit-policy").expect("RateLimit-Policy").to_owned();
    let limit = r.header("ratelimit").expect("RateLimit").to_owned();
    let remaining = r.header("x-ratelimit-remaining").expect("X-RateLimit-Remaining").parse().expect("a number");
    assert!(r.header("x-ratelimit-limit").is_some() && r.header("x-ratelimit-reset").is_some(), "{:?}", r.headers);
    (policy, limit, remaining)
}

on_both_backends!(
    the_account_and_its_sessions_are_read_with_a_token,
    a_sessions_token_ends_another_session_and_a_data_token_cannot,
    every_refused_token_is_401_with_a_bearer_challenge,
    a_session_cookie_alone_opens_nothing,
    another_accounts_session_is_not_found,
    refusals_are_problems_that_name_the_field,
    the_61st_request_in_a_minute_is_refused_until_the_quota_comes_back,
    refused_tokens_are_throttled_per_client_ip,
    last_use_is_written_at_most_once_a_minute,
);

on_both_backends!(busy => under_load_the_quota_shrinks_and_the_headers_say_so);

fn busy(c: &mut server::config::Config) {
    // Every request is "more than 0 in flight": the server counts as busy.
    c.api.busy_in_flight = 0;
}

async fn the_account_and_its_sessions_are_read_with_a_token(app: TestApp) {
    let (b, token) = user_with_token(&app, "ava").await;
    let api = Api::new(&app);
    let r = api.get("/api/v1/account", &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = r.json();
    assert_eq!((a["username"].as_str(), a["email"].as_str(), a["email_verified"].as_bool()), (Some("ava"), Some("ava@example.com"), Some(true)));
    assert_eq!((a["two_factor_enabled"].as_bool(), a["pin_set"].as_bool(), a["time_zone"].as_str()), (Some(false), Some(false), Some("UTC")));
    assert!(a.get("password_hash").is_none() && !r.body.contains("argon2"), "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.header("access-control-allow-origin").is_none(), "CORS is off");
    assert!(r.header("set-cookie").is_none(), "the API sets no cookie");
    let (policy, limit, remaining) = rate_headers(&r);
    assert_eq!((policy.as_str(), limit.as_str(), remaining), ("\"account\";q=60;w=60", "\"account\";r=59;t=1", 59));

    let r = api.get("/api/v1/sessions", &token).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = r.json();
    let active = s["active"].as_array().expect("active");
    assert_eq!(active.len(), 1, "{s}");
    assert_eq!((active[0]["browser"].as_str(), active[0]["os"].as_str()), (Some("Chrome 120.0"), Some("Windows 10")), "{s}");
    assert!(active[0]["id"].as_str().is_some_and(|id| id.len() >= 16));
    assert_eq!(s["page"], 0);
    assert_eq!(b.sessions(0).await["active"].as_array().map(Vec::len), Some(1), "the cookie door still lists it");

    let r = api.get("/api/v1/sessions?page=1", &token).await;
    assert_eq!((r.status, r.json()["page"].as_i64()), (StatusCode::OK, Some(1)));
    api.check_contract().await;
}

async fn a_sessions_token_ends_another_session_and_a_data_token_cannot(app: TestApp) {
    let (b, token) = user_with_token(&app, "ben").await;
    let reader = token_with(&app, &b, "ben", "reader", Access::ReadWrite, Expiry::Days30).await;
    let phone = app.browser(FIREFOX_ANDROID);
    phone.sign_in("ben", PW).await;
    let api = Api::new(&app);
    let mine = b.sessions(0).await["active"].as_array().expect("active").iter().find(|s| s["this_device"] == true).expect("this device")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let list = api.get("/api/v1/sessions", &token).await.json();
    let active = list["active"].as_array().expect("active");
    assert_eq!(active.len(), 2, "{list}");
    let phone_id = active.iter().map(|s| s["id"].as_str().expect("id")).find(|id| *id != mine).expect("the phone").to_owned();

    let r = api.delete(&format!("/api/v1/sessions/{phone_id}"), &reader).await;
    let p = assert_problem(&r, StatusCode::FORBIDDEN, "insufficient_scope");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("sessions scope")), "{p}");
    assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="warden", error="insufficient_scope""#));
    assert_eq!(phone.get("/account/security/sessions").await.status, StatusCode::OK, "still signed in");

    let r = api.delete(&format!("/api/v1/sessions/{phone_id}"), &token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert!(r.body.is_empty());
    assert_eq!(phone.get("/account/security/sessions").await.status, StatusCode::SEE_OTHER, "the phone is signed out");
    assert_eq!(b.get("/account/security/sessions").await.status, StatusCode::OK, "the other browser is not");
    let list = api.get("/api/v1/sessions", &token).await.json();
    let ended = list["ended"].as_array().expect("ended");
    assert_eq!((ended[0]["id"].as_str(), ended[0]["end_reason"].as_str()), (Some(phone_id.as_str()), Some("ended_elsewhere")), "{list}");

    // Ended already: not found, and nothing else changes.
    let r = api.delete(&format!("/api/v1/sessions/{phone_id}"), &token).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    // A token ends even the session it was made in: it is no session itself.
    assert_eq!(api.delete(&format!("/api/v1/sessions/{mine}"), &token).await.status, StatusCode::NO_CONTENT);
    assert_eq!(b.get("/account/security/sessions").await.status, StatusCode::SEE_OTHER);
    api.check_contract().await;
}

async fn every_refused_token_is_401_with_a_bearer_challenge(app: TestApp) {
    let (b, token) = user_with_token(&app, "cal").await;
    let api = Api::new(&app);
    let invalid = r#"Bearer realm="warden", error="invalid_token""#;

    let r = api.send("GET", "/api/v1/account", &[], None).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(r.header("www-authenticate"), Some(r#"Bearer realm="warden""#), "no token: the bare challenge (RFC 6750 §3.1)");
    assert!(r.header("ratelimit").is_none());

    let mut typo = token.clone();
    let last = typo.pop().expect("a character");
    typo.push(if last == 'a' { 'b' } else { 'a' });
    let unknown = ApiToken::generate().expose().to_owned();
    for (what, header) in [
        ("another scheme", format!("Basic {token}")),
        ("no token after Bearer", "Bearer ".to_owned()),
        ("malformed", "Bearer wdn_short".to_owned()),
        ("bad checksum", format!("Bearer {typo}")),
        ("unknown", format!("Bearer {unknown}")),
    ] {
        let r = api.send("GET", "/api/v1/account", &[("authorization", &header)], None).await;
        assert_problem(&r, StatusCode::UNAUTHORIZED, "invalid_token");
        assert_eq!(r.header("www-authenticate"), Some(invalid), "{what}");
        assert!(!r.body.contains(&token[4..]), "{what}: the answer never repeats a token");
    }

    // Expired: a 30-day token works on day 29, not on day 30.
    let a = actor(&app, &b).await;
    let short = token_with(&app, &b, "cal", "short", Access::Read, Expiry::Days30).await;
    app.clock.advance(29 * 86_400);
    assert_eq!(api.get("/api/v1/account", &short).await.status, StatusCode::OK);
    app.clock.advance(86_400);
    let r = api.get("/api/v1/account", &short).await;
    let p = assert_problem(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("expired")), "{p}");
    assert_eq!(r.header("www-authenticate"), Some(invalid));

    // Deleted: refused from the next request on.
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::OK);
    let id = app.warden.api_tokens().list(&a).await.expect("list").into_iter().find(|t| t.name == "script").expect("listed").id;
    app.warden.api_tokens().delete(&a, id, &here()).await.expect("deleted");
    let r = api.get("/api/v1/account", &token).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(r.header("www-authenticate"), Some(invalid));
    api.check_contract().await;
}

async fn a_session_cookie_alone_opens_nothing(app: TestApp) {
    let (b, _token) = user_with_token(&app, "dee").await;
    let cookie = format!("__Host-warden_session={}", b.cookie("__Host-warden_session").expect("cookie"));
    let api = Api::new(&app);
    let same_origin = [("cookie", cookie.as_str()), ("sec-fetch-site", "same-origin")];
    let r = api.send("GET", "/api/v1/account", &same_origin, None).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    let sessions = b.sessions(0).await;
    let id = sessions["active"][0]["id"].as_str().expect("id").to_owned();
    let r = api.send("DELETE", &format!("/api/v1/sessions/{id}"), &same_origin, None).await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(b.get("/account/security/sessions").await.status, StatusCode::OK, "nothing ended");
    api.check_contract().await;
}

async fn another_accounts_session_is_not_found(app: TestApp) {
    let (_eve, eve_token) = user_with_token(&app, "eve").await;
    let fay = app.signed_in_user("fay", PW, FIREFOX_ANDROID).await;
    let fay_session = fay.sessions(0).await["active"][0]["id"].as_str().expect("id").to_owned();
    let api = Api::new(&app);
    let r = api.delete(&format!("/api/v1/sessions/{fay_session}"), &eve_token).await;
    let unknown = api.delete("/api/v1/sessions/0123456789abcdef0123456789abcdef", &eve_token).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(r.json()["detail"], unknown.json()["detail"], "exactly like an unknown id");
    assert_eq!(fay.get("/account/security/sessions").await.status, StatusCode::OK, "fay is still signed in");
    let listed = api.get("/api/v1/sessions", &eve_token).await.body;
    assert!(!listed.contains(&fay_session), "eve never sees fay's sessions");
    api.check_contract().await;
}

async fn refusals_are_problems_that_name_the_field(app: TestApp) {
    let (_b, token) = user_with_token(&app, "gus").await;
    let api = Api::new(&app);
    assert_problem(&api.get("/api/v1/nothing-here", &token).await, StatusCode::NOT_FOUND, "not_found");
    assert_problem(&api.send("GET", "/api/v1/nothing-here", &[], None).await, StatusCode::NOT_FOUND, "not_found");
    let r = api.json("POST", "/api/v1/account", &token, &json!({}), &[]).await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let p = assert_problem(&api.get("/api/v1/sessions?page=soon", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "page", "{p}");
    assert_eq!(p["errors"][0]["field"], "page", "{p}");
    let p = assert_problem(&api.get("/api/v1/sessions?page=-1", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "page", "{p}");
    let p = assert_problem(&api.get("/api/v1/sessions?colour=red", &token).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert_eq!(p["field"], "colour", "an unknown parameter is refused by name: {p}");
    // Over 64 KB: refused before it is read.
    let auth = format!("Bearer {token}");
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(70 * 1024));
    let r = api.send("DELETE", "/api/v1/sessions/abc", &[("authorization", &auth)], Some(("application/json", big))).await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    api.check_contract().await;
}

async fn the_61st_request_in_a_minute_is_refused_until_the_quota_comes_back(app: TestApp) {
    let (b, token) = user_with_token(&app, "hal").await;
    let second = token_with(&app, &b, "hal", "second", Access::Read, Expiry::Days90).await;
    let (_other, other_token) = user_with_token(&app, "ivy").await;
    let api = Api::new(&app);
    // 60 in one instant, shared by the account's two tokens.
    for i in 0..60u32 {
        let t = if i % 2 == 0 { &token } else { &second };
        let r = api.get("/api/v1/account", t).await;
        assert_eq!(r.status, StatusCode::OK, "request {}: {}", i + 1, r.body);
        let (_, limit, remaining) = rate_headers(&r);
        assert_eq!(remaining, 59 - i);
        assert!(limit.starts_with(&format!("\"account\";r={};t=", 59 - i)), "{limit}");
    }
    let r = api.get("/api/v1/account", &token).await;
    let p = assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, "throttled");
    assert_eq!(r.header("retry-after"), Some("1"), "one more fits in a second");
    assert_eq!(p["retry_after"], 1);
    // The rate-limit draft's problem type, naming the policy of RateLimit-Policy.
    assert_eq!(p["type"], "https://iana.org/assignments/http-problem-types#quota-exceeded", "{p}");
    assert_eq!((p["title"].as_str(), &p["violated-policies"]), (Some("Quota Exceeded"), &serde_json::json!(["account"])), "{p}");
    let (policy, limit, remaining) = rate_headers(&r);
    assert_eq!((policy.as_str(), limit.as_str(), remaining), ("\"account\";q=60;w=60", "\"account\";r=0;t=60", 0));
    assert_eq!(r.header("x-ratelimit-reset"), Some("60"));
    assert_problem(&api.get("/api/v1/sessions", &second).await, StatusCode::TOO_MANY_REQUESTS, "throttled");
    // Another account has its own quota.
    assert_eq!(api.get("/api/v1/account", &other_token).await.status, StatusCode::OK);
    // And the dashboard's own server functions are never counted against it.
    assert!(b.call("list_sessions", &[("page", "0")]).await.status.is_success());

    app.clock.advance(1);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::OK, "one back after a second");
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(60);
    let r = api.get("/api/v1/account", &token).await;
    assert_eq!((r.status, rate_headers(&r).2), (StatusCode::OK, 59), "after a quiet minute the whole quota is back");
    // Each token's requests today, and its 429s, are on the API Tokens tab.
    let a = actor(&app, &b).await;
    let list = app.warden.api_tokens().list(&a).await.expect("list");
    let today = |name: &str| list.iter().find(|t| t.name == name).and_then(|t| t.usage.last().copied()).map(|d| (d.requests, d.limited));
    assert_eq!(today("script"), Some((34, 2)));
    assert_eq!(today("second"), Some((31, 1)));
    api.check_contract().await;
}

async fn under_load_the_quota_shrinks_and_the_headers_say_so(app: TestApp) {
    let (_b, token) = user_with_token(&app, "jay").await;
    let api = Api::new(&app);
    for i in 0..30u32 {
        let r = api.get("/api/v1/account", &token).await;
        assert_eq!(r.status, StatusCode::OK, "request {}", i + 1);
        let (policy, _, remaining) = rate_headers(&r);
        assert_eq!((policy.as_str(), remaining), ("\"account\";q=30;w=60", 29 - i));
        assert_eq!(r.header("x-ratelimit-limit"), Some("30"));
    }
    // Refused by the reduced quota: the server says it is its capacity, not
    // the client's quota (503, the draft's temporary-reduced-capacity).
    let r = api.get("/api/v1/account", &token).await;
    let p = assert_problem(&r, StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert_eq!(p["type"], "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity", "{p}");
    assert_eq!((p["title"].as_str(), &p["violated-policies"]), (Some("Temporary Reduced Capacity"), &serde_json::json!(["account"])), "{p}");
    assert!(p["detail"].as_str().is_some_and(|d| d.contains("busy") && d.contains("30") && d.contains("60")), "{p}");
    assert_eq!(r.header("retry-after"), Some("2"), "30 a minute: one every two seconds");
    assert_eq!((p["retry_after"].as_i64(), rate_headers(&r).0.as_str()), (Some(2), "\"account\";q=30;w=60"), "the reduced policy is said");
    api.check_contract().await;
}

async fn refused_tokens_are_throttled_per_client_ip(app: TestApp) {
    let (_b, token) = user_with_token(&app, "kim").await;
    let api = Api::new(&app);
    let free = server::config::REFUSED_TOKEN_BACKOFF.free_failures;
    for _ in 0..free {
        let bad = format!("Bearer {}", ApiToken::generate().expose());
        assert_eq!(api.send("GET", "/api/v1/account", &[("authorization", &bad)], None).await.status, StatusCode::UNAUTHORIZED);
    }
    // Now every token from this address waits, the right one too (a guesser
    // must not learn which one was right by its answer).
    let r = api.get("/api/v1/account", &token).await;
    let p = assert_problem(&r, StatusCode::TOO_MANY_REQUESTS, "throttled");
    assert!(r.header("retry-after").is_some() && p["retry_after"].as_i64().is_some_and(|s| s >= 1), "{p}");
    app.clock.advance(2);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::OK);
    api.check_contract().await;
}

async fn last_use_is_written_at_most_once_a_minute(app: TestApp) {
    let (b, token) = user_with_token(&app, "lou").await;
    let api = Api::new(&app);
    let a = actor(&app, &b).await;
    let last_used = || async { app.warden.api_tokens().list(&a).await.expect("list")[0].last_used.clone() };
    assert!(last_used().await.is_none());
    let t0 = domain::support::clock::Clock::now(&app.clock);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::OK);
    let first = last_used().await.expect("used");
    assert_eq!((first.at, first.ip.as_str(), first.user_agent.as_str()), (t0, "127.0.0.1", "warden-api-test/1.0"));
    app.clock.advance(30);
    assert_eq!(api.get("/api/v1/sessions", &token).await.status, StatusCode::OK);
    assert_eq!(last_used().await.expect("used").at, t0, "not written again within the minute");
    app.clock.advance(31);
    assert_eq!(api.get("/api/v1/account", &token).await.status, StatusCode::OK);
    assert_eq!(last_used().await.expect("used").at, t0 + 61, "written again after a minute");
}
