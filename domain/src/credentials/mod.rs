//! Passwords as secrets: the policy a new one must pass, the [`NewPassword`]
//! only the policy produces, and the argon2id hasher. No storage here: the
//! flows that use them live in `accounts`, `sign_in` and `passwords`.

pub mod hasher;
pub mod new_password;
pub mod policy;

pub use hasher::Hasher;
pub use new_password::{Chooser, NewPassword};
