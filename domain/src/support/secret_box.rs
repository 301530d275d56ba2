//! Encryption at rest for secrets the server must read back, such as TOTP
//! keys and queued mail bodies (OWASP ASVS 5.0 V11 Cryptography, V13 key
//! storage; a TOTP key cannot be hashed, since verifying a code needs the key
//! itself). A database dump alone then yields nothing usable: the keys live in
//! a file or the environment, not in the database.
//!
//! Cipher: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce per
//! message. Random nonces are safe for up to 2^32 messages under one key
//! (SP 800-38D §8.3), far beyond what Warden seals between key rotations.
//!
//! Associated data: authenticated but not stored. Callers pass what the
//! ciphertext belongs to (say `totp:user:42`), so a sealed value copied to
//! another row fails to open.
//!
//! Keys: a [`KeyRing`], the current key (which seals) and retired keys (which
//! only open), so the key can be rotated (ASVS 11.2.2): `warden rotate-key`
//! makes a new current key, keeps the old one retired and re-seals every
//! value in the database (`crate::rekey`). Each key has a key id, the first
//! 8 hex characters of SHA-256 over a label and the key: it names the key in
//! a sealed value without revealing anything usable about it.
//!
//! Formats:
//! - `v2.<kid>.` + base64url-without-padding(nonce ‖ ciphertext ‖ tag), what
//!   [`SecretBox::seal`] writes. The key id is also bound into the associated
//!   data, so changing it makes the value fail to open.
//! - `v1.` + the same, without a key id: what Warden wrote before key
//!   rotation existed. Still opened, with every key of the ring in turn
//!   (they were sealed by the one key there was, which is the current key
//!   until the first rotation and a retired one after it).
//!
//! Key file: one key per line as 64 hex characters, the current key first,
//! then retired keys; blank lines and `#` comments are ignored. A key file of
//! one line is the form Warden always wrote, and the form `key_from_hex`
//! takes from the environment, so a key can move between the two. Created
//! (and rewritten) with mode 0600; on Unix a file readable by anyone but its
//! owner is refused.

use crate::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::Path;

const V1: &str = "v1.";
const V2: &str = "v2.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
pub const KEY_LEN: usize = 32;
const KID_LEN: usize = 8;

/// The key id of `key`: 8 hex characters.
pub fn key_id(key: &[u8; KEY_LEN]) -> String {
    let mut h = Sha256::new();
    h.update(b"warden secret-box key id\0");
    h.update(key);
    hex::encode(h.finalize())[..KID_LEN].to_owned()
}

/// The current key and the retired ones. `Debug` shows key ids only.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRing {
    pub current: [u8; KEY_LEN],
    /// Newest first. They open values sealed before a rotation; they never seal.
    pub retired: Vec<[u8; KEY_LEN]>,
}

impl KeyRing {
    pub fn single(current: [u8; KEY_LEN]) -> KeyRing {
        KeyRing { current, retired: Vec::new() }
    }

    /// A new random current key; today's current key becomes the newest retired one.
    pub fn rotated(&self) -> KeyRing {
        let mut next = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut next);
        let mut retired = vec![self.current];
        retired.extend(self.retired.iter().filter(|k| **k != self.current && **k != next).copied());
        KeyRing { current: next, retired }
    }

    /// The same current key, nothing retired.
    pub fn without_retired(&self) -> KeyRing {
        KeyRing::single(self.current)
    }

    pub fn current_id(&self) -> String {
        key_id(&self.current)
    }

    pub fn retired_ids(&self) -> Vec<String> {
        self.retired.iter().map(key_id).collect()
    }

    /// `WARDEN_SECRET_KEY` and, optionally, `WARDEN_RETIRED_SECRET_KEYS`
    /// (hex keys separated by commas or white space).
    pub fn from_hex(current: &str, retired: Option<&str>) -> Result<KeyRing> {
        let retired = retired
            .unwrap_or("")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(key_from_hex)
            .collect::<Result<Vec<_>>>()?;
        Ok(KeyRing { current: key_from_hex(current)?, retired })
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").field("current", &self.current_id()).field("retired", &self.retired_ids()).finish()
    }
}

#[derive(Clone)]
struct SealingKey {
    id: String,
    cipher: Aes256Gcm,
}

impl SealingKey {
    fn new(key: &[u8; KEY_LEN]) -> SealingKey {
        SealingKey { id: key_id(key), cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)) }
    }

    fn open(&self, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok()
    }
}

/// The associated data of a v2 value: the key id, then the caller's.
fn v2_aad(kid: &str, associated_data: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(KID_LEN + 1 + associated_data.len());
    aad.extend_from_slice(kid.as_bytes());
    aad.push(0);
    aad.extend_from_slice(associated_data);
    aad
}

