//! `GET /reports/daily`: calls per day in the account's time zone, for a
//! range of dates and one campaign or all. Any token reads every day: the
//! Protection PIN guards the dashboard, never the API.

use super::problem::{ApiResult, ProblemBody};
use super::{ApiQuery, ApiState};
use axum::extract::State;
use axum::{Extension, Json};
use domain::reporting::store::Totals as DomainTotals;
use domain::Actor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// First day, `YYYY-MM-DD` in the account's time zone (default: 6 days before `to`).
    #[param(example = "2026-03-01")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today). At most 366 days after `from`.
    #[param(example = "2026-03-31")]
    pub to: Option<String>,
    /// One campaign's calls only.
    pub campaign: Option<i64>,
}

/// Totals over some calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    pub calls: i64,
    pub answered: i64,
    pub missed: i64,
    pub voicemail: i64,
    pub duration_secs: i64,
    pub revenue_cents: i64,
    /// Answered calls in percent of all calls; null without calls.
    pub answer_rate_percent: Option<f64>,
}

impl From<&DomainTotals> for Totals {
    fn from(t: &DomainTotals) -> Self {
        Totals {
            calls: t.calls,
            answered: t.answered,
            missed: t.missed,
            voicemail: t.voicemail,
            duration_secs: t.duration_secs,
            revenue_cents: t.revenue_cents,
            answer_rate_percent: t.answer_rate_percent(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Day {
    /// `YYYY-MM-DD` in the account's time zone.
    #[schema(example = "2026-03-01")]
    pub date: String,
    pub totals: Totals,
}

/// Per-day totals, every day of the range (days without calls as zeros).
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReport {
    pub from: String,
    pub to: String,
    /// The IANA time zone the days are counted in (the account's).
    pub time_zone: String,
    pub campaign: Option<i64>,
    pub totals: Totals,
    pub days: Vec<Day>,
}

#[utoipa::path(
    get, path = "/reports/daily", tag = "reports",
    summary = "Calls per day",
    params(DailyQuery),
    responses(
        (status = 200, description = "The report", body = DailyReport),
        (status = 404, description = "No such campaign in this account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is refused (`field` names it)", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn daily(
    State(state): State<ApiState>,
    Extension(actor): Extension<Actor>,
    ApiQuery(q): ApiQuery<DailyQuery>,
) -> ApiResult<Json<DailyReport>> {
    let r = state.warden.reporting().daily(&actor, q.from.as_deref(), q.to.as_deref(), q.campaign).await?;
    Ok(Json(DailyReport {
        from: r.from.to_string(),
        to: r.to.to_string(),
        time_zone: r.time_zone,
        campaign: r.campaign.map(|c| c.get()),
        totals: Totals::from(&r.totals),
        days: r.days.iter().map(|d| Day { date: d.date.to_string(), totals: Totals::from(&d.totals) }).collect(),
    }))
}
