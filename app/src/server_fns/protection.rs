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

/// The proof every PIN setting takes: the password, and the code when 2FA is on.
#[cfg(feature = "ssr")]
fn proof<'a>(password: &'a domain::Secret, code: &'a Option<String>) -> domain::protection::Proof<'a> {
    domain::protection::Proof { password, code: code.as_deref() }
}

#[server(prefix = "/_fn", endpoint = "set_pin")]
pub async fn set_pin(password: Password, code: Option<String>, pin: Password, confirm_pin: Password) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let password: domain::Secret = password.into();
        c.warden.protection().set_pin(c.actor()?, &proof(&password, &code), &pin.into(), &confirm_pin.into(), &c.meta).await
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "change_pin")]
pub async fn change_pin(password: Password, code: Option<String>, pin: Password, confirm_pin: Password) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let password: domain::Secret = password.into();
        c.warden.protection().change_pin(c.actor()?, &proof(&password, &code), &pin.into(), &confirm_pin.into(), &c.meta).await
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "remove_pin")]
pub async fn remove_pin(password: Password, code: Option<String>) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let password: domain::Secret = password.into();
        c.warden.protection().remove_pin(c.actor()?, &proof(&password, &code), &c.meta).await
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
