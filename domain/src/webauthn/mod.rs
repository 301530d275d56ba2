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
//! Adding a key takes the current password (a session thief cannot plant a
//! key of their own); removing one too. Each add and removal records an
//! event and mails the owner through [`Change`]. The first second factor of
//! an account (no authenticator app, no key yet) comes with ten recovery
//! codes, as turning on the authenticator app does: whoever loses the key
//! must still get in.
//!
//! At sign-in a key answers the pending session's second step. The
//! signature counter must go forward (the verifier checks it against the
//! stored one, and the store writes it with a compare-and-set, so two uses
//! racing with one counter value cannot both pass); a counter that does not
//! is refused and recorded as a clone warning. Wrong answers count against
//! the same per-account budget as wrong codes.

mod store;

use crate::accounts;
use crate::actor::{AccountId, Actor, ClientMeta, SessionId};
use crate::change::Change;
use crate::deps::Deps;
use crate::error::{Error, ErrorCode, Result};
use crate::events::{Event, EventKind};
use crate::outbox::notices::Notice;
use crate::support::secret::Secret;
use crate::two_factor::{self, TwoFactorConfig};
use base64::Engine as _;
use webauthn_rs::prelude::{
    PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration, Url, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};

/// How long a started ceremony can be finished: enough to find and touch a
/// key, short enough that a challenge is not worth stealing.
pub const CHALLENGE_SECS: i64 = 5 * 60;
/// Longest key name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

const REGISTER: &str = "register";
const SIGN_IN: &str = "sign_in";

/// A key as the settings page lists it.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub id: i64,
    pub name: String,
    pub added_at: i64,
    pub last_used_at: Option<i64>,
}

/// A key added: and, when it was the account's first second factor, the
/// recovery codes made with it (the only time they exist in plain text).
pub struct Added {
    pub name: String,
    pub recovery_codes: Option<Vec<Secret>>,
}

