//! JOSE for Keyward's tokens: compact JWS (RFC 7515) with the RFC 7518 algorithms ES256 and
//! RS256 and the RFC 8037 algorithm EdDSA (Ed25519), JWKs (RFC 7517) and key generation.
//!
//! Every signature and verification goes through `ring`. The `rsa` crate is used for one thing
//! only, generating RSA keys (ring cannot), in [`keygen`]. Verification checks signatures
//! only: the claims (`iss`, `aud`, `exp`, ...) are the caller's to check.

mod jwk;
pub mod keygen;
mod signer;
mod verify;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use jwk::{VerifyingKey, parse_jwk_set};
pub use signer::Signer;
pub use verify::{MAX_TOKEN_LEN, Verified, verify};

pub use crate::signing_key::SigningAlg;

/// Why a JOSE operation failed. The messages are safe to show to a client: they never carry
/// key material or echo attacker-controlled input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    /// RFC 7515 §7.1: not a compact JWS, bad base64url, or a header or payload that is not
    /// the JSON the spec requires.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The token is larger than Keyward accepts.
    #[error("token too large")]
    TooLarge,
    /// The `alg` is unknown, `none`, or not one Keyward implements.
    #[error("unsupported signing algorithm")]
    UnsupportedAlg,
    /// The `alg` is implemented but not allowed here.
    #[error("signing algorithm not allowed")]
    AlgNotAllowed,
    /// No key with the token's `kid` (and `alg`) is known.
    #[error("unknown signing key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// A key could not be used: bad PKCS#8, a JWK missing members or out of range.
    #[error("unusable key: {0}")]
    InvalidKey(&'static str),
    /// RFC 7515 §4.1.11: a `crit` header names extensions Keyward does not understand.
    #[error("unsupported critical header")]
    UnsupportedCritical,
    /// The claims could not be serialised to JSON.
    #[error("claims are not serialisable")]
    Claims,
    /// The system random number generator or the signing primitive failed.
    #[error("signing failed")]
    Signing,
}

/// RFC 7515 §2: base64url without padding.
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url: no padding, no whitespace, no non-canonical trailing bits.
pub(crate) fn b64_decode(text: &str, what: &'static str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JoseError::Malformed(what))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod base64_tests {
    use super::*;

    #[test]
    fn base64url_refuses_padding_and_standard_alphabet() {
        assert_eq!(b64_decode("YQ", "x"), Ok(b"a".to_vec()));
        assert!(b64_decode("YQ==", "x").is_err(), "padding");
        assert!(b64_decode("+/8", "x").is_err(), "standard alphabet");
        assert!(
            b64_decode("YR", "x").is_err(),
            "non-canonical trailing bits"
        );
        assert!(b64_decode("Y Q", "x").is_err(), "whitespace");
    }
}