#[derive(Clone)]
pub struct SecretBox {
    current: SealingKey,
    retired: Vec<SealingKey>,
}

impl SecretBox {
    /// A box with one key and nothing retired.
    pub fn new(key: [u8; KEY_LEN]) -> Self {
        Self::from_ring(&KeyRing::single(key))
    }

    pub fn from_ring(ring: &KeyRing) -> Self {
        SecretBox { current: SealingKey::new(&ring.current), retired: ring.retired.iter().map(SealingKey::new).collect() }
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn keys(&self) -> impl Iterator<Item = &SealingKey> {
        std::iter::once(&self.current).chain(self.retired.iter())
    }

    pub fn seal(&self, plaintext: &[u8], associated_data: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let kid = &self.current.id;
        let sealed = self
            .current
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &v2_aad(kid, associated_data) })
            .map_err(|_| Error::internal("secret box: cannot seal"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{V2}{kid}.{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Fails alike for a wrong or unknown key, tampered text and other
    /// associated data: GCM cannot tell them apart, and nobody needs to know which.
    pub fn open(&self, sealed: &str, associated_data: &[u8]) -> Result<Vec<u8>> {
        let cannot = || Error::internal("secret box: cannot open (wrong key or altered)");
        let (kid, body) = if let Some(rest) = sealed.strip_prefix(V2) {
            let (kid, body) = rest.split_once('.').ok_or_else(|| Error::internal("secret box: no key id"))?;
            (Some(kid), body)
        } else if let Some(body) = sealed.strip_prefix(V1) {
            (None, body)
        } else {
            return Err(Error::internal("secret box: unknown format"));
        };
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Error::internal("secret box: not base64url"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::internal("secret box: too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        match kid {
            // Ids are short, so two keys could share one: try each that has it.
            Some(kid) => {
                let aad = v2_aad(kid, associated_data);
                self.keys().filter(|k| k.id == kid).find_map(|k| k.open(nonce, ciphertext, &aad)).ok_or_else(cannot)
            }
            None => self.keys().find_map(|k| k.open(nonce, ciphertext, associated_data)).ok_or_else(cannot),
        }
    }

    /// Whether `sealed` is already in the current format under the current key.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.strip_prefix(V2).and_then(|rest| rest.split_once('.')).is_some_and(|(kid, _)| kid == self.current.id)
    }

    /// `sealed` sealed again under the current key, or `None` when it already is.
    pub fn reseal(&self, sealed: &str, associated_data: &[u8]) -> Result<Option<String>> {
        if self.is_current(sealed) {
            // Open it anyway: a value that no key opens must be reported, not skipped.
            self.open(sealed, associated_data)?;
            return Ok(None);
        }
        let plain = self.open(sealed, associated_data)?;
        self.seal(&plain, associated_data).map(Some)
    }
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(<hidden>)")
    }
}

/// A key given as 64 hex characters, e.g. in an environment variable.
pub fn key_from_hex(s: &str) -> Result<[u8; KEY_LEN]> {
    let bytes = hex::decode(s.trim()).map_err(|_| Error::internal("secret box key: not hex"))?;
    <[u8; KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| Error::internal(format!("secret box key: need {} hex characters", KEY_LEN * 2)))
}

/// Reads the key file, or creates it with a new random key if there is none.
/// The parent directory must exist.
pub fn load_or_create_keys(path: &Path) -> Result<KeyRing> {
    match path.try_exists() {
        Ok(true) => read_keys(path),
        Ok(false) => match create_key(path) {
            // Another process created it between our check and our create.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_keys(path),
            Err(e) => Err(Error::internal(format!("secret box key {}: {e}", path.display()))),
            Ok(key) => Ok(KeyRing::single(key)),
        },
        Err(e) => Err(Error::internal(format!("secret box key {}: {e}", path.display()))),
    }
}

/// The current key of the key file (created if missing).
pub fn load_or_create_key(path: &Path) -> Result<[u8; KEY_LEN]> {
    load_or_create_keys(path).map(|ring| ring.current)
}

pub fn read_keys(path: &Path) -> Result<KeyRing> {
    let io = |e: std::io::Error| Error::internal(format!("secret box key {}: {e}", path.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        // Anything beyond owner read/write: group, others, or execute.
        if mode & 0o177 != 0 {
            return Err(Error::internal(format!("secret box key {}: mode {mode:03o} is too open, use 600", path.display())));
        }
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let mut keys = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| key_from_hex(l).map_err(|e| Error::internal(format!("{} in {}", internal_message(e), path.display()))));
    let current = keys.next().unwrap_or_else(|| Err(Error::internal(format!("secret box key: no key in {}", path.display()))))?;
    Ok(KeyRing { current, retired: keys.collect::<Result<Vec<_>>>()? })
}

/// Replaces the key file with `ring`, whole or not at all: a new file (0600)
/// beside it, synced, then renamed over it.
pub fn write_keys(path: &Path, ring: &KeyRing) -> Result<()> {
    let io = |e: std::io::Error| Error::internal(format!("secret box key {}: {e}", path.display()));
    let mut text = String::from("# Warden secret keys. The first one seals; the others only open what was sealed before a rotation.\n");
    text.push_str(&format!("{}\n", hex::encode(ring.current)));
    for k in &ring.retired {
        text.push_str(&format!("{}\n", hex::encode(k)));
    }
    let tmp = path.with_extension(format!("new-{}", crate::support::random::public_id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = private_new_file(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself survives a crash once the folder is synced.
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

fn internal_message(e: Error) -> String {
    match e {
        Error::Internal(source) => source.to_string(),
        other => other.to_string(),
    }
}

fn private_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    // create_new: never overwrite a key that would make every sealed value unreadable.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Set at creation, so the key is never readable by others even briefly.
        options.mode(0o600);
    }
    options.open(path)
}

fn create_key(path: &Path) -> std::io::Result<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    let mut file = private_new_file(path)?;
    file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

/// What re-sealing one kind of value did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Sealed again under the current key.
    pub resealed: u64,
    /// Already under the current key (and it opens them).
    pub current: u64,
    /// Opened by no key of the ring: left as they are, and reported.
    pub unreadable: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn random_key() -> [u8; KEY_LEN] {
        let mut key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut key);
        key
    }

    fn boxed() -> SecretBox {
        SecretBox::new(random_key())
    }

    /// What Warden wrote before key ids: `v1.` + nonce ‖ ciphertext ‖ tag, the
    /// caller's associated data alone.
    fn seal_v1(key: &[u8; KEY_LEN], plaintext: &[u8], ad: &[u8]) -> String {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        let nonce = [7u8; NONCE_LEN];
        let ct = cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: ad }).expect("encrypt");
        format!("v1.{}", URL_SAFE_NO_PAD.encode([&nonce[..], &ct[..]].concat()))
    }

    /// The base64 part of a v2 value, decoded.
    fn raw(sealed: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(sealed.rsplit('.').next().expect("body")).expect("b64")
    }

    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("warden-secret-box-{}", crate::support::random::public_id()));
            std::fs::create_dir(&dir).expect("temp dir");
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn round_trip_with_the_key_id_and_a_fresh_nonce_each_time() {
        let key = random_key();
        let b = SecretBox::new(key);
        let a = b.seal(b"totp secret bytes", b"totp:user:1").expect("seal");
        let c = b.seal(b"totp secret bytes", b"totp:user:1").expect("seal");
        assert!(a.starts_with(&format!("v2.{}.", key_id(&key))), "{a}");
        assert_eq!(b.current_id(), key_id(&key));
        assert_eq!(key_id(&key).len(), 8);
        assert_ne!(a, c, "same plaintext, different nonce, different text");
        assert_ne!(raw(&a)[..NONCE_LEN], raw(&c)[..NONCE_LEN], "nonces differ");
        assert_eq!(b.open(&a, b"totp:user:1").expect("open"), b"totp secret bytes");
        assert_eq!(b.open(&c, b"totp:user:1").expect("open"), b"totp secret bytes");
        assert_eq!(b.open(&b.seal(b"", b"").expect("seal"), b"").expect("open"), b"");
    }

