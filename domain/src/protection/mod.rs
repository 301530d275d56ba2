//! Protection: a PIN that guards the reports of earlier days (issue 9, work
//! in progress: the policy exists; storage, unlocking and the gate do not yet).

pub mod pin;
