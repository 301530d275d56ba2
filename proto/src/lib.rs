//! Warden's wire types, shared by the browser bundle and the server: the one
//! error contract ([`ApiError`], [`ErrorCode`]) and the views the pages show.
//! The server-function door and the REST door serialise these same types, so
//! nothing is mirrored by hand.
#![deny(clippy::unwrap_used)]

pub mod error;
pub mod secret;
pub mod views;

pub use error::{ApiError, ErrorCode};
pub use secret::Password;
