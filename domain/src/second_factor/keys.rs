//! Security keys and passkeys (W3C WebAuthn Level 2, via `webauthn-rs`) as
//! a second factor beside the authenticator app (NIST SP 800-63B §5.1.7/§5.1.8
//! cryptographic authenticators; OWASP ASVS 5.0 V6.5 and V6.6).
//!
//! The relying party (its id and origin) comes from the configured public
//! URL, never from a request: an answer signed for any other origin or RP id
//! is refused by the verifier.
//!
//! Every ceremony is two steps. Starting one stores its state (the challenge
//! and what the verifier needs) in the database, bound to the session that
//! asked and to one purpose, for [`CHALLENGE_SECS`]; a new start replaces it.
//! Finishing takes it with one `DELETE … RETURNING`, so each challenge is
//! answered at most once, on any instance, and only by the session it was
//! given to.
//!
//! Adding a key takes the step-up of [`crate::sensitive`] (the password, and
//! the account's second factor when it has one: a session thief with the
//! password cannot plant a key of their own, nor remove the owner's);
//! removing one too. Each add and removal records an
//! event and mails the owner through [`Change`]. The first second factor of
//! an account (no authenticator app, no key yet) comes with ten recovery
//! codes, as turning on the authenticator app does: whoever loses the key
//! must still get in.
//!
//! A key may be added as a passkey: a discoverable (resident) credential
//! made with user verification, under the account's one WebAuthn user
//! handle (random, kept for all its passkeys). A passkey answers the second
//! step like any key, and also signs in on its own: the authenticator's
//! user verification (PIN or biometric) is the second factor of that
//! sign-in, so an answer without it is refused. A guest has no session, so
//! such a challenge is bound to the browser that asked by a random value in
//! a short-lived cookie, of which only the hash is stored.
//!
//! At sign-in a key answers the pending session's second step. The
//! signature counter must go forward (the verifier checks it against the
//! stored one, and the store writes it with a compare-and-set, so two uses
//! racing with one counter value cannot both pass); a counter that does not
//! is refused and recorded as a clone warning. Every answer spends a unit of
//! the same per-account budget as codes before it is checked; a verified
//! one gives it back.

use super::factors::{self, Guesses, TwoFactorConfig};
use super::keys_store as store;
use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta, SessionId};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{self, Event, EventKind};
use crate::limits::Attempt;
use crate::outbox::notices::Notice;
use crate::sensitive::{Confirmed, Operation};
use crate::support::random;
use crate::support::secret::Secret;
use base64::Engine as _;
use serde_json::Value;
use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder,
    WebauthnError,
};

/// How long a started ceremony can be finished: enough to find and touch a
/// key, short enough that a challenge is not worth stealing.
pub const CHALLENGE_SECS: i64 = 5 * 60;
/// Longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";
/// A key check for a change that asks for the second factor.
const CHECK: &str = "check";

/// A key as the settings page lists it.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub id: i64,
    pub name: String,
    pub added_at: i64,
    pub last_used_at: Option<i64>,
    pub passkey: bool,
}

/// A key added: and, when it was the account's first second factor, the
/// recovery codes made with it (the only time they exist in plain text).
pub struct Added {
    pub name: String,
    pub recovery_codes: Option<Vec<Secret>>,
    /// This session's new token, when the other sessions were signed out.
    pub renewed: Option<crate::sessions::NewSession>,
    pub other_sessions_ended: u64,
}

/// A passwordless sign-in started: the options for
/// `navigator.credentials.get()` (JSON), and the value of the cookie that
/// binds the challenge to this browser.
pub struct PasskeyChallenge {
    pub options: String,
    pub browser: Secret,
}

/// Challenges nobody answered in time.
pub async fn sweep(deps: &Deps) -> Result<u64> {
    store::delete_challenges_before(deps.pool(), deps.now()).await
}

