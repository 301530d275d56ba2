//! Server functions of the Protection tab and of Reporting's PIN line.

use leptos::prelude::*;
pub use proto::views::ProtectionView;
use proto::{ApiError, Password};

#[server(prefix = "/_fn", endpoint = "protection_status")]
pub async fn protection_status() -> Result<ProtectionView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let actor = c.actor()?;
        let status = c.warden.protection().status(actor).await?;
        Ok(views::protection(&status, &c.times()))
    })
    .await
}

/// Every PIN setting takes the step-up first: the password, and a second
/// factor when the account has one (or this session's window).
#[server(prefix = "/_fn", endpoint = "set_pin")]
pub async fn set_pin(password: Option<Password>, code: Option<String>, pin: Password, confirm_pin: Password) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::SetPin, password, None, code.as_deref()).await?;
        c.warden.protection().set_pin(c.actor()?, &confirmed, &pin.into(), &confirm_pin.into(), &c.meta).await
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "change_pin")]
pub async fn change_pin(password: Option<Password>, code: Option<String>, pin: Password, confirm_pin: Password) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::ChangePin, password, None, code.as_deref()).await?;
        c.warden.protection().change_pin(c.actor()?, &confirmed, &pin.into(), &confirm_pin.into(), &c.meta).await
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "remove_pin")]
pub async fn remove_pin(password: Option<Password>, code: Option<String>) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let confirmed = confirm(&c, domain::sensitive::Operation::RemovePin, password, None, code.as_deref()).await?;
        c.warden.protection().remove_pin(c.actor()?, &confirmed, &c.meta).await
    })
    .await
}

/// The PIN, entered on Reporting: unlocks earlier days for this session.
#[server(prefix = "/_fn", endpoint = "unlock_reports")]
pub async fn unlock_reports(pin: Password) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.protection().unlock(c.actor()?, &pin.into(), &c.meta).await.map(|_| ()) }).await
}

/// Lock now: this session's unlock ends.
#[server(prefix = "/_fn", endpoint = "lock_reports")]
pub async fn lock_reports() -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.protection().lock(c.actor()?).await }).await
}
