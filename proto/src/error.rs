//! The one error contract. Every refusal has a stable machine code
//! (`snake_case`, never renamed once shipped) and a message a person can
//! read; [`ErrorCode::status`] is the only place a code becomes an HTTP
//! status, for the server-function door and the REST door alike.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong, for programs. The message says it for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400: the request itself is malformed
    BadRequest,
    // 405, 413, 415: the REST API's refusals of a request's shape
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    // 401: who is asking is not established
    InvalidCredentials,
    NotSignedIn,
    /// A bearer token that is malformed, unknown, deleted or expired.
    InvalidToken,
    // 403
    CrossSiteRefused,
    Forbidden,
    /// Earlier days' reports need this session unlocked with the PIN.
    PinRequired,
    /// The API token's access does not reach this (a read-only token writing).
    InsufficientScope,
    /// A sensitive change needs the person to confirm it is them first
    /// (their password, and a second factor when the account has one).
    ConfirmationRequired,
    // 404
    NotFound,
    // 409: the state of things says no
    UsernameTaken,
    EmailTaken,
    TwoFactorAlreadyOn,
    PinAlreadySet,
    PinNotSet,
    TokenNameTaken,
    TokenLimitReached,
    /// The account holds the most calls it may store.
    CallLimitReached,
    /// Another campaign of the account has this name (ignoring case).
    CampaignNameTaken,
    /// The first request with this `Idempotency-Key` has not finished yet.
    IdempotencyKeyInProgress,
    /// This security key is registered already (to this or another account).
    KeyAlreadyRegistered,
    // 422: the input is refused, and the message says why
    InvalidInput,
    InvalidUsername,
    InvalidEmail,
    PasswordTooShort,
    PasswordTooLong,
    PasswordMismatch,
    PasswordReused,
    PasswordContainsUsername,
    PasswordContainsEmail,
    PasswordContainsServiceName,
    PasswordInBreachList,
    PasswordTooWeak,
    WrongCurrentPassword,
    WrongCode,
    WrongPasswordOrCode,
    EnrolmentNotStarted,
    TwoFactorNotOn,
    NoSecondStepNeeded,
    CannotEndCurrentSession,
    ResetLinkInvalid,
    VerifyLinkInvalid,
    InvalidPin,
    WrongPin,
    InvalidTokenName,
    /// This `Idempotency-Key` was used with a different request.
    IdempotencyKeyReused,
    /// A security key's answer was refused (wrong origin, another or a used
    /// challenge, a bad signature, a counter that went backwards).
    KeyNotAccepted,
    /// Touching the key took too long, or was never asked for: start again.
    KeyChallengeExpired,
    InvalidKeyName,
    /// A passwordless sign-in answered by a credential that is not a
    /// passkey of any account here (unknown, or a plain security key).
    PasskeyNotRecognised,
    // 429
    Throttled,
    // 503: try again shortly
    Busy,
    Unavailable,
    // 500
    Internal,
}

