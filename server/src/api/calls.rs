//! `GET/POST /calls`, `GET/PATCH/DELETE /calls/{id}`: the account's calls,
//! newest first, a page at a time (an opaque `next_cursor`), filtered by
//! time and campaign. Writing needs a read-and-write token; another
//! account's id is 404 like an unknown one; a `campaign_id` in a body that
//! is not the account's is refused as invalid on `campaign_id`.

use super::problem::{ApiResult, ProblemBody};
use super::{ApiJson, ApiQuery, ApiState};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use domain::reporting::entities::Outcome as DomainOutcome;
use domain::reporting::{self, CallId};
use domain::Actor;
use http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    Missed,
    Voicemail,
}

impl Outcome {
    fn code(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Missed => "missed",
            Outcome::Voicemail => "voicemail",
        }
    }
}

impl From<DomainOutcome> for Outcome {
    fn from(o: DomainOutcome) -> Self {
        match o {
            DomainOutcome::Answered => Outcome::Answered,
            DomainOutcome::Missed => Outcome::Missed,
            DomainOutcome::Voicemail => Outcome::Voicemail,
        }
    }
}

/// A call. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Call {
    pub id: i64,
    pub campaign_id: i64,
    /// E.164.
    #[schema(example = "+4930901820")]
    pub caller: String,
    pub started_at: i64,
    pub duration_secs: i64,
    pub outcome: Outcome,
    pub revenue_cents: Option<i64>,
    pub tags: Vec<String>,
}

impl From<reporting::Call> for Call {
    fn from(c: reporting::Call) -> Self {
        Call {
            id: c.id.get(),
            campaign_id: c.campaign_id.get(),
            caller: c.caller,
            started_at: c.started_at,
            duration_secs: c.duration_secs,
            outcome: c.outcome.into(),
            revenue_cents: c.revenue_cents,
            tags: c.tags,
        }
    }
}

/// One page of calls, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallPage {
    pub calls: Vec<Call>,
    /// Send as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CallsQuery {
    /// Calls that started at or after this time (Unix seconds).
    pub from: Option<i64>,
    /// Calls that started before this time (Unix seconds).
    pub to: Option<i64>,
    /// One campaign's calls only.
    pub campaign: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,18}\.[1-9][0-9]{0,17}$")]
    pub cursor: Option<String>,
    /// Calls per page, 1–100 (50 when left out).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A new call.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// One of the account's campaigns.
    pub campaign_id: i64,
    /// E.164 (`+` and 8–15 digits; spaces, dashes, dots and brackets between them are dropped).
    #[schema(example = "+4930901820", value_type = super::json::Phone)]
    pub caller: String,
    /// Unix seconds; not before 2000-01-01, at most 5 minutes ahead.
    #[schema(minimum = 946_684_800)]
    pub started_at: i64,
    /// 0–86400.
    #[schema(minimum = 0, maximum = 86_400)]
    pub duration_secs: i64,
    pub outcome: Outcome,
    /// 0–1,000,000,000.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub revenue_cents: Option<i64>,
    /// At most 10, each 1–32 characters, no commas.
    #[serde(default)]
    #[schema(max_items = 10, value_type = Vec<super::json::Tag>)]
    pub tags: Vec<String>,
}

/// What to change; a field left out stays as it is (`revenue_cents: null` clears it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallPatch {
    #[serde(default)]
    pub campaign_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<super::json::Phone>)]
    pub caller: Option<String>,
    #[serde(default)]
    #[schema(minimum = 946_684_800)]
    pub started_at: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 86_400)]
    pub duration_secs: Option<i64>,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Left out: unchanged; null: cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000)]
    pub revenue_cents: Option<Option<i64>>,
    #[serde(default)]
    #[schema(max_items = 10, value_type = Option<Vec<super::json::Tag>>)]
    pub tags: Option<Vec<String>>,
}

/// The caller and the tags as sent: nothing is trimmed off (see [`super::json::untrimmed`]).
fn exact_texts(caller: Option<&str>, tags: Option<&[String]>) -> ApiResult<()> {
    if let Some(c) = caller {
        super::json::untrimmed("caller", c)?;
    }
    for (i, t) in tags.unwrap_or_default().iter().enumerate() {
        super::json::untrimmed(&format!("tags[{i}]"), t)?;
    }
    Ok(())
}

