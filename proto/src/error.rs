//! The one error contract. Every refusal has a stable machine code
//! (`snake_case`, never renamed once shipped) and a message a person can
//! read; [`ErrorCode::status`] is the only place a code becomes an HTTP
//! status, for the server-function door and the REST door alike.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`ErrorCode`] from one table: each code's variant, its name on
/// the wire and its HTTP status, written once. The enum, its serde names,
/// [`ErrorCode::as_str`], [`ErrorCode::status`] and [`ErrorCode::ALL`] are
/// all made from it, so none can drift from another.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal => $status:literal,)*) => {
        /// What went wrong, for programs. The message says it for people.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $wire)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The HTTP status for this code: the only such mapping in Warden.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// The code as it appears on the wire (`"password_in_breach_list"`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                }
            }
        }
    };
}

// Codes are `snake_case` and never renamed once shipped.
error_codes! {
    // 400: the request itself is malformed
    BadRequest = "bad_request" => 400,
    // 405, 413, 415: the REST API's refusals of a request's shape
    MethodNotAllowed = "method_not_allowed" => 405,
    PayloadTooLarge = "payload_too_large" => 413,
    UnsupportedMediaType = "unsupported_media_type" => 415,
    // 401: who is asking is not established
    InvalidCredentials = "invalid_credentials" => 401,
    NotSignedIn = "not_signed_in" => 401,
    /// A bearer token that is malformed, unknown, deleted or expired.
    InvalidToken = "invalid_token" => 401,
    // 403
    CrossSiteRefused = "cross_site_refused" => 403,
    Forbidden = "forbidden" => 403,
    /// Earlier days' reports need this session unlocked with the PIN.
    PinRequired = "pin_required" => 403,
    /// The API token's access does not reach this (a read-only token writing).
    InsufficientScope = "insufficient_scope" => 403,
    /// A sensitive change needs the person to confirm it is them first
    /// (their password, and a second factor when the account has one).
    ConfirmationRequired = "confirmation_required" => 403,
    /// The API token is limited to networks this request did not come from.
    NetworkNotAllowed = "network_not_allowed" => 403,
    // 404
    NotFound = "not_found" => 404,
    // 409: the state of things says no
    UsernameTaken = "username_taken" => 409,
    EmailTaken = "email_taken" => 409,
    TwoFactorAlreadyOn = "two_factor_already_on" => 409,
    PinAlreadySet = "pin_already_set" => 409,
    PinNotSet = "pin_not_set" => 409,
    TokenNameTaken = "token_name_taken" => 409,
    TokenLimitReached = "token_limit_reached" => 409,
    /// The account holds the most calls it may store.
    CallLimitReached = "call_limit_reached" => 409,
    /// Another campaign of the account has this name (ignoring case).
    CampaignNameTaken = "campaign_name_taken" => 409,
    /// The first request with this `Idempotency-Key` has not finished yet.
    IdempotencyKeyInProgress = "idempotency_key_in_progress" => 409,
    /// This security key is registered already (to this or another account).
    KeyAlreadyRegistered = "key_already_registered" => 409,
    /// The account has as many webhooks as it may.
    WebhookLimitReached = "webhook_limit_reached" => 409,
    // 422: the input is refused, and the message says why
    InvalidInput = "invalid_input" => 422,
    InvalidUsername = "invalid_username" => 422,
    InvalidEmail = "invalid_email" => 422,
    PasswordTooShort = "password_too_short" => 422,
    PasswordTooLong = "password_too_long" => 422,
    PasswordMismatch = "password_mismatch" => 422,
    PasswordReused = "password_reused" => 422,
    PasswordContainsUsername = "password_contains_username" => 422,
    PasswordContainsEmail = "password_contains_email" => 422,
    PasswordContainsServiceName = "password_contains_service_name" => 422,
    PasswordInBreachList = "password_in_breach_list" => 422,
    PasswordTooWeak = "password_too_weak" => 422,
    WrongCurrentPassword = "wrong_current_password" => 422,
    WrongCode = "wrong_code" => 422,
    WrongPasswordOrCode = "wrong_password_or_code" => 422,
    EnrolmentNotStarted = "enrolment_not_started" => 422,
    TwoFactorNotOn = "two_factor_not_on" => 422,
    NoSecondStepNeeded = "no_second_step_needed" => 422,
    CannotEndCurrentSession = "cannot_end_current_session" => 422,
    ResetLinkInvalid = "reset_link_invalid" => 422,
    VerifyLinkInvalid = "verify_link_invalid" => 422,
    /// A "This wasn't me" link that is unknown or past its 7 days.
    AlertLinkInvalid = "alert_link_invalid" => 422,
    /// A session name that is too long or holds control characters.
    InvalidSessionName = "invalid_session_name" => 422,
    /// A webhook address that is not https, names a refused address, or cannot be read.
    InvalidWebhookUrl = "invalid_webhook_url" => 422,
    InvalidPin = "invalid_pin" => 422,
    WrongPin = "wrong_pin" => 422,
    InvalidTokenName = "invalid_token_name" => 422,
    /// This `Idempotency-Key` was used with a different request.
    IdempotencyKeyReused = "idempotency_key_reused" => 422,
    /// A security key's answer was refused (wrong origin, another or a used
    /// challenge, a bad signature, a counter that went backwards).
    KeyNotAccepted = "key_not_accepted" => 422,
    /// Touching the key took too long, or was never asked for: start again.
    KeyChallengeExpired = "key_challenge_expired" => 422,
    InvalidKeyName = "invalid_key_name" => 422,
    /// A passwordless sign-in answered by a credential that is not a
    /// passkey of any account here (unknown, or a plain security key).
    PasskeyNotRecognised = "passkey_not_recognised" => 422,
    // 429
    Throttled = "throttled" => 429,
    // 503: try again shortly
    Busy = "busy" => 503,
    Unavailable = "unavailable" => 503,
    // 500
    Internal = "internal" => 500,
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
    fn every_code_round_trips_through_its_wire_name() {
        let mut names = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let wire = code.as_str();
            assert!(names.insert(wire), "{wire} is used twice");
            assert!(wire.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{wire}");
            assert_eq!(serde_json::to_string(&code).ok(), Some(format!("\"{wire}\"")));
            assert_eq!(serde_json::from_str::<ErrorCode>(&format!("\"{wire}\"")).ok(), Some(code));
            assert!((400..600).contains(&code.status()), "{wire}");
        }
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
