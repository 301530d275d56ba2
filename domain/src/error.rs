//! The one error type of the domain. Its `Display` is what a person may be
//! shown; internals (database errors) stay behind a generic message and are
//! logged where they are caught.

use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Error)]
pub enum Error {
    /// Every sign-in failure looks the same, so nobody learns which accounts exist.
    #[error("Invalid username or password.")]
    InvalidCredentials,
    #[error("Too many attempts. Try again in {0} seconds.")]
    Throttled(i64),
    #[error("The server is busy. Please try again in a moment.")]
    Busy,
    #[error("You need to sign in first.")]
    NotSignedIn,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(format!("database: {e}"))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Internal(format!("migration: {e}"))
    }
}