impl ErrorCode {
    /// The HTTP status for this code: the only such mapping in Warden.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            BadRequest => 400,
            MethodNotAllowed => 405,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            InvalidCredentials | NotSignedIn | InvalidToken => 401,
            CrossSiteRefused | Forbidden | PinRequired | InsufficientScope | ConfirmationRequired => 403,
            NotFound => 404,
            UsernameTaken
            | EmailTaken
            | TwoFactorAlreadyOn
            | PinAlreadySet
            | PinNotSet
            | TokenNameTaken
            | TokenLimitReached
            | CallLimitReached
            | CampaignNameTaken
            | IdempotencyKeyInProgress
            | KeyAlreadyRegistered => 409,
            InvalidInput
            | InvalidUsername
            | InvalidEmail
            | PasswordTooShort
            | PasswordTooLong
            | PasswordMismatch
            | PasswordReused
            | PasswordContainsUsername
            | PasswordContainsEmail
            | PasswordContainsServiceName
            | PasswordInBreachList
            | PasswordTooWeak
            | WrongCurrentPassword
            | WrongCode
            | WrongPasswordOrCode
            | EnrolmentNotStarted
            | TwoFactorNotOn
            | NoSecondStepNeeded
            | CannotEndCurrentSession
            | ResetLinkInvalid
            | VerifyLinkInvalid
            | InvalidPin
            | WrongPin
            | InvalidTokenName
            | IdempotencyKeyReused
            | KeyNotAccepted
            | KeyChallengeExpired
            | InvalidKeyName
            | PasskeyNotRecognised => 422,
            Throttled => 429,
            Busy | Unavailable => 503,
            Internal => 500,
        }
    }

    /// The code as it appears on the wire (`"password_in_breach_list"`).
    pub fn as_str(self) -> &'static str {
        // Serde's renaming is the source of truth; this avoids allocating.
        use ErrorCode::*;
        match self {
            BadRequest => "bad_request",
            MethodNotAllowed => "method_not_allowed",
            PayloadTooLarge => "payload_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            InvalidCredentials => "invalid_credentials",
            NotSignedIn => "not_signed_in",
            CrossSiteRefused => "cross_site_refused",
            Forbidden => "forbidden",
            NotFound => "not_found",
            UsernameTaken => "username_taken",
            EmailTaken => "email_taken",
            TwoFactorAlreadyOn => "two_factor_already_on",
            InvalidInput => "invalid_input",
            InvalidUsername => "invalid_username",
            InvalidEmail => "invalid_email",
            PasswordTooShort => "password_too_short",
            PasswordTooLong => "password_too_long",
            PasswordMismatch => "password_mismatch",
            PasswordReused => "password_reused",
            PasswordContainsUsername => "password_contains_username",
            PasswordContainsEmail => "password_contains_email",
            PasswordContainsServiceName => "password_contains_service_name",
            PasswordInBreachList => "password_in_breach_list",
            PasswordTooWeak => "password_too_weak",
            WrongCurrentPassword => "wrong_current_password",
            WrongCode => "wrong_code",
            WrongPasswordOrCode => "wrong_password_or_code",
            EnrolmentNotStarted => "enrolment_not_started",
            TwoFactorNotOn => "two_factor_not_on",
            NoSecondStepNeeded => "no_second_step_needed",
            CannotEndCurrentSession => "cannot_end_current_session",
            ResetLinkInvalid => "reset_link_invalid",
            VerifyLinkInvalid => "verify_link_invalid",
            PinRequired => "pin_required",
            PinAlreadySet => "pin_already_set",
            PinNotSet => "pin_not_set",
            InvalidPin => "invalid_pin",
            WrongPin => "wrong_pin",
            InvalidToken => "invalid_token",
            InsufficientScope => "insufficient_scope",
            ConfirmationRequired => "confirmation_required",
            TokenNameTaken => "token_name_taken",
            TokenLimitReached => "token_limit_reached",
            CallLimitReached => "call_limit_reached",
            InvalidTokenName => "invalid_token_name",
            CampaignNameTaken => "campaign_name_taken",
            IdempotencyKeyInProgress => "idempotency_key_in_progress",
            IdempotencyKeyReused => "idempotency_key_reused",
            KeyAlreadyRegistered => "key_already_registered",
            KeyNotAccepted => "key_not_accepted",
            KeyChallengeExpired => "key_challenge_expired",
            InvalidKeyName => "invalid_key_name",
            PasskeyNotRecognised => "passkey_not_recognised",
            Throttled => "throttled",
            Busy => "busy",
            Unavailable => "unavailable",
            Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal as both doors send it: `{"code": "...", "message": "...",
/// "retry_after": 12}`. It never carries anything internal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait before trying again (with `throttled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
    /// The input field the refusal is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), retry_after: None, field: None }
    }
    pub fn not_signed_in() -> Self {
        ApiError::new(ErrorCode::NotSignedIn, "You need to sign in first.")
    }
    pub fn internal() -> Self {
        ApiError::new(ErrorCode::Internal, "Something went wrong on our side. Please try again.")
    }
    /// The request could not be read or could not be delivered.
    pub fn bad_request(what: &str) -> Self {
        ApiError::new(ErrorCode::BadRequest, format!("The request could not be completed: {what}"))
    }
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

#[cfg(feature = "server-fn")]
mod server_fn_error {
    use super::ApiError;
    use server_fn::codec::JsonEncoding;
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};

    impl FromServerFnError for ApiError {
        type Encoder = JsonEncoding;

        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            match value {
                ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::MissingArg(_) => {
                    ApiError::bad_request("some fields were missing or of the wrong type.")
                }
                ServerFnErrorErr::Request(_) => ApiError::bad_request("the server could not be reached."),
                other => ApiError::bad_request(&other.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_snake_case_names() {
        for code in [ErrorCode::PasswordInBreachList, ErrorCode::Throttled, ErrorCode::NotSignedIn, ErrorCode::CannotEndCurrentSession] {
            assert_eq!(serde_json::to_string(&code).ok(), Some(format!("\"{}\"", code.as_str())));
        }
        let e = ApiError { retry_after: Some(12), ..ApiError::new(ErrorCode::Throttled, "Too many attempts.") };
        let json = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(json["code"], "throttled");
        assert_eq!(json["retry_after"], 12);
        assert!(json.get("field").is_none());
    }

    #[test]
    fn every_refusal_class_has_its_status() {
        assert_eq!(ErrorCode::InvalidCredentials.status(), 401);
        assert_eq!(ErrorCode::NotFound.status(), 404);
        assert_eq!(ErrorCode::UsernameTaken.status(), 409);
        assert_eq!(ErrorCode::PasswordInBreachList.status(), 422);
        assert_eq!(ErrorCode::Throttled.status(), 429);
        assert_eq!(ErrorCode::Busy.status(), 503);
        assert_eq!(ErrorCode::Internal.status(), 500);
        assert_eq!(ErrorCode::MethodNotAllowed.status(), 405);
        assert_eq!(ErrorCode::PayloadTooLarge.status(), 413);
        assert_eq!(ErrorCode::UnsupportedMediaType.status(), 415);
        for code in [ErrorCode::MethodNotAllowed, ErrorCode::PayloadTooLarge, ErrorCode::UnsupportedMediaType] {
            assert_eq!(serde_json::to_string(&code).ok(), Some(format!("\"{}\"", code.as_str())));
        }
    }

    #[test]
    fn api_token_refusals_are_401_and_403_as_bearer_clients_expect() {
        // RFC 6750 §3.1: invalid_token → 401, insufficient_scope → 403.
        assert_eq!((ErrorCode::InvalidToken.status(), ErrorCode::InvalidToken.as_str()), (401, "invalid_token"));
        assert_eq!((ErrorCode::InsufficientScope.status(), ErrorCode::InsufficientScope.as_str()), (403, "insufficient_scope"));
        for code in [
            ErrorCode::InvalidToken,
            ErrorCode::InsufficientScope,
            ErrorCode::TokenNameTaken,
            ErrorCode::TokenLimitReached,
            ErrorCode::InvalidTokenName,
        ] {
            assert_eq!(serde_json::to_string(&code).ok(), Some(format!("\"{}\"", code.as_str())));
        }
    }

    #[test]
    fn campaign_and_idempotency_refusals_have_their_codes_and_statuses() {
        for (code, wire, status) in [
            (ErrorCode::CampaignNameTaken, "campaign_name_taken", 409),
            (ErrorCode::IdempotencyKeyInProgress, "idempotency_key_in_progress", 409),
            (ErrorCode::IdempotencyKeyReused, "idempotency_key_reused", 422),
        ] {
            assert_eq!((code.as_str(), code.status()), (wire, status));
            assert_eq!(serde_json::to_string(&code).ok(), Some(format!("\"{wire}\"")));
        }
    }
}
