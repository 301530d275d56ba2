//! Percent-encoding for the URLs we build (query values, `next`, data: links).

/// Keeps RFC 3986 unreserved characters and `/`; encodes every other byte.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_everything_but_unreserved_and_slash() {
        assert_eq!(super::encode("/a b?c=d&e"), "/a%20b%3Fc%3Dd%26e");
        assert_eq!(super::encode("ä"), "%C3%A4");
    }
}
