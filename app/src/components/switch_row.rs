//! A setting's switch with the line beside it (Two-Factor Auth, the PIN).
//! On, the switch only says so: turning the setting off is a form of the
//! page's own. Off, it is a link to the page with `?enable=1`, where the page
//! shows how to turn it on (and back), so it works without JavaScript.

use leptos::prelude::*;

#[component]
pub fn SwitchRow(
    /// Whether the setting is on.
    on: bool,
    /// Off: whether the page shows how to turn it on; the switch then reads
    /// as on, and links back to the page.
    #[prop(optional, into)]
    choosing: Signal<bool>,
    /// The page's own address.
    href: &'static str,
    label: &'static str,
    /// The line beside the switch.
    children: Children,
) -> impl IntoView {
    let switch = if on {
        view! { <span role="switch" aria-checked="true" aria-disabled="true" class="switch on">{label}</span> }.into_any()
    } else {
        (move || {
            let checked = choosing.get();
            let href = if checked { href.to_owned() } else { format!("{href}?enable=1") };
            view! {
                <a href=href role="switch" aria-checked=if checked { "true" } else { "false" } class="switch">
                    {label}
                </a>
            }
        })
        .into_any()
    };
    view! {
        <div class="switch-row">
            {switch}
            {children()}
        </div>
    }
}

// Rendered to HTML, which needs the server half of the view layer.
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos_router::components::Router;
    use leptos_router::location::RequestUrl;

    /// Rendered on the server inside a router at `at`.
    fn html<V: IntoView + 'static>(at: &str, v: impl FnOnce() -> V + Send + 'static) -> String {
        let at = at.to_owned();
        Owner::new().with(move || {
            provide_context(RequestUrl::new(&at));
            view! { <Router>{v()}</Router> }.to_html()
        })
    }

    #[test]
    fn on_it_is_the_span_the_pages_drew() {
        let kit = html("/account/security/2fa", || {
            view! { <SwitchRow on=true href="/account/security/2fa" label="Enable 2FA"><p>"On."</p></SwitchRow> }
        });
        let by_hand = html("/account/security/2fa", || {
            view! {
                <div class="switch-row">
                    <span role="switch" aria-checked="true" aria-disabled="true" class="switch on">"Enable 2FA"</span>
                    <p>"On."</p>
                </div>
            }
        });
        assert_eq!(kit, by_hand);
    }

    #[test]
    fn off_it_is_the_link_the_pages_drew() {
        for choosing in [false, true] {
            let kit = html("/account/security/protection", move || {
                view! {
                    <SwitchRow on=false choosing=choosing href="/account/security/protection" label="Enable PIN">
                        <p class="muted">"Off."</p>
                    </SwitchRow>
                }
            });
            let by_hand = html("/account/security/protection", move || {
                view! {
                    <div class="switch-row">
                        {move || {
                            let checked = choosing;
                            let href = if checked { "/account/security/protection" } else { "/account/security/protection?enable=1" };
                            view! {
                                <a href=href role="switch" aria-checked=if checked { "true" } else { "false" } class="switch">
                                    "Enable PIN"
                                </a>
                            }
                        }}
                        <p class="muted">"Off."</p>
                    </div>
                }
            });
            assert_eq!(kit, by_hand);
            let enable = if choosing { r#"href="/account/security/protection""# } else { r#"href="/account/security/protection?enable=1""# };
            assert!(kit.contains(enable) && kit.contains(r#"role="switch""#), "{kit}");
        }
    }
}
