//! Warden's rules: accounts, passwords, sessions, sign-in throttling, security
//! events and their storage. No web framework lives here; time and randomness
//! come in as parameters so every rule is testable without sleeping.
#![deny(clippy::unwrap_used)]

pub mod account;
pub mod clock;
pub mod cookie;
pub mod error;
pub mod events;
pub mod mail;
pub mod notices;
pub mod password;
pub mod password_change;
pub mod password_policy;
pub mod random;
pub mod recovery;
pub mod secret;
pub mod secret_box;
pub mod session;
pub mod store;
pub mod throttle;
pub mod time_fmt;
pub mod two_factor;
pub mod totp;
pub mod user_agent;
pub mod warden;

pub use error::{Error, Result};
pub use secret::Secret;
pub use warden::{Config, Warden};
