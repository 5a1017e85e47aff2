//! Signing and verification together, including the attacks RFC 8725 lists.

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::keygen::generate_pkcs8;
use super::*;

const ALL: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

/// RSA key generation is slow; the tests share one key per process.
fn pkcs8(alg: SigningAlg) -> Result<Vec<u8>, JoseError> {
    static RSA: OnceLock<Result<Vec<u8>, JoseError>> = OnceLock::new();
    match alg {
        SigningAlg::Rs256 => RSA.get_or_init(|| generate_pkcs8(alg)).clone(),
        _ => generate_pkcs8(alg),
    }
}

fn signer(alg: SigningAlg, kid: &str) -> Result<Signer, JoseError> {
    Signer::from_pkcs8(alg, kid.to_owned(), &pkcs8(alg)?)
}

fn verifying(signer: &Signer) -> Result<VerifyingKey, JoseError> {
    VerifyingKey::from_jwk(&signer.public_jwk())
}

fn claims() -> Value {
    json!({"iss": "https://id.test/t/acme", "sub": "u1", "exp": 1_900_000_000})
}

/// Re-encodes one part of a compact JWS, keeping the others as they are.
fn replace_part(token: &str, index: usize, value: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    if let Some(part) = parts.get_mut(index) {
        *part = b64_encode(value.to_string().as_bytes());
    }
    parts.join(".")
}

fn header_of(token: &str) -> Value {
    let first = token.split('.').next().unwrap_or_default();
    b64_decode(first, "header")
        .ok()
        .and_then(|h| serde_json::from_slice(&h).ok())
        .unwrap_or(Value::Null)
}

#[test]
fn a_signed_token_verifies_with_its_public_jwk_for_every_alg() -> Result<(), JoseError> {
    for alg in ALL {
        let signer = signer(alg, "k1")?;
        let token = signer.sign("at+jwt", &claims())?;
        assert_eq!(
            header_of(&token),
            json!({"alg": alg.as_str(), "kid": "k1", "typ": "at+jwt"})
        );
        let verified = verify(&token, &[verifying(&signer)?], &ALL)?;
        assert_eq!(verified.alg, alg);
        assert_eq!(verified.kid.as_deref(), Some("k1"));
        assert_eq!(verified.typ.as_deref(), Some("at+jwt"));
        assert_eq!(verified.claims, claims());
    }
    Ok(())
}

#[test]
fn public_jwk_carries_no_private_member() -> Result<(), JoseError> {
    for alg in ALL {
        let jwk = signer(alg, "k1")?.public_jwk();
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
            assert!(jwk.get(private).is_none(), "{alg}: {private}");
        }
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], alg.as_str());
    }
    let rsa = signer(SigningAlg::Rs256, "k1")?.public_jwk();
    assert_eq!(rsa["e"], "AQAB");
    assert_eq!(
        b64_decode(rsa["n"].as_str().unwrap_or_default(), "n").map(|n| n.len()),
        Ok(256)
    );
    Ok(())
}

#[test]
fn signature_from_another_key_is_refused() -> Result<(), JoseError> {
    for alg in [SigningAlg::Es256, SigningAlg::EdDsa] {
        let token = signer(alg, "k1")?.sign("JWT", &claims())?;
        let other = verifying(&signer(alg, "k1")?)?;
        assert_eq!(verify(&token, &[other], &ALL), Err(JoseError::BadSignature));
    }
    Ok(())
}

#[test]
fn tampered_payload_is_refused() -> Result<(), JoseError> {
    for alg in ALL {
        let signer = signer(alg, "k1")?;
        let token = signer.sign("JWT", &claims())?;
        let mut forged = claims();
        forged["sub"] = json!("admin");
        let tampered = replace_part(&token, 1, &forged);
        assert_eq!(
            verify(&tampered, &[verifying(&signer)?], &ALL),
            Err(JoseError::BadSignature),
            "{alg}"
        );
    }
    Ok(())
}

#[test]
fn alg_none_and_unknown_algs_are_refused() -> Result<(), JoseError> {
    let signer = signer(SigningAlg::Es256, "k1")?;
    let keys = [verifying(&signer)?];
    let token = signer.sign("JWT", &claims())?;
    for alg in ["none", "None", "HS256", "ES384"] {
        let forged = replace_part(&token, 0, &json!({"alg": alg, "kid": "k1"}));
        assert_eq!(
            verify(&forged, &keys, &ALL),
            Err(JoseError::UnsupportedAlg),
            "{alg}"
        );
    }
    let unsigned = replace_part(&token, 0, &json!({"alg": "none"}));
    let unsigned = unsigned
        .rsplit_once('.')
        .map(|(t, _)| format!("{t}."))
        .unwrap_or_default();
    assert_eq!(
        verify(&unsigned, &keys, &ALL),
        Err(JoseError::UnsupportedAlg)
    );
    Ok(())
}

#[test]
fn header_alg_swapped_to_another_alg_is_refused() -> Result<(), JoseError> {
    let es = signer(SigningAlg::Es256, "es")?;
    let ed = signer(SigningAlg::EdDsa, "ed")?;
    let rs = signer(SigningAlg::Rs256, "rs")?;
    let keys = [verifying(&es)?, verifying(&ed)?, verifying(&rs)?];
    let token = es.sign("JWT", &claims())?;
    for alg in ["RS256", "EdDSA"] {
        // Same kid, other alg: the key named by kid does not do that alg.
        let forged = replace_part(&token, 0, &json!({"alg": alg, "kid": "es"}));
        assert_eq!(verify(&forged, &keys, &ALL), Err(JoseError::UnknownKey));
        // No kid: only keys of the claimed alg are tried, and none made this signature.
        let forged = replace_part(&token, 0, &json!({"alg": alg}));
        assert_eq!(verify(&forged, &keys, &ALL), Err(JoseError::BadSignature));
    }
    Ok(())
}

