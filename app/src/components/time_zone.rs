//! The browser's own time zone, as JavaScript's `Intl` knows it.

/// The browser's IANA zone (`Europe/Berlin`); `None` on the server.
pub fn browser_time_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|v| v.as_string()).filter(|z| !z.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}
