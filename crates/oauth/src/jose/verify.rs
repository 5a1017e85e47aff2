//! RFC 7515 §5.2: validating a compact JWS against known keys.

use serde_json::{Map, Value};

use super::{JoseError, SigningAlg, VerifyingKey, b64_decode};

/// Tokens longer than this are refused before any parsing (16 KiB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A JWS whose signature verified: its header fields and its (unchecked) claims object.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub alg: SigningAlg,
    pub kid: Option<String>,
    pub typ: Option<String>,
    pub claims: Value,
}

/// RFC 7515 §5.2 and RFC 8725 §3.1: verifies the signature only (claims are the caller's
/// to check). The header `alg` must be one of `allowed` and is never `none`; the key is
/// picked by `kid` and must be of that same `alg` (no algorithm confusion), or, when the
/// token has no `kid`, every key of that `alg` is tried. The payload must be a JSON object.
pub fn verify(
    token: &str,
    keys: &[VerifyingKey],
    allowed: &[SigningAlg],
) -> Result<Verified, JoseError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JoseError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed("not a compact JWS"));
    };
    let header = json_object(
        &b64_decode(header_b64, "header is not base64url")?,
        "header",
    )?;
    let alg = match header.get("alg").and_then(Value::as_str) {
        Some(name) => name
            .parse::<SigningAlg>()
            .map_err(|_| JoseError::UnsupportedAlg)?,
        None => return Err(JoseError::Malformed("header has no alg")),
    };
    if !allowed.contains(&alg) {
        return Err(JoseError::AlgNotAllowed);
    }
    if header.contains_key("crit") {
        return Err(JoseError::UnsupportedCritical);
    }
    let kid = optional_string(&header, "kid")?;
    let typ = optional_string(&header, "typ")?;
    let signature = b64_decode(signature_b64, "signature is not base64url")?;
    let payload = b64_decode(payload_b64, "payload is not base64url")?;

    let mut candidates = keys
        .iter()
        .filter(|k| k.alg() == alg)
        .filter(|k| kid.is_none() || k.kid() == kid.as_deref())
        .peekable();
    if candidates.peek().is_none() {
        return Err(JoseError::UnknownKey);
    }
    // The signing input is the encoded header and payload as sent (RFC 7515 §5.2 step 8).
    let input_len = header_b64.len() + 1 + payload_b64.len();
    let input = token.get(..input_len).unwrap_or_default().as_bytes();
    if !candidates.any(|k| k.verify_signature(input, &signature).is_ok()) {
        return Err(JoseError::BadSignature);
    }
    let claims = Value::Object(json_object(&payload, "payload")?);
    Ok(Verified {
        alg,
        kid,
        typ,
        claims,
    })
}

fn json_object(bytes: &[u8], what: &'static str) -> Result<Map<String, Value>, JoseError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ if what == "header" => Err(JoseError::Malformed("header is not a JSON object")),
        _ => Err(JoseError::Malformed("payload is not a JSON object")),
    }
}

fn optional_string(header: &Map<String, Value>, name: &str) -> Result<Option<String>, JoseError> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JoseError::Malformed("header member is not a string")),
    }
}
