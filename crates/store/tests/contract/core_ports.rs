//! The core ports (tenants, platform facts, audit log, users, clients) and the migrator,
//! on every configured backend. Each test runs its suite on a fresh database per backend.

use keyward_core::{PageRequest, TenantStore};
use keyward_store::SqlStore;
use keyward_testkit::db::TestDb;
use keyward_testkit::store_contract::{audit, clients, platform, tenants, users};

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

on_every_backend! {
    tenant_round_trips_every_field_on_every_backend => tenants::tenant_round_trips_every_field;
    tenant_slugs_are_unique_on_every_backend => tenants::tenant_slug_is_unique;
    tenants_list_in_slug_pages_on_every_backend => tenants::tenant_list_pages_by_slug;
    tenant_update_replaces_name_and_settings_on_every_backend =>
        tenants::tenant_update_replaces_name_and_settings;
    tenant_update_or_delete_of_missing_tenant_is_not_found_on_every_backend =>
        tenants::tenant_update_or_delete_of_missing_tenant_is_not_found;
    tenant_delete_cascades_to_everything_it_owns_on_every_backend =>
        tenants::tenant_delete_cascades;

    platform_meta_is_absent_until_written_on_every_backend =>
        platform::meta_is_absent_until_written;
    platform_meta_is_never_overwritten_on_every_backend =>
        platform::put_meta_if_absent_never_overwrites;
    platform_meta_race_has_one_winner_on_every_backend =>
        platform::put_meta_if_absent_has_one_winner_under_races;
    platform_ping_answers_on_every_backend => platform::ping_answers;

    audit_round_trips_every_field_on_every_backend => audit::audit_round_trips_every_field;
    audit_lists_newest_first_in_pages_on_every_backend => audit::audit_lists_newest_first_in_pages;
    audit_keeps_awkward_text_intact_on_every_backend => audit::audit_keeps_awkward_text_intact;
    audit_refuses_unknown_tenants_on_every_backend =>
        audit::audit_refuses_a_batch_naming_an_unknown_tenant;
    audit_filters_narrow_the_list_on_every_backend => audit::audit_filters_narrow_the_list;
    audit_is_isolated_between_tenants_on_every_backend => audit::audit_is_isolated_between_tenants;

    user_round_trips_every_field_on_every_backend => users::user_round_trips_every_field;
    user_lookups_ignore_case_on_every_backend => users::user_lookups_ignore_case;
    usernames_are_unique_per_tenant_ignoring_case_on_every_backend =>
        users::username_is_unique_per_tenant_ignoring_case;
    emails_are_unique_per_tenant_ignoring_case_on_every_backend =>
        users::email_is_unique_per_tenant_ignoring_case;
    users_list_in_canonical_username_pages_on_every_backend =>
        users::user_list_pages_by_canonical_username;
    user_search_is_a_case_insensitive_substring_on_every_backend =>
        users::user_search_is_a_case_insensitive_substring;
    user_update_replaces_fields_and_keeps_uniqueness_on_every_backend =>
        users::user_update_replaces_fields_and_keeps_uniqueness;
    user_password_hash_and_delete_answer_not_found_when_absent_on_every_backend =>
        users::user_password_hash_and_delete_answer_not_found_when_absent;
    users_are_isolated_between_tenants_on_every_backend =>
        users::users_are_isolated_between_tenants;

    client_round_trips_every_field_on_every_backend => clients::client_round_trips_every_field;
    client_ids_are_unique_within_a_tenant_only_on_every_backend =>
        clients::client_id_is_unique_within_a_tenant_only;
    clients_list_in_client_id_pages_on_every_backend => clients::client_list_pages_by_client_id;
    client_update_replaces_every_field_but_ids_and_created_at_on_every_backend =>
        clients::client_update_replaces_every_field_but_ids_and_created_at;
    client_update_and_delete_answer_not_found_when_absent_on_every_backend =>
        clients::client_update_and_delete_answer_not_found_when_absent;
    clients_are_isolated_between_tenants_on_every_backend =>
        clients::clients_are_isolated_between_tenants;
}

/// Proves the schema is in place by writing and listing a tenant.
async fn assert_schema_usable(store: &SqlStore) {
    let slug = format!("t{}", uuid::Uuid::new_v4().simple());
    tenants::seed_tenant(store, &slug).await;
    let page = TenantStore::list(store, &PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.iter().any(|t| t.slug.as_str() == slug));
}

#[tokio::test]
async fn migrate_twice_is_a_no_op_on_every_backend() {
    for db in TestDb::all().await {
        eprintln!("running on {}", db.backend());
        let before = tenants::seed_tenant(&db.store, "kept").await;
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        assert_eq!(
            TenantStore::by_id(&db.store, before.id).await.unwrap(),
            Some(before)
        );
        db.cleanup().await;
    }
}

