//! A string that must never be printed: passwords and session tokens.

use std::fmt;

#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The only way to the value; grep for it when auditing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<hidden>)")
    }
}

/// A password as it arrived over the wire.
impl From<proto::Password> for Secret {
    fn from(p: proto::Password) -> Self {
        Secret(p.into_inner())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn debug_output_never_shows_the_value() {
        let s = Secret::new("hunter2-correct-horse");
        assert_eq!(format!("{s:?}"), "Secret(<hidden>)");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
