//! The REST door at `/api/v1`: its own router and layers, outside the
//! cookie door's. Bearer tokens only (cookies are never read), JSON in and
//! out, RFC 9457 problems for every refusal, no CSRF refusal (nothing here
//! is ambient: a token must be sent on purpose), no CORS (no
//! `Access-Control-*` header is ever sent, so browsers keep other sites'
//! pages out). The OpenAPI 3.1 document is generated from the handlers
//! (`utoipa`) and served at `/api/v1/openapi.json`, with a reference page
//! (Swagger UI, its files vendored from crates.io) at `/api/v1/docs/`.
//!
//! One module per resource, each a few lines per handler onto the same
//! domain operations as the dashboard's server functions.

pub mod account;
pub mod auth;
pub mod calls;
pub mod campaigns;
pub mod docs;
pub mod idempotency;
pub mod json;
pub mod problem;
pub mod reports;
pub mod sessions;
pub mod token;
pub mod webhook_doc;

use crate::config::ApiLimits;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use domain::Warden;
use http::header::{self, HeaderValue};
use http::StatusCode;
pub use json::{ApiJson, ApiQuery};
use problem::{Problem, PROBLEM_JSON};
use proto::ErrorCode;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

/// What every API handler reaches.
#[derive(Clone)]
pub struct ApiState {
    pub warden: Arc<Warden>,
    pub limits: ApiLimits,
    pub load: Arc<auth::Load>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warden REST API",
        version = "1",
        license(name = "MIT", identifier = "MIT"),
        description = "The account's data for programs. Authenticate with an API token (API Access Tokens tab): \
`Authorization: Bearer wdn_…`. Read-only tokens read; read-and-write tokens also create, change and delete. \
Any token reads reports of every day: the Protection PIN guards the dashboard, never the API. \
Browser sessions are reached only by a token made with the `sessions` scope. A token revokes itself with `DELETE /token`.\n\n\
**Rate limit**: 60 requests a minute per account (all its tokens together), 30 while the server is busy; \
every answer carries `RateLimit-Policy`, `RateLimit` and `X-RateLimit-Limit/Remaining/Reset`; over it: 429 with `Retry-After`.\n\n\
**Networks**: a token may be limited to CIDR ranges (IPv4 and IPv6) on the API Access Tokens tab; \
presented from any other address it is refused with 403 `network_not_allowed`, problem type `tag:warden,2026:network-not-allowed`.\n\n\
**Errors** are `application/problem+json` (RFC 9457) with a stable `code`; refused input names its `field`.\n\n\
Times are Unix seconds."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(problem::ProblemBody, problem::FieldError, webhook_doc::WebhookEvent, webhook_doc::WebhookEventData)),
    tags(
        (name = "account", description = "The token's account"),
        (name = "sessions", description = "Browser sessions (Login Security)"),
        (name = "campaigns", description = "Campaigns: a name and a tracking number"),
        (name = "calls", description = "Calls to a campaign's tracking number"),
        (name = "reports", description = "Call statistics per day"),
        (name = "meta", description = "This document and its reference page"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("wdn_ + 30 base62 + 6-character checksum".into());
        scheme.description = Some("An API token from the API Access Tokens tab.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every route with its document: the authenticated resources (bearer,
/// rate limit) and the public description, generated from the handlers.
fn routes(state: &ApiState) -> (Router<ApiState>, utoipa::openapi::OpenApi) {
    let (resources, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(account::get_account))
        .routes(routes!(token::revoke_token))
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::end_session))
        .routes(routes!(campaigns::list_campaigns, campaigns::create_campaign))
        .routes(routes!(campaigns::get_campaign, campaigns::update_campaign, campaigns::delete_campaign))
        .routes(routes!(calls::list_calls, calls::create_call))
        .routes(routes!(calls::get_call, calls::update_call, calls::delete_call))
        .routes(routes!(reports::daily))
        .split_for_parts();
    let (public, public_doc) = OpenApiRouter::new()
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::docs_page))
        .routes(routes!(token::revoke_presented))
        .split_for_parts();
    doc.merge(public_doc);
    every_operation_may_refuse(&mut doc);
    webhook_doc::add_to(&mut doc);
    let router = resources
        // Inside the bearer check: a key is per account.
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotent))
        .route_layer(from_fn_with_state(state.clone(), auth::bearer))
        .merge(public)
        .route("/docs", get(docs::docs_redirect))
        .route("/docs/{*file}", get(docs::docs_file));
    (router, doc)
}