    #[test]
    fn values_sealed_before_key_ids_still_open() {
        let key = random_key();
        let v1 = seal_v1(&key, b"old secret", b"totp:user:1");
        assert_eq!(SecretBox::new(key).open(&v1, b"totp:user:1").expect("v1 opens"), b"old secret");
        assert!(SecretBox::new(key).open(&v1, b"totp:user:2").is_err(), "its associated data still counts");
        assert!(boxed().open(&v1, b"totp:user:1").is_err(), "and its key");
        // After a rotation the v1 value belongs to a retired key, and still opens.
        let ring = KeyRing::single(key).rotated();
        let after = SecretBox::from_ring(&ring);
        assert_eq!(after.open(&v1, b"totp:user:1").expect("v1 opens after rotation"), b"old secret");
        assert!(!after.is_current(&v1));
        let resealed = after.reseal(&v1, b"totp:user:1").expect("reseal").expect("a new value");
        assert!(after.is_current(&resealed));
        assert_eq!(SecretBox::new(ring.current).open(&resealed, b"totp:user:1").expect("new key alone"), b"old secret");
    }

    #[test]
    fn a_value_sealed_under_the_old_key_opens_after_rotation_and_reseals_under_the_new() {
        let before = KeyRing::single(random_key());
        let old = SecretBox::from_ring(&before);
        let sealed = old.seal(b"secret", b"mail:1:text").expect("seal");

        let after = before.rotated();
        assert_ne!(after.current, before.current);
        assert_eq!(after.retired, vec![before.current], "the old key is kept, for opening");
        let new = SecretBox::from_ring(&after);
        assert_eq!(new.open(&sealed, b"mail:1:text").expect("opens after rotation"), b"secret");
        assert!(new.seal(b"x", b"").expect("seal").starts_with(&format!("v2.{}.", after.current_id())), "the new key seals");

        let resealed = new.reseal(&sealed, b"mail:1:text").expect("reseal").expect("changed");
        assert!(new.is_current(&resealed) && !new.is_current(&sealed));
        assert_eq!(new.reseal(&resealed, b"mail:1:text").expect("reseal"), None, "already current");
        // Once re-sealed, the old key can go.
        let only_new = SecretBox::from_ring(&after.without_retired());
        assert_eq!(only_new.open(&resealed, b"mail:1:text").expect("open"), b"secret");
        assert!(only_new.open(&sealed, b"mail:1:text").is_err(), "without the old key, old values are gone");
        assert!(old.open(&resealed, b"mail:1:text").is_err(), "the old key cannot open the new value");
        // A second rotation keeps both older keys, newest first.
        let third = after.rotated();
        assert_eq!(third.retired, vec![after.current, before.current]);
        assert_eq!(SecretBox::from_ring(&third).open(&sealed, b"mail:1:text").expect("two rotations on"), b"secret");
    }