/// The relying party of `public_url`: its host is the RP id, the URL itself
/// the only origin accepted. WebAuthn needs a domain name: an IP address
/// cannot be an RP id.
pub fn relying_party(public_url: &str, rp_name: &str) -> Result<Webauthn> {
    let unavailable = || {
        Error::refused(
            ErrorCode::Unavailable,
            "Security keys need Warden to be configured with a public address that names a host (WARDEN_PUBLIC_URL).",
        )
    };
    let origin = Url::parse(public_url).map_err(|_| unavailable())?;
    let rp_id = origin.domain().ok_or_else(unavailable)?.to_owned();
    WebauthnBuilder::new(&rp_id, &origin).and_then(|b| b.rp_name(rp_name).build()).map_err(|_| unavailable())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn json_error(_: serde_json::Error) -> Error {
    Error::internal("webauthn state (de)serialisation")
}

fn not_accepted() -> Error {
    Error::refused(ErrorCode::KeyNotAccepted, "Your security key's answer was not accepted. Try again, or use another key or a code.")
}

fn not_recognised() -> Error {
    Error::refused(
        ErrorCode::PasskeyNotRecognised,
        "This passkey is not one you can sign in with here. Sign in with your username and password; you can add a passkey on the Two-Factor Auth page.",
    )
}

fn json_value(v: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(json_error)
}

/// What is stored of a new key: its credential id (base64url), its
/// serialised form, and the counter it started with (mirrored for the
/// compare-and-set). Passkeys and security keys serialise alike (the
/// credential inside), so either reads back as the other.
fn stored_form(key: &impl serde::Serialize, id: &CredentialID) -> Result<(String, String, i64)> {
    let value = json_value(key)?;
    let counter = value["cred"]["counter"].as_i64().unwrap_or(0);
    Ok((b64(id.as_ref()), value.to_string(), counter))
}

fn expired() -> Error {
    Error::refused(ErrorCode::KeyChallengeExpired, "That took too long, or the request was already used. Start again and touch your key.")
}

/// A person's name for a key: trimmed, 1 to 64 characters, no control characters.
pub fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::refused_field(ErrorCode::InvalidKeyName, "name", "Name the key with 1 to 64 characters (\"YubiKey 5\", \"Phone\")."));
    }
    Ok(name.to_owned())
}

pub struct SecurityKeys<'w> {
    deps: &'w Deps,
    two_factor: &'w TwoFactorConfig,
}

impl<'w> SecurityKeys<'w> {
    pub fn new(deps: &'w Deps, two_factor: &'w TwoFactorConfig) -> Self {
        SecurityKeys { deps, two_factor }
    }

    fn rp(&self) -> Result<Webauthn> {
        relying_party(&self.deps.public_url, &self.two_factor.issuer)
    }

