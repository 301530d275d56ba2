//! `Idempotency-Key` on the API's creating requests (POST): the first
//! request with a key claims it and, when it succeeds (2xx), its answer is
//! kept for 24 hours; a retry with the same key and the same request gets
//! that answer again (`Idempotent-Replayed: true`) and creates nothing; the
//! same key with another request is 422 `idempotency_key_reused`; while
//! the first is still running, 409 `idempotency_key_in_progress`. A
//! failed first attempt releases the key, so a retry may try again. The
//! rules live in the domain's `idempotency` slice; this is the door's part.

use super::problem::Problem;
use super::ApiState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::idempotency::{Begin, Fingerprint, HEADER};
use domain::Actor;
use http::header::{self, HeaderValue};
use http::Method;

pub async fn idempotent(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else { return next.run(req).await };
    let key = key.to_str().unwrap_or("\u{1}").to_owned();
    let account = match req.extensions().get::<Actor>().map(Actor::account_to_write) {
        Some(Ok(account)) => account,
        Some(Err(e)) => return Problem::from(e).into_response(),
        None => return next.run(req).await,
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(e) => return super::json::unreadable_body(&e).into_response(),
    };
    let fingerprint = Fingerprint::of(parts.method.as_str(), parts.uri.path(), &bytes);
    let idempotency = state.warden.idempotency();
    let claim = match idempotency.begin(account, &key, &fingerprint).await {
        Ok(Begin::Fresh(claim)) => claim,
        Ok(Begin::Replay { status, body }) => {
            let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
            let mut res = (status, body).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Err(e) => return Problem::from(e).into_response(),
    };
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if !res.status().is_success() {
        if let Err(e) = idempotency.release(claim).await {
            tracing::error!(error = %e, "releasing an idempotency key failed");
        }
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an answer to keep failed");
            let _ = idempotency.release(claim).await;
            return Problem::new(proto::ErrorCode::Internal, "Something went wrong on our side. Please try again.").into_response();
        }
    };
    if let Err(e) = idempotency.complete(claim, parts.status.as_u16(), &String::from_utf8_lossy(&bytes)).await {
        // The resource was made; only its replay is lost. Say what was done.
        tracing::error!(error = %e, "keeping an idempotent answer failed");
    }
    Response::from_parts(parts, Body::from(bytes))
}
