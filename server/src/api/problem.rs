//! Every refusal of the REST API as RFC 9457 `application/problem+json`:
//! `type` (`about:blank`: the status says it; or, for the rate limit, the
//! problem types of the RateLimit header draft; or Warden's own
//! `network-not-allowed`), `title` (the status phrase, or the type's title),
//! `status`, `detail` (the message a person can read) and `code`, the
//! stable snake_case code of the error contract (`proto::ErrorCode`), whose
//! [`ErrorCode::status`] is the only source of the status. A refusal about
//! input names its field (`field`, and `errors: [{field, message}]`).

use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;
use proto::{ApiError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One input field a refusal is about.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON path (`name`, `tags[2]`) or a header name (`Idempotency-Key`).
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(title = "Problem")]
pub struct ProblemBody {
    /// `about:blank`: the status and `code` say what happened. Over the
    /// rate limit, the RateLimit header draft's problem types:
    /// `https://iana.org/assignments/http-problem-types#quota-exceeded` (429)
    /// and, while the server is busy and the quota reduced,
    /// `https://iana.org/assignments/http-problem-types#temporary-reduced-capacity` (503).
    /// A token limited to networks the request did not come from:
    /// `tag:warden,2026:network-not-allowed` (403, `network_not_allowed`;
    /// Warden's own type, an identifier rather than a page to fetch).
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: String,
    /// The HTTP status phrase.
    #[schema(example = "Not Found")]
    pub title: String,
    #[schema(example = 404)]
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// The stable machine code (snake_case), e.g. `invalid_token`,
    /// `insufficient_scope`, `not_found`, `invalid_input`, `throttled`.
    #[schema(example = "not_found")]
    pub code: String,
    /// The input field the refusal is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field refused, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait before trying again (with `throttled`; also the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
    /// With a rate-limit problem type: the quota policies the request
    /// went over, by the names `RateLimit-Policy` gives them (`account`).
    #[serde(rename = "violated-policies", skip_serializing_if = "Vec::is_empty")]
    pub violated_policies: Vec<String>,
}

/// The RateLimit header draft's problem types (draft-ietf-httpapi-ratelimit-headers).
pub const QUOTA_EXCEEDED: &str = "https://iana.org/assignments/http-problem-types#quota-exceeded";
pub const TEMPORARY_REDUCED_CAPACITY: &str = "https://iana.org/assignments/http-problem-types#temporary-reduced-capacity";
/// Warden's own problem type: the API token is limited to networks the
/// request did not come from (a tag URI, RFC 4151: it names the problem and
/// is not fetched; the OpenAPI document and docs/api.md describe it).
pub const NETWORK_NOT_ALLOWED: &str = "tag:warden,2026:network-not-allowed";

/// A refusal on its way out, with any headers it needs.
#[derive(Debug)]
pub struct Problem {
    pub code: ErrorCode,
    pub detail: String,
    pub field: Option<String>,
    pub retry_after: Option<i64>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A problem type, instead of `about:blank` and the status phrase.
    pub kind: Option<Box<ProblemType>>,
}

/// A registered problem type, with its title and extension member.
#[derive(Debug)]
pub struct ProblemType {
    pub uri: &'static str,
    pub title: &'static str,
    pub violated_policies: Vec<String>,
}

impl Problem {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Problem { code, detail: detail.into(), field: None, retry_after: None, headers: Vec::new(), kind: None }
    }
    /// Input refused, naming its field.
    pub fn invalid(code: ErrorCode, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem { field: Some(field.into()), ..Problem::new(code, detail) }
    }
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
    pub fn body(&self) -> ProblemBody {
        let status = self.status();
        ProblemBody {
            kind: self.kind.as_ref().map_or("about:blank", |k| k.uri).into(),
            title: self.kind.as_ref().map_or_else(|| status.canonical_reason().unwrap_or("Error"), |k| k.title).into(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().into(),
            errors: self.field.iter().map(|f| FieldError { field: f.clone(), message: self.detail.clone() }).collect(),
            field: self.field.clone(),
            retry_after: self.retry_after,
            violated_policies: self.kind.as_ref().map(|k| k.violated_policies.clone()).unwrap_or_default(),
        }
    }
    /// Over a quota (429, `quota-exceeded`), or over the quota reduced
    /// while the server is busy (503, `temporary-reduced-capacity`): which
    /// `policy` was violated and when to come back (`Retry-After` too).
    pub fn over_quota(reduced: bool, policy: &str, detail: impl Into<String>, retry_after: i64) -> Self {
        let (code, uri, title) = match reduced {
            false => (ErrorCode::Throttled, QUOTA_EXCEEDED, "Quota Exceeded"),
            true => (ErrorCode::Busy, TEMPORARY_REDUCED_CAPACITY, "Temporary Reduced Capacity"),
        };
        let kind = ProblemType { uri, title, violated_policies: vec![policy.to_owned()] };
        Problem { kind: Some(Box::new(kind)), retry_after: Some(retry_after), ..Problem::new(code, detail) }
            .with_header(header::RETRY_AFTER, &retry_after.to_string())
    }
    pub fn not_found() -> Self {
        Problem::new(ErrorCode::NotFound, "There is nothing here: see /api/v1/docs for what there is.")
    }
}

/// From the error contract: a domain refusal becomes its problem (internal
/// errors were logged on the way, and say nothing).
impl From<ApiError> for Problem {
    fn from(e: ApiError) -> Self {
        let mut p = Problem { field: e.field, retry_after: e.retry_after, ..Problem::new(e.code, e.message) };
        if let Some(secs) = p.retry_after {
            p = p.with_header(header::RETRY_AFTER, &secs.to_string());
        }
        // RFC 6750 §3.1: a token without the scope is told so in the challenge too.
        if p.code == ErrorCode::InsufficientScope {
            p = p.with_header(header::WWW_AUTHENTICATE, r#"Bearer realm="warden", error="insufficient_scope""#);
        }
        if p.code == ErrorCode::NetworkNotAllowed {
            p.kind = Some(Box::new(ProblemType { uri: NETWORK_NOT_ALLOWED, title: "Network Not Allowed", violated_policies: Vec::new() }));
        }
        p
    }
}

impl From<domain::Error> for Problem {
    fn from(e: domain::Error) -> Self {
        Problem::from(ApiError::from(e))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))], body).into_response();
        for (name, value) in self.headers {
            res.headers_mut().append(name, value);
        }
        res
    }
}

/// What a handler returns: its answer, or a problem.
pub type ApiResult<T> = Result<T, Problem>;
