//! Step-up: proving again, in a signed-in session, that the person at the
//! keyboard is the account's owner, before a change of the step-up table
//! ([`crate::sensitive`]). The table says what each change needs; this
//! slice checks it against the account's factors and keeps the session's
//! short window ("Confirmed for 9 more minutes").
//!
//! - The password spends a unit of the account's one password-proof budget
//!   before it is hashed (`LimitKind::PasswordProof`: every form that asks
//!   a signed-in person for their password shares it), and a second factor
//!   a unit of the second-factor budget before it is checked. A right
//!   password never gives the second-factor budget back.
//! - A proof passed opens the window at what it proved: the password
//!   alone on an account with a second factor (enough for ending sessions),
//!   or every factor the account had (the password and a second factor, or
//!   the password where there is none). Within the window a row that the level covers is not asked
//!   again, except that creating an API token always takes the username and
//!   password, as the help article describes it.
//! - The window lives in the session's row: it ends with the session
//!   (sign-out, expiry, "Log out of all devices") and is never carried to
//!   another session.

use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta, SessionId};
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::{Backoff, Budget, LimitKey, LimitKind, OnSuccess};
use crate::second_factor::{self, TwoFactor, TwoFactorConfig};
use crate::sensitive::{self, Confirmed, Level, Operation};
use crate::sessions;
use crate::support::secret::Secret;

#[derive(Clone, Debug)]
pub struct StepUpConfig {
    /// How long a passed step-up spares the session from asking again.
    pub window_secs: i64,
    /// Wrong passwords typed by a signed-in person, per account, across
    /// every form that asks for one.
    pub password_backoff: Backoff,
}

impl Default for StepUpConfig {
    fn default() -> Self {
        StepUpConfig { window_secs: 10 * 60, password_backoff: Backoff { free_failures: 5, base_secs: 2, max_secs: 900, window_secs: 3600 } }
    }
}

/// What a person typed to prove it is them. Empty fields count as missing.
#[derive(Clone, Copy, Default)]
pub struct Proof<'a> {
    pub password: Option<&'a Secret>,
    /// Only the API token rows ask for it (creating one, and changing its
    /// networks: the help article's "login credentials").
    pub username: Option<&'a str>,
    /// An authenticator code, a recovery code, or a security key's answer
    /// (JSON) to the key check this session started.
    pub second_factor: Option<&'a str>,
}

impl std::fmt::Debug for Proof<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Proof(<hidden>)")
    }
}

/// What the pages show about the session's step-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepUpStatus {
    /// Until when this session is confirmed, and at which level.
    pub confirmed_until: Option<i64>,
    pub level: Option<Level>,
    /// Whether a full confirmation takes a second factor too.
    pub has_second_factor: bool,
    /// Whether a security key can be that factor.
    pub security_key: bool,
    /// Whether the authenticator app (or a recovery code) can.
    pub authenticator_app: bool,
    pub window_secs: i64,
}

impl StepUpStatus {
    /// Whether `op` would go ahead now without asking for anything.
    pub fn covers(&self, op: Operation) -> bool {
        !sensitive::rule(op).password_every_time && self.level.is_some_and(|l| l >= sensitive::level_needed(op, self.has_second_factor))
    }
}

fn password_needed(op: Option<Operation>) -> Error {
    let what = op.map_or("continue", Operation::label);
    Error::refused_field(ErrorCode::ConfirmationRequired, "password", format!("Confirm it's you: enter your password to {what}."))
}

fn second_factor_needed() -> Error {
    Error::refused_field(
        ErrorCode::WrongPasswordOrCode,
        "code",
        "Two-factor authentication is on: enter a code from your authenticator app or a recovery code too, or use your security key.",
    )
}

pub struct StepUp<'w> {
    deps: &'w Deps,
    cfg: &'w StepUpConfig,
    two_factor: &'w TwoFactorConfig,
}

impl<'w> StepUp<'w> {
    pub fn new(deps: &'w Deps, cfg: &'w StepUpConfig, two_factor: &'w TwoFactorConfig) -> Self {
        StepUp { deps, cfg, two_factor }
    }

    async fn window(&self, account: AccountId, session: &SessionId) -> Result<Option<(i64, Level)>> {
        let (until, level) = sessions::step_up_window(self.deps.pool(), account, session).await?;
        let now = self.deps.now();
        Ok(until.filter(|u| *u > now).zip(Level::from_stored(level)))
    }

    pub async fn status(&self, actor: &Actor) -> Result<StepUpStatus> {
        let (account, session) = actor.browser_session()?;
        let methods = second_factor::methods(self.deps.pool(), account).await?;
        let window = self.window(account, session).await?;
        Ok(StepUpStatus {
            confirmed_until: window.map(|(u, _)| u),
            level: window.map(|(_, l)| l),
            has_second_factor: methods.any(),
            security_key: methods.security_keys > 0,
            authenticator_app: methods.authenticator_app_since.is_some() || methods.recovery_codes_left > 0,
            window_secs: self.cfg.window_secs,
        })
    }

