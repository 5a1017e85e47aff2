#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::memory_store::MemoryKeys;
use super::*;

fn status_of(keys: &[SigningKey], kid: &str) -> Option<KeyStatus> {
    keys.iter().find(|k| k.kid == kid).map(|k| k.status)
}

fn published_kids(keys: &[SigningKey], now: DateTime<Utc>) -> Vec<String> {
    published(keys, now).iter().map(|k| k.kid.clone()).collect()
}

fn of_alg(report: &RotationReport, alg: SigningAlg) -> AlgRotation {
    report
        .algs
        .iter()
        .find(|a| a.alg == alg)
        .cloned()
        .expect("alg in report")
}

#[tokio::test]
async fn rotation_promotes_the_published_next_key_and_keeps_the_old_one_published()
-> Result<(), KeyRotationError> {
    let store = MemoryKeys::default();
    let master = MasterKey::generate()?;
    let tenant = TenantId::generate();
    let t0 = Utc::now();
    let first = ensure_keys(&store, tenant, SigningAlg::Es256, &master, t0)
        .await?
        .expect("a fresh tenant gets keys");
    assert!(
        ensure_keys(&store, tenant, SigningAlg::Es256, &master, t0)
            .await?
            .is_none()
    );

    let t1 = t0 + Duration::hours(1);
    let window = Duration::minutes(10);
    let second = rotate(&store, tenant, SigningAlg::Es256, &master, t1, window).await?;
    assert_eq!(
        second.active_kid, first.next_kid,
        "the published next key signs now"
    );
    assert_eq!(
        second.retired,
        Some((first.active_kid.clone(), t1 + window))
    );

    let keys = store.list(tenant).await?;
    assert_eq!(
        status_of(&keys, &first.active_kid),
        Some(KeyStatus::Retired)
    );
    let published = published_kids(&keys, t1);
    assert!(
        published.contains(&first.active_kid),
        "retired key stays published"
    );
    assert!(published.contains(&second.next_kid));
    let later = published_kids(&keys, t1 + Duration::minutes(11));
    assert!(
        !later.contains(&first.active_kid),
        "gone once its tokens have expired"
    );

    let t2 = t1 + Duration::hours(1);
    let third = rotate(&store, tenant, SigningAlg::EdDsa, &master, t2, window).await?;
    assert_eq!(third.removed.len(), 3, "one expired key per algorithm");
    assert!(third.removed.contains(&first.active_kid));
    assert_eq!(third.default_alg, SigningAlg::EdDsa);
    assert_eq!(
        third.active_kid,
        of_alg(&second, SigningAlg::EdDsa).next_kid
    );
    Ok(())
}

#[tokio::test]
async fn rs256_keys_rotate_too() -> Result<(), KeyRotationError> {
    let store = MemoryKeys::default();
    let master = MasterKey::generate()?;
    let tenant = TenantId::generate();
    let t0 = Utc::now();
    let first = ensure_keys(&store, tenant, SigningAlg::Rs256, &master, t0)
        .await?
        .expect("keys");
    assert_eq!(first.default_alg, SigningAlg::Rs256);
    let rs = of_alg(&first, SigningAlg::Rs256);
    assert_eq!(
        (first.active_kid.clone(), first.next_kid.clone()),
        (rs.active_kid.clone(), rs.next_kid.clone())
    );

    let t1 = t0 + Duration::hours(1);
    let second = rotate(
        &store,
        tenant,
        SigningAlg::Rs256,
        &master,
        t1,
        Duration::minutes(5),
    )
    .await?;
    assert_eq!(second.active_kid, rs.next_kid);
    assert_eq!(
        second.retired,
        Some((rs.active_kid.clone(), t1 + Duration::minutes(5)))
    );
    let keys = store.list(tenant).await?;
    let rsa: Vec<_> = keys.iter().filter(|k| k.alg == SigningAlg::Rs256).collect();
    assert_eq!(rsa.len(), 3, "retired, active, next");
    let next = rsa
        .iter()
        .find(|k| k.status == KeyStatus::Next)
        .expect("next");
    let jwk: serde_json::Value = serde_json::from_str(&next.public_jwk).expect("json");
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    Ok(())
}

