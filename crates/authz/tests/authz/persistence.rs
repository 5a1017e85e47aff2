//! Policies live in the database: a new authorizer over the same store sees every change, on
//! SQLite and, when configured, PostgreSQL.

use casbin::prelude::*;
use keyward_authz::{AdminAction, AppPermission, AppRole, Authorizer, TenantRole};
use keyward_store::SqlCasbinAdapter;
use keyward_testkit::db::TestDb;
use keyward_testkit::store_contract::casbin::RBAC_WITH_DOMAINS;

use crate::fixture::{tenants, user};

/// The admin-plane `p` rules as storage holds them.
async fn stored_admin_policies(db: &TestDb) -> Vec<Vec<String>> {
    let model = DefaultModel::from_str(RBAC_WITH_DOMAINS).await.unwrap();
    let enforcer = Enforcer::new(model, SqlCasbinAdapter::new(&db.store))
        .await
        .unwrap();
    enforcer.get_policy()
}

#[tokio::test]
async fn policies_persist_for_a_new_authorizer_over_the_same_store() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let (a, b) = tenants();
        let (alice_id, alice) = user();
        let (_, bob) = user();
        let (_, root) = user();
        let editor = AppRole::parse("editor").unwrap();
        let read = AppPermission::new("document", "read").unwrap();
        {
            let node = Authorizer::new(SqlCasbinAdapter::new(&db.store))
                .await
                .unwrap();
            node.assign_role(&alice, TenantRole::Admin, a)
                .await
                .unwrap();
            node.assign_role(&bob, TenantRole::Viewer, a).await.unwrap();
            node.assign_role(&bob, TenantRole::Admin, b).await.unwrap();
            node.grant_platform_admin(&root).await.unwrap();
            node.grant_app_permission(a, &editor, &read).await.unwrap();
            node.assign_app_role(alice_id, &editor, a).await.unwrap();
            node.revoke_role(&bob, TenantRole::Admin, b).await.unwrap();
        }

        let fresh = Authorizer::new(SqlCasbinAdapter::new(&db.store))
            .await
            .unwrap();
        assert!(
            fresh
                .permit(&alice, a, AdminAction::ClientCreate)
                .await
                .is_ok(),
            "{backend}"
        );
        assert!(
            fresh
                .permit(&alice, b, AdminAction::ClientRead)
                .await
                .is_err(),
            "{backend}"
        );
        assert!(
            fresh.permit(&bob, a, AdminAction::ClientRead).await.is_ok(),
            "{backend}"
        );
        assert!(
            fresh
                .permit(&bob, a, AdminAction::ClientUpdate)
                .await
                .is_err(),
            "{backend}"
        );
        assert!(
            fresh
                .permit(&bob, b, AdminAction::ClientRead)
                .await
                .is_err(),
            "{backend}: the revocation persisted"
        );
        assert!(
            fresh
                .permit(&root, b, AdminAction::TenantDelete)
                .await
                .is_ok(),
            "{backend}"
        );
        assert_eq!(
            fresh.app_roles_of(alice_id, a).await,
            vec![editor.clone()],
            "{backend}"
        );
        assert_eq!(
            fresh.app_permissions_of(alice_id, a).await,
            vec![read.clone()],
            "{backend}"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn seeding_the_built_in_roles_twice_stores_them_once() {
    for db in TestDb::all().await {
        let first = Authorizer::new(SqlCasbinAdapter::new(&db.store))
            .await
            .unwrap();
        let once = stored_admin_policies(&db).await;
        let _second = Authorizer::new(SqlCasbinAdapter::new(&db.store))
            .await
            .unwrap();
        let twice = stored_admin_policies(&db).await;
        assert_eq!(once.len(), twice.len(), "{}", db.backend());
        // platform-admin: every action; tenant-admin: all but the platform-only ones;
        // tenant-viewer: the reads.
        let all = AdminAction::ALL.len();
        let platform_only = AdminAction::ALL
            .iter()
            .filter(|a| a.is_platform_only())
            .count();
        let reads = AdminAction::ALL.iter().filter(|a| a.is_read()).count();
        assert_eq!(
            once.len(),
            all + (all - platform_only) + reads,
            "{}",
            db.backend()
        );
        drop(first);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn reload_sees_changes_another_node_stored() {
    for db in TestDb::all().await {
        let one = Authorizer::new(SqlCasbinAdapter::new(&db.store))
            .await
            .unwrap();
        let two = Authorizer::new(SqlCasbinAdapter::new(&db.store))
            .await
            .unwrap();
        let (a, _) = tenants();
        let (_, alice) = user();
        let _ = one.assign_role(&alice, TenantRole::Admin, a).await.unwrap();
        assert!(
            two.permit(&alice, a, AdminAction::KeyRotate).await.is_err(),
            "not yet"
        );
        two.reload().await.unwrap();
        assert!(
            two.permit(&alice, a, AdminAction::KeyRotate).await.is_ok(),
            "{}",
            db.backend()
        );

        // Node two, unaware, revokes what one stored: storage and both nodes agree after.
        let _ = one.revoke_role(&alice, TenantRole::Admin, a).await.unwrap();
        let again = two.revoke_role(&alice, TenantRole::Admin, a).await.unwrap();
        assert!(!again.is_change(), "already revoked in storage");
        assert!(
            two.permit(&alice, a, AdminAction::KeyRotate).await.is_err(),
            "{}",
            db.backend()
        );
        db.cleanup().await;
    }
}
