//! The application plane: tenants' own roles and permissions, AuthZEN-shaped evaluation.

use keyward_authz::{
    Action, AdminAction, AppPermission, AppRole, Decision, Evaluation, EvaluationsRequest,
    Resource, Subject, TenantRole,
};
use keyward_core::UserId;
use serde_json::json;

use crate::fixture::{memory_authorizer, tenants, user};

fn role(name: &str) -> AppRole {
    AppRole::parse(name).unwrap()
}

fn permission(resource: &str, action: &str) -> AppPermission {
    AppPermission::new(resource, action).unwrap()
}

fn ask(user: UserId, action: &str, kind: &str, id: &str) -> Evaluation {
    Evaluation::new(
        Subject::user(user),
        Action::named(action),
        Resource::new(kind, id),
    )
}

fn decisions(answers: &[Decision]) -> Vec<bool> {
    answers.iter().map(|d| d.decision).collect()
}

#[tokio::test]
async fn evaluate_answers_a_batch_in_order() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (alice, _) = user();
    let editor = role("editor");
    authz
        .grant_app_permission(a, &editor, &permission("document", "read"))
        .await
        .unwrap();
    authz
        .grant_app_permission(a, &editor, &permission("document", "write"))
        .await
        .unwrap();
    authz.assign_app_role(alice, &editor, a).await.unwrap();

    let answers = authz
        .evaluate(
            a,
            &[
                ask(alice, "read", "document", "1"),
                ask(alice, "delete", "document", "1"),
                ask(alice, "write", "document", "2"),
                ask(alice, "read", "invoice", "1"),
            ],
        )
        .await;
    assert_eq!(decisions(&answers), vec![true, false, true, false]);
    assert!(answers.iter().all(|d| d.context.is_none()));
    assert_eq!(authz.evaluate(a, &[]).await, vec![]);
}

#[tokio::test]
async fn evaluate_denies_a_user_without_roles() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (nobody, _) = user();
    let answers = authz
        .evaluate(a, &[ask(nobody, "read", "document", "1")])
        .await;
    assert_eq!(decisions(&answers), vec![false]);
}

#[tokio::test]
async fn app_role_of_tenant_a_never_applies_in_tenant_b() {
    let authz = memory_authorizer().await;
    let (a, b) = tenants();
    let (alice, _) = user();
    let editor = role("editor");
    authz
        .grant_app_permission(a, &editor, &permission("document", "read"))
        .await
        .unwrap();
    authz.assign_app_role(alice, &editor, a).await.unwrap();
    // B defines a role of the same name with the same permission, but alice is not in it.
    authz
        .grant_app_permission(b, &editor, &permission("document", "read"))
        .await
        .unwrap();

    let question = [ask(alice, "read", "document", "1")];
    assert_eq!(decisions(&authz.evaluate(a, &question).await), vec![true]);
    assert_eq!(decisions(&authz.evaluate(b, &question).await), vec![false]);
    assert_eq!(authz.app_roles_of(alice, b).await, vec![]);
    assert_eq!(authz.app_permissions_of(alice, b).await, vec![]);

    // Assigned in B to a role holding nothing in B: A's permissions do not leak across.
    let viewer = role("viewer");
    authz
        .grant_app_permission(a, &viewer, &permission("invoice", "read"))
        .await
        .unwrap();
    authz.assign_app_role(alice, &viewer, b).await.unwrap();
    assert_eq!(
        decisions(
            &authz
                .evaluate(b, &[ask(alice, "read", "invoice", "9")])
                .await
        ),
        vec![false]
    );
}

#[tokio::test]
async fn permission_on_one_resource_does_not_cover_its_siblings() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (alice, _) = user();
    let owner = role("owner-42");
    authz
        .grant_app_permission(a, &owner, &permission("document:42", "delete"))
        .await
        .unwrap();
    authz.assign_app_role(alice, &owner, a).await.unwrap();
    let answers = authz
        .evaluate(
            a,
            &[
                ask(alice, "delete", "document", "42"),
                ask(alice, "delete", "document", "43"),
                ask(alice, "delete", "document", "4"),
            ],
        )
        .await;
    assert_eq!(decisions(&answers), vec![true, false, false]);
}

#[tokio::test]
async fn evaluate_refuses_questions_it_cannot_name_with_a_reason() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (alice, _) = user();
    let mut robot = ask(alice, "read", "document", "1");
    robot.subject.kind = "robot".to_owned();
    let mut not_a_uuid = ask(alice, "read", "document", "1");
    not_a_uuid.subject.id = "alice".to_owned();
    let bad_resource = ask(alice, "read", "doc ument", "1");
    let answers = authz.evaluate(a, &[robot, not_a_uuid, bad_resource]).await;
    assert_eq!(decisions(&answers), vec![false, false, false]);
    for answer in &answers {
        assert!(answer.context.as_ref().unwrap()["reason_admin"]["en"].is_string());
    }
}

