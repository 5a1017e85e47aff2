//! Every grant, introspection and revocation through the `openidconnect` crate, as a relying
//! party or resource server would use them. The client is configured from the RFC 8414
//! metadata and the JWKS (parsed by openidconnect, every key type the tenant publishes).

use openidconnect::core::CoreJsonWebKeySet;
use openidconnect::core::{
    CoreClient, CoreProviderMetadata, CoreRevocableToken as StandardRevocableToken,
};
use openidconnect::{
    ClientId, ClientSecret, HttpRequest, HttpResponse, IntrospectionUrl, IssuerUrl,
    JsonWebKeySetUrl, OAuth2TokenResponse, ResourceOwnerPassword, ResourceOwnerUsername,
    RevocationUrl, Scope, TokenIntrospectionResponse, TokenUrl,
};
use serde_json::Value;

use crate::app::TestApp;
use crate::server::Creds;

async fn discover(server: &TestApp, tenant: &str) -> CoreProviderMetadata {
    let issuer = IssuerUrl::new(server.issuer(tenant)).unwrap();
    CoreProviderMetadata::discover_async(issuer, &server.http)
        .await
        .unwrap()
}

macro_rules! client {
    ($server:expr, $tenant:expr, $creds:expr) => {{
        let url = format!(
            "{}/.well-known/oauth-authorization-server",
            $server.issuer($tenant)
        );
        let doc: Value = $server
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let endpoint = |name: &str| doc[name].as_str().unwrap().to_owned();
        let jwks_uri = JsonWebKeySetUrl::new(endpoint("jwks_uri")).unwrap();
        let jwks = CoreJsonWebKeySet::fetch_async(&jwks_uri, &$server.http)
            .await
            .unwrap();
        CoreClient::new(
            ClientId::new($creds.id.clone()),
            IssuerUrl::new(endpoint("issuer")).unwrap(),
            jwks,
        )
        .set_client_secret(ClientSecret::new($creds.secret.clone()))
        .set_token_uri(TokenUrl::new(endpoint("token_endpoint")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(endpoint("introspection_endpoint")).unwrap())
        .set_revocation_url(RevocationUrl::new(https(&endpoint("revocation_endpoint"))).unwrap())
    }};
}

/// oauth2 refuses a revocation URL that is not https (RFC 7009 §2 says clients MUST check), and
/// the test server speaks plain HTTP on loopback: the client gets the https form of the URL and
/// [`loopback`] carries it over http to 127.0.0.1, and nowhere else.
fn https(url: &str) -> String {
    url.replacen("http://127.0.0.1:", "https://127.0.0.1:", 1)
}

async fn loopback(
    http: reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, reqwest::Error> {
    let url = request
        .uri()
        .to_string()
        .replacen("https://127.0.0.1:", "http://127.0.0.1:", 1);
    let response = http
        .request(request.method().clone(), url)
        .headers(request.headers().clone())
        .body(request.body().clone())
        .send()
        .await?;
    let mut answer = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    Ok(answer.body(response.bytes().await?.to_vec()).unwrap())
}

#[tokio::test]
async fn openidconnect_discovers_the_provider() {
    let server = TestApp::dev().await;
    let metadata = discover(&server, "demo").await;
    assert_eq!(metadata.issuer().as_str(), server.issuer("demo"));
    assert_eq!(
        metadata.token_endpoint().unwrap().as_str(),
        format!("{}/token", server.issuer("demo"))
    );
}

#[tokio::test]
async fn discovery_is_served_at_all_three_locations() {
    let server = TestApp::dev().await;
    let oidc: Value = server
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            server.issuer("demo")
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for url in [
        format!(
            "{}/.well-known/oauth-authorization-server",
            server.issuer("demo")
        ),
        format!(
            "{}/.well-known/oauth-authorization-server/t/demo",
            server.base
        ),
    ] {
        let res = server.http.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["issuer"], oidc["issuer"], "{url}");
        assert_eq!(doc["token_endpoint"], oidc["token_endpoint"]);
    }
    assert_eq!(
        oidc["introspection_endpoint"],
        format!("{}/introspect", server.issuer("demo"))
    );
    assert_eq!(
        oidc["revocation_endpoint"],
        format!("{}/revoke", server.issuer("demo"))
    );
    let missing = server
        .http
        .get(format!(
            "{}/t/nope/.well-known/openid-configuration",
            server.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn client_credentials_token_is_introspected_and_revoked_with_openidconnect() {
    let server = TestApp::dev().await;
    let creds = server.demo_client("Demo service");
    let client = client!(&server, "demo", creds);
    let token = client
        .exchange_client_credentials()
        .add_scope(Scope::new("api:read".into()))
        .request_async(&server.http)
        .await
        .unwrap();
    assert!(
        token.refresh_token().is_none(),
        "client_credentials never gets a refresh token"
    );
    assert_eq!(token.scopes().unwrap()[0].as_str(), "api:read");
    assert!(token.expires_in().is_some());

    let introspection = client
        .introspect(token.access_token())
        .request_async(&server.http)
        .await
        .unwrap();
    assert!(introspection.active());
    assert_eq!(introspection.client_id().unwrap().as_str(), creds.id);
    assert_eq!(introspection.sub(), Some(creds.id.as_str()));
    assert_eq!(introspection.iss(), Some(server.issuer("demo").as_str()));
    assert!(
        introspection.jti().is_some()
            && introspection.exp().is_some()
            && introspection.iat().is_some()
    );

    client
        .revoke_token(StandardRevocableToken::AccessToken(
            token.access_token().clone(),
        ))
        .unwrap()
        .request_async(&|r| loopback(server.http.clone(), r))
        .await
        .unwrap();
    let after = client
        .introspect(token.access_token())
        .request_async(&server.http)
        .await
        .unwrap();
    assert!(!after.active(), "revoked");
}

#[tokio::test]
async fn password_and_refresh_grants_work_with_openidconnect() {
    let server = TestApp::dev().await;
    let creds: Creds = server.demo_client("Demo legacy");
    let client = client!(&server, "demo", creds);
    let first = client
        .exchange_password(
            &ResourceOwnerUsername::new("demo".into()),
            &ResourceOwnerPassword::new("demo-password".into()),
        )
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("offline_access".into()))
        .request_async(&server.http)
        .await
        .unwrap();
    let refresh = first
        .refresh_token()
        .expect("offline_access gives a refresh token")
        .clone();
    let user = client
        .introspect(first.access_token())
        .request_async(&server.http)
        .await
        .unwrap();
    assert!(user.active());
    assert_ne!(
        user.sub(),
        Some(creds.id.as_str()),
        "the subject is the user, not the client"
    );

    let second = client
        .exchange_refresh_token(&refresh)
        .request_async(&server.http)
        .await
        .unwrap();
    let rotated = second.refresh_token().unwrap();
    assert_ne!(rotated.secret(), refresh.secret(), "rotated on use");
    let again = client
        .introspect(second.access_token())
        .request_async(&server.http)
        .await
        .unwrap();
    assert_eq!(again.sub(), user.sub());

    client
        .revoke_token(StandardRevocableToken::RefreshToken(rotated.clone()))
        .unwrap()
        .request_async(&|r| loopback(server.http.clone(), r))
        .await
        .unwrap();
    assert!(
        client
            .exchange_refresh_token(rotated)
            .request_async(&server.http)
            .await
            .is_err()
    );
    let revoked = client
        .introspect(second.access_token())
        .request_async(&server.http)
        .await
        .unwrap();
    assert!(
        !revoked.active(),
        "revoking the refresh token revokes its access tokens"
    );
}
