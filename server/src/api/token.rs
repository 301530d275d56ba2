//! Killing a leaked token without a browser. `DELETE /token`: the token
//! that makes the request deletes itself. `POST /tokens/revoke`: anyone
//! who holds a token (a secret scanner that found it published, say)
//! sends it in the body, without any credential; the answer says nothing
//! about the token. Either way the owner is mailed.

use super::problem::{ApiResult, Problem, ProblemBody};
use super::{ApiJson, ApiState};
use axum::extract::State;
use axum::Extension;
use domain::{Actor, ClientMeta};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;

#[utoipa::path(
    delete, path = "/token", tag = "account",
    summary = "Revoke this token",
    description = "Deletes the token that makes this request: it opens nothing from the next request on, on every instance. \
Any token may revoke itself (read only too). The account's owner is mailed, and the activity on Login Security says so.",
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Over the rate limit", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke_token(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Extension(meta): Extension<ClientMeta>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let raw = match super::auth::presented(&headers) {
        Some(Ok(raw)) => raw.to_owned(),
        _ => return Err(Problem::from(domain::Error::refused(proto::ErrorCode::InvalidToken, "The Authorization header must be: Bearer wdn_…"))),
    };
    state.warden.api_tokens().revoke_self(&actor, &raw, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A token someone found, to be revoked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresentedToken {
    /// The whole token, `wdn_` and all.
    #[schema(example = "wdn_0123456789abcdefghijklmnopqrstuvwxyzAB", max_length = 200)]
    pub token: String,
}

#[utoipa::path(
    post, path = "/tokens/revoke", tag = "account",
    summary = "Revoke a token you found",
    description = "For secret scanners and for anyone who comes across a Warden API token (`wdn_` followed by 36 characters of base 62, \
the last 6 a CRC32 checksum): send it here and it opens nothing from the next request on, on every instance. No credential is needed: \
the token is the proof. The answer is `202` whatever was sent (a live token, a deleted, expired or unknown one, or text that is \
no token), so this address tells nothing about a token; a live one is deleted and its owner is mailed and sees it on Login Security. \
Each client address may send twenty at once, then about one every few seconds (`429` with `Retry-After` beyond that).",
    security(()),
    request_body = PresentedToken,
    responses(
        (status = 202, description = "Received: if it was a live token, it is revoked"),
        (status = 422, description = "The body is not `{\"token\": \"…\"}`, or the token is longer than any", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many revocations from this address", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke_presented(
    State(state): State<ApiState>,
    Extension(meta): Extension<ClientMeta>,
    ApiJson(presented): ApiJson<PresentedToken>,
) -> ApiResult<StatusCode> {
    if presented.token.chars().count() > MAX_PRESENTED {
        return Err(Problem::invalid(proto::ErrorCode::InvalidInput, "token", "`token` is longer than any Warden API token."));
    }
    state.warden.api_tokens().revoke_presented(&presented.token, &meta).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Longer than any token, with room for spaces around it.
const MAX_PRESENTED: usize = 200;
