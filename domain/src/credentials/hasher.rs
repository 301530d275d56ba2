//! Password hashing (NIST SP 800-63B §3.1.1.2, OWASP ASVS 5.0 V6).
//!
//! Hashing: argon2id at the OWASP parameters (m = 19 MiB, t = 2, p = 1), stored
//! in the PHC string format. A hash costs ~19 MiB and tens of milliseconds of
//! CPU, so it runs on threads of its own behind a semaphore: over the bound a
//! caller waits briefly, then gets `Error::Busy` instead of piling up memory.
//!
//! Memory: at most `hashing.concurrency` hashes run at once (one per permit;
//! by default one fewer than the CPUs, at least 1, so a flood of wrong
//! passwords always leaves a core to the rest), and each works in a 19 MiB
//! buffer of argon2 blocks taken from a pool and put back afterwards. A
//! buffer is allocated the first time no free one is left, and never more
//! buffers than permits, so hashing holds at most permits × 19 MiB (19 MiB
//! on 2 CPUs), reused for the life of the process. Allocating and freeing 19 MiB
//! per hash instead let bursts of sign-ups and sign-ins leave the process at
//! 130–350 MB: glibc raises its mmap threshold after a large free, so later
//! buffers landed in heap arenas it never gave back.
//!
//! Priority: hashes run on threads of their own, one per permit, at a lower
//! CPU priority than the threads that serve requests (10 nice steps lower on Linux):
//! under a flood of passwords the hashing takes what CPU is idle, and an API
//! call or a page waiting for a core gets it first.

use super::new_password::NewPassword;
use super::policy::MAX_BYTES;
use crate::error::{Error, Result};
use crate::support::secret::Secret;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

fn params() -> Params {
    // OWASP Password Storage Cheat Sheet, argon2id option 2.
    #[allow(clippy::unwrap_used)] // constant parameters, checked by a test
    Params::new(19 * 1024, 2, 1, None).unwrap()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// The reusable block buffers, one per hash running at once. Only code
/// holding a semaphore permit takes one, so there are never more than permits.
struct Buffers {
    blocks: usize,
    free: Mutex<Vec<Box<[Block]>>>,
}

impl Buffers {
    fn new() -> Self {
        Buffers { blocks: params().block_count(), free: Mutex::new(Vec::new()) }
    }

    /// Runs `f` with a free buffer (or a new one if none is free), then puts
    /// it back. The previous hash's blocks left in it do not matter: argon2
    /// writes every block of a pass before it reads it.
    fn with<T>(&self, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let free = self.free.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut buf = free.unwrap_or_else(|| vec![Block::default(); self.blocks].into_boxed_slice());
        let out = f(&mut buf);
        self.free.lock().unwrap_or_else(PoisonError::into_inner).push(buf);
        out
    }

    #[cfg(test)]
    fn allocated(&self) -> usize {
        self.free.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// A job for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// Starts `n` hashing threads at the lower priority; they end when the last
/// sender (the last clone of the [`Hasher`]) is gone.
fn hashing_threads(n: usize) -> Result<mpsc::Sender<Job>> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..n {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("warden-hash-{i}"))
            .spawn(move || {
                lower_priority();
                loop {
                    let job = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match job {
                        // A panicking hash fails its own caller (its answer is dropped), not the thread.
                        Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
                        Err(mpsc::RecvError) => break,
                    }
                }
            })
            .map_err(|e| internal("hashing thread", e))?;
    }
    Ok(tx)
}

/// Lowers the calling thread's CPU priority by 10 nice steps (at most 19;
/// Linux: a thread's own nice value; elsewhere nothing).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id, with no
    // pointers; a failure leaves the priority as it was.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, (now + 10).min(19));
    }
}

#[derive(Clone)]
pub struct Hasher {
    /// Sends jobs to the hashing threads.
    jobs: mpsc::Sender<Job>,
    permits: Arc<Semaphore>,
    wait: Duration,
    buffers: Arc<Buffers>,
    /// A real hash of a random password, verified against when the account is
    /// unknown so that a miss costs the same time as a wrong password.
    dummy: Arc<String>,
}

