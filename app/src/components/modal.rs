//! A `<dialog>`: open (not modal) as the server renders it, so it shows
//! without JavaScript; with JavaScript it becomes modal (focus stays in it,
//! Escape closes it) and `on_close` runs when it closes.

use leptos::prelude::*;

#[component]
pub fn Modal(on_close: impl Fn() + Clone + Send + Sync + 'static, labelled_by: &'static str, children: Children) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            crate::browser::reopen_as_modal(&d);
        }
    });
    view! {
        <dialog node_ref=dialog open class="dialog" aria-labelledby=labelled_by on:close=move |_| on_close()>
            {children()}
        </dialog>
    }
}
