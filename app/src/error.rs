//! The error a page receives from a server function: a plain message for a
//! person, nothing internal. Typed, so pages can react to `NotSignedIn`.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum AppError {
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
    Internal,
    /// The request itself was malformed or could not be delivered.
    #[error("The request could not be completed: {0}")]
    Request(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::Request("some fields were missing or of the wrong type.".into())
            }
            ServerFnErrorErr::Request(_) => AppError::Request("the server could not be reached.".into()),
            other => AppError::Request(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<domain::Error> for AppError {
    fn from(e: domain::Error) -> Self {
        use domain::Error as E;
        match e {
            E::InvalidCredentials => AppError::InvalidCredentials,
            E::Throttled(s) => AppError::Throttled(s),
            E::Busy => AppError::Busy,
            E::NotSignedIn => AppError::NotSignedIn,
            E::Invalid(m) => AppError::Invalid(m),
            E::Conflict(m) => AppError::Conflict(m),
            E::NotFound(m) => AppError::NotFound(m),
            E::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                AppError::Internal
            }
        }
    }
}
