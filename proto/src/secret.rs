//! A password as it travels in a request: serialised like a plain string,
//! but never printed (argument structs derive `Debug`).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
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

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_password() {
        let p = super::Password::from("hunter2-horse".to_owned());
        assert_eq!(format!("{p:?}"), "Password(<hidden>)");
    }
}
