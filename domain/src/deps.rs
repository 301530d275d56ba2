//! What every slice reaches the world through: the store, the clock, the
//! password hasher, the limiter, the sealing box and the mail outbox. Built
//! once by [`crate::Warden::new`]; slices borrow it.

use crate::actor::AccountId;
use crate::credentials::hasher::Hasher;
use crate::error::Result;
use crate::limits::Limiter;
use crate::outbox::Outbox;
use crate::support::clock::Clock;
use crate::support::db::Store;
use crate::support::secret_box::SecretBox;
use crate::support::zone::Zone;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The kernel's one question about an account, asked inside a change: the
/// time zone of `email` if it is the account's verified address (a notice
/// goes to no other). The accounts slice answers it; the façade plugs the
/// answer in, so the kernel imports no slice.
pub type VerifiedAddressZone =
    for<'c> fn(&'c mut sqlx::AnyConnection, AccountId, &'c str) -> Pin<Box<dyn Future<Output = Result<Option<Zone>>> + Send + 'c>>;

/// The kernel's one hand-off of a recorded event, inside its change: the
/// webhooks slice queues a delivery to each of the account's endpoints
/// that chose the event's type, in the same transaction. The event comes
/// as its code and detail (so this port names no module that names it);
/// the façade plugs the webhooks slice in, so the kernel imports no slice.
pub type Announce = for<'c> fn(
    &'c mut sqlx::AnyConnection,
    AccountId,
    &'static str,
    &'c str,
    &'c crate::actor::ClientMeta,
    i64,
) -> Pin<Box<dyn Future<Output = Result<()>> + Send + 'c>>;

pub struct Deps {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub hasher: Hasher,
    pub limiter: Limiter,
    pub secret_box: SecretBox,
    pub outbox: Outbox,
    /// Claims the once-a-minute last-active and last-used writes, so a
    /// burst sends one per instance.
    pub touches: crate::support::debounce::Debounce,
    /// Where people reach Warden (`https://host`, no trailing slash), for
    /// links in mail. From configuration, never from a request's `Host`.
    pub public_url: String,
    /// When a session has lapsed: every path that ends sessions needs it.
    pub session_lapse: crate::lifetimes::Lapse,
    /// See [`VerifiedAddressZone`].
    pub verified_address_zone: VerifiedAddressZone,
    /// See [`Announce`].
    pub announce: Announce,
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
