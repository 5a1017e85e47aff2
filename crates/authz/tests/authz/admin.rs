//! The admin plane: deny by default, the built-in roles and tenant isolation.

use std::sync::atomic::Ordering;

use keyward_authz::{Actor, AdminAction, AdminRole, Authorizer, TenantRole};
use keyward_core::{ClientId, TenantId};

use crate::fixture::{FlakyAdapter, memory_authorizer, tenants, user};

async fn permitted(authz: &Authorizer, actor: &Actor, tenant: TenantId) -> Vec<AdminAction> {
    let mut out = Vec::new();
    for action in AdminAction::ALL {
        if authz.permit(actor, tenant, action).await.is_ok() {
            out.push(action);
        }
    }
    out
}

fn tenant_actions() -> Vec<AdminAction> {
    AdminAction::ALL
        .into_iter()
        .filter(|a| !a.is_platform_only())
        .collect()
}

fn reads() -> Vec<AdminAction> {
    AdminAction::ALL
        .into_iter()
        .filter(|a| a.is_read())
        .collect()
}

#[tokio::test]
async fn permit_denies_every_action_to_an_actor_without_roles() {
    let authz = memory_authorizer().await;
    let (_, nobody) = user();
    let (a, _) = tenants();
    assert_eq!(permitted(&authz, &nobody, a).await, vec![]);
    let denied = authz
        .permit(&nobody, a, AdminAction::TenantRead)
        .await
        .unwrap_err();
    assert!(!denied.is_engine_failure());
    assert_eq!(denied.tenant, a);
    assert_eq!(denied.action, AdminAction::TenantRead);
}

#[tokio::test]
async fn platform_admin_is_permitted_every_action_in_every_tenant() {
    let authz = memory_authorizer().await;
    let (_, root) = user();
    assert!(authz.grant_platform_admin(&root).await.unwrap().is_change());
    assert!(authz.is_platform_admin(&root).await);
    let (a, b) = tenants();
    for tenant in [a, b, TenantId::generate()] {
        assert_eq!(
            permitted(&authz, &root, tenant).await,
            AdminAction::ALL.to_vec()
        );
    }
    assert_eq!(authz.platform_admins().await, vec![root]);
}

#[tokio::test]
async fn tenant_admin_of_a_is_permitted_in_a_and_denied_every_action_in_b() {
    let authz = memory_authorizer().await;
    let (_, alice) = user();
    let (a, b) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();

    for action in AdminAction::ALL {
        let in_a = authz.permit(&alice, a, action).await;
        assert_eq!(
            in_a.is_ok(),
            !action.is_platform_only(),
            "tenant-admin of A, {action} in A"
        );
        let in_b = authz.permit(&alice, b, action).await;
        assert!(in_b.is_err(), "tenant-admin of A must not {action} in B");
    }
    assert!(!authz.is_platform_admin(&alice).await);
}

#[tokio::test]
async fn service_account_with_tenant_admin_is_confined_to_its_tenant() {
    let authz = memory_authorizer().await;
    let (system, b) = tenants();
    let bot = Actor::ServiceAccount {
        tenant: system,
        client_id: ClientId::parse("automation").unwrap(),
    };
    let (a, _) = tenants();
    authz.assign_role(&bot, TenantRole::Admin, a).await.unwrap();
    assert_eq!(permitted(&authz, &bot, a).await, tenant_actions());
    assert_eq!(permitted(&authz, &bot, b).await, vec![]);
    assert_eq!(permitted(&authz, &bot, system).await, vec![]);
}

#[tokio::test]
async fn tenant_viewer_is_permitted_reads_and_denied_every_write() {
    let authz = memory_authorizer().await;
    let (_, viewer) = user();
    let (a, b) = tenants();
    authz
        .assign_role(&viewer, TenantRole::Viewer, a)
        .await
        .unwrap();
    assert_eq!(permitted(&authz, &viewer, a).await, reads());
    for action in AdminAction::ALL.into_iter().filter(|a| !a.is_read()) {
        assert!(authz.permit(&viewer, a, action).await.is_err(), "{action}");
    }
    assert_eq!(permitted(&authz, &viewer, b).await, vec![]);
}

#[tokio::test]
async fn revoked_role_no_longer_permits() {
    let authz = memory_authorizer().await;
    let (_, alice) = user();
    let (_, root) = user();
    let (a, _) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();
    authz.grant_platform_admin(&root).await.unwrap();
    assert!(
        authz
            .permit(&alice, a, AdminAction::ClientCreate)
            .await
            .is_ok()
    );

    assert!(
        authz
            .revoke_role(&alice, TenantRole::Admin, a)
            .await
            .unwrap()
            .is_change()
    );
    assert!(
        authz
            .revoke_platform_admin(&root)
            .await
            .unwrap()
            .is_change()
    );
    assert_eq!(permitted(&authz, &alice, a).await, vec![]);
    assert_eq!(permitted(&authz, &root, a).await, vec![]);
    assert!(
        !authz
            .revoke_role(&alice, TenantRole::Admin, a)
            .await
            .unwrap()
            .is_change(),
        "nothing left to revoke"
    );
}

