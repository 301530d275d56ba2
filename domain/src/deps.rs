//! What every slice reaches the world through: the store, the clock, the
//! password hasher, the limiter, the sealing box and the mail outbox. Built
//! once by [`crate::Warden::new`]; slices borrow it.

use crate::api_tokens::usage::Meter;
use crate::credentials::hasher::Hasher;
use crate::limits::Limiter;
use crate::outbox::Outbox;
use crate::support::clock::Clock;
use crate::support::db::Store;
use crate::support::secret_box::SecretBox;
use std::sync::Arc;

pub struct Deps {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub hasher: Hasher,
    pub limiter: Limiter,
    pub secret_box: SecretBox,
    pub outbox: Outbox,
    /// API token requests counted in this process, not yet in the store.
    pub meter: Meter,
    /// Claims the once-a-minute last-active and last-used writes, so a
    /// burst sends one per instance.
    pub touches: crate::support::debounce::Debounce,
    /// Where people reach Warden (`https://host`, no trailing slash), for
    /// links in mail. From configuration, never from a request's `Host`.
    pub public_url: String,
    /// When a session has lapsed: every path that ends sessions needs it.
    pub session_lapse: crate::sessions::Lapse,
}

impl Deps {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Unix milliseconds from the same clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.store.pool
    }
}
