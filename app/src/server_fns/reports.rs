//! Server functions of Reporting and the time-zone page. Every figure comes
//! through `domain::reporting`, whose reads all pass the PIN gate.

use leptos::prelude::*;
pub use proto::views::{ReportView, ReportsContextView, TimeZoneView};
use proto::ApiError;

#[server(prefix = "/_fn", endpoint = "reports_context")]
pub async fn reports_context() -> Result<ReportsContextView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { Ok(views::reports_context(c.warden.reporting().context(c.actor()?).await?, c.warden.now())) })
        .await
}

/// The figures of a range. A range that reaches an earlier day is refused
/// with `pin_required` while a PIN is set and this session is not unlocked.
#[server(prefix = "/_fn", endpoint = "report")]
pub async fn report(range: String, from: Option<String>, to: Option<String>, campaign: Option<String>) -> Result<ReportView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let q = domain::reporting::ReportQuery::parse(&range, from.as_deref(), to.as_deref(), campaign.as_deref())?;
        let r = c.warden.reporting().report(c.actor()?, q).await?;
        Ok(views::report(&q.range, r))
    })
    .await
}

/// Three campaigns and 60 days of calls for an empty account.
#[server(prefix = "/_fn", endpoint = "add_sample_data")]
pub async fn add_sample_data() -> Result<u64, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.reporting().add_sample_data(c.actor()?).await }).await
}

#[server(prefix = "/_fn", endpoint = "time_zone_status")]
pub async fn time_zone_status() -> Result<TimeZoneView, ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move {
        let zone = c.warden.accounts().time_zone(c.actor()?.account()?).await?;
        Ok(TimeZoneView { zone: zone.name().to_owned(), zones: domain::reporting::days::Zone::all_names() })
    })
    .await
}

#[server(prefix = "/_fn", endpoint = "set_time_zone")]
pub async fn set_time_zone(zone: String) -> Result<(), ApiError> {
    use crate::ssr::*;
    serve(crate::gate::Gate::SignedIn, |c| async move { c.warden.reporting().set_time_zone(c.actor()?, &zone, &c.meta).await.map(|_| ()) }).await
}
