//! The `RefreshTokenStore` contract (RFC 9700 §4.14): families and tokens kept field for
//! field, rotation that succeeds once even under concurrent attempts, replay answered as
//! `AlreadyUsed`, family revocation that reports the live access tokens, purging by expiry in
//! every tenant, and nothing visible or changeable across tenants.

use chrono::{DateTime, Duration, Utc};
use keyward_core::{ClientId, Clock, Scope, StoreError, TenantId, TenantStore};
use keyward_oauth::{RefreshToken, RefreshTokenFamily, RefreshTokenStore, RotateOutcome};
use uuid::Uuid;

use super::tenants::seed_tenant;
use crate::FixedClock;

fn now() -> DateTime<Utc> {
    FixedClock::new().now()
}

/// A family of `client` for subject `ada`, created now and expiring in 30 days.
pub fn family(tenant: TenantId) -> RefreshTokenFamily {
    RefreshTokenFamily {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        client_id: ClientId::parse("app-1").unwrap(),
        subject: Some("ada".to_owned()),
        scope: Scope::parse("openid offline_access").unwrap(),
        session_id: Some("sess-1".to_owned()),
        auth_time: Some(now() - Duration::minutes(5)),
        created_at: now(),
        expires_at: now() + Duration::days(30),
        revoked_at: None,
    }
}

/// Generation `generation` of `family`, issued now, with an access token valid for 10 minutes.
pub fn token(family: &RefreshTokenFamily, hash: &str, generation: i32) -> RefreshToken {
    RefreshToken {
        token_hash: hash.to_owned(),
        family_id: family.id,
        tenant_id: family.tenant_id,
        generation,
        issued_at: now(),
        expires_at: now() + Duration::days(1),
        rotated_at: None,
        access_token_jti: Some(format!("jti-{hash}")),
        access_token_expires_at: Some(now() + Duration::minutes(10)),
    }
}

/// A stored family with its first token `hash`.
async fn seeded<S: RefreshTokenStore>(s: &S, tenant: TenantId, hash: &str) -> RefreshTokenFamily {
    let f = family(tenant);
    s.create_family(&f, &token(&f, hash, 0)).await.unwrap();
    f
}

pub async fn refresh_family_round_trips_every_field<S: TenantStore + RefreshTokenStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let f = RefreshTokenFamily {
        revoked_at: Some(now() + Duration::microseconds(3)),
        ..family(tenant.id)
    };
    let first = RefreshToken {
        rotated_at: Some(now() + Duration::seconds(1)),
        ..token(&f, "h0", 4)
    };
    s.create_family(&f, &first).await.unwrap();
    assert_eq!(s.find(tenant.id, "h0").await.unwrap(), Some((first, f)));

    let bare = RefreshTokenFamily {
        subject: None,
        session_id: None,
        auth_time: None,
        ..family(tenant.id)
    };
    let bare_first = RefreshToken {
        access_token_jti: None,
        access_token_expires_at: None,
        ..token(&bare, "b0", 0)
    };
    s.create_family(&bare, &bare_first).await.unwrap();
    assert_eq!(
        s.find(tenant.id, "b0").await.unwrap(),
        Some((bare_first, bare))
    );
    assert_eq!(s.find(tenant.id, "nope").await.unwrap(), None);
}

pub async fn refresh_duplicates_conflict<S: TenantStore + RefreshTokenStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let f = seeded(s, tenant.id, "h0").await;
    let again = family(tenant.id);
    assert!(
        matches!(
            s.create_family(&again, &token(&again, "h0", 0)).await,
            Err(StoreError::Conflict(_))
        ),
        "a token hash is stored once"
    );
    assert!(
        matches!(
            s.create_family(&f, &token(&f, "h1", 0)).await,
            Err(StoreError::Conflict(_))
        ),
        "a family id is stored once"
    );
    assert_eq!(
        s.find(tenant.id, "h1").await.unwrap(),
        None,
        "nothing half-stored"
    );
}

