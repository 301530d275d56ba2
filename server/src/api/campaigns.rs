//! `GET/POST /campaigns`, `GET/PATCH/DELETE /campaigns/{id}`: the account's
//! campaigns (a name, a tracking number, active or paused). Writing needs a
//! read-and-write token; another account's id is 404 like an unknown one.

use super::problem::{ApiResult, ProblemBody};
use super::{ApiJson, ApiState};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use domain::reporting::entities::CampaignStatus;
use domain::reporting::{self, CampaignId};
use domain::Actor;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused,
}

impl Status {
    fn code(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paused => "paused",
        }
    }
}

impl From<CampaignStatus> for Status {
    fn from(s: CampaignStatus) -> Self {
        match s {
            CampaignStatus::Active => Status::Active,
            CampaignStatus::Paused => Status::Paused,
        }
    }
}

/// A campaign. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    /// Unique in the account, ignoring case.
    #[schema(example = "Spring sale")]
    pub name: String,
    /// E.164.
    #[schema(example = "+14155550100")]
    pub tracking_number: String,
    pub status: Status,
    pub created_at: i64,
}

impl From<reporting::Campaign> for Campaign {
    fn from(c: reporting::Campaign) -> Self {
        Campaign { id: c.id.get(), name: c.name, tracking_number: c.tracking_number, status: c.status.into(), created_at: c.created_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<Campaign>,
}

/// A new campaign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// 1–80 characters, unique in the account ignoring case.
    #[schema(example = "Spring sale", value_type = super::json::Name)]
    pub name: String,
    /// A phone number in E.164 (`+` and 8–15 digits; spaces, dashes, dots and brackets between them are dropped).
    #[schema(example = "+14155550100", value_type = super::json::Phone)]
    pub tracking_number: String,
    /// `active` when left out.
    #[serde(default)]
    pub status: Option<Status>,
}

/// What to change; a field left out (or null) stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    #[serde(default)]
    #[schema(value_type = Option<super::json::Name>)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<super::json::Phone>)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
}

#[utoipa::path(
    get, path = "/campaigns", tag = "campaigns",
    summary = "The account's campaigns",
    responses(
        (status = 200, description = "Every campaign, by name", body = CampaignList),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn list_campaigns(State(state): State<ApiState>, Extension(actor): Extension<Actor>) -> ApiResult<Json<CampaignList>> {
    let campaigns = state.warden.reporting().campaigns(&actor).await?;
    Ok(Json(CampaignList { campaigns: campaigns.into_iter().map(Campaign::from).collect() }))
}

#[utoipa::path(
    post, path = "/campaigns", tag = "campaigns",
    summary = "Create a campaign",
    description = "Needs a read-and-write token. Send an `Idempotency-Key` header to retry safely: the same key and body within 24 hours answer the first answer again and create nothing more.",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters; per account, kept 24 hours", pattern = r"^[!-~]{1,255}$", min_length = 1, max_length = 255)),
    request_body = NewCampaign,
    responses(
        (status = 201, description = "Created", body = Campaign),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The token is read only", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken (`campaign_name_taken`), or a request with this Idempotency-Key is in progress", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`field` names it), or the Idempotency-Key was used for another request", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn create_campaign(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    ApiJson(new): ApiJson<NewCampaign>,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    super::json::untrimmed("name", &new.name)?;
    super::json::untrimmed("tracking_number", &new.tracking_number)?;
    let new = reporting::NewCampaign { name: new.name, tracking_number: new.tracking_number, status: new.status.map(|s| s.code().to_owned()) };
    let made = state.warden.reporting().create_campaign(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[utoipa::path(
    get, path = "/campaigns/{id}", tag = "campaigns",
    summary = "One campaign",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 404, description = "No such campaign in this account", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn get_campaign(State(state): State<ApiState>, Extension(actor): Extension<Actor>, Path(id): Path<i64>) -> ApiResult<Json<Campaign>> {
    Ok(Json(state.warden.reporting().campaign(&actor, CampaignId::new(id)).await?.into()))
}

#[utoipa::path(
    patch, path = "/campaigns/{id}", tag = "campaigns",
    summary = "Change a campaign",
    description = "Needs a read-and-write token. Only the fields sent change.",
    params(("id" = i64, Path, description = "The campaign's id")),
    request_body = CampaignPatch,
    responses(
        (status = 200, description = "The campaign as it is now", body = Campaign),
        (status = 403, description = "The token is read only", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field is refused (`field` names it)", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn update_campaign(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<i64>,
    ApiJson(patch): ApiJson<CampaignPatch>,
) -> ApiResult<Json<Campaign>> {
    if let Some(name) = &patch.name {
        super::json::untrimmed("name", name)?;
    }
    if let Some(number) = &patch.tracking_number {
        super::json::untrimmed("tracking_number", number)?;
    }
    let patch =
        reporting::CampaignPatch { name: patch.name, tracking_number: patch.tracking_number, status: patch.status.map(|s| s.code().to_owned()) };
    Ok(Json(state.warden.reporting().update_campaign(&actor, CampaignId::new(id), patch).await?.into()))
}

#[utoipa::path(
    delete, path = "/campaigns/{id}", tag = "campaigns",
    summary = "Delete a campaign and its calls",
    description = "Needs a read-and-write token.",
    params(("id" = i64, Path, description = "The campaign's id")),
    responses(
        (status = 204, description = "Deleted, with its calls"),
        (status = 403, description = "The token is read only", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such campaign in this account", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn delete_campaign(State(state): State<ApiState>, Extension(actor): Extension<Actor>, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state.warden.reporting().delete_campaign(&actor, CampaignId::new(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
