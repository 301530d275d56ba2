//! `GET /sessions`, `DELETE /sessions/{id}`: the account's browser sessions,
//! as Login Security shows them, and ending one. Both need a token made
//! with the `sessions` scope: a data token (read, or read and write) never
//! sees or ends its owner's browser sessions.

use super::problem::{ApiResult, Problem, ProblemBody};
use super::ApiState;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use domain::sessions::SessionEntry;
use domain::{Actor, ClientMeta, SessionId};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One browser session. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Public id: ends the session with `DELETE /sessions/{id}`; opens nothing.
    pub id: String,
    #[schema(example = "Chrome 120")]
    pub browser: String,
    #[schema(example = "Windows 10")]
    pub os: String,
    /// `Desktop`, `Mobile`, `Tablet` or `Other device`.
    pub device: String,
    pub ip: String,
    pub started_at: i64,
    pub last_active_at: i64,
    pub ended_at: Option<i64>,
    /// Why it ended: `signed_out`, `logged_out_all`, `ended_elsewhere`, `expired`, `reported_not_you`, …
    pub end_reason: Option<String>,
    /// The name its owner gave it on Login Security ("Work laptop").
    #[schema(example = "Work laptop")]
    pub name: Option<String>,
}

/// Active sessions, and one page of ended ones (newest first).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub active: Vec<Session>,
    pub ended: Vec<Session>,
    /// The page of ended sessions (0 is the newest).
    pub page: i64,
    /// There are older ended sessions: ask for `page + 1`.
    pub has_older: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    /// The page of ended sessions, 0 (the newest) to 10000.
    #[param(minimum = 0, maximum = 10000)]
    pub page: Option<i64>,
}

fn session(e: SessionEntry) -> Session {
    Session {
        id: e.id.to_string(),
        browser: e.device.browser,
        os: e.device.os,
        device: e.device.device.label().to_owned(),
        ip: e.ip,
        started_at: e.started_at,
        last_active_at: e.last_active_at,
        ended_at: e.ended_at,
        end_reason: e.end_reason.map(|r| r.code().to_owned()),
        name: e.name,
    }
}

#[utoipa::path(
    get, path = "/sessions", tag = "sessions",
    summary = "The account's sessions",
    params(SessionsQuery),
    responses(
        (status = 200, description = "Active sessions and a page of ended ones", body = SessionList),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The token has no `sessions` scope", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A query parameter is refused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Over the rate limit", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn list_sessions(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    query: super::ApiQuery<SessionsQuery>,
) -> ApiResult<Json<SessionList>> {
    let page = query.0.page.unwrap_or(0);
    if !(0..=10_000).contains(&page) {
        return Err(Problem::invalid(proto::ErrorCode::InvalidInput, "page", "page: a number from 0 to 10000."));
    }
    let list = state.warden.sessions().list(&actor, page).await?;
    Ok(Json(SessionList {
        active: list.active.into_iter().map(session).collect(),
        ended: list.ended.into_iter().map(session).collect(),
        page: list.page,
        has_older: list.has_older,
    }))
}

#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions",
    summary = "End a session",
    description = "Ends one active session of the account (its browser is signed out on its next request; it keeps its device cookie). Needs a token with the `sessions` scope.",
    params(("id" = String, Path, description = "The session's id, from `GET /sessions`")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The token has no `sessions` scope", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such active session in this account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Over the rate limit", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn end_session(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Extension(meta): Extension<ClientMeta>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.warden.sessions().end_other(&actor, None, &SessionId::new(id), &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
