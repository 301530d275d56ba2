//! Whether a view is live in the browser yet.

use leptos::prelude::*;

/// False on the server and until hydration has wired this view up (the
/// page works as plain HTML then); true from then on.
pub fn use_hydrated() -> Signal<bool> {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, once the view is hydrated.
    Effect::new(move |_| hydrated.set(true));
    hydrated.into()
}

/// Marks the page live: `body[data-hydrated]`, for tests and for styles that
/// need JavaScript. Called from each page's own (lazily loaded) view, so the
/// mark waits for that view to be hydrated, not only the main bundle. A page
/// the running app draws later is live when it is shown: the mark stays.
pub fn mark_page_hydrated() {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
