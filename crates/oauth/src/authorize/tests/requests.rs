//! Request validation: what never redirects, and every error that does.

use super::*;

#[tokio::test]
async fn authorize_never_redirects_for_unknown_clients_or_unregistered_uris() {
    let w = world().await;
    for query in [
        "response_type=code&client_id=nope&redirect_uri=https://rp.test/cb".to_owned(),
        format!(
            "response_type=code&client_id={}&redirect_uri=https://evil.test/cb",
            w.spa.client_id
        ),
        format!(
            "response_type=code&client_id={}&redirect_uri={CB}/",
            w.spa.client_id
        ),
        "response_type=code".to_owned(),
        "client_id=a&client_id=b".to_owned(),
    ] {
        assert!(
            matches!(
                w.go(&query, None).await,
                AuthorizeOutcome::ShowError { status: 400, .. }
            ),
            "{query}"
        );
    }
}

#[tokio::test]
async fn authorize_errors_redirect_with_state_and_iss() {
    let w = world().await;
    let id = &w.spa.client_id;
    let out = w.go(&format!("client_id={id}&state=xyz"), None).await;
    let (uri, mode, params) = redirect(&out);
    assert_eq!(
        (uri, mode),
        (CB, ResponseMode::Query),
        "the only registered URI is used when omitted"
    );
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert_eq!(param(&params, "state"), Some("xyz"));
    assert_eq!(param(&params, "iss"), Some("https://id.test/t/acme"));
    let cases = [
        ("response_type=token", "unsupported_response_type"),
        (
            "response_type=code&code_challenge=x&code_challenge_method=plain",
            "invalid_request",
        ),
        (
            &format!("response_type=code&code_challenge={CHALLENGE}")[..],
            "invalid_request",
        ),
        ("response_type=code", "invalid_request"),
        (
            "response_type=id_token&scope=openid&nonce=n",
            "unauthorized_client",
        ),
        (
            &format!(
                "response_type=code&scope=admin&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )[..],
            "invalid_scope",
        ),
        (
            &format!(
                "response_type=code&prompt=none+login&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )[..],
            "invalid_request",
        ),
        (
            &format!(
                "response_type=code&max_age=-1&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )[..],
            "invalid_request",
        ),
        (
            &format!(
                "response_type=code&request=x&code_challenge={CHALLENGE}&code_challenge_method=S256"
            )[..],
            "request_not_supported",
        ),
    ];
    for (query, code) in cases {
        let out = w.go(&format!("client_id={id}&{query}"), None).await;
        assert_eq!(error_of(&out), code, "{query}");
    }
    let rp = &w.rp.0.client_id;
    let out = w
        .go(
            &format!("client_id={rp}&response_type=id_token&scope=openid"),
            None,
        )
        .await;
    let (_, mode, params) = redirect(&out);
    assert_eq!(
        (mode, param(&params, "error")),
        (ResponseMode::Fragment, Some("invalid_request")),
        "implicit needs a nonce"
    );
    let out = w
        .go(
            &format!(
                "client_id={rp}&response_type=id_token&scope=openid&nonce=n&response_mode=query"
            ),
            None,
        )
        .await;
    assert_eq!(
        error_of(&out),
        "invalid_request",
        "tokens never in the query"
    );
}

#[tokio::test]
async fn tenant_setting_requires_pkce_of_confidential_clients_too() {
    let mut w = world().await;
    w.consent().await;
    let query = format!(
        "response_type=code&client_id={}&scope=openid",
        w.rp.0.client_id
    );
    assert!(param(&redirect(&w.go(&query, Some(&w.subject())).await).2, "code").is_some());
    w.fixture
        .tenants
        .0
        .lock()
        .unwrap()
        .iter_mut()
        .for_each(|t| t.settings.pkce_required = true);
    w.tenant = w.tokens.tenant("acme").await.unwrap();
    assert_eq!(
        error_of(&w.go(&query, Some(&w.subject())).await),
        "invalid_request"
    );
    let with_pkce = format!("{query}&code_challenge={CHALLENGE}&code_challenge_method=S256");
    assert!(
        param(
            &redirect(&w.go(&with_pkce, Some(&w.subject())).await).2,
            "code"
        )
        .is_some()
    );
}
