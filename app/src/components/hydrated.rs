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
