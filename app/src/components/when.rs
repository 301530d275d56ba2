//! A time as the server worded it: `<time>` with the offset time in
//! `datetime` and the exact time and zone in `title` (so "5 minutes ago"
//! is one hover away from `2026-11-28 21:48 Europe/Berlin (UTC+01:00)`).

use leptos::prelude::*;
use proto::views::Stamp;

#[component]
pub fn When(
    at: Stamp,
    /// The date and time even within a day (after "since", "until", "on").
    #[prop(optional)]
    absolute: bool,
    /// The exact time with its zone, visibly: for pages a guest opens from
    /// a mail, who may not know which clock the account keeps.
    #[prop(optional)]
    named: bool,
) -> impl IntoView {
    let text = if named {
        at.exact.clone()
    } else if absolute {
        at.local
    } else {
        at.text
    };
    view! { <time datetime=at.iso title=at.exact>{text}</time> }
}