/// Two nodes starting at once against an empty database: both migrations succeed and the
/// schema is whole. SQLite uses a file here, since an in-memory database has one connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_both_succeed_on_every_backend() {
    for db in TestDb::all_unmigrated().await {
        eprintln!("running on {}", db.backend());
        let second = db.connect_again().await;
        let third = db.connect_again().await;
        let (a, b, c) = tokio::join!(db.store.migrate(), second.migrate(), third.migrate());
        a.unwrap();
        b.unwrap();
        c.unwrap();
        assert_schema_usable(&db.store).await;
        assert_schema_usable(&second).await;
        second.close().await.unwrap();
        third.close().await.unwrap();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn connect_refuses_unknown_database_urls() {
    assert!(
        SqlStore::connect("mysql://localhost/keyward")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data_across_queries() {
    let db = TestDb::sqlite().await;
    assert_eq!(db.backend(), "sqlite");
    let tenant = tenants::seed_tenant(&db.store, "acme").await;
    for _ in 0..5 {
        assert!(
            TenantStore::by_id(&db.store, tenant.id)
                .await
                .unwrap()
                .is_some()
        );
    }
    db.cleanup().await;
}

/// Rows edited behind the store's back into something the domain types refuse come back as
/// `Corrupt`, never as a panic or as a half-parsed value.
#[tokio::test]
async fn unparseable_rows_are_reported_as_corrupt_on_every_backend() {
    use keyward_core::{ClientId, StoreError};
    use keyward_identity::UserStore;
    use keyward_oauth::ClientStore;
    use keyward_testkit::store_contract::{clients, users};
    use sea_orm::{ConnectionTrait, Statement};

    for db in TestDb::all().await {
        eprintln!("running on {}", db.backend());
        let s = &db.store;
        let tenant = tenants::seed_tenant(s, "acme").await;
        let user = users::user(tenant.id, "ada", Some("ada@example.com"));
        UserStore::create(s, &user).await.unwrap();
        ClientStore::create(s, &clients::client(tenant.id, "app"))
            .await
            .unwrap();

        let conn = s.connection();
        for sql in [
            "UPDATE tenants SET slug = 'Not A Slug!'",
            "UPDATE users SET email = 'not-an-email'",
            "UPDATE clients SET grant_types = '[\"magic\"]'",
        ] {
            let stmt = Statement::from_string(conn.get_database_backend(), sql);
            conn.execute_raw(stmt).await.unwrap();
        }

        let tenant_row = TenantStore::by_id(s, tenant.id).await;
        assert!(
            matches!(tenant_row, Err(StoreError::Corrupt(_))),
            "{tenant_row:?}"
        );
        let user_row = UserStore::get(s, tenant.id, user.id).await;
        assert!(
            matches!(user_row, Err(StoreError::Corrupt(_))),
            "{user_row:?}"
        );
        let client_row = ClientStore::get(s, tenant.id, &ClientId::parse("app").unwrap()).await;
        assert!(
            matches!(client_row, Err(StoreError::Corrupt(_))),
            "{client_row:?}"
        );
        db.cleanup().await;
    }
}

/// Writes of what nodes cache in process (tenants, clients) count up the directory version;
/// reads do not; inside a transaction the count commits or rolls back with the write.
#[tokio::test]
async fn directory_writes_count_up_the_directory_version_on_every_backend() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let version = || async { db.store.change_versions().await.unwrap().directory };
        assert_eq!(version().await, 0, "{backend}");
        let mut tenant = tenants::seed_tenant(&db.store, "counted").await;
        assert_eq!(version().await, 1, "{backend}: create");
        TenantStore::by_slug(&db.store, &tenant.slug).await.unwrap();
        TenantStore::list(&db.store, &PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(version().await, 1, "{backend}: reads do not count");
        tenant.display_name = keyward_core::DisplayName::parse("Renamed").unwrap();
        TenantStore::update(&db.store, &tenant).await.unwrap();
        assert_eq!(version().await, 2, "{backend}: update");

        let work = db.store.begin().await.unwrap();
        tenant.display_name = keyward_core::DisplayName::parse("Rolled back").unwrap();
        TenantStore::update(&work, &tenant).await.unwrap();
        drop(work);
        assert_eq!(version().await, 2, "{backend}: rolled back with its write");
        let work = db.store.begin().await.unwrap();
        TenantStore::update(&work, &tenant).await.unwrap();
        work.commit().await.unwrap();
        assert_eq!(version().await, 3, "{backend}: committed with its write");
        assert_eq!(
            db.store.change_versions().await.unwrap().policy,
            0,
            "{backend}: the policy counter is another"
        );
        db.cleanup().await;
    }
}
