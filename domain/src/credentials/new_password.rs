//! A new password that the policy accepted. Only [`NewPassword::parse`]
//! makes one and [`super::hasher::Hasher::hash_password`] takes nothing
//! else, so sign-up, change and reset can neither skip the policy nor run
//! it twice.

use super::policy::{self, PolicyContext};
use crate::error::{Error, ErrorCode, Result};
use crate::support::secret::Secret;

/// Who chooses the password, owned: the policy runs on the blocking pool.
#[derive(Clone, Debug, Default)]
pub struct Chooser {
    pub username: String,
    pub email: String,
    /// When changing a password: the one in use now, which may not be reused.
    pub current_password: Option<Secret>,
}

pub struct NewPassword(Secret);

/// The policy's CPU work (the breach list, zxcvbn) runs at most this many
/// at once, one per core: a flood of strength checks waits its turn on the
/// blocking pool instead of taking every core from argon2 and the pages.
fn policy_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Runs `f` on the blocking pool within the policy's slots.
async fn in_slot<T: Send + 'static>(what: &'static str, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _slot = policy_slots().acquire().await.map_err(|_| Error::internal("password policy slots closed"))?;
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::internal(format!("{what}: {e}")))
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<hidden>)")
    }
}

impl NewPassword {
    /// Typed the same twice, and accepted by the policy. The list lookup and
    /// the strength estimate take milliseconds of CPU: they run on the
    /// blocking pool, not on the threads that serve requests.
    pub async fn parse(new: &Secret, confirm: &Secret, who: &Chooser) -> Result<NewPassword> {
        if new.expose() != confirm.expose() {
            return Err(Error::refused(ErrorCode::PasswordMismatch, "The password and its confirmation do not match."));
        }
        let (p, who) = (new.clone(), who.clone());
        in_slot("password policy", move || {
            let ctx =
                PolicyContext { username: &who.username, email: &who.email, current_password: who.current_password.as_ref().map(Secret::expose) };
            policy::check(&p, &ctx).map(|()| NewPassword(p))
        })
        .await?
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.0
    }
}

/// The meter's reading for `candidate`, on the blocking pool.
pub async fn strength(candidate: &Secret, who: &Chooser) -> Result<policy::Strength> {
    let (p, who) = (candidate.clone(), who.clone());
    in_slot("password strength", move || policy::strength(&p, &PolicyContext { username: &who.username, email: &who.email, current_password: None }))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> Chooser {
        Chooser { username: "ann".into(), email: "ann@example.com".into(), current_password: Some(Secret::new("old horse battery")) }
    }

    #[tokio::test]
    async fn a_mismatch_is_refused_before_the_policy_runs() {
        let r = NewPassword::parse(&Secret::new("lantern orbit meadow 42"), &Secret::new("lantern orbit meadow 43"), &ann()).await;
        assert_eq!(r.map_err(|e| e.code()).err(), Some(ErrorCode::PasswordMismatch));
    }

    #[tokio::test]
    async fn the_current_password_cannot_come_back_as_the_new_one() {
        let old = Secret::new("old horse battery");
        let r = NewPassword::parse(&old, &old, &ann()).await;
        assert_eq!(r.map_err(|e| e.code()).err(), Some(ErrorCode::PasswordReused));
        let ok = NewPassword::parse(&Secret::new("lantern orbit meadow 42"), &Secret::new("lantern orbit meadow 42"), &ann()).await;
        assert!(ok.is_ok());
        assert_eq!(format!("{:?}", ok.ok()), "Some(NewPassword(<hidden>))");
    }
}