impl Hasher {
    /// `concurrent` hashes at once; a caller waits up to `wait` for a turn.
    pub fn new(concurrent: usize, wait: Duration) -> Result<Self> {
        let buffers = Arc::new(Buffers::new());
        // Before any permit is handed out: this first buffer is the pool's first.
        let dummy = hash_blocking(&buffers, &Secret::new(crate::support::random::token()))?;
        let concurrent = concurrent.max(1);
        let jobs = hashing_threads(concurrent)?;
        Ok(Hasher { jobs, permits: Arc::new(Semaphore::new(concurrent)), wait, buffers, dummy: Arc::new(dummy) })
    }

    async fn run<T: Send + 'static>(&self, job: impl FnOnce(&Buffers) -> T + Send + 'static) -> Result<T> {
        let permit =
            tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await.map_err(|_| Error::busy())?.map_err(|_| Error::busy())?;
        let buffers = self.buffers.clone();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = job(&buffers);
            drop(permit);
            let _gone = answer.send(out);
        });
        self.jobs.send(job).map_err(|_| Error::internal("the hashing threads are gone"))?;
        answered.await.map_err(|_| Error::internal("a hash failed (panicked)"))
    }

    /// The only way to hash a password: it must have passed the policy.
    pub async fn hash_password(&self, password: &NewPassword) -> Result<String> {
        self.hash_secret(password.secret()).await
    }

    /// Hashes a secret Warden generated itself (a recovery code).
    pub async fn hash_secret(&self, secret: &Secret) -> Result<String> {
        let p = secret.clone();
        self.run(move |buffers| hash_blocking(buffers, &p)).await?
    }

    /// Verifies against `stored`, or against the dummy hash when there is no
    /// account, so both paths take the same time. `None` never verifies.
    pub async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<bool> {
        let p = password.clone();
        let (target, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy.as_ref().clone(), false),
        };
        let ok = self.run(move |buffers| verify_blocking(buffers, &p, &target)).await?;
        Ok(ok && real)
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> Error {
    Error::internal(format!("{what}: {e}"))
}

fn hash_blocking(buffers: &Buffers, password: &Secret) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf).map_err(|e| internal("salt", e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    buffers
        .with(|blocks| argon2().hash_password_into_with_memory(password.expose().as_bytes(), salt_bytes, &mut out, blocks))
        .map_err(|e| internal("hash", e))?;
    // The same PHC string `PasswordHasher::hash_password` writes.
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).map_err(|e| internal("params", e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| internal("output", e))?),
    };
    Ok(phc.to_string())
}

