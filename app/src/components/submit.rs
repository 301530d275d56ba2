//! The submit button of a form: disabled, and `aria-busy="true"` for screen
//! readers, while its action runs.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// What keeps a button busy: an action while it runs, or any signal.
#[derive(Clone, Copy)]
pub struct Busy(Signal<bool>);

impl<S> From<ServerAction<S>> for Busy
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    fn from(action: ServerAction<S>) -> Self {
        Busy(action.pending().into())
    }
}

impl From<Signal<bool>> for Busy {
    fn from(busy: Signal<bool>) -> Self {
        Busy(busy)
    }
}

/// `<Submit action=change>"Change password"</Submit>`. Other attributes
/// (`attr:aria-label`, `attr:title`) go on the button as written.
#[component]
pub fn Submit(
    /// The action the form sends (or a signal that says the form is busy).
    #[prop(into)]
    action: Busy,
    #[prop(optional)] class: Option<&'static str>,
    /// Disabled, without being busy, while this holds (a step comes first).
    #[prop(optional, into)]
    blocked: Signal<bool>,
    /// A toggle among choices: `aria-pressed`, and drawn as selected.
    #[prop(optional)]
    pressed: Option<bool>,
    children: Children,
) -> impl IntoView {
    let Busy(busy) = action;
    let class = match (class, pressed) {
        (Some(c), Some(true)) => Some(format!("{c} selected")),
        (None, Some(true)) => Some("selected".to_owned()),
        (c, _) => c.map(str::to_owned),
    };
    view! {
        <button
            type="submit"
            aria-pressed=pressed.map(|p| if p { "true" } else { "false" })
            disabled=move || blocked.get() || busy.get()
            aria-busy=move || busy.get().then_some("true")
        >
            {children()}
        </button>
    }
    // As a plain attribute: `class=` in `view!` would write `class=""` for none.
    .attr("class", class)
}

// Rendered to HTML, which needs the server half of the view layer.
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::server_fns::SignOut;

    fn html<V: IntoView>(v: impl FnOnce() -> V) -> String {
        Owner::new().with(|| v().to_html())
    }

    #[test]
    fn the_button_is_the_one_the_pages_wrote_by_hand() {
        let plain = html(|| {
            let a = ServerAction::<SignOut>::new();
            view! { <Submit action=a>"Sign out"</Submit> }
        });
        let by_hand = html(|| {
            let a = ServerAction::<SignOut>::new();
            view! { <button type="submit" disabled=move || a.pending().get() aria-busy=move || a.pending().get().then_some("true")>"Sign out"</button> }
        });
        assert_eq!(plain, by_hand);
        let classed = html(|| {
            let a = ServerAction::<SignOut>::new();
            view! { <Submit action=a class="linklike">"Sign out"</Submit> }
        });
        assert_eq!(classed, by_hand.replace(r#"type="submit""#, r#"type="submit" class="linklike""#));
    }

    #[test]
    fn a_pressed_toggle_is_selected_and_says_so() {
        let pressed = html(|| {
            let a = ServerAction::<SignOut>::new();
            view! { <Submit action=a pressed=true>"App"</Submit> }
        });
        assert!(pressed.contains(r#"class="selected""#) && pressed.contains(r#"aria-pressed="true""#), "{pressed}");
        let not = html(|| {
            let a = ServerAction::<SignOut>::new();
            view! { <Submit action=a pressed=false>"App"</Submit> }
        });
        assert!(!not.contains("class=") && not.contains(r#"aria-pressed="false""#), "{not}");
    }

    #[test]
    fn a_blocked_button_is_disabled_but_not_busy() {
        let blocked = html(|| {
            let a = ServerAction::<SignOut>::new();
            view! { <Submit action=a blocked=true attr:title="Confirm it's you above first">"End"</Submit> }
        });
        assert!(blocked.contains(" disabled") && !blocked.contains("aria-busy"), "{blocked}");
        assert!(blocked.contains(r#"title="Confirm it's you above first""#), "{blocked}");
    }
}
