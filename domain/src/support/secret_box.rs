//! Encryption at rest for secrets the server must read back, such as TOTP
//! keys (OWASP ASVS 5.0 V11 Cryptography, V13 key storage; a TOTP key cannot
//! be hashed, since verifying a code needs the key itself). A database dump
//! alone then yields nothing usable: the key lives in a file or the
//! environment, not in the database.
//!
//! Cipher: AES-256-GCM (NIST SP 800-38D) with a fresh random 96-bit nonce per
//! message. Random nonces are safe for up to 2^32 messages under one key
//! (SP 800-38D §8.3), far beyond the number of TOTP enrolments.
//!
//! Associated data: authenticated but not stored. Callers pass what the
//! ciphertext belongs to (say `totp:user:42`), so a sealed value copied to
//! another row fails to open.
//!
//! Format: `v1.` + base64url-without-padding(nonce ‖ ciphertext ‖ tag). The
//! version prefix leaves room to change cipher or key later.
//!
//! Key file: 64 hex characters (an optional trailing newline is ignored), the
//! same form `key_from_hex` takes from the environment, so a key can move
//! between the two. Created with mode 0600; on Unix a file readable by
//! anyone but its owner is refused.

use crate::{Error, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use std::fmt;
use std::io::Write;
use std::path::Path;

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
pub const KEY_LEN: usize = 32;

pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    pub fn new(key: [u8; KEY_LEN]) -> Self {
        SecretBox { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)) }
    }

    pub fn seal(&self, plaintext: &[u8], associated_data: &[u8]) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: associated_data })
            .map_err(|_| Error::internal("secret box: cannot seal"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Fails alike for a wrong key, tampered text and other associated data:
    /// GCM cannot tell them apart, and nobody needs to know which.
    pub fn open(&self, sealed: &str, associated_data: &[u8]) -> Result<Vec<u8>> {
        let body = sealed.strip_prefix(PREFIX).ok_or_else(|| Error::internal("secret box: unknown format"))?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| Error::internal("secret box: not base64url"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::internal("secret box: too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: associated_data })
            .map_err(|_| Error::internal("secret box: cannot open (wrong key or altered)"))
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
pub fn load_or_create_key(path: &Path) -> Result<[u8; KEY_LEN]> {
    match path.try_exists() {
        Ok(true) => read_key(path),
        Ok(false) => match create_key(path) {
            // Another process created it between our check and our create.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key(path),
            Err(e) => Err(Error::internal(format!("secret box key {}: {e}", path.display()))),
            Ok(key) => Ok(key),
        },
        Err(e) => Err(Error::internal(format!("secret box key {}: {e}", path.display()))),
    }
}

fn read_key(path: &Path) -> Result<[u8; KEY_LEN]> {
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
    key_from_hex(text.trim_end_matches(['\n', '\r'])).map_err(|e| Error::internal(format!("{} in {}", internal_message(e), path.display())))
}

fn internal_message(e: Error) -> String {
    match e {
        Error::Internal(source) => source.to_string(),
        other => other.to_string(),
    }
}

fn create_key(path: &Path) -> std::io::Result<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    // create_new: never overwrite a key that would make every sealed value unreadable.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Set at creation, so the key is never readable by others even briefly.
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn boxed() -> SecretBox {
        let mut key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut key);
        SecretBox::new(key)
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
    fn round_trip_with_a_fresh_nonce_each_time() {
        let b = boxed();
        let a = b.seal(b"totp secret bytes", b"totp:user:1").expect("seal");
        let c = b.seal(b"totp secret bytes", b"totp:user:1").expect("seal");
        assert!(a.starts_with("v1."));
        assert_ne!(a, c, "same plaintext, different nonce, different text");
        assert_ne!(&a[3..19], &c[3..19], "nonces differ");
        assert_eq!(b.open(&a, b"totp:user:1").expect("open"), b"totp secret bytes");
        assert_eq!(b.open(&c, b"totp:user:1").expect("open"), b"totp secret bytes");
        assert_eq!(b.open(&b.seal(b"", b"").expect("seal"), b"").expect("open"), b"");
    }

    #[test]
    fn tampering_is_detected() {
        let b = boxed();
        let sealed = b.seal(b"secret", b"ad").expect("seal");
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed[3..]).expect("b64");
        for i in [0, NONCE_LEN, raw.len() - 1] {
            raw[i] ^= 1;
            let altered = format!("v1.{}", URL_SAFE_NO_PAD.encode(&raw));
            assert!(matches!(b.open(&altered, b"ad"), Err(Error::Internal(_))), "byte {i}");
            raw[i] ^= 1;
        }
        assert!(b.open(&format!("v1.{}", URL_SAFE_NO_PAD.encode(&raw)), b"ad").is_ok());
        // truncated, wrong version, not base64: errors, not panics
        assert!(b.open(&sealed[..sealed.len() - 4], b"ad").is_err());
        assert!(b.open("v1.AAAA", b"ad").is_err());
        assert!(b.open("v1.", b"ad").is_err());
        assert!(b.open(&sealed.replacen("v1.", "v2.", 1), b"ad").is_err());
        assert!(b.open("v1.!!!!", b"ad").is_err());
        assert!(b.open("", b"ad").is_err());
    }

    #[test]
    fn other_associated_data_or_key_fails() {
        let b = boxed();
        let sealed = b.seal(b"secret", b"totp:user:1").expect("seal");
        assert!(matches!(b.open(&sealed, b"totp:user:2"), Err(Error::Internal(_))));
        assert!(matches!(boxed().open(&sealed, b"totp:user:1"), Err(Error::Internal(_))));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", boxed()), "SecretBox(<hidden>)");
    }

    #[test]
    fn key_from_hex_wants_exactly_32_bytes() {
        let hex64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(key_from_hex(hex64).expect("key")[1], 0x11);
        assert!(key_from_hex(&format!(" {hex64}\n")).is_ok());
        assert!(key_from_hex(&hex64[..62]).is_err());
        assert!(key_from_hex(&format!("{hex64}00")).is_err());
        assert!(key_from_hex(&hex64.replace('a', "g")).is_err());
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
