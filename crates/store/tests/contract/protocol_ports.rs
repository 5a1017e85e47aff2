//! The protocol ports (consents, signing keys, refresh tokens, identity providers and linked
//! identities) and the Casbin adapter, on every configured backend. Each test runs its suite
//! on a fresh database per backend.

use keyward_store::SqlCasbinAdapter;
use keyward_testkit::db::TestDb;
use keyward_testkit::store_contract::{casbin, consents, providers, refresh_tokens, signing_keys};

/// Runs `suite` on a fresh database of every backend, naming the backend if it fails.
macro_rules! on_every_backend {
    ($($test:ident => $suite:path;)*) => {$(
        #[tokio::test]
        async fn $test() {
            for db in TestDb::all().await {
                eprintln!("{}: running on {}", stringify!($test), db.backend());
                $suite(&db.store).await;
                db.cleanup().await;
            }
        }
    )*};
}

/// Runs a Casbin suite on a fresh database of every backend, each adapter a new one over
/// the same table.
macro_rules! casbin_on_every_backend {
    ($($test:ident => $suite:path;)*) => {$(
        #[tokio::test]
        async fn $test() {
            for db in TestDb::all().await {
                eprintln!("{}: running on {}", stringify!($test), db.backend());
                $suite(|| SqlCasbinAdapter::new(&db.store)).await;
                db.cleanup().await;
            }
        }
    )*};
}

on_every_backend! {
    consent_round_trips_every_field_on_every_backend => consents::consent_round_trips_every_field;
    consent_upsert_replaces_the_previous_grant_on_every_backend =>
        consents::consent_upsert_replaces_the_previous_grant;
    consents_list_by_client_for_one_user_on_every_backend =>
        consents::consents_list_by_client_for_one_user;
    consent_revoke_answers_not_found_when_absent_on_every_backend =>
        consents::consent_revoke_removes_it_and_answers_not_found_when_absent;
    consents_go_with_their_user_on_every_backend => consents::consents_go_with_their_user;
    consents_are_isolated_between_tenants_on_every_backend =>
        consents::consents_are_isolated_between_tenants;

    signing_key_round_trips_every_field_on_every_backend =>
        signing_keys::signing_key_round_trips_every_field;
    signing_kid_is_unique_within_a_tenant_only_on_every_backend =>
        signing_keys::signing_kid_is_unique_within_a_tenant_only;
    signing_keys_list_oldest_first_on_every_backend => signing_keys::signing_keys_list_oldest_first;
    signing_key_update_moves_status_and_timestamps_only_on_every_backend =>
        signing_keys::signing_key_update_moves_status_and_timestamps_only;
    signing_key_update_and_delete_answer_not_found_when_absent_on_every_backend =>
        signing_keys::signing_key_update_and_delete_answer_not_found_when_absent;
    signing_keys_are_isolated_between_tenants_on_every_backend =>
        signing_keys::signing_keys_are_isolated_between_tenants;

    refresh_family_round_trips_every_field_on_every_backend =>
        refresh_tokens::refresh_family_round_trips_every_field;
    refresh_token_duplicates_conflict_on_every_backend => refresh_tokens::refresh_duplicates_conflict;
    refresh_token_rotation_is_single_use_on_every_backend =>
        refresh_tokens::refresh_rotation_succeeds_once;
    refresh_token_rotation_refuses_another_familys_successor_on_every_backend =>
        refresh_tokens::refresh_rotation_refuses_a_successor_of_another_family;
    refresh_family_revocation_reports_live_access_tokens_on_every_backend =>
        refresh_tokens::refresh_revoke_family_reports_live_access_tokens_and_stops_rotation;
    refresh_subject_revocation_revokes_every_family_of_the_user_on_every_backend =>
        refresh_tokens::refresh_revoke_subject_revokes_every_family_of_the_user;
    refresh_purge_removes_expired_families_on_every_backend =>
        refresh_tokens::refresh_purge_removes_expired_families_in_every_tenant;
    refresh_tokens_are_isolated_between_tenants_on_every_backend =>
        refresh_tokens::refresh_tokens_are_isolated_between_tenants;
    revoked_access_tokens_are_kept_until_they_expire_on_every_backend =>
        refresh_tokens::revoked_access_tokens_are_kept_until_they_expire;

    identity_provider_round_trips_every_field_on_every_backend =>
        providers::provider_round_trips_every_field;
    identity_provider_alias_is_unique_within_a_tenant_only_on_every_backend =>
        providers::provider_alias_is_unique_within_a_tenant_only;
    identity_providers_list_by_alias_on_every_backend => providers::providers_list_by_alias;
    identity_provider_update_replaces_fields_on_every_backend =>
        providers::provider_update_replaces_fields_and_answers_not_found_when_absent;
    linked_identity_is_unique_per_upstream_subject_on_every_backend =>
        providers::linked_identity_round_trips_and_is_unique_per_subject;
    identity_provider_delete_removes_its_links_on_every_backend =>
        providers::provider_delete_removes_its_linked_identities;
    identity_providers_and_links_are_isolated_between_tenants_on_every_backend =>
        providers::providers_and_links_are_isolated_between_tenants;
}

