//! Fresh private keys as PKCS#8 DER (RFC 5958), the form [`super::Signer::from_pkcs8`] loads
//! and the form sealed at rest.
//!
//! ES256 and EdDSA keys come from `ring`. `ring` cannot generate RSA keys, so RS256 keys come
//! from the `rsa` crate, used for nothing else: signing always goes through `ring`. RSA key
//! generation is a prime search (tens to hundreds of milliseconds in an optimised build); it
//! blocks the calling thread, which is acceptable for rotation, never for a request path.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use rsa::pkcs8::EncodePrivateKey;

use super::{JoseError, SigningAlg};

/// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used"; 2048 is what relying
/// parties universally accept and keeps signing cheap.
pub const RSA_BITS: usize = 2048;

/// A new private key for `alg`, as PKCS#8 DER.
pub fn generate_pkcs8(alg: SigningAlg) -> Result<Vec<u8>, JoseError> {
    let rng = SystemRandom::new();
    match alg {
        SigningAlg::Es256 => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| JoseError::Signing),
        SigningAlg::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| JoseError::Signing),
        SigningAlg::Rs256 => {
            let mut rng = RingRng(rng);
            let key = rsa::PrivateKey::new(&mut rng, RSA_BITS).map_err(|_| JoseError::Signing)?;
            let der = key.to_pkcs8_der().map_err(|_| JoseError::Signing)?;
            Ok(der.as_bytes().to_vec())
        }
    }
}

/// ring's system RNG seen through the `rand_core` traits the `rsa` crate asks for, so that
/// every random byte in Keyward comes from one source.
struct RingRng(SystemRandom);

#[derive(Debug)]
struct RngFailure;

impl fmt::Display for RngFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the system random number generator failed")
    }
}

impl std::error::Error for RngFailure {}

impl rsa::rand_core::TryRng for RingRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut buf = [0u8; 4];
        self.try_fill_bytes(&mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut buf = [0u8; 8];
        self.try_fill_bytes(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).map_err(|_| RngFailure)
    }
}

impl rsa::rand_core::TryCryptoRng for RingRng {}
