//! "Sign out of other devices", ticked by default: a change of password or
//! of a second factor is the moment to shut out whoever else may hold a
//! session (ASVS 7.4.3).

use leptos::html::Input;
use leptos::prelude::*;

#[component]
pub fn SignOutOthers(
    /// For a form the page reads itself (no form post).
    #[prop(optional)]
    node_ref: Option<NodeRef<Input>>,
) -> AnyView {
    match node_ref {
        Some(node_ref) => view! {
            <label class="check"><input type="checkbox" node_ref=node_ref name="sign_out_others" checked/>"Sign out of other devices"</label>
        }
        .into_any(),
        None => view! { <label class="check"><input type="checkbox" name="sign_out_others" checked/>"Sign out of other devices"</label> }.into_any(),
    }
}