/// Recomputes the hash with the stored algorithm, version, parameters and
/// salt, and compares in constant time.
fn verify_blocking(buffers: &Buffers, password: &Secret, stored: &str) -> bool {
    if password.expose().len() > MAX_BYTES {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else { return false };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let pw = password.expose().as_bytes();
    let done = if blocks <= buffers.blocks {
        buffers.with(|buf| argon2.hash_password_into_with_memory(pw, salt, &mut out, buf))
    } else {
        // Only a hash stored at a higher cost than today's (the parameters
        // were lowered since) gets here: its own buffer, once.
        argon2.hash_password_into(pw, salt, &mut out)
    };
    done.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_parameters_and_verify_exactly() {
        let h = Hasher::new(2, Duration::from_secs(5)).expect("hasher");
        let stored = h.hash_secret(&Secret::new("Correct Horse ")).await.expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(h.verify(&Secret::new("Correct Horse "), Some(&stored)).await.expect("v"));
        // compared exactly as typed: no trimming, no case folding
        assert!(!h.verify(&Secret::new("Correct Horse"), Some(&stored)).await.expect("v"));
        assert!(!h.verify(&Secret::new("correct horse "), Some(&stored)).await.expect("v"));
        // an unknown account never verifies, even with the dummy's own input
        assert!(!h.verify(&Secret::new("Correct Horse "), None).await.expect("v"));
    }

    #[tokio::test]
    async fn over_the_bound_callers_are_told_to_try_again() {
        let h = Hasher::new(1, Duration::from_millis(1)).expect("hasher");
        let held = h.permits.clone().acquire_owned().await.expect("permit");
        let r = h.hash_secret(&Secret::new("long enough")).await;
        assert_eq!(r.map_err(|e| e.code()).err(), Some(crate::error::ErrorCode::Busy));
        drop(held);
        assert!(h.hash_secret(&Secret::new("long enough")).await.is_ok());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_below_the_priority_of_the_threads_that_serve_requests() {
        // SAFETY (both): system calls on the calling thread's own id, no pointers.
        let nice = || unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) };
        let h = Hasher::new(2, Duration::from_secs(5)).expect("hasher");
        let serving = nice();
        let hashing = h.run(move |_| nice()).await.expect("job");
        let lower = (serving + 10).min(19);
        assert_eq!(hashing, lower, "a hash runs 10 nice steps below the caller");
        let (a, b) = tokio::join!(h.run(move |_| nice()), h.run(move |_| nice()));
        assert_eq!((a.expect("a"), b.expect("b")), (lower, lower), "every hashing thread");
        assert_eq!(nice(), serving, "the caller's own priority is untouched");
        // A job that panics fails its caller, and the threads go on.
        let failed = h.run(|_| -> i32 { panic!("boom") }).await;
        assert!(failed.is_err());
        assert!(h.hash_secret(&Secret::new("long enough")).await.is_ok());
    }

    fn old_way_hash(password: &str) -> String {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(password.as_bytes(), &salt).expect("hash").to_string()
    }

    fn old_way_verify(password: &str, stored: &str) -> bool {
        use argon2::password_hash::PasswordVerifier as _;
        argon2().verify_password(password.as_bytes(), &PasswordHash::new(stored).expect("phc")).is_ok()
    }

    #[tokio::test]
    async fn hashes_stored_before_the_buffer_pool_still_verify_and_new_ones_verify_the_old_way() {
        let h = Hasher::new(2, Duration::from_secs(5)).expect("hasher");
        let old = old_way_hash("lantern orbit meadow");
        assert!(h.verify(&Secret::new("lantern orbit meadow"), Some(&old)).await.expect("v"));
        assert!(!h.verify(&Secret::new("lantern orbit meadoW"), Some(&old)).await.expect("v"));

        let new = h.hash_secret(&Secret::new("lantern orbit meadow")).await.expect("hash");
        assert!(old_way_verify("lantern orbit meadow", &new));
        assert!(!old_way_verify("lantern orbit", &new));
        // Same format, same parameters, a fresh salt each time.
        assert_eq!(new.len(), old.len());
        assert_eq!(new.rsplitn(3, '$').nth(2), old.rsplitn(3, '$').nth(2), "{new} vs {old}");
        assert_ne!(new, h.hash_secret(&Secret::new("lantern orbit meadow")).await.expect("hash"));
    }

    #[tokio::test]
    async fn hashes_at_other_parameters_verify_too() {
        use argon2::password_hash::PasswordHasher as _;
        let h = Hasher::new(1, Duration::from_secs(5)).expect("hasher");
        let salt = SaltString::generate(&mut OsRng);
        for (m, t) in [(8 * 1024, 3), (32 * 1024, 1)] {
            let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(m, t, 1, None).expect("params"));
            let stored = a.hash_password(b"blue river stone", &salt).expect("hash").to_string();
            assert!(h.verify(&Secret::new("blue river stone"), Some(&stored)).await.expect("v"), "m={m}");
            assert!(!h.verify(&Secret::new("blue river stones"), Some(&stored)).await.expect("v"), "m={m}");
        }
        for garbage in ["", "$argon2id$v=19$m=19456,t=2,p=1$", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$"] {
            assert!(!h.verify(&Secret::new("blue river stone"), Some(garbage)).await.expect("v"), "{garbage:?}");
        }
    }

    #[tokio::test]
    async fn hashing_never_holds_more_buffers_than_hashes_allowed_at_once() {
        let h = Hasher::new(2, Duration::from_secs(30)).expect("hasher");
        assert_eq!(h.buffers.allocated(), 1, "the dummy hash's buffer, kept for reuse");
        let stored = h.hash_secret(&Secret::new("correct horse battery")).await.expect("hash");
        let jobs: Vec<_> = (0..8)
            .map(|i| {
                let h = h.clone();
                let stored = stored.clone();
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        h.verify(&Secret::new("correct horse battery"), Some(&stored)).await.map(|ok| ok.then_some(()))
                    } else {
                        h.hash_secret(&Secret::new("another secret")).await.map(|_| Some(()))
                    }
                })
            })
            .collect();
        for j in jobs {
            assert_eq!(j.await.expect("join").expect("hashed"), Some(()));
        }
        let n = h.buffers.allocated();
        assert!((1..=2).contains(&n), "{n} buffers of 19 MiB for 2 permits");
    }
}
