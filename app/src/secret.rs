//! A password as it travels in a server-function argument: serialised like a
//! plain string, but never printed (the generated argument struct derives
//! `Debug`).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password(s)
    }
}

#[cfg(feature = "ssr")]
impl From<Password> for domain::Secret {
    fn from(p: Password) -> Self {
        domain::Secret::new(p.0)
    }
}