#[tokio::test]
async fn assigning_a_held_role_again_reports_no_change() {
    let authz = memory_authorizer().await;
    let (_, alice) = user();
    let (a, _) = tenants();
    assert!(
        authz
            .assign_role(&alice, TenantRole::Viewer, a)
            .await
            .unwrap()
            .is_change()
    );
    assert!(
        !authz
            .assign_role(&alice, TenantRole::Viewer, a)
            .await
            .unwrap()
            .is_change()
    );
    assert_eq!(permitted(&authz, &alice, a).await, reads());
}

#[tokio::test]
async fn permit_carries_the_actor_tenant_and_action_it_was_given_for() {
    let authz = memory_authorizer().await;
    let (_, alice) = user();
    let (a, b) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();
    let permit = authz
        .permit(&alice, a, AdminAction::ClientRotateSecret)
        .await
        .unwrap();
    assert_eq!(permit.actor(), &alice);
    assert_eq!(permit.tenant(), a);
    assert_eq!(permit.action(), AdminAction::ClientRotateSecret);
    assert!(permit.covers(a, AdminAction::ClientRotateSecret));
    assert!(!permit.covers(b, AdminAction::ClientRotateSecret));
    assert!(!permit.covers(a, AdminAction::ClientDelete));
}

#[tokio::test]
async fn roles_of_lists_the_roles_that_apply_in_the_tenant() {
    let authz = memory_authorizer().await;
    let (_, alice) = user();
    let (_, bob) = user();
    let (a, b) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();
    authz
        .assign_role(&alice, TenantRole::Viewer, b)
        .await
        .unwrap();
    authz
        .assign_role(&bob, TenantRole::Viewer, a)
        .await
        .unwrap();
    authz.grant_platform_admin(&bob).await.unwrap();

    assert_eq!(
        authz.roles_of(&alice, a).await,
        vec![AdminRole::TenantAdmin]
    );
    assert_eq!(
        authz.roles_of(&alice, b).await,
        vec![AdminRole::TenantViewer]
    );
    assert_eq!(
        authz.roles_of(&bob, b).await,
        vec![AdminRole::PlatformAdmin],
        "platform-admin applies everywhere"
    );
    let mut in_a = vec![
        (alice.clone(), TenantRole::Admin),
        (bob.clone(), TenantRole::Viewer),
    ];
    in_a.sort_by_key(|(actor, _)| actor.subject());
    assert_eq!(authz.role_assignments(a).await, in_a);
    assert_eq!(
        authz.role_assignments(b).await,
        vec![(alice, TenantRole::Viewer)]
    );
}

#[tokio::test]
async fn forgetting_a_user_removes_every_role_it_held() {
    let authz = memory_authorizer().await;
    let (id, alice) = user();
    let (a, b) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();
    authz
        .assign_role(&alice, TenantRole::Viewer, b)
        .await
        .unwrap();
    authz.grant_platform_admin(&alice).await.unwrap();
    assert!(authz.forget_user(id).await.unwrap().is_change());
    assert_eq!(permitted(&authz, &alice, a).await, vec![]);
    assert_eq!(permitted(&authz, &alice, b).await, vec![]);
}

#[tokio::test]
async fn forgetting_a_tenant_leaves_other_tenants_and_built_in_roles_alone() {
    let authz = memory_authorizer().await;
    let (_, alice) = user();
    let (a, b) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();
    authz
        .assign_role(&alice, TenantRole::Admin, b)
        .await
        .unwrap();
    assert!(authz.forget_tenant(a).await.unwrap().is_change());
    assert_eq!(permitted(&authz, &alice, a).await, vec![]);
    assert_eq!(permitted(&authz, &alice, b).await, tenant_actions());
}

#[tokio::test]
async fn failed_reload_keeps_the_policy_in_force() {
    let (adapter, failing) = FlakyAdapter::new();
    let authz = Authorizer::new(adapter).await.unwrap();
    let (_, alice) = user();
    let (a, _) = tenants();
    authz
        .assign_role(&alice, TenantRole::Admin, a)
        .await
        .unwrap();

    failing.store(true, Ordering::SeqCst);
    assert!(authz.reload().await.is_err());
    assert_eq!(permitted(&authz, &alice, a).await, tenant_actions());
    assert!(
        authz
            .assign_role(&alice, TenantRole::Viewer, a)
            .await
            .is_err()
    );
    assert_eq!(
        authz.roles_of(&alice, a).await,
        vec![AdminRole::TenantAdmin]
    );

    failing.store(false, Ordering::SeqCst);
    authz.reload().await.unwrap();
    assert_eq!(permitted(&authz, &alice, a).await, tenant_actions());
}
