//! Turns a `User-Agent` header into what Login Security shows: browser and
//! version, operating system, device type. Parsing uses the maintained
//! `woothee` parser. A session stores the labels parsed when it started, with
//! [`PARSER_VERSION`], and its raw header: bump the version when the labels
//! change, and sessions labelled by an older parser are parsed again on read.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceType {
    Desktop,
    Mobile,
    Tablet,
    Other,
}

/// Bumped whenever [`parse`] would label a header differently (a new
/// `woothee`, a new rule here), so stored labels of older sessions are
/// recomputed instead of shown stale.
pub const PARSER_VERSION: i64 = 1;

impl DeviceType {
    /// How it is stored.
    pub fn code(self) -> &'static str {
        match self {
            DeviceType::Desktop => "desktop",
            DeviceType::Mobile => "mobile",
            DeviceType::Tablet => "tablet",
            DeviceType::Other => "other",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        [DeviceType::Desktop, DeviceType::Mobile, DeviceType::Tablet, DeviceType::Other].into_iter().find(|d| d.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            DeviceType::Desktop => "Desktop",
            DeviceType::Mobile => "Mobile",
            DeviceType::Tablet => "Tablet",
            DeviceType::Other => "Other device",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub browser: String,
    pub os: String,
    pub device: DeviceType,
}

const UNKNOWN: &str = "UNKNOWN";

/// What woothee reports as an HTTP library's "version": fixed names, not text from the request.
const HTTP_LIBRARIES: [&str; 7] = ["Java", "wget", "perl", "ruby", "python", "php", "curl"];

pub fn parse(ua: &str) -> Device {
    let parsed = woothee::parser::Parser::new().parse(ua);
    let (mut browser, mut os, category) = match &parsed {
        Some(r) => {
            let browser = match (r.name, r.version) {
                (UNKNOWN, _) => String::new(),
                (name, UNKNOWN) | (name, "") => name.to_owned(),
                // woothee names the library in the version's place, from its own short list.
                ("HTTP Library", library) if HTTP_LIBRARIES.contains(&library) => library.to_owned(),
                (name, version) => match major_minor(version) {
                    v if v.is_empty() => name.to_owned(),
                    v => format!("{name} {v}"),
                },
            };
            let os = match (r.os, r.os_version.as_ref()) {
                (UNKNOWN, _) => String::new(),
                (os, UNKNOWN) | (os, "") => os.to_owned(),
                // "Windows 10" already names the release; "NT 10.0" only adds noise.
                (os, v) if os.contains(v) || os.starts_with("Windows") => os.to_owned(),
                (os, v) => format!("{os} {v}"),
            };
            (browser, os, r.category)
        }
        None => (String::new(), String::new(), UNKNOWN),
    };
    // Headless Chromium says so in its product token; woothee does not know it.
    if browser.is_empty() {
        if let Some(v) = token_version(ua, "HeadlessChrome/") {
            browser = match major_minor(v) {
                v if v.is_empty() => "Headless Chrome".to_owned(),
                v => format!("Headless Chrome {v}"),
            };
        }
    }
    if os.is_empty() && ua.contains("Linux") {
        os = "Linux".into();
    }
    if browser.is_empty() {
        browser = "Unknown browser".into();
    }
    if os.is_empty() {
        os = "Unknown OS".into();
    }
    Device { browser, os, device: device_type(ua, category) }
}

fn device_type(ua: &str, category: &str) -> DeviceType {
    // Tablets identify themselves by model (iPad) or, on Android, by leaving
    // out the "Mobile" token that phones carry (Google's own UA guidance).
    if ua.contains("iPad") || ua.contains("Tablet") || (ua.contains("Android") && !ua.contains("Mobile")) {
        return DeviceType::Tablet;
    }
    match category {
        "pc" => DeviceType::Desktop,
        "smartphone" | "mobilephone" => DeviceType::Mobile,
        _ if ua.contains("X11") || ua.contains("Windows NT") || ua.contains("Macintosh") => DeviceType::Desktop,
        _ => DeviceType::Other,
    }
}

fn token_version<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    let rest = &ua[start..];
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// "120.0.6099.109" → "120.0": enough to tell versions apart, less noise.
/// Only digits and dots are kept (a user agent is anyone's free text, and
/// it reaches the owner's pages and mails): "120abc" is "120", and a
/// version with no leading digit is none.
fn major_minor(v: &str) -> String {
    let digits: &str = &v[..v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len())];
    digits.split('.').filter(|p| !p.is_empty()).take(2).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_digits_and_dots_only() {
        assert_eq!(major_minor("120.0.6099.109"), "120.0");
        assert_eq!(major_minor("120abc.5"), "120");
        assert_eq!(major_minor("Click-here-https://evil.example"), "");
        assert_eq!(major_minor("1<script>"), "1");
        let d = parse("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/99.Call_+1-555-0100_now Safari/537.36");
        assert!(d.browser.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '.'), "{}", d.browser);
        assert!(!d.browser.contains("555"), "{}", d.browser);
    }

    #[test]
    fn device_types_round_trip_through_their_codes() {
        for d in [DeviceType::Desktop, DeviceType::Mobile, DeviceType::Tablet, DeviceType::Other] {
            assert_eq!(DeviceType::from_code(d.code()), Some(d));
        }
        assert_eq!(DeviceType::from_code("Desktop"), None);
    }

    #[test]
    fn desktop_chrome_on_windows() {
        let d = parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36");
        assert_eq!(d.browser, "Chrome 120.0");
        assert_eq!(d.os, "Windows 10");
        assert_eq!(d.device, DeviceType::Desktop);
    }

    #[test]
    fn firefox_on_linux() {
        let d = parse("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0");
        assert_eq!(d.browser, "Firefox 121.0");
        assert_eq!(d.os, "Linux");
        assert_eq!(d.device, DeviceType::Desktop);
    }

    #[test]
    fn safari_on_iphone_is_mobile() {
        let d = parse(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        );
        assert_eq!(d.device, DeviceType::Mobile);
        assert!(d.os.contains("iPhone") || d.os.contains("iOS"), "{}", d.os);
        assert!(d.browser.starts_with("Safari"), "{}", d.browser);
    }

    #[test]
    fn ipad_and_android_tablets_are_tablets() {
        let ipad =
            parse("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1");
        assert_eq!(ipad.device, DeviceType::Tablet);
        let tab = parse("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36");
        assert_eq!(tab.device, DeviceType::Tablet);
        let phone = parse("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36");
        assert_eq!(phone.device, DeviceType::Mobile);
    }

    #[test]
    fn garbage_is_labelled_unknown_not_rejected() {
        let d = parse("curl/8.4.0");
        assert_eq!(d.browser, "curl");
        assert_eq!(d.os, "Unknown OS");
        assert_eq!(d.device, DeviceType::Other);
        let e = parse("");
        assert_eq!(e.browser, "Unknown browser");
    }
}
