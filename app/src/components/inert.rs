//! Markup that never changes once drawn (a list of past events, the facts of
//! an ended session), written as one string and shown as one inert element.
//!
//! A view inside a `<Transition>` is rendered on the server through Leptos's
//! async path: every element of it, static or not, is moved into a future
//! and out again at each level of the tree, and that copying (with the
//! allocations beside it) was most of what Login Security cost the server
//! (`bench/instructions`; docs/performance.md, sixth round). An inert
//! element is one string: the server writes it as it is, the browser
//! hydrates it by taking the element as it came (nothing inside it is
//! reactive), and draws it again only when the string changes.
//!
//! Every text and attribute value is escaped as Leptos escapes them
//! (`html-escape`: text `& < >`, attributes also `"`), so what a user agent,
//! a session name or a mail subject holds stays text. The tests compare
//! this markup with what `view!` makes of the same values.

use leptos::tachys::html::InertElement;
use proto::views::Stamp;
use std::fmt::Write;

/// HTML being written: [`Html::open`], [`Html::text`], [`Html::close`].
pub struct Html(String);

impl Html {
    /// Room for about `bytes` of markup (one allocation for a whole list).
    pub fn with_capacity(bytes: usize) -> Self {
        Html(String::with_capacity(bytes))
    }

    /// `<tag name="value"…>`; the names are the code's own, the values escaped.
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attrs {
            let _ = write!(self.0, " {name}=\"{}\"", html_escape::encode_double_quoted_attribute(value));
        }
        self.0.push('>');
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.0.push_str(&html_escape::encode_text(text));
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `<tag attrs…>text</tag>`.
    pub fn element(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A time as [`crate::components::when::When`] draws it (relative).
    pub fn time(&mut self, at: &Stamp) -> &mut Self {
        self.element("time", &[("datetime", &at.iso), ("title", &at.exact)], &at.text)
    }

    /// `<ul attrs…>` with what `item` writes for each of `items` (its
    /// `<li>`), as one inert element; `per_item` bytes of room for each.
    pub fn list<T>(attrs: &[(&str, &str)], items: &[T], per_item: usize, item: impl Fn(&mut Html, &T)) -> InertElement {
        let mut h = Html::with_capacity(100 + items.len() * per_item);
        h.open("ul", attrs);
        for i in items {
            item(&mut h, i);
        }
        h.close("ul");
        h.into_view()
    }

    /// The markup as one element (it must be exactly one, with its children).
    pub fn into_view(self) -> InertElement {
        InertElement::new(self.0)
    }

    /// The markup written so far.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Rendered to HTML, which needs the server half of the view layer.
#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::components::when::When;
    use leptos::prelude::*;

    fn stamp(text: &str) -> Stamp {
        Stamp {
            iso: "2026-12-08T02:54:26Z".into(),
            text: text.into(),
            local: "2026-12-08 02:54".into(),
            exact: "2026-12-08 02:54 \"UTC\" & <more>".into(),
        }
    }

    /// `view!`'s markup without its hydration markers (`<!>`), which an
    /// inert element does not need: nothing in it is hydrated.
    fn by_view<V: IntoView>(v: impl FnOnce() -> V) -> String {
        Owner::new().with(|| v().to_html()).replace("<!>", "")
    }

    #[test]
    fn markup_and_escaping_are_the_views_own() {
        let hostile = r#"<script>alert("x")</script> & 'y'"#;
        let at = stamp("just now <b>");
        let mut h = Html::with_capacity(64);
        h.open("li", &[("class", hostile)]).element("strong", &[], hostile).text(" · ").time(&at).close("li");
        let (at2, hostile2) = (at.clone(), hostile.to_owned());
        let view = by_view(move || {
            view! { <li class=hostile2.clone()><strong>{hostile2.clone()}</strong>" · "<When at=at2/></li> }
        });
        assert_eq!(h.as_str(), view);
        assert!(!h.as_str().contains("<script>") && !h.as_str().contains("<b>"), "{}", h.as_str());
        assert!(h.as_str().contains("&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'y'"), "{}", h.as_str());
        assert!(h.as_str().contains("class=\"&lt;script&gt;alert(&quot;x&quot;)"), "{}", h.as_str());
    }

    #[test]
    fn an_inert_element_renders_its_string_as_it_is() {
        let mut h = Html::with_capacity(16);
        h.element("p", &[("class", "muted")], "a < b");
        let html = Owner::new().with(|| h.into_view().to_html());
        assert_eq!(html, r#"<p class="muted">a &lt; b</p>"#);
    }
}
