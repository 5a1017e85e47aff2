//! Password hashing with Argon2id (RFC 9106), at the parameters OWASP recommends:
//! m = 19 MiB, t = 2, p = 1.

use std::sync::{Arc, Mutex};

use argon2::password_hash::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use keyward_core::secret::constant_time_eq;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short (at least {0} characters)")]
    TooShort(u32),
    #[error("the password is too long (at most 1024 bytes)")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// Hashes and verifies human passwords.
///
/// Verification reuses Argon2's 19 MiB working memory from a small pool: allocating, zeroing
/// and page-faulting a fresh buffer per sign-in cost about a fifth of the CPU of a login
/// (docs/BENCHMARKS.md, full-login profile). The pool never holds more buffers than
/// verifications ran at once (callers bound that by the number of cores).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish()
    }
}

impl PasswordHasher {
    /// OWASP's Argon2id parameters: 19 MiB memory, 2 iterations, 1 lane.
    pub fn recommended() -> Result<Self, PasswordError> {
        Params::new(19 * 1024, 2, 1, None)
            .map(|params| Self {
                params,
                memory: Arc::default(),
            })
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    fn argon2(&self) -> Argon2<'_> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Checks the policy and returns a PHC string.
    pub fn hash(&self, password: &str, min_length: u32) -> Result<String, PasswordError> {
        if password.chars().count() < min_length as usize {
            return Err(PasswordError::TooShort(min_length));
        }
        if password.len() > 1024 {
            return Err(PasswordError::TooLong);
        }
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// Whether `password` matches `phc`; a malformed stored hash never matches. The stored
    /// hash's own parameters are used, so hashes made under older parameters still verify.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Ok(algorithm), Ok(params)) = (
            Algorithm::try_from(parsed.algorithm.as_str()),
            Params::try_from(&parsed),
        ) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let mut out = vec![0u8; expected.len()];
        let mut blocks = self.borrow_memory(params.block_count());
        let hashed = Argon2::new(algorithm, version, params)
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt.as_ref(),
                &mut out,
                &mut blocks,
            )
            .is_ok();
        self.return_memory(blocks);
        hashed && constant_time_eq(&out, expected.as_ref())
    }

    fn borrow_memory(&self, blocks: usize) -> Vec<Block> {
        let pooled = self.memory.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            // Argon2 writes every block before it reads it, so no clearing is needed.
            Some(memory) if memory.len() == blocks => memory,
            _ => vec![Block::default(); blocks],
        }
    }

    fn return_memory(&self, memory: Vec<Block>) {
        if let Ok(mut pool) = self.memory.lock() {
            // Bounded: at most one buffer per verification that ran at the same time.
            if pool.len() < 8 {
                pool.push(memory);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_verifies_only_the_right_password() -> Result<(), PasswordError> {
        let hasher = PasswordHasher::recommended()?;
        let phc = hasher.hash("correct horse battery", 8)?;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("correct horse battery", &phc));
        assert!(!hasher.verify("wrong horse battery", &phc));
        assert!(!hasher.verify("correct horse battery", "not a phc string"));
        Ok(())
    }

    #[test]
    fn reused_memory_gives_the_same_answers() -> Result<(), PasswordError> {
        let hasher = PasswordHasher::recommended()?;
        let phc = hasher.hash("correct horse battery", 8)?;
        for _ in 0..3 {
            assert!(hasher.verify("correct horse battery", &phc));
            assert!(!hasher.verify("correct horse batterz", &phc));
        }
        let pooled = hasher.memory.lock().map(|p| p.len()).unwrap_or(0);
        assert_eq!(pooled, 1, "one buffer, reused");
        Ok(())
    }

    #[test]
    fn refuses_passwords_outside_the_policy() -> Result<(), PasswordError> {
        let hasher = PasswordHasher::recommended()?;
        assert!(matches!(
            hasher.hash("short", 8),
            Err(PasswordError::TooShort(8))
        ));
        assert!(matches!(
            hasher.hash(&"x".repeat(2000), 8),
            Err(PasswordError::TooLong)
        ));
        Ok(())
    }
}
