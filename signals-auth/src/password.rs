//! Password hashing: argon2id with a fresh random salt, stored as a PHC
//! string. The flows hash and verify; stores keep only the hash.
//!
//! Each hash or verification takes tens of milliseconds of CPU (more in a
//! debug build). With the `tokio` feature, on a multi-thread tokio runtime,
//! it runs in `tokio::task::block_in_place`: the worker thread hands its
//! other tasks to another thread first, so the executor keeps serving them.
//! Elsewhere (no feature, a current-thread runtime, another executor) it
//! runs inline on the calling thread.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::secret::Secret;

/// Hashes a password with argon2id (the crate's default parameters, which
/// follow OWASP's minimum: 19 MiB, two passes) and a random salt.
pub(crate) fn hash(password: &Secret<String>) -> Secret<String> {
    off_executor(|| hash_here(password))
}

fn hash_here(password: &Secret<String>) -> Secret<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    let hash = Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 accepts any password with its default parameters");
    Secret::new(hash.to_string())
}

/// True if `password` matches `hash`. Without a hash (an unknown user, an
/// unusable password) a dummy hash is verified anyway and `false` comes
/// back, so the answer takes as long either way.
pub(crate) fn verify(password: &Secret<String>, hash: Option<&Secret<String>>) -> bool {
    off_executor(|| verify_here(password, hash))
}

fn verify_here(password: &Secret<String>, hash: Option<&Secret<String>>) -> bool {
    static DUMMY: OnceLock<Secret<String>> = OnceLock::new();
    let (stored, real) = match hash {
        Some(hash) => (hash, true),
        None => (DUMMY.get_or_init(|| hash_here(&Secret::from("-"))), false),
    };
    let Ok(parsed) = PasswordHash::new(stored.expose()) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// Runs `work` where it does not hold up other tasks: see the module docs.
fn off_executor<T>(work: impl FnOnce() -> T) -> T {
    #[cfg(feature = "tokio")]
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
            return tokio::task::block_in_place(work);
        }
    }
    work()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_and_verify() {
        let password = Secret::from("correct horse");
        let (a, b) = (hash(&password), hash(&password));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(a.expose().starts_with("$argon2id$"));
        assert!(!a.expose().contains("correct horse"));
        assert!(verify(&password, Some(&a)));
        assert!(!verify(&Secret::from("wrong"), Some(&a)));
        assert!(!verify(&password, None));
        assert!(!verify(&password, Some(&Secret::from("not a hash"))));
    }
}
