//! A page's data, asked for with its code: a lazy route's `data()` (in the
//! main bundle) starts the page's server-function calls the moment the
//! router starts loading the page, so the answers travel while the page's
//! WASM chunk does, not after it. The page (in its chunk) takes each answer
//! once, for its resource's first run; every later run (after an action, or
//! a new query) calls the server function as usual.
//!
//! The request is the one the server function's own client makes (a POST of
//! its arguments, form-encoded, to its path, answered in JSON), so the
//! server sees nothing new. Only the raw answer crosses from the main bundle
//! to the chunk: decoding it into the page's types happens in the chunk, so
//! the main bundle does not grow by every page's data types.
//!
//! Nothing is asked early on the server (there `data()` and the view run
//! together) or while the first page is hydrated (its data came with the
//! HTML). An early answer that cannot be had or read is asked again the
//! usual way, so the worst case is the old one.

use leptos::server_fn::ServerFn;
use proto::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// A server function's answer as it came: the status and the body.
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    /// The answer as the server function's client reads it: JSON of `T` on
    /// success, the error contract's JSON on 4xx/5xx. `None` when it is
    /// neither (then the page asks again).
    fn read<T: DeserializeOwned>(&self) -> Option<Result<T, ApiError>> {
        match self.status {
            200..=299 => serde_json::from_str(&self.body).ok().map(Ok),
            400..=599 => serde_json::from_str::<ApiError>(&self.body).ok().map(Err),
            _ => None,
        }
    }
}

/// One server-function call started early; empty when none was.
#[derive(Clone, Default)]
pub struct Early(Arc<Mutex<Option<futures::channel::oneshot::Receiver<Reply>>>>);

impl Early {
    /// Starts the call `args` now (in the browser, after the first page is
    /// hydrated); an empty `Early` otherwise.
    pub fn ask<F>(args: F) -> Early
    where
        F: ServerFn + Serialize,
    {
        #[cfg(feature = "hydrate")]
        if let Ok(body) = serde_qs::to_string(&args) {
            return Early::start(F::PATH, body);
        }
        let _ = args;
        Early::default()
    }

    /// `ask`'s part that is the same for every server function (one copy in
    /// the bundle, not one per page's data type).
    #[cfg(feature = "hydrate")]
    fn start(path: &'static str, body: String) -> Early {
        use leptos::prelude::Owner;
        if Owner::current_shared_context().is_some_and(|sc| sc.during_hydration()) {
            return Early::default();
        }
        let (tx, rx) = futures::channel::oneshot::channel();
        leptos::task::spawn_local(async move {
            if let Some(reply) = post(path, body).await {
                let _ = tx.send(reply);
            }
        });
        Early(Arc::new(Mutex::new(Some(rx))))
    }

    /// The answer started early, the first time it is asked for and when it
    /// came and reads; else `call()`.
    pub async fn or<T, Fut>(&self, call: impl FnOnce() -> Fut) -> Result<T, ApiError>
    where
        T: DeserializeOwned,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let started = self.0.lock().ok().and_then(|mut s| s.take());
        if let Some(rx) = started {
            if let Some(answer) = rx.await.ok().and_then(|reply| reply.read()) {
                return answer;
            }
        }
        call().await
    }
}

/// `POST path` with the form body `body`, as the server function's client
/// sends it; `None` when the connection failed.
#[cfg(feature = "hydrate")]
async fn post(path: &str, body: String) -> Option<Reply> {
    use leptos::prelude::window;
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    let headers = web_sys::Headers::new().ok()?;
    headers.set("Content-Type", "application/x-www-form-urlencoded").ok()?;
    headers.set("Accept", "application/json").ok()?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    let response: web_sys::Response = JsFuture::from(window().fetch_with_str_and_init(path, &init)).await.ok()?.unchecked_into();
    let body = JsFuture::from(response.text().ok()?).await.ok()?.as_string()?;
    Some(Reply { status: response.status(), body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::ErrorCode;

    #[test]
    fn an_answer_reads_as_the_server_functions_client_reads_it() {
        let ok = Reply { status: 200, body: "[1,2]".to_owned() };
        assert_eq!(ok.read::<Vec<i32>>().map(|r| r.ok()), Some(Some(vec![1, 2])));
        let e = ApiError::new(ErrorCode::NotSignedIn, "Sign in first.");
        let refused = Reply { status: 401, body: serde_json::to_string(&e).unwrap_or_default() };
        assert_eq!(refused.read::<Vec<i32>>().and_then(|r| r.err()).map(|e| e.code), Some(ErrorCode::NotSignedIn));
        // Neither: asked again the usual way.
        assert!(Reply { status: 302, body: String::new() }.read::<Vec<i32>>().is_none());
        assert!(Reply { status: 200, body: "<html>".to_owned() }.read::<Vec<i32>>().is_none());
    }

    #[test]
    fn an_answer_is_taken_once_then_the_call_is_made() {
        let (tx, rx) = futures::channel::oneshot::channel();
        let _ = tx.send(Reply { status: 200, body: "7".to_owned() });
        let early = Early(Arc::new(Mutex::new(Some(rx))));
        let call = || async { Ok::<i32, ApiError>(8) };
        let first = futures::executor::block_on(early.or(call));
        let second = futures::executor::block_on(early.or(call));
        assert_eq!((first.ok(), second.ok()), (Some(7), Some(8)));
        // Nothing started: the call.
        assert_eq!(futures::executor::block_on(Early::default().or(call)).ok(), Some(8));
    }
}