    /// Keys share the account's one second-factor budget with codes.
    fn factors(&self) -> Guesses<'w> {
        Guesses::new(self.deps, self.two_factor)
    }

    /// Refused while the account's second-factor budget must wait: no
    /// ceremony is started that could not be answered (this admits nothing;
    /// each answer takes its own unit, see [`Self::attempt`]).
    async fn not_waiting(&self, account: AccountId) -> Result<()> {
        match self.factors().waiting(account).await? {
            Some(w) => Err(Error::Throttled(w)),
            None => Ok(()),
        }
    }

    /// One answer's unit of the account's second-factor budget, spent
    /// before the answer is checked.
    async fn attempt(&self, account: AccountId) -> Result<Attempt> {
        self.factors().attempt(account).await
    }

    /// Records a refused answer or registration (an answer's unit is
    /// already spent).
    async fn failed(&self, account: AccountId, kind: EventKind, detail: &str, meta: &ClientMeta) -> Result<()> {
        self.factors().failed_event(account, meta, kind, detail).await
    }

    /// The account's keys, oldest first.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<KeyEntry>> {
        let (account, _) = actor.browser_session()?;
        Ok(store::keys(self.deps.pool(), account)
            .await?
            .into_iter()
            .map(|k| KeyEntry { id: k.id, name: k.name, added_at: k.created_at, last_used_at: k.last_used_at, passkey: k.passkey != 0 })
            .collect())
    }

    /// Whether Login Security invites the actor to add a passkey: the
    /// account has none, and its owner has not said "Don't ask again".
    pub async fn invite_to_passkey(&self, actor: &Actor) -> Result<bool> {
        let (account, _) = actor.browser_session()?;
        let db = self.deps.pool();
        if accounts::passkey_invite_dismissed(db, account).await? {
            return Ok(false);
        }
        let (_, passkeys) = store::count_kinds(db, account).await?;
        Ok(passkeys == 0)
    }

    /// "Don't ask again" to the passkey invitation, for good.
    pub async fn dismiss_passkey_invite(&self, actor: &Actor) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        accounts::dismiss_passkey_invite(self.deps.pool(), account, self.deps.now()).await
    }

    /// The account's WebAuthn user handle for passkeys, made with its first.
    async fn user_handle(&self, account: AccountId) -> Result<Uuid> {
        let fresh = Uuid::from_bytes(rand::random()).to_string();
        let handle = store::user_handle(self.deps.pool(), account, &fresh).await?;
        Uuid::parse_str(&handle).map_err(|_| Error::internal("stored webauthn user handle is not a UUID"))
    }

    /// Starts adding a key named `name`, once the step-up passed
    /// (`confirmed`); with `passkey`, as a passkey (a discoverable
    /// credential, user verification required). Returns the options for
    /// `navigator.credentials.create()` (webauthn-rs's
    /// `CreationChallengeResponse`, as JSON). The account's keys are
    /// excluded, so the same key is not added twice.
    pub async fn start_registration(&self, actor: &Actor, confirmed: &Confirmed, name: &str, passkey: bool) -> Result<String> {
        let (account, session) = actor.browser_session()?;
        confirmed.covers(account, Operation::AddSecurityKey)?;
        let name = parse_name(name)?;
        let rp = self.rp()?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut exclude = Vec::new();
        for c in store::credentials(self.deps.pool(), account).await? {
            let key: SecurityKey = serde_json::from_str(&c.credential).map_err(json_error)?;
            exclude.push(key.cred_id().clone());
        }
        let start_failed = |e: WebauthnError| Error::internal(format!("webauthn registration start: {e}"));
        let (options, state) = if passkey {
            // One handle for all the account's passkeys: an authenticator
            // keeps one resident credential per site and user handle.
            let handle = self.user_handle(account).await?;
            let (options, state) = rp.start_passkey_registration(handle, &owner.username, &owner.username, Some(exclude)).map_err(start_failed)?;
            // webauthn-rs makes passkeys discoverable only when the
            // authenticator likes; signing in without a password needs it.
            let mut options = json_value(&options)?;
            let selection = &mut options["publicKey"]["authenticatorSelection"];
            selection["residentKey"] = "required".into();
            selection["requireResidentKey"] = true.into();
            selection["userVerification"] = "required".into();
            (options, json_value(&state)?)
        } else {
            // A fresh handle per registration: these keys are not
            // discoverable, so nothing looks an account up by it, and it
            // tells a key nothing.
            let handle = Uuid::from_bytes(rand::random());
            let (options, state) =
                rp.start_securitykey_registration(handle, &owner.username, &owner.username, Some(exclude), None, None).map_err(start_failed)?;
            // webauthn-rs asks the key to guard the credential with user
            // verification (credProtect level 3). Chromium refuses that for
            // a credential that is not discoverable ("NotSupportedError:
            // Requested protection policy is inconsistent"), so nobody could
            // add a security key there; the extension is left out. The key
            // is the second factor after the password: a touch is its proof.
            let mut options = json_value(&options)?;
            if let Some(ext) = options["publicKey"]["extensions"].as_object_mut() {
                ext.remove("credentialProtectionPolicy");
                ext.remove("enforceCredentialProtectionPolicy");
            }
            (options, json_value(&state)?)
        };
        let now = self.deps.now();
        let state = state.to_string();
        let challenge =
            store::NewChallenge { purpose: REGISTER, account, state: &state, key_name: Some(&name), passkey, expires_at: now + CHALLENGE_SECS };
        store::put_challenge(self.deps.pool(), session, &challenge).await?;
        Ok(options.to_string())
    }

    /// Finishes adding the key this session started with the authenticator's
    /// answer (`PublicKeyCredential` from `navigator.credentials.create()`,
    /// as JSON). Records the event and mails the owner in one transaction;
    /// makes recovery codes when this is the account's first second factor.
    /// With `sign_out_others_too`, every other session of the account ends
    /// in the same transaction and this one carries on under a new token.
    pub async fn finish_registration(&self, actor: &Actor, credential: &str, sign_out_others_too: bool, meta: &ClientMeta) -> Result<Added> {
        let (account, session) = actor.browser_session()?;
        let rp = self.rp()?;
        let challenge = store::take_challenge(self.deps.pool(), session, REGISTER, self.deps.now()).await?;
        let Some(challenge) = challenge.filter(|c| c.account_id == account.get()) else {
            return Err(expired());
        };
        let name = challenge.key_name.clone().unwrap_or_default();
        let passkey = challenge.passkey != 0;
        let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(credential) else {
            self.failed(account, EventKind::SecurityKeyFailed, "adding a key: not a WebAuthn answer", meta).await?;
            return Err(not_accepted());
        };
        let verified = if passkey {
            let state: PasskeyRegistration = serde_json::from_str(&challenge.state).map_err(json_error)?;
            rp.finish_passkey_registration(&answer, &state).map(|k| stored_form(&k, k.cred_id()))
        } else {
            let state: SecurityKeyRegistration = serde_json::from_str(&challenge.state).map_err(json_error)?;
            rp.finish_securitykey_registration(&answer, &state).map(|k| stored_form(&k, k.cred_id()))
        };
        let (credential_id, stored, counter) = match verified {
            Ok(stored) => stored?,
            Err(e) => {
                tracing::info!(account = %account, error = %e, "security key registration refused");
                self.failed(account, EventKind::SecurityKeyFailed, &format!("adding \"{name}\": {}", refusal(&e)), meta).await?;
                return Err(not_accepted());
            }
        };
        // The browser says whether the authenticator kept the credential
        // (unsigned, so only believed when it says no): a passkey that is
        // not discoverable could never sign in on its own.
        if passkey && answer.extensions.cred_props.as_ref().and_then(|p| p.rk) == Some(false) {
            self.failed(account, EventKind::SecurityKeyFailed, &format!("adding \"{name}\" as a passkey: the authenticator did not keep it"), meta)
                .await?;
            return Err(Error::refused(
                ErrorCode::KeyNotAccepted,
                "This authenticator cannot keep a passkey. Add it as a security key instead, or use another authenticator.",
            ));
        }
        let transports = serde_json::to_string(&answer.response.transports.unwrap_or_default()).map_err(json_error)?;
        // The first second factor comes with recovery codes (hashed before
        // the transaction: argon2 is slow).
        let first = !factors::has_second_factor(self.deps.pool(), account).await?;
        let codes = if first { Some(factors::new_recovery_codes(self.deps).await?) } else { None };
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let row = store::NewCredential {
            account,
            credential_id: &credential_id,
            name: &name,
            credential: &stored,
            counter,
            transports: &transports,
            passkey,
            at,
        };
        if !store::insert(change.db(), &row).await? {
            return Err(Error::refused(ErrorCode::KeyAlreadyRegistered, "This security key is registered already."));
        }
        if let Some((_, stored)) = &codes {
            factors::store_recovery_codes(change.db(), account, stored, at).await?;
        }
        let (subject, what) = if passkey {
            (
                "A passkey was added to your Warden account",
                format!("A passkey named \"{name}\" was added to your Warden account; it can sign in without your password"),
            )
        } else {
            ("A security key was added to your Warden account", format!("A security key named \"{name}\" was added to your Warden account"))
        };
        let (renewed, ended) = factors::sign_out_others(&mut change, account, session, sign_out_others_too).await?;
        let notice = Notice { to: owner.email, subject, what: what.into() };
        let detail = with_signed_out(if passkey { format!("{name} (passkey)") } else { name.clone() }, ended);
        change.commit(Some(account), Event::with_detail(EventKind::SecurityKeyAdded, detail), Some(notice), meta).await?;
        Ok(Added { name, recovery_codes: codes.map(|(c, _)| c), renewed, other_sessions_ended: ended })
    }

    /// Removes the account's key `id`, once the step-up passed (the password
    /// and a second factor, which may be this very key). The last second
    /// factor gone, the recovery codes go too, as when the authenticator app
    /// is turned off. With `sign_out_others_too`, every other session ends;
    /// this one's new token is in the answer.
    pub async fn remove(
        &self,
        actor: &Actor,
        confirmed: &Confirmed,
        id: i64,
        sign_out_others_too: bool,
        meta: &ClientMeta,
    ) -> Result<factors::Applied<String>> {
        let (account, session) = actor.browser_session()?;
        confirmed.covers(account, Operation::RemoveSecurityKey)?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        let totp_on = factors::totp_enabled(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let Some((name, credential_id)) = store::delete(change.db(), account, id).await? else {
            return Err(Error::refused(ErrorCode::NotFound, "There is no such security key on your account."));
        };
        if !totp_on && store::count(change.db(), account).await? == 0 {
            factors::delete_recovery_codes(change.db(), account).await?;
        }
        let notice = Notice {
            to: owner.email,
            subject: "A security key was removed from your Warden account",
            what: format!("The security key named \"{name}\" was removed from your Warden account").into(),
        };
        let (renewed, ended) = factors::sign_out_others(&mut change, account, session, sign_out_others_too).await?;
        change.commit(Some(account), Event::with_detail(EventKind::SecurityKeyRemoved, with_signed_out(name, ended)), Some(notice), meta).await?;
        Ok(factors::Applied { value: credential_id, renewed, other_sessions_ended: ended })
    }

    /// The second sign-in step by key: the options for
    /// `navigator.credentials.get()` (webauthn-rs's `RequestChallengeResponse`,
    /// as JSON), allowing the account's keys, bound to this pending session.
    pub async fn start_sign_in(&self, actor: &Actor) -> Result<String> {
        let (account, session) = actor.pending_second_factor()?;
        self.start_assertion(account, session, SIGN_IN).await
    }

    /// A key check in a signed-in session, for a change that asks for the
    /// second factor (the PIN's settings, a new API token): the options for
    /// `navigator.credentials.get()`, allowing the account's keys, bound to
    /// this session and to that purpose (an answer to it does not sign
    /// anyone in, nor does a sign-in answer pass a check). The answer comes
    /// back in the change's `code` field, to the step-up's check of a second
    /// factor (`TwoFactor::verify_any`, then [`Self::verify_check`]).
    pub async fn start_check(&self, actor: &Actor) -> Result<String> {
        let (account, session) = actor.browser_session()?;
        self.start_assertion(account, session, CHECK).await
    }

    /// Checks the key's answer to the key check `session` started.
    pub(crate) async fn verify_check(&self, account: AccountId, session: &SessionId, credential: &str, meta: &ClientMeta) -> Result<()> {
        self.verify_assertion(account, session, CHECK, credential, meta).await.map(|_| ())
    }

    async fn start_assertion(&self, account: AccountId, session: &SessionId, purpose: &'static str) -> Result<String> {
        self.not_waiting(account).await?;
        let rp = self.rp()?;
        let rows = store::credentials(self.deps.pool(), account).await?;
        let mut keys = Vec::new();
        for c in &rows {
            keys.push(serde_json::from_str::<SecurityKey>(&c.credential).map_err(json_error)?);
        }
        if keys.is_empty() {
            return Err(Error::refused(ErrorCode::TwoFactorNotOn, "There is no security key on this account: use a code."));
        }
        let (options, state) = rp.start_securitykey_authentication(&keys).map_err(|e| Error::internal(format!("webauthn sign-in start: {e}")))?;
        let mut options = json_value(&options)?;
        // webauthn-rs hints "security key" (an external one); a passkey may
        // well live in the phone or the computer itself, so with one on the
        // account the browser is left to offer every kind. (User
        // verification is "preferred" here, so the browser asks for the PIN
        // or biometric a passkey is held to.)
        if rows.iter().any(|r| r.passkey != 0) {
            if let Some(o) = options["publicKey"].as_object_mut() {
                o.remove("hints");
            }
        }
        let state = serde_json::to_string(&state).map_err(json_error)?;
        let challenge =
            store::NewChallenge { purpose, account, state: &state, key_name: None, passkey: false, expires_at: self.deps.now() + CHALLENGE_SECS };
        store::put_challenge(self.deps.pool(), session, &challenge).await?;
        Ok(options.to_string())
    }

    /// Checks the key's answer to the challenge `session` was given and
    /// records the use; the key's name. The caller completes the sign-in.
    pub(crate) async fn verify_sign_in(&self, account: AccountId, session: &SessionId, credential: &str, meta: &ClientMeta) -> Result<String> {
        self.verify_assertion(account, session, SIGN_IN, credential, meta).await
    }

    async fn verify_assertion(&self, account: AccountId, session: &SessionId, purpose: &str, credential: &str, meta: &ClientMeta) -> Result<String> {
        let rp = self.rp()?;
        let attempt = self.attempt(account).await?;
        let challenge = store::take_challenge(self.deps.pool(), session, purpose, self.deps.now()).await?;
        let Some(challenge) = challenge.filter(|c| c.account_id == account.get()) else {
            self.failed(account, EventKind::SecurityKeyFailed, "no challenge to answer (used already, or expired)", meta).await?;
            return Err(expired());
        };
        let state: SecurityKeyAuthentication = serde_json::from_str(&challenge.state).map_err(json_error)?;
        let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(credential) else {
            self.failed(account, EventKind::SecurityKeyFailed, "not a WebAuthn answer", meta).await?;
            return Err(not_accepted());
        };
        let answered_id = b64(answer.get_credential_id());
        let rows = store::credentials(self.deps.pool(), account).await?;
        let row = rows.into_iter().find(|r| r.credential_id == answered_id);
        let key_name = row.as_ref().map(|r| r.name.clone()).unwrap_or_else(|| "an unknown key".into());
        let result = match rp.finish_securitykey_authentication(&answer, &state) {
            Ok(r) => r,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                self.failed(account, EventKind::SecurityKeyCloneWarning, &key_name, meta).await?;
                return Err(not_accepted());
            }
            Err(e) => {
                tracing::info!(account = %account, error = %e, "security key answer refused");
                self.failed(account, EventKind::SecurityKeyFailed, &format!("{key_name}: {}", refusal(&e)), meta).await?;
                return Err(not_accepted());
            }
        };
        // The verifier only accepts keys of the challenge, all this account's.
        let Some(row) = row else {
            self.failed(account, EventKind::SecurityKeyFailed, "a key not on this account", meta).await?;
            return Err(not_accepted());
        };
        let mut key: SecurityKey = serde_json::from_str(&row.credential).map_err(json_error)?;
        key.update_credential(&result);
        self.record_use(account, &row, &json_value(&key)?.to_string(), &result, meta).await?;
        attempt.passed().await;
        Ok(row.name)
    }

    /// Records a verified use of the key `row`: its new counter and stored
    /// form, written only if the counter went forward (a compare-and-set).
    async fn record_use(
        &self,
        account: AccountId,
        row: &store::CredentialRow,
        stored: &str,
        result: &AuthenticationResult,
        meta: &ClientMeta,
    ) -> Result<()> {
        let counter = i64::from(result.counter());
        if !store::record_use(self.deps.pool(), row.id, row.counter, counter, stored, self.deps.now()).await? {
            // Another use of the key got there first with this counter or a
            // higher one: two keys answering with one secret.
            self.failed(account, EventKind::SecurityKeyCloneWarning, &row.name, meta).await?;
            return Err(not_accepted());
        }
        Ok(())
    }

    /// Starts a passwordless sign-in: the options name no key (the
    /// authenticator offers the passkeys it keeps for this site) and
    /// require user verification. The challenge is bound to a new random
    /// value for the caller to give the browser in a cookie; only its hash
    /// is stored.
    pub(crate) async fn start_passkey_sign_in(&self) -> Result<PasskeyChallenge> {
        let rp = self.rp()?;
        let (options, state) = rp.start_discoverable_authentication().map_err(|e| Error::internal(format!("webauthn passkey sign-in start: {e}")))?;
        let mut options = json_value(&options)?;
        // webauthn-rs asks for conditional mediation (the browser's autofill
        // of a username field); here a button starts the ceremony, and the
        // page may ask for autofill itself.
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
        let browser = Secret::new(random::token());
        let state = serde_json::to_string(&state).map_err(json_error)?;
        let expires_at = self.deps.now() + CHALLENGE_SECS;
        store::put_passkey_challenge(self.deps.pool(), &random::token_hash(browser.expose()), &state, expires_at).await?;
        Ok(PasskeyChallenge { options: options.to_string(), browser })
    }

    /// Checks a passkey's answer to the passwordless challenge of the
    /// browser that holds `browser`, and records the use; the account it
    /// signs in to and the key's name. The caller opens the session.
    ///
    /// The answer names its credential; only a key registered as a passkey
    /// counts, and the user handle the authenticator keeps with it must be
    /// its account's. An unknown credential gets the same refusal as a plain
    /// security key, whoever's it is. User verification is required: it is
    /// what makes the key both factors.
    pub(crate) async fn verify_passkey(&self, browser: Option<&Secret>, credential: &str, meta: &ClientMeta) -> Result<(AccountId, String)> {
        let rp = self.rp()?;
        let (db, now) = (self.deps.pool(), self.deps.now());
        let challenge = match browser {
            Some(b) => store::take_passkey_challenge(db, &random::token_hash(b.expose()), now).await?,
            None => None,
        };
        let Some(challenge) = challenge else {
            self.refused_unknown("a passkey answer without a challenge (used already, expired, or another browser's)", meta).await?;
            return Err(expired());
        };
        let state: DiscoverableAuthentication = serde_json::from_str(&challenge.state).map_err(json_error)?;
        let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(credential) else {
            self.refused_unknown("a passkey sign-in that was not a WebAuthn answer", meta).await?;
            return Err(not_accepted());
        };
        let Ok((handle, id)) = rp.identify_discoverable_authentication(&answer) else {
            self.refused_unknown("a passkey answer without a user handle", meta).await?;
            return Err(not_recognised());
        };
        let Some(row) = store::passkey(db, &b64(id)).await? else {
            self.refused_unknown("an unknown passkey, or a key that is not a passkey", meta).await?;
            return Err(not_recognised());
        };
        let account = AccountId::new(row.account_id);
        let attempt = self.attempt(account).await?;
        if store::user_handle_of(db, account).await? != Some(handle.to_string()) {
            self.failed(account, EventKind::SecurityKeyFailed, &format!("{}: answered for another user", row.name), meta).await?;
            return Err(not_recognised());
        }
        let mut key: Passkey = serde_json::from_str(&row.credential).map_err(json_error)?;
        let verified = rp
            .finish_discoverable_authentication(&answer, state, &[DiscoverableKey::from(&key)])
            // The verifier asks for it; this says so where it counts.
            .and_then(|r| if r.user_verified() { Ok(r) } else { Err(WebauthnError::UserNotVerified) });
        let result = match verified {
            Ok(r) => r,
            Err(WebauthnError::CredentialPossibleCompromise) => {
                self.failed(account, EventKind::SecurityKeyCloneWarning, &row.name, meta).await?;
                return Err(not_accepted());
            }
            Err(e) => {
                tracing::info!(account = %account, error = %e, "passkey answer refused");
                self.failed(account, EventKind::SecurityKeyFailed, &format!("{} (passkey sign-in): {}", row.name, refusal(&e)), meta).await?;
                return Err(not_accepted());
            }
        };
        key.update_credential(&result);
        self.record_use(account, &row, &json_value(&key)?.to_string(), &result, meta).await?;
        attempt.passed().await;
        Ok((account, row.name))
    }

    /// A passwordless answer refused before it named an account: recorded
    /// without one (there is nobody to show it to, but it is on record).
    async fn refused_unknown(&self, detail: &str, meta: &ClientMeta) -> Result<()> {
        events::record(self.deps.pool(), None, &Event::with_detail(EventKind::SignInFailed, detail), meta, self.deps.now()).await
    }
}