pub async fn refresh_rotation_succeeds_once<S: TenantStore + RefreshTokenStore>(s: &S) {
    let tenant = seed_tenant(s, "acme").await;
    let f = seeded(s, tenant.id, "h0").await;
    let at = now() + Duration::minutes(1);
    let next = token(&f, "h1", 1);
    assert_eq!(
        s.rotate(tenant.id, "h0", &next, at).await.unwrap(),
        RotateOutcome::Rotated
    );
    let (old, _) = s.find(tenant.id, "h0").await.unwrap().unwrap();
    assert_eq!(old.rotated_at, Some(at));
    assert_eq!(
        s.find(tenant.id, "h1").await.unwrap(),
        Some((next, f.clone()))
    );

    let replay = token(&f, "h1-bis", 1);
    assert_eq!(
        s.rotate(tenant.id, "h0", &replay, at).await.unwrap(),
        RotateOutcome::AlreadyUsed
    );
    assert_eq!(
        s.find(tenant.id, "h1-bis").await.unwrap(),
        None,
        "a replay stores nothing"
    );
    let unknown = token(&f, "h9", 1);
    assert_eq!(
        s.rotate(tenant.id, "nope", &unknown, at).await.unwrap(),
        RotateOutcome::Unknown
    );
    assert_eq!(s.find(tenant.id, "h9").await.unwrap(), None);
    assert_eq!(
        s.rotate(tenant.id, "h1", &token(&f, "h2", 2), at)
            .await
            .unwrap(),
        RotateOutcome::Rotated
    );
}

