//! Secrets at rest: the master key and the AEAD that seals private signing keys and
//! second-factor secrets, plus the random tokens Keyward hands out.
//!
//! Sealed format: `0x01 || nonce (12 bytes) || ChaCha20-Poly1305 ciphertext and tag`. The
//! associated data names what the secret belongs to (e.g. `signing_key:{tenant}:{kid}`), so a
//! sealed value copied onto another row does not open.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const VERSION: u8 = 1;
const KEY_LEN: usize = 32;

/// Why a master key or a sealed secret was refused. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the master key must be 32 bytes encoded as base64 ({0})")]
    MalformedKey(&'static str),
    #[error("the sealed value does not open with this master key (wrong key or corrupt data)")]
    WrongKeyOrCorrupt,
    #[error("the system random number generator failed")]
    Random,
}

/// The 256-bit key that seals secrets at rest. Its `Debug` output hides the key.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, SecretError> {
        let mut key = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| SecretError::Random)?;
        Ok(Self { key })
    }

    /// Parses standard or URL-safe base64 (padding optional) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| SecretError::MalformedKey("not base64"))?;
        let key: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| SecretError::MalformedKey("wrong length"))?;
        Ok(Self { key })
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.key)
    }

    fn aead(&self) -> Result<LessSafeKey, SecretError> {
        UnboundKey::new(&CHACHA20_POLY1305, &self.key)
            .map(LessSafeKey::new)
            .map_err(|_| SecretError::MalformedKey("wrong length"))
    }

    /// Encrypts and authenticates `plaintext`, bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SecretError::Random)?;
        let mut buf = plaintext.to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| SecretError::Random)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypts a value sealed by [`MasterKey::seal`] with the same key and context.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, SecretError> {
        let (version, rest) = sealed.split_first().ok_or(SecretError::WrongKeyOrCorrupt)?;
        if *version != VERSION || rest.len() < NONCE_LEN {
            return Err(SecretError::WrongKeyOrCorrupt);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| SecretError::WrongKeyOrCorrupt)?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .aead()?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| SecretError::WrongKeyOrCorrupt)?;
        Ok(plain.to_vec())
    }

    /// A 256-bit subkey for one purpose (HKDF-SHA256, RFC 5869), e.g. the client-secret MAC key.
    pub fn derive(&self, purpose: &str) -> Result<[u8; 32], SecretError> {
        struct Len32;
        impl ring::hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"keyward").extract(&self.key);
        let info = [purpose.as_bytes()];
        let okm = prk.expand(&info, Len32).map_err(|_| SecretError::Random)?;
        let mut out = [0u8; 32];
        okm.fill(&mut out).map_err(|_| SecretError::Random)?;
        Ok(out)
    }

    /// The value stored once per database so start-up can tell a wrong master key at once.
    pub fn check_value(&self) -> Result<String, SecretError> {
        Ok(STANDARD.encode(self.seal(CHECK_PLAINTEXT, CHECK_CONTEXT)?))
    }

    /// Whether `stored` (from [`MasterKey::check_value`]) was made with this key.
    pub fn verify_check_value(&self, stored: &str) -> Result<(), SecretError> {
        let sealed = STANDARD
            .decode(stored)
            .map_err(|_| SecretError::WrongKeyOrCorrupt)?;
        let plain = self.open(&sealed, CHECK_CONTEXT)?;
        if constant_time_eq(&plain, CHECK_PLAINTEXT) {
            Ok(())
        } else {
            Err(SecretError::WrongKeyOrCorrupt)
        }
    }
}

const CHECK_PLAINTEXT: &[u8] = b"keyward master key check v1";
const CHECK_CONTEXT: &str = "platform:master_key_check";

/// `bytes` random bytes, URL-safe base64 without padding (for ids, codes and secrets).
/// Falls back to a UUIDv4-based token only if the system RNG fails, which ring reports but
/// which does not happen on a working system; callers needing a guarantee use [`try_random_token`].
pub fn random_token(bytes: usize) -> String {
    try_random_token(bytes).unwrap_or_else(|_| {
        let mut s = String::new();
        while s.len() < bytes * 4 / 3 {
            s.push_str(&uuid::Uuid::new_v4().simple().to_string());
        }
        s.truncate(bytes * 4 / 3 + 1);
        s
    })
}

/// `bytes` random bytes from the system RNG, URL-safe base64 without padding.
pub fn try_random_token(bytes: usize) -> Result<String, SecretError> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| SecretError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_with_same_key_and_context() -> Result<(), SecretError> {
        let key = MasterKey::generate()?;
        let other = MasterKey::generate()?;
        let sealed = key.seal(b"private key", "signing_key:t:k1")?;
        assert_eq!(key.open(&sealed, "signing_key:t:k1")?, b"private key");
        assert_eq!(
            other.open(&sealed, "signing_key:t:k1"),
            Err(SecretError::WrongKeyOrCorrupt)
        );
        assert_eq!(
            key.open(&sealed, "signing_key:t:k2"),
            Err(SecretError::WrongKeyOrCorrupt)
        );
        assert_eq!(
            key.open(&sealed[..5], "signing_key:t:k1"),
            Err(SecretError::WrongKeyOrCorrupt)
        );
        Ok(())
    }

    #[test]
    fn master_key_round_trips_through_base64_and_refuses_bad_text() -> Result<(), SecretError> {
        let key = MasterKey::generate()?;
        let again = MasterKey::from_base64(&key.to_base64())?;
        assert_eq!(again.key, key.key);
        assert!(matches!(
            MasterKey::from_base64("short"),
            Err(SecretError::MalformedKey(_))
        ));
        assert!(matches!(
            MasterKey::from_base64("!!!"),
            Err(SecretError::MalformedKey(_))
        ));
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
        Ok(())
    }

    #[test]
    fn check_value_detects_a_wrong_master_key() -> Result<(), SecretError> {
        let key = MasterKey::generate()?;
        let check = key.check_value()?;
        key.verify_check_value(&check)?;
        let other = MasterKey::generate()?;
        assert_eq!(
            other.verify_check_value(&check),
            Err(SecretError::WrongKeyOrCorrupt)
        );
        Ok(())
    }

    #[test]
    fn derived_subkeys_differ_by_purpose_and_are_stable() -> Result<(), SecretError> {
        let key = MasterKey::generate()?;
        assert_eq!(key.derive("a")?, key.derive("a")?);
        assert_ne!(key.derive("a")?, key.derive("b")?);
        Ok(())
    }

    #[test]
    fn random_tokens_have_the_requested_entropy() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
    }
}