#[tokio::test]
async fn app_roles_and_permissions_of_a_user_are_listed_for_claims() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (alice, _) = user();
    let (editor, viewer) = (role("editor"), role("viewer"));
    authz
        .grant_app_permission(a, &editor, &permission("document", "write"))
        .await
        .unwrap();
    authz
        .grant_app_permission(a, &viewer, &permission("document", "read"))
        .await
        .unwrap();
    authz
        .grant_app_permission(a, &editor, &permission("document", "read"))
        .await
        .unwrap();
    authz.assign_app_role(alice, &editor, a).await.unwrap();
    authz.assign_app_role(alice, &viewer, a).await.unwrap();

    assert_eq!(
        authz.app_roles_of(alice, a).await,
        vec![editor.clone(), viewer.clone()]
    );
    assert_eq!(
        authz.app_permissions_of(alice, a).await,
        vec![
            permission("document", "read"),
            permission("document", "write")
        ],
        "deduplicated and sorted"
    );
    assert_eq!(authz.app_roles(a).await, vec![editor.clone(), viewer]);
    assert_eq!(
        authz.app_role_permissions(a, &editor).await,
        vec![
            permission("document", "read"),
            permission("document", "write")
        ]
    );
}

#[tokio::test]
async fn revoking_and_deleting_app_roles_take_effect() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (alice, _) = user();
    let (bob, _) = user();
    let editor = role("editor");
    let write = permission("document", "write");
    authz
        .grant_app_permission(a, &editor, &permission("document", "read"))
        .await
        .unwrap();
    authz
        .grant_app_permission(a, &editor, &write)
        .await
        .unwrap();
    authz.assign_app_role(alice, &editor, a).await.unwrap();
    authz.assign_app_role(bob, &editor, a).await.unwrap();

    assert!(
        authz
            .revoke_app_permission(a, &editor, &write)
            .await
            .unwrap()
            .is_change()
    );
    assert_eq!(
        decisions(
            &authz
                .evaluate(a, &[ask(alice, "write", "document", "1")])
                .await
        ),
        vec![false]
    );
    assert!(
        authz
            .revoke_app_role(bob, &editor, a)
            .await
            .unwrap()
            .is_change()
    );
    assert_eq!(
        decisions(
            &authz
                .evaluate(a, &[ask(bob, "read", "document", "1")])
                .await
        ),
        vec![false]
    );
    assert!(authz.delete_app_role(a, &editor).await.unwrap().is_change());
    assert_eq!(
        decisions(
            &authz
                .evaluate(a, &[ask(alice, "read", "document", "1")])
                .await
        ),
        vec![false]
    );
    assert_eq!(authz.app_roles(a).await, vec![]);
}

#[tokio::test]
async fn app_roles_and_admin_roles_never_mix() {
    let authz = memory_authorizer().await;
    let (a, _) = tenants();
    let (alice_id, alice) = user();
    let (bob_id, bob) = user();

    // An application role named like an admin role, holding admin-looking permissions.
    let sneaky = role("tenant-admin");
    authz
        .grant_app_permission(a, &sneaky, &permission("client", "client.create"))
        .await
        .unwrap();
    authz.assign_app_role(alice_id, &sneaky, a).await.unwrap();
    for action in AdminAction::ALL {
        assert!(authz.permit(&alice, a, action).await.is_err(), "{action}");
    }

    // A tenant-admin holds no application permission.
    authz.assign_role(&bob, TenantRole::Admin, a).await.unwrap();
    let answers = authz
        .evaluate(
            a,
            &[
                ask(bob_id, "client.create", "client", "x"),
                ask(bob_id, "read", "document", "1"),
            ],
        )
        .await;
    assert_eq!(decisions(&answers), vec![false, false]);
    assert_eq!(authz.app_roles_of(bob_id, a).await, vec![]);
}

#[test]
fn evaluations_request_fills_items_from_the_top_level() {
    let alice = UserId::generate();
    let request: EvaluationsRequest = serde_json::from_value(json!({
        "subject": { "type": "user", "id": alice.to_string() },
        "resource": { "type": "document", "id": "roadmap" },
        "context": { "time": "2025-01-01T00:00:00Z" },
        "evaluations": [
            { "action": { "name": "read" } },
            { "action": { "name": "write" }, "resource": { "type": "document", "id": "plan" } }
        ]
    }))
    .unwrap();
    let evaluations = request.into_evaluations().unwrap();
    assert_eq!(evaluations.len(), 2);
    assert_eq!(evaluations[0], {
        let mut e = ask(alice, "read", "document", "roadmap");
        e.context = Some(json!({ "time": "2025-01-01T00:00:00Z" }));
        e
    });
    assert_eq!(evaluations[1].resource, Resource::new("document", "plan"));

    let single: EvaluationsRequest = serde_json::from_value(json!({
        "subject": { "type": "user", "id": alice.to_string() },
        "action": { "name": "read" },
        "resource": { "type": "document", "id": "1" }
    }))
    .unwrap();
    assert_eq!(
        single.into_evaluations().unwrap(),
        vec![ask(alice, "read", "document", "1")]
    );

    let incomplete: EvaluationsRequest =
        serde_json::from_value(json!({ "evaluations": [ { "action": { "name": "read" } } ] }))
            .unwrap();
    assert_eq!(incomplete.into_evaluations().unwrap_err().field, "subject");
}

#[test]
fn decisions_serialize_as_authzen_answers() {
    let response = keyward_authz::EvaluationsResponse {
        evaluations: vec![Decision {
            decision: true,
            context: None,
        }],
    };
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({ "evaluations": [ { "decision": true } ] })
    );
}
