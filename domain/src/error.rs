//! The one error type of the domain. A refusal carries a stable
//! [`ErrorCode`] and a message a person may be shown; internals (database
//! errors) keep their source for the log and show a generic message.

pub use proto::ErrorCode;
use std::borrow::Cow;
use thiserror::Error;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, Error)]
pub enum Error {
    /// The request is refused for a reason the person can act on.
    #[error("{message}")]
    /// `field` names the input the refusal is about, when there is one
    /// (`name`, `campaign_id`, `Idempotency-Key`).
    Refused { code: ErrorCode, message: Cow<'static, str>, field: Option<&'static str> },
    #[error("Too many attempts. Try again in {0} seconds.")]
    Throttled(i64),
    #[error("Something went wrong on our side. Please try again.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn refused(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Refused { code, message: message.into(), field: None }
    }
    /// Input refused (`invalid_input`, 422), naming the field it is about.
    pub fn invalid(field: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::refused_field(ErrorCode::InvalidInput, field, message)
    }
    /// A refusal with its own code that is about one field (a name taken).
    pub fn refused_field(code: ErrorCode, field: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Refused { code, message: message.into(), field: Some(field) }
    }
    /// Every sign-in failure looks the same, so nobody learns which accounts exist.
    pub fn invalid_credentials() -> Self {
        Error::refused(ErrorCode::InvalidCredentials, "Invalid username or password.")
    }
    pub fn not_signed_in() -> Self {
        Error::refused(ErrorCode::NotSignedIn, "You need to sign in first.")
    }
    pub fn busy() -> Self {
        Error::refused(ErrorCode::Busy, "The server is busy. Please try again in a moment.")
    }
    /// A guard that must fail closed could not be consulted.
    pub fn unavailable() -> Self {
        Error::refused(ErrorCode::Unavailable, "This is unavailable for a moment. Try again shortly.")
    }
    pub fn internal(what: impl Into<String>) -> Self {
        Error::Internal(what.into().into())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Refused { code, .. } => *code,
            Error::Throttled(_) => ErrorCode::Throttled,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The input field a refusal names, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Refused { field, .. } => *field,
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Error::Throttled(secs) => Some(*secs),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(Box::new(e))
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Internal(Box::new(e))
    }
}

/// What either door sends. Internal errors are logged here, once, with their
/// source; the client sees only the generic message.
impl From<Error> for proto::ApiError {
    fn from(e: Error) -> Self {
        if let Error::Internal(source) = &e {
            tracing::error!(error = %source, "internal error");
        }
        proto::ApiError { code: e.code(), message: e.to_string(), retry_after: e.retry_after(), field: e.field().map(str::to_owned) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_show_a_generic_message_and_keep_their_source() {
        let e = Error::internal("database: connection refused");
        assert_eq!(e.to_string(), "Something went wrong on our side. Please try again.");
        assert_eq!(std::error::Error::source(&e).map(|s| s.to_string()).as_deref(), Some("database: connection refused"));
        let wire = proto::ApiError::from(e);
        assert_eq!((wire.code, wire.message.contains("database")), (ErrorCode::Internal, false));
    }

    #[test]
    fn a_refusal_about_a_field_names_it_on_the_wire() {
        let wire = proto::ApiError::from(Error::invalid("tracking_number", "That is not a phone number."));
        assert_eq!((wire.code, wire.field.as_deref()), (ErrorCode::InvalidInput, Some("tracking_number")));
        assert_eq!(proto::ApiError::from(Error::not_signed_in()).field, None);
    }

    #[test]
    fn throttling_says_how_long_to_wait() {
        let wire = proto::ApiError::from(Error::Throttled(12));
        assert_eq!((wire.code, wire.retry_after), (ErrorCode::Throttled, Some(12)));
        assert_eq!(wire.message, "Too many attempts. Try again in 12 seconds.");
    }
}
