//! `DELETE /token`: the token that makes the request deletes itself, so
//! whoever holds a leaked token (its owner, or a secret scanner that found
//! it) can kill it without a browser. The owner is mailed.

use super::problem::{ApiResult, Problem, ProblemBody};
use super::ApiState;
use axum::extract::State;
use axum::Extension;
use domain::{Actor, ClientMeta};
use http::{HeaderMap, StatusCode};

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