casbin_on_every_backend! {
    casbin_rules_added_through_an_enforcer_persist_on_every_backend =>
        casbin::casbin_rules_added_through_an_enforcer_persist;
    casbin_removals_through_an_enforcer_persist_on_every_backend =>
        casbin::casbin_removals_through_an_enforcer_persist;
    casbin_save_policy_replaces_the_stored_rules_on_every_backend =>
        casbin::casbin_save_policy_replaces_the_stored_rules;
    casbin_filtered_load_reads_one_domain_on_every_backend =>
        casbin::casbin_filtered_load_reads_one_domain;
    casbin_adapter_never_half_applies_a_batch_on_every_backend =>
        casbin::casbin_adapter_never_half_applies_a_batch;
}

#[tokio::test]
async fn concurrent_refresh_rotations_in_one_pool_have_one_winner_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("running on {}", db.backend());
        refresh_tokens::refresh_concurrent_rotations_have_one_winner(&db.store, &db.store).await;
        db.cleanup().await;
    }
}

/// Two nodes (two pools on one database file or server) race to rotate the same token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refresh_rotations_across_two_nodes_have_one_winner_on_every_backend() {
    for db in TestDb::all_unmigrated().await {
        eprintln!("running on {}", db.backend());
        db.store.migrate().await.unwrap();
        let second = db.connect_again().await;
        refresh_tokens::refresh_concurrent_rotations_have_one_winner(&db.store, &second).await;
        second.close().await.unwrap();
        db.cleanup().await;
    }
}

/// A row that no longer parses (written by hand, or by a newer version) is reported as
/// `Corrupt`, never a panic and never a guess.
#[tokio::test]
async fn unparseable_protocol_rows_are_reported_as_corrupt_on_every_backend() {
    use keyward_core::{ClientId, StoreError, TenantStore};
    use keyward_identity::UserStore;
    use keyward_oauth::{ConsentStore, SigningKeyStore};
    use keyward_store::entity::{consent, signing_key};
    use keyward_testkit::store_contract::{tenants, users};
    use sea_orm::EntityTrait;
    use sea_orm::sea_query::Expr;

    for db in TestDb::all().await {
        eprintln!("running on {}", db.backend());
        let s = &db.store;
        let tenant = tenants::seed_tenant(s, "acme").await;
        let user = users::user(tenant.id, "ada", None);
        UserStore::create(s, &user).await.unwrap();
        let key = signing_keys::signing_key(tenant.id, "k1", tenant.created_at);
        s.insert(&key).await.unwrap();
        s.upsert(&consents::consent(tenant.id, user.id, "app-1", "openid"))
            .await
            .unwrap();

        signing_key::Entity::update_many()
            .col_expr(signing_key::Column::Alg, Expr::value("HS999"))
            .exec(s.connection())
            .await
            .unwrap();
        consent::Entity::update_many()
            .col_expr(consent::Column::Scopes, Expr::value("open\"id"))
            .exec(s.connection())
            .await
            .unwrap();

        assert!(matches!(
            SigningKeyStore::list(s, tenant.id).await,
            Err(StoreError::Corrupt(_))
        ));
        let client = ClientId::parse("app-1").unwrap();
        assert!(matches!(
            s.find(tenant.id, user.id, &client).await,
            Err(StoreError::Corrupt(_))
        ));
        assert!(TenantStore::by_id(s, tenant.id).await.unwrap().is_some());
        db.cleanup().await;
    }
}

/// A rotation racing a family revocation (RFC 9700 §4.14: reuse detected, family revoked):
/// once the revocation has written, a rotation of that family waits for it and then fails, so
/// no successor — and no access token missing from the revocation's list — slips in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_waits_for_a_concurrent_family_revocation_on_every_backend() {
    use std::time::Duration;

    use keyward_oauth::{RefreshTokenStore, RotateOutcome};
    use keyward_testkit::store_contract::refresh_tokens::{family, token};
    use keyward_testkit::store_contract::tenants::seed_tenant;
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    for db in TestDb::all_unmigrated().await {
        eprintln!("running on {}", db.backend());
        db.store.migrate().await.unwrap();
        let second = db.connect_again().await;
        let tenant = seed_tenant(&db.store, "acme").await;
        let f = family(tenant.id);
        db.store
            .create_family(&f, &token(&f, "h0", 0))
            .await
            .unwrap();

        // The revocation, on another node, has written but not committed yet.
        let backend = second.connection().get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE refresh_token_families SET revoked_at = $1 WHERE id = $2"
            }
            _ => "UPDATE refresh_token_families SET revoked_at = ? WHERE id = ?",
        };
        let revocation = second.connection().begin().await.unwrap();
        revocation
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [chrono::Utc::now().into(), f.id.into()],
            ))
            .await
            .unwrap();

        let rotation = tokio::spawn({
            let store = db.store.clone();
            let next = token(&f, "h1", 1);
            async move {
                store
                    .rotate(tenant.id, "h0", &next, chrono::Utc::now())
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !rotation.is_finished(),
            "the rotation waits for the revocation"
        );
        revocation.commit().await.unwrap();
        assert_eq!(rotation.await.unwrap().unwrap(), RotateOutcome::AlreadyUsed);
        assert_eq!(db.store.find(tenant.id, "h1").await.unwrap(), None);
        second.close().await.unwrap();
        db.cleanup().await;
    }
}