/// Whether the account has at least one security key.
pub async fn has_keys(db: &sqlx::AnyPool, account: AccountId) -> Result<bool> {
    Ok(store::count(db, account).await? > 0)
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
    fn factors(&self) -> two_factor::TwoFactor<'w> {
        two_factor::TwoFactor::new(self.deps, self.two_factor)
    }

    async fn check_throttle(&self, account: AccountId) -> Result<()> {
        self.factors().check_throttle(account).await
    }

    /// Every failure (a wrong password here, a refused answer) counts
    /// against that budget and is recorded.
    async fn failed(&self, account: AccountId, kind: EventKind, detail: &str, meta: &ClientMeta) -> Result<()> {
        self.factors().factor_failed(account, meta, kind, detail).await
    }

    async fn prove_password(&self, account: AccountId, password: &Secret, what: &str, meta: &ClientMeta) -> Result<accounts::AccountRow> {
        self.check_throttle(account).await?;
        let owner = accounts::find(self.deps.pool(), account).await?;
        if !self.deps.hasher.verify(password, Some(&owner.password_hash)).await? {
            self.failed(account, EventKind::TwoFactorFailed, &format!("wrong password when trying to {what}"), meta).await?;
            return Err(two_factor::wrong_current_password());
        }
        self.factors().factor_passed(account).await?;
        Ok(owner)
    }

    /// The account's keys, oldest first.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<KeyEntry>> {
        let (account, _) = actor.browser_session()?;
        Ok(store::keys(self.deps.pool(), account)
            .await?
            .into_iter()
            .map(|k| KeyEntry { id: k.id, name: k.name, added_at: k.created_at, last_used_at: k.last_used_at })
            .collect())
    }

    /// Starts adding a key named `name`, after proving the current
    /// password. Returns the options for `navigator.credentials.create()`
    /// (webauthn-rs's `CreationChallengeResponse`, as JSON). The account's
    /// keys are excluded, so the same key is not added twice.
    pub async fn start_registration(&self, actor: &Actor, name: &str, password: &Secret, meta: &ClientMeta) -> Result<String> {
        let (account, session) = actor.browser_session()?;
        let name = parse_name(name)?;
        let rp = self.rp()?;
        let owner = self.prove_password(account, password, "add a security key", meta).await?;
        let mut exclude = Vec::new();
        for c in store::credentials(self.deps.pool(), account).await? {
            let key: SecurityKey = serde_json::from_str(&c.credential).map_err(json_error)?;
            exclude.push(key.cred_id().clone());
        }
        // A fresh handle per registration: these keys are not discoverable,
        // so nothing looks an account up by it, and it tells a key nothing.
        let handle = Uuid::from_bytes(rand::random());
        let (options, state) = rp
            .start_securitykey_registration(handle, &owner.username, &owner.username, Some(exclude), None, None)
            .map_err(|e| Error::internal(format!("webauthn registration start: {e}")))?;
        let state = serde_json::to_string(&state).map_err(json_error)?;
        let now = self.deps.now();
        store::put_challenge(self.deps.pool(), session, REGISTER, account, &state, Some(&name), now + CHALLENGE_SECS).await?;
        serde_json::to_string(&options).map_err(json_error)
    }

    /// Finishes adding the key this session started with the authenticator's
    /// answer (`PublicKeyCredential` from `navigator.credentials.create()`,
    /// as JSON). Records the event and mails the owner in one transaction;
    /// makes recovery codes when this is the account's first second factor.
    pub async fn finish_registration(&self, actor: &Actor, credential: &str, meta: &ClientMeta) -> Result<Added> {
        let (account, session) = actor.browser_session()?;
        self.check_throttle(account).await?;
        let rp = self.rp()?;
        let challenge = store::take_challenge(self.deps.pool(), session, REGISTER, self.deps.now()).await?;
        let Some(challenge) = challenge.filter(|c| c.account_id == account.get()) else {
            return Err(expired());
        };
        let name = challenge.key_name.clone().unwrap_or_default();
        let state: SecurityKeyRegistration = serde_json::from_str(&challenge.state).map_err(json_error)?;
        let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(credential) else {
            self.failed(account, EventKind::SecurityKeyFailed, "adding a key: not a WebAuthn answer", meta).await?;
            return Err(not_accepted());
        };
        let key = match rp.finish_securitykey_registration(&answer, &state) {
            Ok(key) => key,
            Err(e) => {
                tracing::info!(account = %account, error = %e, "security key registration refused");
                self.failed(account, EventKind::SecurityKeyFailed, &format!("adding \"{name}\": {}", refusal(&e)), meta).await?;
                return Err(not_accepted());
            }
        };
        let transports = serde_json::to_string(&answer.response.transports.unwrap_or_default()).map_err(json_error)?;
        let stored = serde_json::to_string(&key).map_err(json_error)?;
        let credential_id = b64(key.cred_id().as_ref());
        // The counter the key started with, mirrored for the compare-and-set.
        let counter = serde_json::to_value(&key).map_err(json_error)?["cred"]["counter"].as_i64().unwrap_or(0);
        // The first second factor comes with recovery codes (hashed before
        // the transaction: argon2 is slow).
        let first = !two_factor::is_enabled(self.deps.pool(), account).await? && !has_keys(self.deps.pool(), account).await?;
        let codes = if first { Some(two_factor::new_recovery_codes(self.deps).await?) } else { None };
        let owner = accounts::find(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let at = change.at();
        let row =
            store::NewCredential { account, credential_id: &credential_id, name: &name, credential: &stored, counter, transports: &transports, at };
        if !store::insert(change.db(), &row).await? {
            return Err(Error::refused(ErrorCode::KeyAlreadyRegistered, "This security key is registered already."));
        }
        if let Some((_, hashes)) = &codes {
            two_factor::store_recovery_codes(change.db(), account, hashes, at).await?;
        }
        let notice = Notice {
            to: owner.email,
            subject: "A security key was added to your Warden account",
            what: format!("A security key named \"{name}\" was added to your Warden account").into(),
        };
        change.commit(Some(account), Event::with_detail(EventKind::SecurityKeyAdded, &name), Some(notice), meta).await?;
        Ok(Added { name, recovery_codes: codes.map(|(c, _)| c) })
    }

    /// Removes the account's key `id` (the password again). The last second
    /// factor gone, the recovery codes go too, as when the authenticator app
    /// is turned off.
    pub async fn remove(&self, actor: &Actor, id: i64, password: &Secret, meta: &ClientMeta) -> Result<()> {
        let (account, _) = actor.browser_session()?;
        let owner = self.prove_password(account, password, "remove a security key", meta).await?;
        let totp_on = two_factor::is_enabled(self.deps.pool(), account).await?;
        let mut change = Change::begin(self.deps).await?;
        let Some(name) = store::delete(change.db(), account, id).await? else {
            return Err(Error::refused(ErrorCode::NotFound, "There is no such security key on your account."));
        };
        if !totp_on && store::count(change.db(), account).await? == 0 {
            two_factor::delete_recovery_codes(change.db(), account).await?;
        }
        let notice = Notice {
            to: owner.email,
            subject: "A security key was removed from your Warden account",
            what: format!("The security key named \"{name}\" was removed from your Warden account").into(),
        };
        change.commit(Some(account), Event::with_detail(EventKind::SecurityKeyRemoved, &name), Some(notice), meta).await?;
        Ok(())
    }

    /// The second sign-in step by key: the options for
    /// `navigator.credentials.get()` (webauthn-rs's `RequestChallengeResponse`,
    /// as JSON), allowing the account's keys, bound to this pending session.
    pub async fn start_sign_in(&self, actor: &Actor) -> Result<String> {
        let (account, session) = actor.pending_second_factor()?;
        self.check_throttle(account).await?;
        let rp = self.rp()?;
        let mut keys = Vec::new();
        for c in store::credentials(self.deps.pool(), account).await? {
            keys.push(serde_json::from_str::<SecurityKey>(&c.credential).map_err(json_error)?);
        }
        if keys.is_empty() {
            return Err(Error::refused(ErrorCode::TwoFactorNotOn, "There is no security key on this account: use a code."));
        }
        let (options, state) = rp.start_securitykey_authentication(&keys).map_err(|e| Error::internal(format!("webauthn sign-in start: {e}")))?;
        let state = serde_json::to_string(&state).map_err(json_error)?;
        store::put_challenge(self.deps.pool(), session, SIGN_IN, account, &state, None, self.deps.now() + CHALLENGE_SECS).await?;
        serde_json::to_string(&options).map_err(json_error)
    }

    /// Checks the key's answer to the challenge `session` was given and
    /// records the use; the key's name. The caller completes the sign-in.
    pub(crate) async fn verify_sign_in(&self, account: AccountId, session: &SessionId, credential: &str, meta: &ClientMeta) -> Result<String> {
        self.check_throttle(account).await?;
        let rp = self.rp()?;
        let challenge = store::take_challenge(self.deps.pool(), session, SIGN_IN, self.deps.now()).await?;
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
        let stored = serde_json::to_string(&key).map_err(json_error)?;
        let counter = i64::from(result.counter());
        if !store::record_use(self.deps.pool(), row.id, row.counter, counter, &stored, self.deps.now()).await? {
            // Another use of the key got there first with this counter or a
            // higher one: two keys answering with one secret.
            self.failed(account, EventKind::SecurityKeyCloneWarning, &key_name, meta).await?;
            return Err(not_accepted());
        }
        self.factors().factor_passed(account).await?;
        Ok(row.name)
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