/// Every operation may answer any refusal (405, 413, 415, 429, 503…) as a
/// problem: the document says so with a `default` response.
fn every_operation_may_refuse(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::{Ref, ResponseBuilder};
    let problem = ResponseBuilder::new()
        .description("A refusal (RFC 9457 problem)")
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("ProblemBody"))).build())
        .build();
    let header = |schema: utoipa::openapi::schema::Type, description: &str| {
        let mut h = utoipa::openapi::header::Header::new(utoipa::openapi::ObjectBuilder::new().schema_type(schema).build());
        h.description = Some(description.to_owned());
        h
    };
    use utoipa::openapi::schema::Type;
    let rate_headers = [
        ("RateLimit-Policy", header(Type::String, "The account's quota: `\"account\";q=60;w=60` (q=30 while the server is busy)")),
        ("RateLimit", header(Type::String, "`\"account\";r=<remaining>;t=<seconds until the full quota is back>`")),
        ("X-RateLimit-Limit", header(Type::Integer, "Requests a minute for this account now")),
        ("X-RateLimit-Remaining", header(Type::Integer, "Requests left right now")),
        ("X-RateLimit-Reset", header(Type::Integer, "Seconds until the full quota is back")),
    ];
    let off_network = "Or the token is limited to networks this request did not come from: `network_not_allowed`, \
problem type `tag:warden,2026:network-not-allowed`.";
    let forbidden = ResponseBuilder::new()
        .description(format!("Forbidden. {off_network}"))
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("ProblemBody"))).build())
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
            op.responses.responses.entry("default".into()).or_insert_with(|| problem.clone().into());
            // Operations of the bearer scheme (the document's default) answer with the quota.
            if op.security.is_some() {
                continue;
            }
            // Any token may be limited to networks (the bearer check refuses it).
            match op.responses.responses.entry("403".into()) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(forbidden.clone().into());
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    if let utoipa::openapi::RefOr::T(r) = o.get_mut() {
                        r.description = format!("{} {off_network}", r.description);
                    }
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let (true, utoipa::openapi::RefOr::T(r)) = (status != "401", response) {
                    for (name, h) in &rate_headers {
                        r.headers.insert((*name).to_owned(), h.clone().into());
                    }
                }
            }
        }
    }
}

/// The OpenAPI document the API serves.
pub fn openapi(app: &AppState) -> utoipa::openapi::OpenApi {
    routes(&state(app)).1
}

fn state(app: &AppState) -> ApiState {
    ApiState { warden: app.ctx.warden.clone(), limits: app.config.api, load: app.api_load.clone() }
}

/// The API's router, to be nested at [`PREFIX`].
pub fn router(app: &AppState) -> Router {
    let state = state(app);
    let (routes, doc) = routes(&state);
    let document = docs::Document(Arc::new(doc.to_json().unwrap_or_else(|_| "{}".into())));
    routes
        .layer(axum::Extension(document))
        .fallback(|| async { Problem::not_found() })
        .method_not_allowed_fallback(|req: Request| async move {
            Problem::new(ErrorCode::MethodNotAllowed, format!("{} is not a method of this resource.", req.method()))
        })
        .layer(from_fn_with_state(app.clone(), crate::web::middleware::client))
        .layer(RequestBodyLimitLayer::new(crate::MAX_BODY_BYTES))
        // Outside the body limit, so its refusal becomes a problem too.
        .layer(from_fn(problems_only))
        .layer(from_fn_with_state(app.clone(), api_headers))
        .with_state(state)
}

/// Any error answer that is not yet a problem (the framework's own: a path
/// parameter that does not parse, a body over the limit) becomes one.
async fn problems_only(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => return json::too_large().into_response(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::InvalidInput,
        s if s.is_client_error() => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    };
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let detail = match code {
        ErrorCode::Internal => "Something went wrong on our side. Please try again.".to_owned(),
        _ => String::from_utf8_lossy(&text).trim().to_owned(),
    };
    let mut problem =
        Problem::new(code, if detail.is_empty() { status.canonical_reason().unwrap_or("Error").to_owned() } else { detail }).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    problem
}

/// Headers for JSON answers: nothing may be framed, sniffed, cached or
/// referred; the reference page sets its own CSP (see [`docs`]).
async fn api_headers(State(app): State<AppState>, req: Request, next: Next) -> Response<Body> {
    let mut res = next.run(req).await;
    let too_large = res.status() == StatusCode::PAYLOAD_TOO_LARGE;
    let https = app.ctx.warden.public_url().starts_with("https://");
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    }
    let mut set = |name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "no-referrer");
    set("cross-origin-resource-policy", "same-origin");
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        res.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if too_large {
        res.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    res
}
