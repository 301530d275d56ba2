//! The API's description: the served OpenAPI document is valid OpenAPI 3.1
//! (checked against the official schema, vendored in `tests/fixtures`),
//! it lists every route the issue asks for and each route it lists is
//! served; the reference page is Swagger UI served from here under its
//! own CSP. (Every answer of the API tests is checked against the document
//! too: `api::contract`.)

use crate::api::{user_with_token, Api, Exchange};
use crate::common::*;
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(the_document_is_valid_openapi_3_1_and_lists_every_route, the_reference_page_is_served_from_here_under_its_own_csp);

/// Every route of the API, as (method, path below /api/v1, needs a token).
const ROUTES: &[(&str, &str, bool)] = &[
    ("get", "/account", true),
    ("delete", "/token", true),
    ("post", "/tokens/revoke", false),
    ("get", "/sessions", true),
    ("delete", "/sessions/{id}", true),
    ("get", "/campaigns", true),
    ("post", "/campaigns", true),
    ("get", "/campaigns/{id}", true),
    ("patch", "/campaigns/{id}", true),
    ("delete", "/campaigns/{id}", true),
    ("get", "/calls", true),
    ("post", "/calls", true),
    ("get", "/calls/{id}", true),
    ("patch", "/calls/{id}", true),
    ("delete", "/calls/{id}", true),
    ("get", "/reports/daily", true),
    ("get", "/openapi.json", false),
    ("get", "/docs/", false),
];

async fn the_document_is_valid_openapi_3_1_and_lists_every_route(app: TestApp) {
    let (_b, token) = user_with_token(&app, "olga").await;
    let api = Api::new(&app);
    let r = api.send("GET", "/api/v1/openapi.json", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);

    let meta: Value = serde_json::from_str(include_str!("../fixtures/openapi-3.1-schema.json")).expect("the 3.1 schema");
    let v = jsonschema::draft202012::new(&meta).expect("the 3.1 schema compiles");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid OpenAPI 3.1: {errors:?}");
    // The schema checks shape; a wrong document also fails it, so the check can fail.
    let mut broken = doc.clone();
    broken["paths"]["/account"]["get"]["responses"] = Value::String("none".into());
    assert!(!v.is_valid(&broken));

    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!((scheme["type"].as_str(), scheme["scheme"].as_str()), (Some("http"), Some("bearer")), "{scheme}");
    assert!(doc["components"]["schemas"]["ProblemBody"]["properties"]["code"].is_object());
    assert_eq!(doc["servers"][0]["url"], "/api/v1");

    for (method, path, needs_token) in ROUTES {
        let op = &doc["paths"][*path][*method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        let public = op["security"].as_array().is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())));
        assert_eq!(!public, *needs_token, "{method} {path}: security {}", op["security"]);
        assert!(op["responses"]["default"]["content"]["application/problem+json"].is_object(), "{method} {path} documents its refusals");
        let ok = op["responses"].as_object().and_then(|r| r.iter().find(|(s, _)| s.starts_with('2'))).map(|(_, r)| r).expect("a success");
        assert_eq!(ok["headers"]["RateLimit-Policy"].is_object(), *needs_token, "{method} {path} documents its rate headers");
    }
    // And every operation the document lists is served: none is a 404 of
    // the router or a 405.
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            // Revoking the token is tried last, below: it ends the token.
            if item.get(method).is_none() || path == "/token" {
                continue;
            }
            count += 1;
            let concrete = path.replace("{id}", "1");
            let auth = format!("Bearer {token}");
            let body = matches!(method, "post" | "patch" | "put").then(|| ("application/json", "{}".to_owned()));
            let r = api.send(&method.to_uppercase(), &format!("/api/v1{concrete}"), &[("authorization", &auth)], body).await;
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if r.status == StatusCode::NOT_FOUND {
                assert!(!r.body.contains("There is nothing here"), "{method} {path} is documented but not served");
            }
        }
    }
    assert!(count + 1 >= ROUTES.len(), "{count} operations, and DELETE /token below");
    api.check_contract().await;

    // The contract check itself fails on an answer the document does not allow.
    let wrong = |status: u16, body: &str| Exchange {
        method: "get".into(),
        path: "/api/v1/account".into(),
        status,
        content_type: "application/json".into(),
        body: body.into(),
    };
    let account = api.get("/api/v1/account", &token).await.body;
    crate::api::contract::check(&doc, &wrong(200, &account));
    for (status, body) in [(200, r#"{"id": "seven"}"#.to_owned()), (200, account.replace("\"username\"", "\"user\"")), (201, account.clone())] {
        let x = wrong(status, &body);
        let failed = std::panic::catch_unwind(|| crate::api::contract::check(&doc, &x)).is_err();
        assert!(failed, "the contract check let through {status} {body}");
    }
    let r = api.send("DELETE", "/api/v1/token", &[("authorization", &format!("Bearer {token}"))], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    api.check_contract().await;
}

async fn the_reference_page_is_served_from_here_under_its_own_csp(app: TestApp) {
    let api = Api::new(&app);
    let r = api.send("GET", "/api/v1/docs", &[], None).await;
    assert_eq!((r.status, r.header("location")), (StatusCode::PERMANENT_REDIRECT, Some("/api/v1/docs/")));
    let r = api.send("GET", "/api/v1/docs/", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(r.body.contains("swagger-ui-bundle.js"), "{}", r.body);
    assert!(!r.body.contains("<script>") && !r.body.contains("https://"), "no inline script, nothing from elsewhere: {}", r.body);
    let js = api.send("GET", "/api/v1/docs/swagger-ui-bundle.js", &[], None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.header("content-type").is_some_and(|c| c.contains("javascript")), "{:?}", js.headers);
    assert!(js.body.len() > 100_000, "the renderer itself, from this server");
    let init = api.send("GET", "/api/v1/docs/swagger-initializer.js", &[], None).await;
    assert!(init.body.contains("/api/v1/openapi.json"), "{}", init.body);
    assert!(init.body.contains("\"validatorUrl\": \"none\""), "no online validator: {}", init.body);
    assert!(!init.body.contains("petstore"));
    let missing = api.send("GET", "/api/v1/docs/nope.js", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