/// A successor must belong to the old token's family and tenant: otherwise `Conflict`, and
/// the old token stays current.
pub async fn refresh_rotation_refuses_a_successor_of_another_family<S>(s: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let other_tenant = seed_tenant(s, "globex").await;
    let f = seeded(s, tenant.id, "h0").await;
    let stranger = seeded(s, tenant.id, "s0").await;
    let at = now();
    assert!(matches!(
        s.rotate(tenant.id, "h0", &token(&stranger, "h1", 1), at)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let elsewhere = family(other_tenant.id);
    assert!(matches!(
        s.rotate(tenant.id, "h0", &token(&elsewhere, "h1", 1), at)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.find(tenant.id, "h1").await.unwrap(),
        None,
        "nothing stored"
    );
    let (old, _) = s.find(tenant.id, "h0").await.unwrap().unwrap();
    assert_eq!(old.rotated_at, None, "the old token is still current");
    assert_eq!(
        s.rotate(tenant.id, "h0", &token(&f, "h1", 1), at)
            .await
            .unwrap(),
        RotateOutcome::Rotated
    );
}

/// Two rotations of one token at once, through `s` and `other` (the same store, or a second
/// pool on the same database, as a second node would have): exactly one wins.
pub async fn refresh_concurrent_rotations_have_one_winner<S>(s: &S, other: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let tenant = seed_tenant(s, "acme").await;
    for round in 0..8 {
        let old = format!("r{round}");
        let f = seeded(s, tenant.id, &old).await;
        let (left, right) = (
            token(&f, &format!("{old}-l"), 1),
            token(&f, &format!("{old}-r"), 1),
        );
        let (a, b) = tokio::join!(
            s.rotate(tenant.id, &old, &left, now()),
            other.rotate(tenant.id, &old, &right, now()),
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        let wins = outcomes
            .iter()
            .filter(|o| **o == RotateOutcome::Rotated)
            .count();
        let replays = outcomes
            .iter()
            .filter(|o| **o == RotateOutcome::AlreadyUsed)
            .count();
        assert_eq!((wins, replays), (1, 1), "round {round}: {outcomes:?}");
        let mut stored = 0;
        for t in [&left, &right] {
            stored += usize::from(s.find(tenant.id, &t.token_hash).await.unwrap().is_some());
        }
        assert_eq!(stored, 1, "exactly one successor stored in round {round}");
    }
}

/// Revoking a subject revokes every family of that user (in that tenant only) and reports the
/// live access tokens of all of them.
pub async fn refresh_revoke_subject_revokes_every_family_of_the_user<S>(s: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let other_tenant = seed_tenant(s, "globex").await;
    let first = family(tenant.id);
    s.create_family(&first, &token(&first, "a0", 0))
        .await
        .unwrap();
    s.rotate(tenant.id, "a0", &token(&first, "a1", 1), now())
        .await
        .unwrap();
    let second = family(tenant.id);
    s.create_family(&second, &token(&second, "b0", 0))
        .await
        .unwrap();
    let someone_else = RefreshTokenFamily {
        subject: Some("bob".to_owned()),
        ..family(tenant.id)
    };
    s.create_family(&someone_else, &token(&someone_else, "c0", 0))
        .await
        .unwrap();
    let elsewhere = family(other_tenant.id);
    s.create_family(&elsewhere, &token(&elsewhere, "d0", 0))
        .await
        .unwrap();

    let at = now();
    let mut live = s.revoke_subject(tenant.id, "ada", at).await.unwrap();
    live.sort();
    let mut expected: Vec<(String, DateTime<Utc>)> = [
        token(&first, "a0", 0),
        token(&first, "a1", 1),
        token(&second, "b0", 0),
    ]
    .iter()
    .map(|t| {
        (
            t.access_token_jti.clone().unwrap(),
            t.access_token_expires_at.unwrap(),
        )
    })
    .collect();
    expected.sort();
    assert_eq!(live, expected);
    for hash in ["a1", "b0"] {
        let (_, stored) = s.find(tenant.id, hash).await.unwrap().unwrap();
        assert_eq!(stored.revoked_at, Some(at), "{hash}");
    }
    let (_, bob) = s.find(tenant.id, "c0").await.unwrap().unwrap();
    assert_eq!(bob.revoked_at, None, "another user's family stays");
    let (_, globex) = s.find(other_tenant.id, "d0").await.unwrap().unwrap();
    assert_eq!(
        globex.revoked_at, None,
        "the same subject in another tenant stays"
    );
    assert_eq!(
        s.rotate(tenant.id, "b0", &token(&second, "b1", 1), at)
            .await
            .unwrap(),
        RotateOutcome::AlreadyUsed
    );
}

pub async fn refresh_revoke_family_reports_live_access_tokens_and_stops_rotation<S>(s: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let tenant = seed_tenant(s, "acme").await;
    let f = family(tenant.id);
    let expired = RefreshToken {
        access_token_expires_at: Some(now() - Duration::minutes(1)),
        ..token(&f, "h0", 0)
    };
    s.create_family(&f, &expired).await.unwrap();
    s.rotate(tenant.id, "h0", &token(&f, "h1", 1), now())
        .await
        .unwrap();
    let no_access = RefreshToken {
        access_token_jti: None,
        access_token_expires_at: None,
        ..token(&f, "h2", 2)
    };
    s.rotate(tenant.id, "h1", &no_access, now()).await.unwrap();
    s.rotate(tenant.id, "h2", &token(&f, "h3", 3), now())
        .await
        .unwrap();
    let other = seeded(s, tenant.id, "o0").await;

    let at = now();
    let live = s.revoke_family(tenant.id, f.id, at).await.unwrap();
    let expected = [&token(&f, "h1", 1), &token(&f, "h3", 3)].map(|t| {
        (
            t.access_token_jti.clone().unwrap(),
            t.access_token_expires_at.unwrap(),
        )
    });
    assert_eq!(live, expected.to_vec());
    let (_, stored) = s.find(tenant.id, "h3").await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(at));
    assert_eq!(
        s.rotate(tenant.id, "h3", &token(&f, "h4", 4), at)
            .await
            .unwrap(),
        RotateOutcome::AlreadyUsed,
        "a revoked family rotates no more"
    );
    assert_eq!(s.find(tenant.id, "h4").await.unwrap(), None);

    let again = s
        .revoke_family(tenant.id, f.id, at + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again, vec![], "by then every access token has expired");
    let (_, stored) = s.find(tenant.id, "h3").await.unwrap().unwrap();
    assert_eq!(
        stored.revoked_at,
        Some(at),
        "the first revocation time stays"
    );
    assert!(matches!(
        s.revoke_family(tenant.id, Uuid::now_v7(), at).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.rotate(tenant.id, "o0", &token(&other, "o1", 1), at)
            .await
            .unwrap(),
        RotateOutcome::Rotated,
        "other families are untouched"
    );
}

pub async fn refresh_purge_removes_expired_families_in_every_tenant<S>(s: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let cutoff = now() + Duration::days(10);
    for (tenant, hash, days) in [(a.id, "a-old", 5), (b.id, "b-old", 9), (a.id, "a-new", 11)] {
        let f = RefreshTokenFamily {
            expires_at: now() + Duration::days(days),
            ..family(tenant)
        };
        s.create_family(&f, &token(&f, hash, 0)).await.unwrap();
    }
    let live = seeded(s, b.id, "b-live").await;
    s.rotate(b.id, "b-live", &token(&live, "b-live-1", 1), now())
        .await
        .unwrap();

    assert_eq!(s.purge_expired(cutoff).await.unwrap(), 2);
    assert_eq!(s.find(a.id, "a-old").await.unwrap(), None);
    assert_eq!(s.find(b.id, "b-old").await.unwrap(), None);
    assert!(s.find(a.id, "a-new").await.unwrap().is_some());
    assert!(s.find(b.id, "b-live-1").await.unwrap().is_some());
    assert_eq!(s.purge_expired(cutoff).await.unwrap(), 0);
}

pub async fn refresh_tokens_are_isolated_between_tenants<S>(s: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let f = seeded(s, a.id, "h0").await;

    assert_eq!(s.find(b.id, "h0").await.unwrap(), None, "read through B");
    let b_family = family(b.id);
    let through_b = token(&b_family, "h1", 1);
    assert_eq!(
        s.rotate(b.id, "h0", &through_b, now()).await.unwrap(),
        RotateOutcome::Unknown,
        "rotated through B"
    );
    assert!(matches!(
        s.revoke_family(b.id, f.id, now()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.find(a.id, "h0").await.unwrap(),
        Some((token(&f, "h0", 0), f.clone())),
        "A unchanged"
    );
    assert!(
        s.rotate(a.id, "h0", &through_b, now()).await.is_err(),
        "a successor of another tenant is refused"
    );
    assert_eq!(
        s.find(a.id, "h0").await.unwrap().unwrap().0.rotated_at,
        None
    );
}

/// Revoked access tokens: recorded per tenant (again is no error), listed while live across
/// tenants, purged once expired.
pub async fn revoked_access_tokens_are_kept_until_they_expire<S>(s: &S)
where
    S: TenantStore + RefreshTokenStore,
{
    let a = seed_tenant(s, "tenant-a").await;
    let b = seed_tenant(s, "tenant-b").await;
    let soon = now() + Duration::minutes(5);
    let later = now() + Duration::hours(1);
    s.record_revoked(a.id, &[("jti-1".into(), soon), ("jti-2".into(), later)])
        .await
        .unwrap();
    s.record_revoked(a.id, &[("jti-1".into(), soon)])
        .await
        .unwrap();
    s.record_revoked(b.id, &[("jti-1".into(), later)])
        .await
        .unwrap();
    s.record_revoked(b.id, &[]).await.unwrap();
    let live = s.live_revoked(now()).await.unwrap();
    assert_eq!(live.len(), 3, "{live:?}");
    assert!(live.contains(&(a.id, "jti-1".to_owned(), soon)));
    assert!(live.contains(&(b.id, "jti-1".to_owned(), later)));
    let after_soon = now() + Duration::minutes(10);
    let remaining = s.live_revoked(after_soon).await.unwrap();
    assert_eq!(remaining.len(), 2, "{remaining:?}");
    assert_eq!(s.purge_revoked(after_soon).await.unwrap(), 1);
    assert_eq!(s.purge_revoked(after_soon).await.unwrap(), 0);
    assert_eq!(s.live_revoked(now()).await.unwrap().len(), 2);
}
