//! The API's own description: the OpenAPI 3.1 document at
//! `/api/v1/openapi.json`, and its reference page at `/api/v1/docs/`,
//! rendered by Swagger UI (a maintained renderer; its files are compiled
//! in from the `utoipa-swagger-ui` crate's vendored copy, so nothing is
//! fetched from a CDN, at build time or in the browser). Both are public:
//! a document describes, it opens nothing.

use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use http::header::{self, HeaderValue};
use http::StatusCode;
use std::sync::Arc;

use super::problem::Problem;

/// The page's own policy: its scripts and styles from here only (Swagger
/// UI sets inline styles on its elements, hence `'unsafe-inline'` for
/// styles, never scripts), images from here or inline data, requests to
/// this origin only (the document and "Try it out").
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The document, serialised once at start.
#[derive(Clone)]
pub struct Document(pub Arc<String>);

#[utoipa::path(
    get, path = "/openapi.json", tag = "meta",
    summary = "This document (OpenAPI 3.1)",
    security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)),
)]
pub async fn openapi_json(Extension(doc): Extension<Document>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.0.as_str().to_owned()).into_response()
}

#[utoipa::path(
    get, path = "/docs/", tag = "meta",
    summary = "The API reference page",
    security(()),
    responses((status = 200, description = "Swagger UI (HTML)", content_type = "text/html", body = String)),
)]
pub async fn docs_page() -> Response {
    serve("index.html")
}

/// `/docs` (no slash) goes to the page, whose files are relative to it.
pub async fn docs_redirect() -> Redirect {
    Redirect::permanent(&format!("{}/docs/", super::PREFIX))
}

/// The page's files (scripts, styles, icons).
pub async fn docs_file(Path(file): Path<String>) -> Response {
    serve(&file)
}

fn serve(file: &str) -> Response {
    // No online validator badge: it would send the document's address elsewhere.
    // The token typed into "Authorize" is kept in the page's memory only (not persisted).
    let config = Arc::new(utoipa_swagger_ui::Config::new([format!("{}/openapi.json", super::PREFIX)]).try_it_out_enabled(true).validator_url("none"));
    match utoipa_swagger_ui::serve(file, config) {
        Ok(Some(f)) => {
            let mut res = (StatusCode::OK, f.bytes.into_owned()).into_response();
            let h = res.headers_mut();
            if let Ok(ct) = HeaderValue::from_str(&f.content_type) {
                h.insert(header::CONTENT_TYPE, ct);
            }
            if f.gzpipped {
                h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        Ok(None) => Problem::not_found().into_response(),
        Err(e) => {
            tracing::error!(error = %e, file, "serving the API reference page failed");
            Problem::new(proto::ErrorCode::Internal, "Something went wrong on our side. Please try again.").into_response()
        }
    }
}
