//! RFC 7515 §7.1: producing compact JWS with a private key.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
    RsaKeyPair, RsaPublicKeyComponents,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{JoseError, SigningAlg, b64_encode};

enum PrivateKey {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(RsaKeyPair),
}

/// A private signing key with its `kid`, ready to sign compact JWS.
pub struct Signer {
    kid: String,
    alg: SigningAlg,
    key: PrivateKey,
    rng: SystemRandom,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// RFC 7515 §4.1: the protected header Keyward writes.
#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'a str,
}

impl Signer {
    /// Loads a PKCS#8 v1 or v2 DER private key for `alg` (RFC 5958). RSA keys must be
    /// 2048 to 8192 bits.
    pub fn from_pkcs8(alg: SigningAlg, kid: String, pkcs8_der: &[u8]) -> Result<Self, JoseError> {
        let rng = SystemRandom::new();
        let key = match alg {
            SigningAlg::Es256 => {
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8_der, &rng)
                    .map(PrivateKey::Es256)
                    .map_err(|_| JoseError::InvalidKey("not a P-256 PKCS#8 key"))?
            }
            SigningAlg::EdDsa => Ed25519KeyPair::from_pkcs8(pkcs8_der)
                .or_else(|_| Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8_der))
                .map(PrivateKey::EdDsa)
                .map_err(|_| JoseError::InvalidKey("not an Ed25519 PKCS#8 key"))?,
            SigningAlg::Rs256 => RsaKeyPair::from_pkcs8(pkcs8_der)
                .map(PrivateKey::Rs256)
                .map_err(|_| JoseError::InvalidKey("not a 2048-8192 bit RSA PKCS#8 key"))?,
        };
        Ok(Self { kid, alg, key, rng })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// RFC 7515 §7.1: header `{"alg","kid","typ"}`, claims serialised with serde_json;
    /// returns the compact JWS.
    pub fn sign<C: Serialize + ?Sized>(&self, typ: &str, claims: &C) -> Result<String, JoseError> {
        let header = serde_json::to_vec(&Header {
            alg: self.alg.as_str(),
            kid: &self.kid,
            typ,
        })
        .map_err(|_| JoseError::Claims)?;
        let payload = serde_json::to_vec(claims).map_err(|_| JoseError::Claims)?;
        let mut token = b64_encode(&header);
        token.push('.');
        token.push_str(&b64_encode(&payload));
        let signature = self.sign_bytes(token.as_bytes())?;
        token.push('.');
        token.push_str(&b64_encode(&signature));
        Ok(token)
    }

    /// RFC 7518 §3.3 / §3.4 and RFC 8037 §3.1: the raw signature over the signing input
    /// (R || S for ES256).
    pub(super) fn sign_bytes(&self, input: &[u8]) -> Result<Vec<u8>, JoseError> {
        match &self.key {
            PrivateKey::Es256(pair) => pair
                .sign(&self.rng, input)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| JoseError::Signing),
            PrivateKey::EdDsa(pair) => Ok(pair.sign(input).as_ref().to_vec()),
            PrivateKey::Rs256(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, input, &mut signature)
                    .map_err(|_| JoseError::Signing)?;
                Ok(signature)
            }
        }
    }

    /// RFC 7517 §4 / RFC 7518 §6 / RFC 8037 §2: the public JWK of this key, with
    /// `kid`, `use: sig` and `alg`. Never carries a private member.
    pub fn public_jwk(&self) -> Value {
        let (kid, alg) = (self.kid.as_str(), self.alg.as_str());
        match &self.key {
            PrivateKey::Es256(pair) => {
                // Uncompressed SEC1 point: 0x04 || x (32) || y (32).
                let point = pair.public_key().as_ref();
                let x = point.get(1..33).unwrap_or_default();
                let y = point.get(33..65).unwrap_or_default();
                json!({
                    "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": alg,
                    "x": b64_encode(x), "y": b64_encode(y),
                })
            }
            PrivateKey::EdDsa(pair) => json!({
                "kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": alg,
                "x": b64_encode(pair.public_key().as_ref()),
            }),
            PrivateKey::Rs256(pair) => {
                let public: RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                json!({
                    "kty": "RSA", "kid": kid, "use": "sig", "alg": alg,
                    "n": b64_encode(&public.n), "e": b64_encode(&public.e),
                })
            }
        }
    }
}