#[test]
fn alg_outside_the_allowed_list_is_refused() -> Result<(), JoseError> {
    let signer = signer(SigningAlg::EdDsa, "k1")?;
    let token = signer.sign("JWT", &claims())?;
    assert_eq!(
        verify(&token, &[verifying(&signer)?], &[SigningAlg::Es256]),
        Err(JoseError::AlgNotAllowed)
    );
    Ok(())
}

#[test]
fn token_without_kid_is_checked_against_every_key_of_its_alg() -> Result<(), JoseError> {
    let a = signer(SigningAlg::Es256, "a")?;
    let b = signer(SigningAlg::Es256, "b")?;
    let keys = [verifying(&a)?, verifying(&b)?];
    let input = format!(
        "{}.{}",
        b64_encode(br#"{"alg":"ES256"}"#),
        b64_encode(claims().to_string().as_bytes())
    );
    let token = format!("{input}.{}", b64_encode(&b.sign_bytes(input.as_bytes())?));
    let verified = verify(&token, &keys, &ALL)?;
    assert_eq!((verified.kid, verified.claims), (None, claims()));

    // The header is part of the signing input: b's token with its header rewritten fails.
    let signed = b.sign("JWT", &claims())?;
    let (_, rest) = signed.split_once('.').unwrap_or_default();
    let forged = format!("{}.{rest}", b64_encode(br#"{"alg":"ES256"}"#));
    assert_eq!(verify(&forged, &keys, &ALL), Err(JoseError::BadSignature));

    let unknown = replace_part(&signed, 0, &json!({"alg": "ES256", "kid": "zzz"}));
    assert_eq!(verify(&unknown, &keys, &ALL), Err(JoseError::UnknownKey));
    Ok(())
}

#[test]
fn malformed_and_oversize_tokens_are_refused_early() -> Result<(), JoseError> {
    let signer = signer(SigningAlg::Es256, "k1")?;
    let keys = [verifying(&signer)?];
    let token = signer.sign("JWT", &claims())?;
    let huge = "a".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(verify(&huge, &keys, &ALL), Err(JoseError::TooLarge));
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        &format!("{token}.x"),
        &format!("{token}="),
        &token.replacen('.', "=.", 1),
    ] {
        assert!(
            matches!(verify(bad, &keys, &ALL), Err(JoseError::Malformed(_))),
            "{bad}"
        );
    }
    let not_object = replace_part(&token, 0, &json!(["ES256"]));
    assert!(matches!(
        verify(&not_object, &keys, &ALL),
        Err(JoseError::Malformed(_))
    ));
    let crit = replace_part(
        &token,
        0,
        &json!({"alg": "ES256", "kid": "k1", "crit": ["exp"]}),
    );
    assert_eq!(
        verify(&crit, &keys, &ALL),
        Err(JoseError::UnsupportedCritical)
    );
    Ok(())
}

#[test]
fn pkcs8_of_another_alg_is_refused() -> Result<(), JoseError> {
    let ec = pkcs8(SigningAlg::Es256)?;
    assert!(matches!(
        Signer::from_pkcs8(SigningAlg::Rs256, "k".into(), &ec),
        Err(JoseError::InvalidKey(_))
    ));
    assert!(matches!(
        Signer::from_pkcs8(SigningAlg::EdDsa, "k".into(), &ec),
        Err(JoseError::InvalidKey(_))
    ));
    assert!(Signer::from_pkcs8(SigningAlg::Es256, "k".into(), b"junk").is_err());
    Ok(())
}

#[test]
fn rs256_key_generation_time_in_this_build() -> Result<(), JoseError> {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let der = generate_pkcs8(SigningAlg::Rs256)?;
        times.push(started.elapsed());
        Signer::from_pkcs8(SigningAlg::Rs256, "k".into(), &der)?;
    }
    times.sort();
    println!(
        "RS256-2048 key generation over 5 runs: min {:?}, median {:?}, max {:?}",
        times[0], times[2], times[4]
    );
    Ok(())
}

/// `cargo test -p keyward-oauth --release -- --ignored --nocapture`
#[test]
#[ignore = "benchmark; run in release"]
fn signing_speed_per_alg() -> Result<(), JoseError> {
    let micros = |started: std::time::Instant, rounds: u32| {
        started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds)
    };
    for alg in ALL {
        let signer = signer(alg, "bench")?;
        let key = verifying(&signer)?;
        let rounds = if alg == SigningAlg::Rs256 { 500 } else { 5_000 };
        let input = [7u8; 200];
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            signer.sign_bytes(&input)?;
        }
        let raw = micros(started, rounds);
        let started = std::time::Instant::now();
        let mut token = String::new();
        for _ in 0..rounds {
            token = signer.sign("at+jwt", &claims())?;
        }
        let jws = micros(started, rounds);
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            verify(&token, std::slice::from_ref(&key), &ALL)?;
        }
        let check = micros(started, rounds);
        println!(
            "{alg:<6} signature {raw:>7.1} µs   sign JWS {jws:>7.1} µs   verify JWS {check:>7.1} µs"
        );
    }
    Ok(())
}
