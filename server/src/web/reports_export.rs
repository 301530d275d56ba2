//! `GET /reports/export.csv`: the calls of a report range as a download.
//! The session layer has already held the path to its gate (signed in);
//! the range passes the same PIN gate as the page through
//! `domain::reporting`, so earlier days never leave without an unlock. The
//! file is streamed a page of calls at a time: an export of any range
//! holds one page in memory, never the whole file.

use super::refusal;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::{Actor, ClientMeta};
use std::collections::HashMap;

pub async fn export_csv(
    State(state): State<AppState>,
    actor: Option<Extension<Actor>>,
    meta: Option<Extension<ClientMeta>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(Extension(actor)) = actor else {
        return refusal(proto::ApiError::not_signed_in());
    };
    let get = |k: &str| q.get(k).map(String::as_str);
    let query = match domain::reporting::ReportQuery::parse(get("range").unwrap_or(""), get("from"), get("to"), get("campaign")) {
        Ok(query) => query,
        Err(e) => return refusal(e.into()),
    };
    match state.ctx.warden.reporting().export_csv(&actor, query).await {
        Ok(export) => {
            let name = export.file_name.clone();
            let chunks = futures_util::stream::unfold(Some(export), |export| async move {
                let mut export = export?;
                match export.next_chunk().await {
                    Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), Some(export))),
                    Ok(None) => None,
                    // The status is sent already: cut the file short (the
                    // browser sees a failed download), and say why in the log.
                    Err(e) => {
                        tracing::error!(error = %e, "CSV export failed midway");
                        Some((Err(std::io::Error::other("export failed")), None))
                    }
                }
            });
            let mut res = axum::body::Body::from_stream(chunks).into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => {
            let e = proto::ApiError::from(e);
            if e.code == proto::ErrorCode::PinRequired {
                let ip = meta.map(|Extension(m)| m.ip).unwrap_or_default();
                tracing::warn!(target: "security", code = e.code.as_str(), account = actor.account().map(|a| a.get()).unwrap_or_default(), ip, "CSV export refused");
            }
            refusal(e)
        }
    }
}
