//! The token service's audit events: every token issued (`token.issue`), every refresh-token
//! replay that revoked a family (`token.refresh_reuse`) and every revocation a client asked
//! for (`token.revoke`). They go to an [`AuditRecorder`], which queues them and writes in
//! batches off the request path, so auditing costs the token endpoint no round trip.
//! Events name tokens by `jti` or refresh-token family id, never by the token itself.

use keyward_core::{AuditEvent, GrantType, TenantId};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::client::Client;
use crate::directory::TenantEntry;
use crate::token::TokenResponse;
use crate::token_service::TokenService;

/// `client:{client_id}`, the actor of every token-service event.
fn actor(client: &Client) -> String {
    format!("client:{}", client.client_id.as_str())
}

impl TokenService {
    async fn audit(
        &self,
        tenant: TenantId,
        client: &Client,
        action: &str,
        target: String,
        after: Value,
        request_id: Option<&str>,
    ) {
        self.audit
            .record(AuditEvent {
                id: Uuid::now_v7(),
                tenant_id: tenant,
                actor: actor(client),
                action: action.to_owned(),
                target,
                before: None,
                after: Some(after),
                request_id: request_id.map(str::to_owned),
                at: self.clock.now(),
            })
            .await;
    }

    /// `token.issue`; the target is the user the token speaks for, or the client itself when
    /// there is none (client_credentials, a client's own refresh family).
    pub(crate) async fn audit_issued(
        &self,
        tenant: &TenantEntry,
        client: &Client,
        grant: GrantType,
        response: &TokenResponse,
        request_id: Option<&str>,
    ) {
        let subject = &response.issued.subject;
        let target = if subject == client.client_id.as_str() {
            actor(client)
        } else {
            format!("user:{subject}")
        };
        let after = json!({
            "grant_type": grant.as_str(),
            "jti": response.issued.jti,
            "scope": response.scope,
            "expires_in": response.expires_in,
            "refresh_token": response.refresh_token.is_some(),
            "id_token": response.id_token.is_some(),
        });
        self.audit(
            tenant.tenant.id,
            client,
            "token.issue",
            target,
            after,
            request_id,
        )
        .await;
    }

    /// `token.refresh_reuse`: a rotated-out refresh token came back, so its family was revoked.
    pub(crate) async fn audit_refresh_reuse(
        &self,
        tenant: TenantId,
        client: &Client,
        family: Uuid,
        subject: Option<&str>,
        request_id: Option<&str>,
    ) {
        self.audit(
            tenant,
            client,
            "token.refresh_reuse",
            format!("refresh_family:{family}"),
            json!({ "revoked": true, "subject": subject }),
            request_id,
        )
        .await;
    }

    /// `token.revoke` (RFC 7009): `target` is `access_token:{jti}` or `refresh_family:{id}`.
    pub(crate) async fn audit_revoked(
        &self,
        tenant: TenantId,
        client: &Client,
        target: String,
        request_id: Option<&str>,
    ) {
        self.audit(
            tenant,
            client,
            "token.revoke",
            target,
            json!({ "revoked": true }),
            request_id,
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use keyward_core::GrantType::ClientCredentials;
    use keyward_core::TokenEndpointAuthMethod::ClientSecretBasic;

    use crate::error::ErrorCode;
    use crate::token_service::fixture::{Fixture, basic, request};

    fn jti_of(jwt: &str) -> String {
        use base64::Engine;
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        claims["jti"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn client_credentials_records_the_issue_without_the_token() {
        let f = Fixture::new();
        let t = f.tenant("acme", false).await;
        let (c, secret) = f
            .client(&t, ClientSecretBasic, &[ClientCredentials], "api:read")
            .await;
        let auth = basic(c.client_id.as_str(), &secret);
        let res = f.client_credentials("acme", &auth).await.unwrap();
        let events = f.audit.0.lock().unwrap().clone();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        let client = format!("client:{}", c.client_id.as_str());
        assert_eq!(e.tenant_id, t.id);
        assert_eq!(e.action, "token.issue");
        assert_eq!(
            (e.actor.as_str(), e.target.as_str()),
            (client.as_str(), client.as_str())
        );
        assert_eq!(e.request_id.as_deref(), Some("req-test"));
        let after = e.after.as_ref().unwrap();
        assert_eq!(after["grant_type"], "client_credentials");
        assert_eq!(after["scope"], "api:read");
        assert_eq!(after["jti"], jti_of(&res.access_token));
        assert_eq!(after["refresh_token"], false);
        let stored = serde_json::to_string(&e.after).unwrap();
        assert!(
            !stored.contains(&res.access_token),
            "the token itself is never recorded"
        );
    }

    #[tokio::test]
    async fn refused_requests_record_nothing() {
        let f = Fixture::new();
        let t = f.tenant("acme", false).await;
        let (c, _) = f
            .client(&t, ClientSecretBasic, &[ClientCredentials], "api:read")
            .await;
        let auth = basic(c.client_id.as_str(), "wrong");
        let err = f.client_credentials("acme", &auth).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidClient);
        assert!(f.audit.actions().is_empty());
    }

    #[tokio::test]
    async fn user_grants_refresh_and_replay_are_recorded() {
        let f = Fixture::new();
        let (auth, first) = f.password_grant("openid offline_access").await;
        let rt = first.refresh_token.clone().unwrap();
        let body = format!("grant_type=refresh_token&refresh_token={rt}");
        f.service
            .token(request("on", Some(&auth), &body))
            .await
            .unwrap();
        for _ in 0..2 {
            let replay = f.service.token(request("on", Some(&auth), &body)).await;
            assert_eq!(replay.unwrap_err().code(), ErrorCode::InvalidGrant);
        }
        assert_eq!(
            f.audit.actions(),
            ["token.issue", "token.issue", "token.refresh_reuse"],
            "a replay into an already revoked family records nothing new"
        );
        let events = f.audit.0.lock().unwrap().clone();
        assert_eq!(
            events[0].target,
            format!("user:{}", crate::token_service::fixture::ADA)
        );
        assert_eq!(events[0].after.as_ref().unwrap()["grant_type"], "password");
        assert_eq!(events[0].after.as_ref().unwrap()["refresh_token"], true);
        assert_eq!(
            events[1].after.as_ref().unwrap()["grant_type"],
            "refresh_token"
        );
        assert!(events[2].target.starts_with("refresh_family:"));
        assert_eq!(
            events[2].after.as_ref().unwrap()["subject"],
            crate::token_service::fixture::ADA
        );
    }

    #[tokio::test]
    async fn revocations_are_recorded_and_unknown_tokens_are_not() {
        let f = Fixture::new();
        let (auth, first) = f.password_grant("openid offline_access").await;
        let rt = first.refresh_token.clone().unwrap();
        for token in [first.access_token.as_str(), rt.as_str(), "no-such-token"] {
            f.service
                .revoke(request("on", Some(&auth), &format!("token={token}")))
                .await
                .unwrap();
        }
        let events = f.audit.0.lock().unwrap().clone();
        let revokes: Vec<_> = events
            .iter()
            .filter(|e| e.action == "token.revoke")
            .map(|e| e.target.clone())
            .collect();
        assert_eq!(revokes.len(), 2, "{revokes:?}");
        assert_eq!(
            revokes[0],
            format!("access_token:{}", jti_of(&first.access_token))
        );
        assert!(revokes[1].starts_with("refresh_family:"));
    }
}
