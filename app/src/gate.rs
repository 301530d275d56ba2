//! Who may see what: the one gate table beside the route tree (`lib.rs`),
//! and the paths code links or redirects to. The server's session layer
//! holds every page to [`gate`]; every server function names its own gate.

/// Paths that code links or redirects to.
pub mod paths {
    pub const HOME: &str = "/";
    pub const SIGN_IN: &str = "/signin";
    pub const SECOND_STEP: &str = "/signin/2fa";
    pub const SIGN_UP: &str = "/signup";
    pub const ACCOUNT: &str = "/account";
    pub const SESSIONS: &str = "/account/security/sessions";
    pub const LOG_OUT_ALL: &str = "/account/security/sessions/log-out-all";
    /// The account's security-event webhooks (a page of Login Security's own).
    pub const WEBHOOKS: &str = "/account/security/sessions/webhooks";
    pub const PASSWORD: &str = "/account/security/password";
    pub const TWO_FACTOR: &str = "/account/security/2fa";
    pub const PROTECTION: &str = "/account/security/protection";
    pub const API_TOKENS: &str = "/account/security/api-tokens";
    /// The REST API's reference page and its OpenAPI document (served by the server).
    pub const API_DOCS: &str = "/api/v1/docs";
    pub const API_OPENAPI: &str = "/api/v1/openapi.json";
    pub const TIME_ZONE: &str = "/account/time-zone";
    pub const REPORTS: &str = "/reports";
    /// The calls of a report range as CSV (served by the server, not a page).
    pub const REPORTS_EXPORT: &str = "/reports/export.csv";
    pub const FORGOT_PASSWORD: &str = "/password/forgot";
    pub const RESET_PASSWORD: &str = "/password/reset";
    pub const VERIFY_EMAIL: &str = "/email/verify";
    /// Where a "This wasn't me" link lands (public: it asks for nothing).
    pub const NOT_ME: &str = "/wasnt-me";
}

/// What a page (or a server function) needs from the person asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Anyone.
    Public,
    /// Only someone not signed in (a signed-in person goes to their account).
    GuestOnly,
    /// Only a sign-in waiting for its second factor.
    SecondStep,
    /// A fully signed-in session.
    SignedIn,
}

/// The one table of which page needs what; the server's session layer
/// enforces it before a page renders. Server functions name their own gate.
pub fn gate(path: &str) -> Gate {
    let path = path.trim_end_matches('/');
    match path {
        paths::SIGN_IN | paths::SIGN_UP => Gate::GuestOnly,
        paths::SECOND_STEP => Gate::SecondStep,
        _ if path == paths::ACCOUNT || path.starts_with("/account/") => Gate::SignedIn,
        _ if path == paths::REPORTS || path.starts_with("/reports/") => Gate::SignedIn,
        _ => Gate::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_account_page_needs_a_session_and_nothing_else_does() {
        for p in [
            paths::ACCOUNT,
            paths::SESSIONS,
            paths::LOG_OUT_ALL,
            paths::WEBHOOKS,
            paths::PASSWORD,
            paths::TWO_FACTOR,
            paths::PROTECTION,
            paths::API_TOKENS,
            paths::TIME_ZONE,
            paths::REPORTS,
            paths::REPORTS_EXPORT,
            "/account/",
            "/reports/",
        ] {
            assert_eq!(gate(p), Gate::SignedIn, "{p}");
        }
        assert_eq!(gate(paths::SIGN_IN), Gate::GuestOnly);
        assert_eq!(gate(paths::SIGN_UP), Gate::GuestOnly);
        assert_eq!(gate(paths::SECOND_STEP), Gate::SecondStep);
        for p in [paths::HOME, paths::FORGOT_PASSWORD, paths::RESET_PASSWORD, paths::VERIFY_EMAIL, paths::NOT_ME, "/accounts", "/favicon.svg"] {
            assert_eq!(gate(p), Gate::Public, "{p}");
        }
    }
}
