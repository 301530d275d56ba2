//! A new token's way to the page that shows it once when JavaScript is off.
//!
//! With JavaScript the token travels in the answer to the form's fetch and
//! lives only in the page's memory. A plain form post is answered with a
//! redirect, so the token must wait somewhere for the page that follows; not
//! in the URL, not in a cookie, never in the database: here, in this
//! process's memory, under the session that made it, for two minutes, and
//! taken (removed) by the first page that shows it, so a reload shows only
//! the prefix. Behind a load balancer without sticky sessions the page may
//! land on another instance, which holds nothing: the new token is then
//! listed (by its prefix) but never shown, and must be deleted and made
//! again. With JavaScript on, none of this applies.

use super::Created;
use crate::actor::SessionId;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long a token waits for its page, in seconds.
pub const HOLD_SECS: i64 = 120;

#[derive(Default)]
pub struct Handover {
    held: Mutex<HashMap<String, (Created, i64)>>,
}

impl std::fmt::Debug for Handover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handover(<hidden>)")
    }
}

impl Handover {
    /// Holds `created` for the next page of `session` (replacing one not yet shown).
    pub fn hold(&self, session: &SessionId, created: Created, now: i64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|_, (_, until)| *until > now);
        held.insert(session.as_str().to_owned(), (created, now + HOLD_SECS));
    }

    /// The token held for `session`, once.
    pub fn take(&self, session: &SessionId, now: i64) -> Option<Created> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(session.as_str()).filter(|(_, until)| *until > now).map(|(c, _)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_tokens::{Access, ApiToken, ApiTokenId};

    fn created() -> Created {
        Created {
            id: ApiTokenId::new(1),
            name: "CI".into(),
            prefix: "abcdefgh".into(),
            access: Access::Read,
            created_at: 0,
            expires_at: None,
            token: ApiToken::generate(),
        }
    }

    #[test]
    fn a_held_token_is_shown_once_to_its_own_session_within_two_minutes() {
        let h = Handover::default();
        let (mine, other) = (SessionId::new("s1"), SessionId::new("s2"));
        h.hold(&mine, created(), 1_000);
        assert!(h.take(&other, 1_001).is_none(), "another session gets nothing");
        assert!(h.take(&mine, 1_001).is_some());
        assert!(h.take(&mine, 1_002).is_none(), "a reload shows it no more");
        h.hold(&mine, created(), 1_000);
        assert!(h.take(&mine, 1_000 + HOLD_SECS).is_none(), "too late");
        assert_eq!(format!("{h:?}"), "Handover(<hidden>)");
    }
}
