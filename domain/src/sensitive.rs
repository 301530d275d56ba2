//! The step-up table: what a person must prove, in a session that is
//! already signed in, before each sensitive change (ASVS 5.0 V7.5: re-
//! authentication before changing authentication factors or ending
//! sessions). Like the gate table of the pages, it is one table; every such
//! operation asks [`rule`] and nothing else decides.
//!
//! The proof comes from the account's own factors: its password, and when
//! the account has any second factor (the authenticator app, a security key
//! or passkey) one of them too (an app code, a key's answer, or a recovery
//! code). A success opens a short window in that session ("sudo mode", as
//! GitHub calls it), so a person making several changes is asked once; it
//! ends with the session, and with sign-out.
//!
//! [`Confirmed`] is the proof that the step-up passed for one operation: an
//! operation in this table takes one, and only the step-up slice makes them
//! (`crate::step_up::StepUp::require`).

use crate::actor::AccountId;

/// Every change that takes a fresh proof of who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    AddSecurityKey,
    RemoveSecurityKey,
    EnrolAuthenticatorApp,
    DisableAuthenticatorApp,
    RegenerateRecoveryCodes,
    SetPin,
    ChangePin,
    RemovePin,
    CreateApiToken,
    /// Changing the networks an API token may be used from.
    LimitApiTokenNetworks,
    /// A new secret for an API token (the old one may overlap it).
    RegenerateApiToken,
    EndSession,
    EndAllSessions,
    /// Turning new-sign-in alerts off (turning them on asks nothing).
    TurnOffSignInAlerts,
    /// Adding a webhook, or rotating its secret.
    ManageWebhooks,
}

impl Operation {
    /// Every row of the table, in the order docs/security.md lists them.
    pub const ALL: [Operation; 15] = [
        Operation::AddSecurityKey,
        Operation::RemoveSecurityKey,
        Operation::EnrolAuthenticatorApp,
        Operation::DisableAuthenticatorApp,
        Operation::RegenerateRecoveryCodes,
        Operation::SetPin,
        Operation::ChangePin,
        Operation::RemovePin,
        Operation::CreateApiToken,
        Operation::LimitApiTokenNetworks,
        Operation::RegenerateApiToken,
        Operation::EndSession,
        Operation::EndAllSessions,
        Operation::TurnOffSignInAlerts,
        Operation::ManageWebhooks,
    ];

    /// What the person is doing, for event details ("wrong password when
    /// confirming: set the PIN").
    pub fn label(self) -> &'static str {
        match self {
            Operation::AddSecurityKey => "add a security key",
            Operation::RemoveSecurityKey => "remove a security key",
            Operation::EnrolAuthenticatorApp => "turn on the authenticator app",
            Operation::DisableAuthenticatorApp => "turn off the authenticator app",
            Operation::RegenerateRecoveryCodes => "make new recovery codes",
            Operation::SetPin => "set the PIN",
            Operation::ChangePin => "change the PIN",
            Operation::RemovePin => "remove the PIN",
            Operation::CreateApiToken => "create an API token",
            Operation::LimitApiTokenNetworks => "change where an API token may be used from",
            Operation::RegenerateApiToken => "regenerate an API token",
            Operation::EndSession => "end a session",
            Operation::EndAllSessions => "log out of all devices",
            Operation::TurnOffSignInAlerts => "turn off new-sign-in alerts",
            Operation::ManageWebhooks => "add a webhook or rotate its secret",
        }
    }
}

/// How much proof a row asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Factors {
    /// One factor: the password (ending sessions; ASVS 7.5.2).
    One,
    /// The password and, when the account has a second factor, one of them.
    All,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub factors: Factors,
    /// The password is typed every time, window or not: creating an API
    /// token, as the help article describes it ("confirm your authorization
    /// by entering your login credentials"). The window still stands in for
    /// the second factor.
    pub password_every_time: bool,
}

/// The table.
pub const fn rule(op: Operation) -> Rule {
    use Operation::*;
    match op {
        AddSecurityKey
        | RemoveSecurityKey
        | EnrolAuthenticatorApp
        | DisableAuthenticatorApp
        | RegenerateRecoveryCodes
        | SetPin
        | ChangePin
        | RemovePin
        // Silencing the alerts is what a thief would do first.
        | TurnOffSignInAlerts
        // A webhook hears of every chosen event: a new one is a new listener.
        | ManageWebhooks => Rule { factors: Factors::All, password_every_time: false },
        // Loosening a token's networks opens it to more of the world, and a
        // regenerated secret is a new credential: the same proof as making one.
        CreateApiToken | LimitApiTokenNetworks | RegenerateApiToken => Rule { factors: Factors::All, password_every_time: true },
        EndSession | EndAllSessions => Rule { factors: Factors::One, password_every_time: false },
    }
}

/// What was proved: the password alone on an account that has a second
/// factor, or every factor the account had at that moment (the password
/// and a second factor, or the password where there is no second factor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Password = 1,
    AllFactors = 2,
}

impl Level {
    pub fn from_stored(n: i64) -> Option<Level> {
        match n {
            1 => Some(Level::Password),
            2 => Some(Level::AllFactors),
            _ => None,
        }
    }
    pub fn stored(self) -> i64 {
        self as i64
    }
}

/// The level `op` needs on an account that has (or has not) a second factor.
pub fn level_needed(op: Operation, has_second_factor: bool) -> Level {
    match (rule(op).factors, has_second_factor) {
        (Factors::All, true) => Level::AllFactors,
        _ => Level::Password,
    }
}

/// The step-up passed for `op` on `account`, in the request at hand: what
/// an operation of the table takes to go ahead.
#[derive(Debug)]
pub struct Confirmed {
    account: AccountId,
    op: Operation,
}

impl Confirmed {
    /// Only the step-up slice calls this, after the proof passed.
    pub(crate) fn new(account: AccountId, op: Operation) -> Self {
        Confirmed { account, op }
    }

    /// `Ok` when this proof is for `op` on `account`; a proof made for
    /// another operation or account is refused as if none was given.
    pub fn covers(&self, account: AccountId, op: Operation) -> crate::Result<()> {
        if self.account == account && self.op == op {
            Ok(())
        } else {
            Err(crate::Error::internal(format!("a step-up for {:?} was used for {op:?}", self.op)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_of_factors_and_the_pin_take_every_factor_and_ending_sessions_one() {
        for op in Operation::ALL {
            let want = match op {
                Operation::EndSession | Operation::EndAllSessions => Level::Password,
                _ => Level::AllFactors,
            };
            assert_eq!(level_needed(op, true), want, "{op:?}");
            assert_eq!(level_needed(op, false), Level::Password, "{op:?}: without a second factor the password is all there is");
        }
        assert!(rule(Operation::CreateApiToken).password_every_time);
        assert_eq!(rule(Operation::LimitApiTokenNetworks), rule(Operation::CreateApiToken), "a token's networks take what making one takes");
        assert_eq!(Operation::ALL.iter().filter(|op| rule(**op).password_every_time).count(), 3);
    }

    #[test]
    fn a_proof_covers_only_its_operation_and_account() {
        let c = Confirmed::new(AccountId::new(1), Operation::SetPin);
        assert!(c.covers(AccountId::new(1), Operation::SetPin).is_ok());
        assert!(c.covers(AccountId::new(1), Operation::RemovePin).is_err());
        assert!(c.covers(AccountId::new(2), Operation::SetPin).is_err());
        assert_eq!(Level::from_stored(Level::AllFactors.stored()), Some(Level::AllFactors));
        assert_eq!(Level::from_stored(0), None);
    }
}
