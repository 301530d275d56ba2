//! Who is asking. Each request resolves its credential once, at its door,
//! into one [`Actor`]; every domain operation takes `&Actor` and says in its
//! first line what it needs (`actor.browser_session()?`, `actor.account()?`).
//! A sign-in waiting for its second factor is its own variant, so it cannot
//! be mistaken for a signed-in session anywhere.

use crate::support::zone::Zone;
use crate::{Error, ErrorCode, Result, Secret};
use std::fmt;

/// An account's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(i64);

impl AccountId {
    pub fn new(id: i64) -> Self {
        AccountId(id)
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An API token's database id: what the list shows and delete takes. It
/// opens nothing by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ApiTokenId(i64);

impl ApiTokenId {
    pub fn new(id: i64) -> Self {
        ApiTokenId(id)
    }
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ApiTokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a token may do. Any token may read every report (see DESIGN.md:
/// the PIN guards the dashboard, never the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

impl Access {
    /// As stored and sent: `read`, `read_write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::ReadWrite => "read_write",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read" => Some(Access::Read),
            "read_write" => Some(Access::ReadWrite),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Access::Read => "Read only",
            Access::ReadWrite => "Read and write",
        }
    }
}

/// Who a bearer token speaks for: what the API tokens slice's `authenticate` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bearer {
    pub account: AccountId,
    pub token: ApiTokenId,
    pub access: Access,
    /// May list and end the account's browser sessions.
    pub sessions_scope: bool,
    /// For log lines: the token's prefix, never the token.
    pub prefix: String,
}

impl Bearer {
    /// For what changes something: a read-only token is refused with
    /// `insufficient_scope` (403).
    pub fn require_write(&self) -> Result<()> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::Read => Err(Error::refused(ErrorCode::InsufficientScope, "This API token is read only: create a read and write token for this.")),
        }
    }

    /// For the account's browser sessions: only a token made with the
    /// `sessions` scope; any other is refused with `insufficient_scope` (403).
    pub fn require_sessions(&self) -> Result<()> {
        match self.sessions_scope {
            true => Ok(()),
            false => Err(Error::refused(
                ErrorCode::InsufficientScope,
                "This API token cannot see or end browser sessions: create a token with the sessions scope for this.",
            )),
        }
    }
}

/// A session's public id (128 random bits in hex): shown on Login Security
/// and used to end it; it opens nothing by itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    pub fn new(id: impl Into<String>) -> Self {
        SessionId(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The bearer secret in the session cookie. Only its SHA-256 is stored.
#[derive(Clone)]
pub struct SessionToken(Secret);

impl SessionToken {
    /// What a cookie carried; `None` when it cannot be a token of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        (!raw.is_empty() && raw.len() <= 128).then(|| SessionToken(Secret::new(raw)))
    }
    pub(crate) fn generate() -> Self {
        SessionToken(Secret::new(crate::support::random::token()))
    }
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
    pub(crate) fn hash(&self) -> String {
        crate::support::random::token_hash(self.0.expose())
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<hidden>)")
    }
}

/// Where a request came from, as the server determined it.
#[derive(Clone, Debug)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
    /// The name its owner gave the browser session making the request
    /// ("Work laptop"), said in the mails a change sends.
    pub session_name: Option<String>,
}

/// The caller of a domain operation.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A browser session that passed every factor.
    /// `name`: the name its owner gave the session, if any.
    Session { account: AccountId, session: SessionId, username: String, zone: Zone, name: Option<String> },
    /// The password was right, the second factor not given yet: this opens
    /// the two-factor step and nothing else.
    PendingSecondFactor { account: AccountId, session: SessionId },
    /// A REST request with a bearer API token (resolved by the REST door):
    /// it reads its account, and writes only when its access allows. It is
    /// no session: no second step, no PIN, nothing browser-only.
    ApiToken(Bearer),
}

impl Actor {
    /// A full browser session: for what only makes sense in one (ending
    /// sessions, changing the password, which rotates this session's token).
    pub fn browser_session(&self) -> Result<(AccountId, &SessionId)> {
        match self {
            Actor::Session { account, session, .. } => Ok((*account, session)),
            Actor::PendingSecondFactor { .. } => Err(Error::not_signed_in()),
            Actor::ApiToken(_) => Err(browser_only()),
        }
    }

