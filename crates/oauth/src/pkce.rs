//! RFC 7636: Proof Key for Code Exchange. Only `S256` is offered: `plain` (and a challenge sent
//! without a method, which RFC 7636 §4.3 reads as `plain`) is refused, as OAuth 2.1 and
//! RFC 9700 §2.1.1 advise.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keyward_core::secret::constant_time_eq;
use serde::{Deserialize, Serialize};

/// RFC 7636 §4.2: the only accepted `code_challenge_method`.
pub const S256: &str = "S256";

/// Why a PKCE parameter was refused; the message is safe to show the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    #[error("code_challenge must be 43 base64url characters")]
    MalformedChallenge,
    #[error("code_challenge_method without code_challenge")]
    MethodWithoutChallenge,
}

/// An S256 code challenge: base64url(SHA-256(verifier)), 43 characters. RFC 7636 §4.2
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// RFC 7636 §4.3: the authorization request's `code_challenge` and `code_challenge_method`.
    /// `Ok(None)` when the request uses no PKCE.
    pub fn from_request(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Option<Self>, PkceError> {
        match (challenge, method) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(PkceError::MethodWithoutChallenge),
            (Some(_), None) => Err(PkceError::UnsupportedMethod),
            (Some(_), Some(m)) if m != S256 => Err(PkceError::UnsupportedMethod),
            (Some(c), Some(_)) => {
                let decoded = URL_SAFE_NO_PAD
                    .decode(c)
                    .map_err(|_| PkceError::MalformedChallenge)?;
                if c.len() != 43 || decoded.len() != 32 {
                    return Err(PkceError::MalformedChallenge);
                }
                Ok(Some(Self(c.to_owned())))
            }
        }
    }

    /// The challenge of `verifier` (for tests and clients).
    pub fn of_verifier(verifier: &str) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
        Self(URL_SAFE_NO_PAD.encode(digest.as_ref()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// RFC 7636 §4.6: whether `verifier` is well-formed (§4.1: 43–128 characters of
    /// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`) and hashes to this challenge.
    pub fn verify(&self, verifier: &str) -> bool {
        well_formed_verifier(verifier)
            && constant_time_eq(Self::of_verifier(verifier).0.as_bytes(), self.0.as_bytes())
    }
}

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`.
pub fn well_formed_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        assert_eq!(CodeChallenge::of_verifier(VERIFIER).as_str(), CHALLENGE);
        let challenge = CodeChallenge::from_request(Some(CHALLENGE), Some("S256"));
        assert_eq!(
            challenge.clone().ok().flatten().map(|c| c.verify(VERIFIER)),
            Some(true)
        );
        assert_eq!(
            challenge
                .ok()
                .flatten()
                .map(|c| c.verify("x".repeat(43).as_str())),
            Some(false)
        );
    }

    #[test]
    fn plain_and_missing_method_are_refused() {
        assert_eq!(
            CodeChallenge::from_request(Some(CHALLENGE), Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::from_request(Some(CHALLENGE), None),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            CodeChallenge::from_request(None, Some("S256")),
            Err(PkceError::MethodWithoutChallenge)
        );
        assert_eq!(CodeChallenge::from_request(None, None), Ok(None));
    }

    #[test]
    fn malformed_challenges_and_verifiers_are_refused() {
        assert_eq!(
            CodeChallenge::from_request(Some("short"), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        assert_eq!(
            CodeChallenge::from_request(Some(&"+".repeat(43)), Some("S256")),
            Err(PkceError::MalformedChallenge)
        );
        assert!(!well_formed_verifier(&"a".repeat(42)));
        assert!(!well_formed_verifier(&"a".repeat(129)));
        assert!(!well_formed_verifier(&format!("{}!", "a".repeat(43))));
        assert!(well_formed_verifier(&"a-._~".repeat(9)));
    }
}
