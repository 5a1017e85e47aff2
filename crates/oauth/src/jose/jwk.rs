//! RFC 7517: public keys as JWKs, turned into keys `ring` verifies with.

use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use serde_json::{Map, Value};

use super::{JoseError, SigningAlg, b64_decode};

#[derive(Debug, Clone)]
enum PublicKey {
    /// Uncompressed SEC1 point 0x04 || x || y.
    Es256(Vec<u8>),
    /// The 32-byte Ed25519 public key.
    EdDsa(Vec<u8>),
    Rs256(RsaPublicKeyComponents<Vec<u8>>),
}

/// A public key from a JWK, with the one algorithm it verifies.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    kid: Option<String>,
    alg: SigningAlg,
    key: PublicKey,
}

const MIN_RSA_BYTES: usize = 2048 / 8;
const MAX_RSA_BYTES: usize = 8192 / 8;

impl VerifyingKey {
    /// RFC 7517 §4, RFC 7518 §6.2.1 (EC P-256), §6.3.1 (RSA) and RFC 8037 §2 (OKP Ed25519).
    /// A key marked `use: enc`, an `alg` that does not fit the key type, or a curve or size
    /// Keyward does not implement is refused.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        let jwk = jwk
            .as_object()
            .ok_or(JoseError::InvalidKey("a JWK is a JSON object"))?;
        if let Some(usage) = jwk.get("use")
            && usage.as_str() != Some("sig")
        {
            return Err(JoseError::InvalidKey("not a signature key"));
        }
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(JoseError::InvalidKey("kid is not a string")),
        };
        let (alg, key) = match member(jwk, "kty")? {
            "EC" => {
                if member(jwk, "crv")? != "P-256" {
                    return Err(JoseError::InvalidKey("unsupported curve"));
                }
                let x = coordinate(jwk, "x")?;
                let y = coordinate(jwk, "y")?;
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                (SigningAlg::Es256, PublicKey::Es256(point))
            }
            "OKP" => {
                if member(jwk, "crv")? != "Ed25519" {
                    return Err(JoseError::InvalidKey("unsupported curve"));
                }
                (SigningAlg::EdDsa, PublicKey::EdDsa(coordinate(jwk, "x")?))
            }
            "RSA" => {
                let n = unsigned(jwk, "n")?;
                let e = unsigned(jwk, "e")?;
                if !(MIN_RSA_BYTES..=MAX_RSA_BYTES).contains(&n.len()) || e.is_empty() {
                    return Err(JoseError::InvalidKey("RSA modulus out of range"));
                }
                (
                    SigningAlg::Rs256,
                    PublicKey::Rs256(RsaPublicKeyComponents { n, e }),
                )
            }
            _ => return Err(JoseError::InvalidKey("unsupported key type")),
        };
        if let Some(declared) = jwk.get("alg") {
            let declared = declared
                .as_str()
                .ok_or(JoseError::InvalidKey("alg is not a string"))?;
            if declared != alg.as_str() {
                return Err(JoseError::UnsupportedAlg);
            }
        }
        Ok(Self { kid, alg, key })
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// Checks `signature` over `input` with this key's one algorithm.
    pub(crate) fn verify_signature(&self, input: &[u8], sig: &[u8]) -> Result<(), JoseError> {
        let result = match &self.key {
            PublicKey::Es256(point) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(input, sig)
            }
            PublicKey::EdDsa(key) => UnparsedPublicKey::new(&ED25519, key).verify(input, sig),
            PublicKey::Rs256(components) => {
                components.verify(&RSA_PKCS1_2048_8192_SHA256, input, sig)
            }
        };
        result.map_err(|_| JoseError::BadSignature)
    }
}

/// RFC 7517 §5: the usable signature keys of a JWK Set. Keys with a type, curve, algorithm
/// or use Keyward does not implement, or missing members, are skipped (RFC 7517 §5 says
/// to ignore them); only a set that is not `{"keys": [objects]}` is an error.
pub fn parse_jwk_set(set: &Value) -> Result<Vec<VerifyingKey>, JoseError> {
    let keys = set
        .as_object()
        .and_then(|o| o.get("keys"))
        .and_then(Value::as_array)
        .ok_or(JoseError::Malformed("a JWK Set is {\"keys\": [...]}"))?;
    let mut usable = Vec::with_capacity(keys.len());
    for key in keys {
        if !key.is_object() {
            return Err(JoseError::Malformed("a JWK is a JSON object"));
        }
        if let Ok(key) = VerifyingKey::from_jwk(key) {
            usable.push(key);
        }
    }
    Ok(usable)
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, JoseError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(JoseError::InvalidKey("a required JWK member is missing"))
}