/// An event's detail: the key's name, and how many other sessions the
/// change signed out, if any.
fn with_signed_out(name: String, ended: u64) -> String {
    match crate::sessions::signed_out_detail(ended, "other ") {
        d if d.is_empty() => name,
        d => format!("{name}; {d}"),
    }
}

/// Why an answer was refused, for the owner's event list (no secrets: the
/// verifier's error names a check, never key material).
fn refusal(e: &WebauthnError) -> &'static str {
    match e {
        WebauthnError::InvalidRPOrigin => "signed for another site",
        WebauthnError::InvalidRPIDHash => "signed for another site",
        WebauthnError::MismatchedChallenge => "answered another challenge",
        WebauthnError::CredentialNotFound => "a key not allowed here",
        WebauthnError::UserNotVerified => "without user verification (a PIN or biometric)",
        _ => "the answer did not verify",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_trimmed_bounded_and_printable() {
        assert_eq!(parse_name("  YubiKey 5 ").ok().as_deref(), Some("YubiKey 5"));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"k".repeat(65)).is_err());
        assert!(parse_name(&"ü".repeat(64)).is_ok());
        assert!(parse_name("a\nb").is_err());
    }

    #[test]
    fn the_relying_party_is_the_configured_host_and_never_an_ip_address() {
        assert!(relying_party("https://warden.example", "Warden").is_ok());
        assert!(relying_party("http://localhost:3000", "Warden").is_ok());
        let ip = relying_party("http://127.0.0.1:3000", "Warden").map_err(|e| e.code()).err();
        assert_eq!(ip, Some(ErrorCode::Unavailable));
    }
}