#[tokio::test]
async fn ensure_keys_fills_in_only_the_missing_algorithms() -> Result<(), KeyRotationError> {
    let store = MemoryKeys::default();
    let master = MasterKey::generate()?;
    let tenant = TenantId::generate();
    let now = Utc::now();
    // A tenant from before every algorithm had keys: ES256 only, and no next key.
    let old = generate_key(tenant, SigningAlg::Es256, KeyStatus::Active, &master, now)?;
    store.insert(&old).await?;

    let report = ensure_keys(&store, tenant, SigningAlg::Es256, &master, now)
        .await?
        .expect("something was missing");
    assert_eq!(
        report.active_kid, old.kid,
        "the existing active key keeps signing"
    );
    let algs: Vec<_> = report.algs.iter().map(|a| a.alg).collect();
    assert_eq!(algs, SIGNING_ALGS.to_vec());
    let keys = store.list(tenant).await?;
    for alg in SIGNING_ALGS {
        for status in [KeyStatus::Active, KeyStatus::Next] {
            let n = keys
                .iter()
                .filter(|k| k.alg == alg && k.status == status)
                .count();
            assert_eq!(n, 1, "{alg} {status:?}");
        }
    }
    assert_eq!(keys.len(), 6);
    Ok(())
}

#[test]
fn private_keys_are_sealed_to_their_row() -> Result<(), KeyRotationError> {
    let master = MasterKey::generate()?;
    let tenant = TenantId::generate();
    for (alg, kty) in [
        (SigningAlg::Es256, "EC"),
        (SigningAlg::Rs256, "RSA"),
        (SigningAlg::EdDsa, "OKP"),
    ] {
        let key = generate_key(tenant, alg, KeyStatus::Active, &master, Utc::now())?;
        let pkcs8 = master.open(&key.private_sealed, &sealing_context(tenant, &key.kid))?;
        Signer::from_pkcs8(alg, key.kid.clone(), &pkcs8)?;
        let other = sealing_context(TenantId::generate(), &key.kid);
        assert!(master.open(&key.private_sealed, &other).is_err());
        let jwk: serde_json::Value =
            serde_json::from_str(&key.public_jwk).map_err(|_| KeyRotationError::Generation)?;
        assert_eq!(jwk["kty"], kty);
        assert_eq!(jwk["kid"], key.kid.as_str());
        assert!(jwk.get("d").is_none(), "no private part in the public JWK");
    }
    Ok(())
}

/// Finding 18 of the security review: an RSA key takes a prime search (0.07–0.25 s in a
/// release build, longer here), which must not run on the async worker that also serves
/// requests. On this single-threaded runtime a ticking task is starved for the whole search if
/// it runs on the worker, and keeps ticking if it runs on the blocking pool.
#[tokio::test]
async fn key_generation_does_not_block_the_async_worker() -> Result<(), KeyRotationError> {
    let store = MemoryKeys::default();
    let master = MasterKey::generate()?;
    let tenant = TenantId::generate();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut longest = std::time::Duration::ZERO;
            let mut last = std::time::Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                longest = longest.max(last.elapsed());
                last = std::time::Instant::now();
            }
            longest
        }
    });
    tokio::task::yield_now().await;
    let started = std::time::Instant::now();
    ensure_keys(&store, tenant, SigningAlg::Es256, &master, Utc::now()).await?;
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let longest = ticker.await.expect("ticker");
    // Six keys, two of them RSA: the worker must never be held for most of that time.
    assert!(
        longest < took / 2,
        "the worker was blocked for {longest:?} of the {took:?} key generation took"
    );
    Ok(())
}
