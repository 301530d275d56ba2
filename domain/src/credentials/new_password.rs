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
        tokio::task::spawn_blocking(move || {
            let ctx =
                PolicyContext { username: &who.username, email: &who.email, current_password: who.current_password.as_ref().map(Secret::expose) };
            policy::check(&p, &ctx).map(|()| NewPassword(p))
        })
        .await
        .map_err(|e| Error::internal(format!("password policy: {e}")))?
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.0
    }
}

/// The meter's reading for `candidate`, on the blocking pool.
pub async fn strength(candidate: &Secret, who: &Chooser) -> Result<policy::Strength> {
    let (p, who) = (candidate.clone(), who.clone());
    tokio::task::spawn_blocking(move || policy::strength(&p, &PolicyContext { username: &who.username, email: &who.email, current_password: None }))
        .await
        .map_err(|e| Error::internal(format!("password strength: {e}")))
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
