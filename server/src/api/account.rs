//! `GET /account`: the token's account, who it is and how it is protected.

use super::problem::{ApiResult, Problem, ProblemBody};
use axum::{Extension, Json};
use domain::Actor;
use serde::Serialize;
use utoipa::ToSchema;

/// The account a token belongs to. Times are Unix seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub email: String,
    /// Whether the address was confirmed by its mailed link.
    pub email_verified: bool,
    pub email_verified_at: Option<i64>,
    /// The IANA time zone the account's days (and daily reports) are counted in.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    pub created_at: i64,
    pub password_changed_at: Option<i64>,
    /// The account has a second factor (the authenticator app, a security
    /// key or a passkey): signing in asks for one of them.
    pub two_factor_enabled: bool,
    /// Which second factors: `authenticator_app`, `security_key`,
    /// `passkey`, `recovery_code` (empty when two-factor authentication is off).
    pub two_factor_methods: Vec<String>,
    /// The dashboard asks for the Protection PIN before earlier days'
    /// reports. It never applies to API tokens.
    pub pin_set: bool,
}

#[utoipa::path(
    get, path = "/account", tag = "account",
    summary = "The token's account",
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 401, description = "No valid token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Over the rate limit", body = ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub async fn get_account(
    state: axum::extract::State<super::ApiState>,
    Extension(actor): Extension<Actor>,
    read: Option<Extension<domain::overview::Overview>>,
) -> ApiResult<Json<Account>> {
    // Read with the token, in the same statement (the bearer layer), unless
    // that layer did not.
    let o = match read {
        Some(Extension(o)) => o,
        None => state.warden.overview(&actor).await.map_err(Problem::from)?,
    };
    Ok(Json(Account {
        id: o.id.get(),
        username: o.username,
        email: o.email,
        email_verified: o.email_verified_at.is_some(),
        email_verified_at: o.email_verified_at,
        time_zone: o.time_zone,
        created_at: o.created_at,
        password_changed_at: o.password_changed_at,
        two_factor_enabled: o.second_factors.any(),
        two_factor_methods: o.second_factors.names().into_iter().map(str::to_owned).collect(),
        pin_set: o.pin_since.is_some(),
    }))
}