/// Migration 20: families written before it name their browser session by the cookie's secret;
/// afterwards by the session's stored id — the same one-way hash keyward-identity computes —
/// so the database holds no secret. Families of one session keep naming one session, and
/// families without a session stay without.
#[tokio::test]
async fn migration_20_replaces_session_secrets_by_stored_ids_on_every_backend() {
    use keyward_identity::session::{STORED_ID_DOMAIN, stored_id};
    use keyward_migrations::session_id_hashes::{Migration, SESSION_ID_DOMAIN, stored_session_id};
    use keyward_migrations::{MigrationTrait, SchemaManager};
    use keyward_oauth::{RefreshTokenFamily, RefreshTokenStore};
    use keyward_testkit::store_contract::refresh_tokens::{family, token};
    use keyward_testkit::store_contract::tenants::seed_tenant;

    assert_eq!(SESSION_ID_DOMAIN, STORED_ID_DOMAIN);
    let (laptop, phone) = ("L".repeat(43), "P".repeat(43));
    assert_eq!(stored_session_id(&laptop), stored_id(&laptop));

    for db in TestDb::all().await {
        eprintln!("running on {}", db.backend());
        let s = &db.store;
        let tenant = seed_tenant(s, "acme").await;
        let old = |session: Option<&str>| RefreshTokenFamily {
            session_id: session.map(str::to_owned),
            ..family(tenant.id)
        };
        let rows = [
            (old(Some(&laptop)), "h-laptop-1"),
            (old(Some(&laptop)), "h-laptop-2"),
            (old(Some(&phone)), "h-phone"),
            (old(None), "h-none"),
        ];
        for (f, hash) in &rows {
            s.create_family(f, &token(f, hash, 0)).await.unwrap();
        }

        Migration
            .up(&SchemaManager::new(s.connection()))
            .await
            .unwrap();

        let session_of = async |hash: &str| {
            let (_, f) = s.find(tenant.id, hash).await.unwrap().unwrap();
            f.session_id
        };
        assert_eq!(session_of("h-laptop-1").await, Some(stored_id(&laptop)));
        assert_eq!(session_of("h-laptop-2").await, Some(stored_id(&laptop)));
        assert_eq!(session_of("h-phone").await, Some(stored_id(&phone)));
        assert_eq!(session_of("h-none").await, None);
        db.cleanup().await;
    }
}

/// Every change of the Casbin rules counts up the stored policy version (in its own
/// transaction), and a no-op does not: the resync compares this number across nodes.
#[tokio::test]
async fn policy_changes_count_up_the_policy_version_on_every_backend() {
    use ::casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi};
    for db in TestDb::all().await {
        let backend = db.backend();
        assert_eq!(
            db.store.change_versions().await.unwrap().policy,
            0,
            "{backend}"
        );
        let mut e = Enforcer::new(
            DefaultModel::from_str(casbin::RBAC_WITH_DOMAINS)
                .await
                .unwrap(),
            SqlCasbinAdapter::new(&db.store),
        )
        .await
        .unwrap();
        let rule = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(
            e.add_policy(rule(&["alice", "t1", "users", "read"]))
                .await
                .unwrap()
        );
        assert_eq!(
            db.store.change_versions().await.unwrap().policy,
            1,
            "{backend}"
        );
        assert!(
            !e.add_policy(rule(&["alice", "t1", "users", "read"]))
                .await
                .unwrap()
        );
        assert_eq!(
            db.store.change_versions().await.unwrap().policy,
            1,
            "{backend}: a no-op"
        );
        assert!(
            e.add_grouping_policy(rule(&["bob", "admin", "t1"]))
                .await
                .unwrap()
        );
        assert!(
            e.remove_policy(rule(&["alice", "t1", "users", "read"]))
                .await
                .unwrap()
        );
        assert_eq!(
            db.store.change_versions().await.unwrap().policy,
            3,
            "{backend}"
        );
        assert!(
            e.remove_filtered_grouping_policy(0, rule(&["bob"]))
                .await
                .unwrap()
        );
        e.save_policy().await.unwrap();
        assert_eq!(
            db.store.change_versions().await.unwrap().policy,
            5,
            "{backend}"
        );
        db.cleanup().await;
    }
}