    #[test]
    fn tampering_with_the_key_id_fails() {
        let ring = KeyRing::single(random_key()).rotated();
        let b = SecretBox::from_ring(&ring);
        let sealed = b.seal(b"secret", b"ad").expect("seal");
        let kid = ring.current_id();
        let other = key_id(&ring.retired[0]);
        for forged in [other.as_str(), "00000000", "", "zzzzzzzz", &kid[..7]] {
            let altered = sealed.replacen(&kid, forged, 1);
            assert!(matches!(b.open(&altered, b"ad"), Err(Error::Internal(_))), "kid {forged:?}");
        }
        // The key id is authenticated too: the right key under another name fails.
        let twin = SecretBox::from_ring(&KeyRing { current: ring.current, retired: vec![] });
        let mut renamed = SecretBox::from_ring(&ring);
        renamed.current.id = "deadbeef".into();
        let under_other_name = renamed.seal(b"secret", b"ad").expect("seal");
        assert!(twin.open(&under_other_name.replacen("deadbeef", &kid, 1), b"ad").is_err());
        assert!(b.open(&sealed, b"ad").is_ok());
        assert!(b.open(&format!("v2.{kid}"), b"ad").is_err());
    }

    #[test]
    fn tampering_is_detected() {
        let b = boxed();
        let sealed = b.seal(b"secret", b"ad").expect("seal");
        let prefix = &sealed[..sealed.rfind('.').expect("dot") + 1];
        let mut bytes = raw(&sealed);
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[i] ^= 1;
            let altered = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&bytes));
            assert!(matches!(b.open(&altered, b"ad"), Err(Error::Internal(_))), "byte {i}");
            bytes[i] ^= 1;
        }
        assert!(b.open(&format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&bytes)), b"ad").is_ok());
        // truncated, wrong version, not base64: errors, not panics
        assert!(b.open(&sealed[..sealed.len() - 4], b"ad").is_err());
        assert!(b.open(&format!("{prefix}AAAA"), b"ad").is_err());
        assert!(b.open(prefix, b"ad").is_err());
        assert!(b.open("v1.AAAA", b"ad").is_err());
        assert!(b.open("v1.", b"ad").is_err());
        assert!(b.open(&sealed.replacen("v2.", "v3.", 1), b"ad").is_err());
        assert!(b.open(&sealed.replacen("v2.", "v1.", 1), b"ad").is_err());
        assert!(b.open(&format!("{prefix}!!!!"), b"ad").is_err());
        assert!(b.open("", b"ad").is_err());
        assert!(b.reseal("v2.nonsense", b"ad").is_err());
    }

    #[test]
    fn other_associated_data_or_key_fails() {
        let b = boxed();
        let sealed = b.seal(b"secret", b"totp:user:1").expect("seal");
        assert!(matches!(b.open(&sealed, b"totp:user:2"), Err(Error::Internal(_))));
        assert!(matches!(boxed().open(&sealed, b"totp:user:1"), Err(Error::Internal(_))));
        assert!(b.reseal(&sealed, b"totp:user:2").is_err(), "a value the ring cannot open is reported, even when current");
    }

    #[test]
    fn debug_hides_the_keys() {
        assert_eq!(format!("{:?}", boxed()), "SecretBox(<hidden>)");
        let ring = KeyRing::single([0xab; KEY_LEN]).rotated();
        let d = format!("{ring:?}");
        assert!(d.contains(&ring.current_id()) && !d.contains("abab") && !d.contains(&hex::encode(ring.current)), "{d}");
    }

    #[test]
    fn key_from_hex_wants_exactly_32_bytes() {
        let hex64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(key_from_hex(hex64).expect("key")[1], 0x11);
        assert!(key_from_hex(&format!(" {hex64}\n")).is_ok());
        assert!(key_from_hex(&hex64[..62]).is_err());
        assert!(key_from_hex(&format!("{hex64}00")).is_err());
        assert!(key_from_hex(&hex64.replace('a', "g")).is_err());
        let ring = KeyRing::from_hex(hex64, Some(&format!("{}, {}", "ab".repeat(32), "cd".repeat(32)))).expect("ring");
        assert_eq!(ring.retired, vec![[0xab; KEY_LEN], [0xcd; KEY_LEN]]);
        assert!(KeyRing::from_hex(hex64, None).expect("ring").retired.is_empty());
        assert!(KeyRing::from_hex(hex64, Some("abc")).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = TempDir::new();
        let path = dir.0.join("secret.key");
        let created = load_or_create_key(&path).expect("create");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
        assert_eq!(load_or_create_key(&path).expect("read"), created);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(key_from_hex(&text).expect("hex"), created);
        // and the key works
        let b = SecretBox::new(created);
        let sealed = b.seal(b"x", b"").expect("seal");
        assert_eq!(SecretBox::new(load_or_create_key(&path).expect("read")).open(&sealed, b"").expect("open"), b"x");
    }

    #[test]
    fn a_rotated_key_file_is_rewritten_private_with_the_current_key_first() {
        let dir = TempDir::new();
        let path = dir.0.join("secret.key");
        let first = load_or_create_keys(&path).expect("create");
        let next = first.rotated();
        write_keys(&path, &next).expect("write");
        assert_eq!(read_keys(&path).expect("read"), next);
        assert_eq!(load_or_create_key(&path).expect("current"), next.current);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
        write_keys(&path, &next.without_retired()).expect("write");
        assert_eq!(read_keys(&path).expect("read"), KeyRing::single(next.current));
        let names: Vec<_> = std::fs::read_dir(&dir.0).expect("dir").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names, ["secret.key"], "no temporary file left behind");
    }

    #[test]
    fn bad_key_files_are_refused() {
        let dir = TempDir::new();
        let write = |name: &str, content: &str, mode: u32| {
            let path = dir.0.join(name);
            std::fs::write(&path, content).expect("write");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            }
            #[cfg(not(unix))]
            let _ = mode;
            path
        };
        let short = write("short.key", &"ab".repeat(31), 0o600);
        assert!(matches!(load_or_create_key(&short), Err(Error::Internal(_))));
        let raw = write("raw.key", &"x".repeat(32), 0o600);
        assert!(load_or_create_key(&raw).is_err());
        let empty = write("empty.key", "", 0o600);
        assert!(load_or_create_key(&empty).is_err(), "an empty file is not replaced by a new key");
        let comment_only = write("comment.key", "# nothing here\n\n", 0o600);
        assert!(load_or_create_key(&comment_only).is_err());
        let bad_retired = write("retired.key", &format!("{}\nnot a key\n", "ab".repeat(32)), 0o600);
        assert!(load_or_create_keys(&bad_retired).is_err(), "a broken retired key is an error, not ignored");
        #[cfg(unix)]
        {
            let open = write("open.key", &"ab".repeat(32), 0o644);
            let err = load_or_create_key(&open).expect_err("mode 644");
            assert!(matches!(&err, Error::Internal(m) if m.to_string().contains("too open")), "{err:?}");
            let fine = write("fine.key", &"ab".repeat(32), 0o400);
            assert_eq!(load_or_create_key(&fine).expect("read-only is fine"), [0xab; 32]);
        }
        // a missing directory is an error, not a panic
        assert!(load_or_create_key(&dir.0.join("missing/secret.key")).is_err());
    }
}
