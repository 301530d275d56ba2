//! The cookie door: what a browser reaches besides the pages and their
//! server functions (which Leptos serves from `app`): the layers every
//! page and server function passes ([`middleware`]), the links people
//! open from their mail ([`mailed_links`]) and the report download
//! ([`reports_export`]). The REST door is `crate::api`.

pub mod mailed_links;
pub mod middleware;
pub mod reports_export;

use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, RETRY_AFTER};
use http::StatusCode;
use proto::ApiError;

/// A refusal as the cookie door answers it outside a server function: the
/// error contract's JSON (`{"code", "message", …}`) with the code's status,
/// and `Retry-After` when it says how long to wait, the same as a server
/// function's refusal.
pub fn refusal(e: ApiError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let retry_after = e.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok());
    let mut res = (status, axum::Json(e)).into_response();
    if let Some(v) = retry_after {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}