    /// The account of any fully authenticated caller, to read it.
    pub fn account(&self) -> Result<AccountId> {
        match self {
            Actor::Session { account, .. } => Ok(*account),
            Actor::ApiToken(bearer) => Ok(bearer.account),
            Actor::PendingSecondFactor { .. } => Err(Error::not_signed_in()),
        }
    }

    /// The account of a caller that may change its data: a full session, or
    /// a read-and-write token (a read-only one is `insufficient_scope`, 403).
    pub fn account_to_write(&self) -> Result<AccountId> {
        match self {
            Actor::ApiToken(bearer) => bearer.require_write().map(|()| bearer.account),
            _ => self.account(),
        }
    }

    /// A sign-in waiting for its second factor.
    pub fn pending_second_factor(&self) -> Result<(AccountId, &SessionId)> {
        match self {
            Actor::PendingSecondFactor { account, session } => Ok((*account, session)),
            Actor::Session { .. } => Err(Error::refused(ErrorCode::NoSecondStepNeeded, "This sign-in needs no second step.")),
            Actor::ApiToken(_) => Err(Error::not_signed_in()),
        }
    }

    /// The browser session behind this actor, full or pending: what signing
    /// out or signing in again ends. `None` for an API token.
    pub fn any_browser_session(&self) -> Option<(AccountId, &SessionId)> {
        match self {
            Actor::Session { account, session, .. } | Actor::PendingSecondFactor { account, session } => Some((*account, session)),
            Actor::ApiToken(_) => None,
        }
    }

    /// The clock the caller reads times on: the account's zone for a
    /// browser session, UTC for anything else.
    pub fn zone(&self) -> Zone {
        match self {
            Actor::Session { zone, .. } => zone.clone(),
            Actor::PendingSecondFactor { .. } | Actor::ApiToken(_) => Zone::utc(),
        }
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            Actor::Session { username, .. } => Some(username),
            Actor::PendingSecondFactor { .. } | Actor::ApiToken(_) => None,
        }
    }
}

fn browser_only() -> Error {
    Error::refused(ErrorCode::Forbidden, "This can only be done from a signed-in browser, not with an API token.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_sign_in_reaches_no_account_operation() {
        let pending = Actor::PendingSecondFactor { account: AccountId::new(1), session: SessionId::new("s") };
        assert_eq!(pending.account().map_err(|e| e.code()).err(), Some(crate::ErrorCode::NotSignedIn));
        assert!(pending.browser_session().is_err());
        assert!(pending.pending_second_factor().is_ok());
        let full = Actor::Session { account: AccountId::new(1), session: SessionId::new("s"), username: "ann".into(), zone: Zone::utc(), name: None };
        assert!(full.pending_second_factor().is_err());
        assert_eq!(full.account().ok(), Some(AccountId::new(1)));
    }

    #[test]
    fn an_api_token_reads_its_account_writes_only_with_write_access_and_is_no_session() {
        let token = |access| {
            Actor::ApiToken(Bearer {
                account: AccountId::new(3),
                token: ApiTokenId::new(9),
                access,
                sessions_scope: false,
                prefix: "abcdefgh".into(),
            })
        };
        let read = token(Access::Read);
        assert_eq!(read.account().ok(), Some(AccountId::new(3)));
        assert_eq!(read.account_to_write().map_err(|e| e.code()).err(), Some(ErrorCode::InsufficientScope));
        assert_eq!(token(Access::ReadWrite).account_to_write().ok(), Some(AccountId::new(3)));
        assert_eq!(read.browser_session().map_err(|e| e.code()).err(), Some(ErrorCode::Forbidden));
        assert!(read.pending_second_factor().is_err());
        assert!(read.any_browser_session().is_none());
        let pending = Actor::PendingSecondFactor { account: AccountId::new(1), session: SessionId::new("s") };
        assert_eq!(pending.account_to_write().map_err(|e| e.code()).err(), Some(ErrorCode::NotSignedIn));
    }

    #[test]
    fn tokens_never_reach_debug_output() {
        let t = SessionToken::parse("abcdefsecret").expect("token");
        assert_eq!(format!("{t:?}"), "SessionToken(<hidden>)");
        assert!(SessionToken::parse("").is_none());
        assert!(SessionToken::parse(&"a".repeat(129)).is_none());
    }
}
