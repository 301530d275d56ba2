//! Server functions of the API Access Tokens tab.

use leptos::prelude::*;
pub use proto::views::{ApiQuotaView, ApiTokenView, ApiTokensView, NewApiToken, PreviousSecretView, TokenNetworkView, UsageDayView};
use proto::{ApiError, Password};

/// The live tokens (each with its usage), whether the create form asks for
/// a 2FA code, a token a plain form post just made (taken: shown once), and
/// the account's API quota with how much of it is used right now.
#[server(prefix = "/_fn", endpoint = "api_tokens_status")]
pub async fn api_tokens_status() -> Result<ApiTokensView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let actor = c.actor()?;
        let tokens = c.warden.api_tokens();
        let list = tokens.list(actor).await?;
        let step_up = c.warden.step_up().status(actor).await?;
        let (two_factor_on, security_key) = (step_up.has_second_factor, step_up.security_key);
        let times = c.times();
        // Shown once, and only to a page this site opened: a link from
        // another site does not burn the display.
        let fresh = match own_navigation() {
            true => tokens.take_handed_over(actor).await?.map(|t| views::new_api_token(&t, &times)),
            false => None,
        };
        // Read as the REST door would count the next request, changing nothing.
        let (limit, busy) = (c.api_quota.now)();
        let seen = tokens.quota_use(actor, limit).await?;
        let quota = ApiQuotaView { limit, normal: c.api_quota.normal, busy, used: limit - seen.remaining, full_in_secs: seen.reset_secs };
        Ok(ApiTokensView { tokens: list.into_iter().map(|t| views::api_token(t, &times)).collect(), two_factor_on, security_key, fresh, quota })
    })
    .await
}

/// Makes a token (after the username and password typed again, and a
/// second factor when the account has one, unless this session confirmed
/// it minutes ago). With JavaScript the answer carries the token, once; a
/// plain form post leaves it sealed in the database for the page the
/// redirect lands on, on any instance (never in the URL or a cookie), for
/// two minutes, and answers `None`. `sessions_scope` ("on", a ticked
/// checkbox) lets the token list and end browser sessions. `networks`
/// (optional) limits it to CIDR ranges from its first request on, as
/// [`set_api_token_networks`] does later.
// One argument per form field: the plain form post names them so.
#[allow(clippy::too_many_arguments)]
#[server(prefix = "/_fn", endpoint = "create_api_token")]
pub async fn create_api_token(
    name: String,
    username: String,
    password: Option<Password>,
    code: Option<String>,
    expiry: String,
    access: String,
    sessions_scope: Option<String>,
    networks: Option<String>,
) -> Result<Option<NewApiToken>, ApiError> {
    use crate::ssr::*;
    use domain::api_tokens::{Access, AllowedNetworks, CreateForm, Expiry};
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let refuse = |what: &'static str| domain::Error::refused(domain::ErrorCode::InvalidInput, what);
        let expiry = Expiry::parse(&expiry).ok_or_else(|| refuse("Choose when the token expires: 30, 90 or 365 days, or no expiry."))?;
        let access = Access::parse(&access).ok_or_else(|| refuse("Choose the token's access: read only, or read and write."))?;
        let allowed_networks = AllowedNetworks::parse(networks.as_deref().unwrap_or_default())?;
        let confirmed = confirm(&c, domain::sensitive::Operation::CreateApiToken, password, Some(&username), code.as_deref()).await?;
        let form = CreateForm { name, expiry, access, sessions_scope: sessions_scope.is_some(), allowed_networks };
        let actor = c.actor()?;
        let created = c.warden.api_tokens().create(actor, &confirmed, &form, &c.meta).await?;
        if is_plain_form_post() {
            c.warden.api_tokens().hand_over(actor, &created).await?;
            leptos_axum::redirect(crate::gate::paths::API_TOKENS);
            return Ok(None);
        }
        Ok(Some(views::new_api_token(&created, &c.times())))
    })
    .await
}

/// Gives one of the caller's tokens a new secret under the same name,
/// access, scope, networks and lifetime (counted again from now), behind
/// the same step-up as making a token. `overlap` (`none`, `1h`, `24h`) is
/// how long the old secret keeps working beside the new one. The answer
/// carries the new secret once, as making a token does; a plain form post
/// leaves it sealed for the page the redirect lands on.
#[server(prefix = "/_fn", endpoint = "regenerate_api_token")]
pub async fn regenerate_api_token(
    id: i64,
    overlap: String,
    username: String,
    password: Option<Password>,
    code: Option<String>,
) -> Result<Option<NewApiToken>, ApiError> {
    use crate::ssr::*;
    use domain::api_tokens::{ApiTokenId, Overlap};
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let overlap = Overlap::parse(&overlap).ok_or_else(|| {
            domain::Error::refused(domain::ErrorCode::InvalidInput, "Choose how long the old secret keeps working: no overlap, 1 hour or 24 hours.")
        })?;
        let confirmed = confirm(&c, domain::sensitive::Operation::RegenerateApiToken, password, Some(&username), code.as_deref()).await?;
        let actor = c.actor()?;
        let made = c.warden.api_tokens().regenerate(actor, &confirmed, ApiTokenId::new(id), overlap, &c.meta).await?;
        if is_plain_form_post() {
            c.warden.api_tokens().hand_over(actor, &made).await?;
            leptos_axum::redirect(crate::gate::paths::API_TOKENS);
            return Ok(None);
        }
        Ok(Some(views::new_api_token(&made, &c.times())))
    })
    .await
}

/// Deletes one of the caller's tokens: it opens nothing from the next request on.
#[server(prefix = "/_fn", endpoint = "delete_api_token")]
pub async fn delete_api_token(id: i64) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        c.warden.api_tokens().delete(c.actor()?, domain::api_tokens::ApiTokenId::new(id), &c.meta).await?;
        if is_plain_form_post() {
            leptos_axum::redirect(&format!("{}?deleted=1", crate::gate::paths::API_TOKENS));
        }
        Ok(())
    })
    .await
}

/// Limits one of the caller's tokens to the CIDR ranges in `networks`
/// (comma, space or line separated; empty: any network), behind the same
/// step-up as making a token: the username and password typed again, and
/// a second factor when the account has one unless this session confirmed
/// it minutes ago. Ranges that do not parse are refused before anything is
/// asked or changed; another account's token is not found.
#[server(prefix = "/_fn", endpoint = "set_api_token_networks")]
pub async fn set_api_token_networks(
    id: i64,
    networks: String,
    username: String,
    password: Option<Password>,
    code: Option<String>,
) -> Result<(), ApiError> {
    use crate::ssr::*;
    use domain::api_tokens::{AllowedNetworks, ApiTokenId};
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let allowed = AllowedNetworks::parse(&networks)?;
        let confirmed = confirm(&c, domain::sensitive::Operation::LimitApiTokenNetworks, password, Some(&username), code.as_deref()).await?;
        c.warden.api_tokens().set_allowed_networks(c.actor()?, &confirmed, ApiTokenId::new(id), &allowed, &c.meta).await?;
        if is_plain_form_post() {
            leptos_axum::redirect(&format!("{}?networks_saved=1", crate::gate::paths::API_TOKENS));
        }
        Ok(())
    })
    .await
}