    /// "Confirm it's you", on its own: the password opens the window for
    /// what takes the password alone (ending sessions); with a second factor
    /// too (or on an account without one), for every change. Returns until
    /// when.
    pub async fn confirm(&self, actor: &Actor, proof: &Proof<'_>, meta: &ClientMeta) -> Result<i64> {
        let (account, session) = actor.browser_session()?;
        let has_second = second_factor::has_second_factor(self.deps.pool(), account).await?;
        let password = proof.password.filter(|p| !p.expose().is_empty()).ok_or_else(|| password_needed(None))?;
        let second = proof.second_factor.map(str::trim).filter(|c| has_second && !c.is_empty());
        self.check_password(account, password, None, None, meta).await?;
        let level = match second {
            Some(given) => {
                self.factors().verify_any(account, session, given, meta).await?;
                Level::AllFactors
            }
            None if !has_second => Level::AllFactors,
            None => Level::Password,
        };
        self.open(account, session, level).await
    }

    /// The gate of every change in the step-up table: `Ok` with the proof
    /// the change takes when this session's window covers `op`, or when
    /// `proof` holds what the table asks of this account (the window then
    /// opens, or grows to what was proved). Refused otherwise, with what is
    /// missing: `confirmation_required` (the password), `wrong_password_or_code`
    /// (a second factor), or the wrong answer's own refusal.
    pub async fn require(&self, actor: &Actor, op: Operation, proof: &Proof<'_>, meta: &ClientMeta) -> Result<Confirmed> {
        let (account, session) = actor.browser_session()?;
        let rule = sensitive::rule(op);
        let has_second = second_factor::has_second_factor(self.deps.pool(), account).await?;
        let need = sensitive::level_needed(op, has_second);
        let window = self.window(account, session).await?.map(|(_, level)| level);
        let covered = window.is_some_and(|l| l >= need);
        let password = proof.password.filter(|p| !p.expose().is_empty());
        let second = proof.second_factor.map(str::trim).filter(|c| has_second && !c.is_empty());
        // The window stands in for what is not given; what is given is
        // always checked (a wrong password never passes for a right one).
        if covered && !rule.password_every_time && password.is_none() && second.is_none() {
            return Ok(Confirmed::new(account, op));
        }
        let password = password.ok_or_else(|| password_needed(Some(op)))?;
        if need == Level::AllFactors && !covered && second.is_none() {
            return Err(second_factor_needed());
        }
        let username = if rule.password_every_time { Some(proof.username.unwrap_or_default()) } else { None };
        self.check_password(account, password, username, Some(op), meta).await?;
        let proved = match second {
            Some(given) => {
                self.factors().verify_any(account, session, given, meta).await?;
                Level::AllFactors
            }
            None if !has_second => Level::AllFactors,
            None => window.unwrap_or(Level::Password),
        };
        self.open(account, session, proved).await?;
        Ok(Confirmed::new(account, op))
    }

    fn factors(&self) -> TwoFactor<'w> {
        TwoFactor::new(self.deps, self.two_factor)
    }

    async fn open(&self, account: AccountId, session: &SessionId, level: Level) -> Result<i64> {
        let now = self.deps.now();
        let until = now + self.cfg.window_secs;
        if !sessions::open_step_up(self.deps.pool(), account, session, until, level.stored(), now).await? {
            return Err(Error::not_signed_in());
        }
        Ok(until)
    }

    /// The password (and, for a new API token, the username), after a unit
    /// of the account's password-proof budget is spent. A wrong one is
    /// recorded as the operation's own refusal.
    async fn check_password(
        &self,
        account: AccountId,
        password: &Secret,
        username: Option<&str>,
        op: Option<Operation>,
        meta: &ClientMeta,
    ) -> Result<()> {
        let budget = Budget::new(LimitKey::account(LimitKind::PasswordProof, account), self.cfg.password_backoff, OnSuccess::Clear);
        let attempt = self.deps.limiter.attempt(vec![budget], self.deps.now()).await?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let password_ok = self.deps.hasher.verify(password, Some(&owner.password_hash)).await?;
        let username_ok = username.is_none_or(|u| u.trim().to_lowercase() == owner.username);
        if password_ok && username_ok {
            attempt.passed().await;
            return Ok(());
        }
        let (event, refusal) = match op {
            Some(Operation::CreateApiToken) => (Event::new(EventKind::ApiTokenCreateRefused), Error::invalid_credentials()),
            // The username is asked too: one answer for either being wrong.
            Some(op @ (Operation::LimitApiTokenNetworks | Operation::RegenerateApiToken)) => (
                Event::with_detail(EventKind::StepUpFailed, format!("wrong username or password when trying to {}", op.label())),
                Error::invalid_credentials(),
            ),
            Some(Operation::SetPin | Operation::ChangePin | Operation::RemovePin) => {
                (Event::with_detail(EventKind::PinFailed, "wrong password on the Protection page"), wrong_password())
            }
            Some(op @ (Operation::EndSession | Operation::EndAllSessions)) => {
                (Event::with_detail(EventKind::StepUpFailed, format!("wrong password when trying to {}", op.label())), wrong_password())
            }
            Some(op) => (Event::with_detail(EventKind::TwoFactorFailed, format!("wrong password when trying to {}", op.label())), wrong_password()),
            None => (Event::new(EventKind::StepUpFailed), wrong_password()),
        };
        events::record(self.deps.pool(), Some(account), &event, meta, self.deps.now()).await?;
        Err(refusal)
    }
}

fn wrong_password() -> Error {
    Error::refused_field(ErrorCode::WrongCurrentPassword, "password", "Your current password is not right. Nothing was changed.")
}