/// A 32-byte curve coordinate or Ed25519 key.
fn coordinate(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JoseError> {
    let bytes = b64_decode(member(jwk, name)?, "JWK member is not base64url")
        .map_err(|_| JoseError::InvalidKey("JWK member is not base64url"))?;
    if bytes.len() != 32 {
        return Err(JoseError::InvalidKey("wrong key length"));
    }
    Ok(bytes)
}

/// RFC 7518 §2 Base64urlUInt; leading zero octets (which some issuers emit) are dropped
/// because ring wants the minimal encoding.
fn unsigned(jwk: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JoseError> {
    let bytes = b64_decode(member(jwk, name)?, "JWK member is not base64url")
        .map_err(|_| JoseError::InvalidKey("JWK member is not base64url"))?;
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    Ok(bytes.get(start..).unwrap_or_default().to_vec())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ec_jwk() -> Value {
        json!({"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})
    }

    #[test]
    fn jwk_of_each_supported_type_parses_with_its_alg() -> Result<(), JoseError> {
        let ec = VerifyingKey::from_jwk(&ec_jwk())?;
        assert_eq!((ec.kid(), ec.alg()), (Some("k1"), SigningAlg::Es256));
        let okp = VerifyingKey::from_jwk(&json!({"kty": "OKP", "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}))?;
        assert_eq!((okp.kid(), okp.alg()), (None, SigningAlg::EdDsa));
        let n = super::super::b64_encode(&[0xc5; 256]);
        let rsa = VerifyingKey::from_jwk(&json!({"kty": "RSA", "n": n, "e": "AQAB"}))?;
        assert_eq!(rsa.alg(), SigningAlg::Rs256);
        Ok(())
    }

    #[test]
    fn jwk_refuses_encryption_keys_foreign_curves_mismatched_alg_and_small_rsa() {
        let mut enc = ec_jwk();
        enc["use"] = json!("enc");
        assert!(VerifyingKey::from_jwk(&enc).is_err());
        let mut p384 = ec_jwk();
        p384["crv"] = json!("P-384");
        assert!(VerifyingKey::from_jwk(&p384).is_err());
        let mut rs = ec_jwk();
        rs["alg"] = json!("RS256");
        assert_eq!(
            VerifyingKey::from_jwk(&rs).err(),
            Some(JoseError::UnsupportedAlg)
        );
        let mut short = ec_jwk();
        short["x"] = json!("AQAB");
        assert!(VerifyingKey::from_jwk(&short).is_err());
        let n = super::super::b64_encode(&[0xc5; 128]);
        assert!(VerifyingKey::from_jwk(&json!({"kty": "RSA", "n": n, "e": "AQAB"})).is_err());
        assert!(VerifyingKey::from_jwk(&json!({"kty": "oct", "k": "AQAB"})).is_err());
    }

    #[test]
    fn jwk_set_skips_keys_it_cannot_use_and_refuses_a_wrong_shape() -> Result<(), JoseError> {
        let set = json!({"keys": [ec_jwk(), {"kty": "oct", "k": "AQAB"},
            {"kty": "EC", "crv": "P-256", "use": "enc", "x": "", "y": ""},
            {"kty": "RSA", "alg": "PS256", "n": "AQAB", "e": "AQAB"}]});
        let keys = parse_jwk_set(&set)?;
        assert_eq!(keys.len(), 1);
        assert!(parse_jwk_set(&json!([ec_jwk()])).is_err());
        assert!(parse_jwk_set(&json!({"keys": {}})).is_err());
        assert!(parse_jwk_set(&json!({"keys": ["x"]})).is_err());
        assert!(parse_jwk_set(&json!({"keys": []}))?.is_empty());
        Ok(())
    }
}
