//! Password hashing with Argon2id (RFC 9106), at the parameters OWASP recommends:
//! m = 19 MiB, t = 2, p = 1.

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

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
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
}

impl PasswordHasher {
    /// OWASP's Argon2id parameters: 19 MiB memory, 2 iterations, 1 lane.
    pub fn recommended() -> Result<Self, PasswordError> {
        Params::new(19 * 1024, 2, 1, None)
            .map(|params| Self { params })
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

    /// Whether `password` matches `phc`; a malformed stored hash never matches.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        self.argon2()
            .verify_password(password.as_bytes(), phc)
            .is_ok()
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