/// A field that is there, even as null: `Some(None)`; left out: `None` (by `default`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[utoipa::path(
    get, path = "/calls", tag = "calls",
    summary = "The account's calls, newest first",
    params(CallsQuery),
    responses(
        (status = 200, description = "One page", body = CallPage),
        (status = 422, description = "A parameter is refused (`field` names it)", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn list_calls(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    ApiQuery(q): ApiQuery<CallsQuery>,
) -> ApiResult<Json<CallPage>> {
    let q = reporting::CallQuery { from: q.from, to: q.to, campaign: q.campaign, cursor: q.cursor, limit: q.limit };
    let page = state.warden.reporting().calls(&actor, q).await?;
    Ok(Json(CallPage { calls: page.calls.into_iter().map(Call::from).collect(), next_cursor: page.next_cursor }))
}

#[utoipa::path(
    post, path = "/calls", tag = "calls",
    summary = "Record a call",
    description = "Needs a read-and-write token. Send an `Idempotency-Key` header to retry safely (24 hours, per account).",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; per account, kept 24 hours", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    request_body = NewCall,
    responses(
        (status = 201, description = "Recorded", body = Call),
        (status = 403, description = "The token is read only", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "`campaign_id` names no campaign of this account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "A request with this Idempotency-Key is in progress, or the account holds the most calls it may store (`call_limit_reached`)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`field` names it)", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn create_call(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    ApiJson(new): ApiJson<NewCall>,
) -> ApiResult<(StatusCode, Json<Call>)> {
    exact_texts(Some(&new.caller), Some(&new.tags))?;
    let new = reporting::NewCall {
        campaign_id: new.campaign_id,
        caller: new.caller,
        started_at: new.started_at,
        duration_secs: new.duration_secs,
        outcome: new.outcome.code().to_owned(),
        revenue_cents: new.revenue_cents,
        tags: new.tags,
    };
    let made = state.warden.reporting().create_call(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[utoipa::path(
    get, path = "/calls/{id}", tag = "calls",
    summary = "One call",
    params(("id" = i64, Path, description = "The call's id")),
    responses(
        (status = 200, description = "The call", body = Call),
        (status = 404, description = "No such call in this account", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn get_call(State(state): State<ApiState>, Extension(actor): Extension<Actor>, Path(id): Path<i64>) -> ApiResult<Json<Call>> {
    Ok(Json(state.warden.reporting().call(&actor, CallId::new(id)).await?.into()))
}

#[utoipa::path(
    patch, path = "/calls/{id}", tag = "calls",
    summary = "Change a call",
    description = "Needs a read-and-write token. Only the fields sent change.",
    params(("id" = i64, Path, description = "The call's id")),
    request_body = CallPatch,
    responses(
        (status = 200, description = "The call as it is now", body = Call),
        (status = 403, description = "The token is read only", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such call in this account, or `campaign_id` names no campaign of it", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`field` names it)", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn update_call(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
    ApiJson(p): ApiJson<CallPatch>,
) -> ApiResult<Json<Call>> {
    exact_texts(p.caller.as_deref(), p.tags.as_deref())?;
    let patch = reporting::CallPatch {
        campaign_id: p.campaign_id,
        caller: p.caller,
        started_at: p.started_at,
        duration_secs: p.duration_secs,
        outcome: p.outcome.map(|o| o.code().to_owned()),
        revenue_cents: p.revenue_cents,
        tags: p.tags,
    };
    Ok(Json(state.warden.reporting().update_call(&actor, CallId::new(id), patch).await?.into()))
}

#[utoipa::path(
    delete, path = "/calls/{id}", tag = "calls",
    summary = "Delete a call",
    description = "Needs a read-and-write token.",
    params(("id" = i64, Path, description = "The call's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The token is read only", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such call in this account", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_call(State(state): State<ApiState>, Extension(actor): Extension<Actor>, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state.warden.reporting().delete_call(&actor, CallId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
