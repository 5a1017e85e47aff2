//! Every error branch of the authorization endpoint over HTTP: an unknown client or an
//! unregistered redirect URI shows the error page and never redirects; everything else goes
//! back to the client with `error`, `state` and `iss`.

use crate::app::TestApp;
use crate::code_flow::{CHALLENGE, SPA_CB};
use crate::flow_driver::response_params;

async fn page(server: &TestApp, query: &str) -> (u16, String, Option<String>) {
    let res = server
        .http
        .get(format!("{}/authorize?{query}", server.issuer("demo")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    (status, res.text().await.unwrap(), location)
}

async fn error_param(server: &TestApp, query: &str) -> std::collections::HashMap<String, String> {
    let (status, body, location) = page(server, query).await;
    let location = location.unwrap_or_else(|| panic!("{query}: no redirect ({status}): {body}"));
    assert!(location.starts_with("http://127.0.0.1:3000/"), "{location}");
    response_params(&location)
}

#[tokio::test]
async fn authorize_never_redirects_to_unknown_clients_or_unregistered_uris() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    for query in [
        format!("response_type=code&client_id=nope&redirect_uri={SPA_CB}"),
        format!("response_type=code&client_id={spa}&redirect_uri=https://evil.test/cb"),
        format!("response_type=code&client_id={spa}&redirect_uri={SPA_CB}/extra"),
        format!("response_type=code&redirect_uri={SPA_CB}"),
        format!("client_id={spa}&client_id={spa}"),
    ] {
        let (status, body, location) = page(&server, &query).await;
        assert_eq!(status, 400, "{query}");
        assert!(location.is_none(), "{query}");
        assert!(
            body.contains("<html") || body.contains("<!DOCTYPE"),
            "an HTML error page: {body}"
        );
        assert!(
            !body.contains("evil.test"),
            "the page never links to the unregistered URI"
        );
    }
}

#[tokio::test]
async fn authorize_errors_go_back_to_the_client_with_state_and_iss() {
    let server = TestApp::dev().await;
    let spa = server.demo_client("Demo SPA").id;
    let implicit = server.demo_client("Demo implicit").id;
    let s256 = format!("code_challenge={CHALLENGE}&code_challenge_method=S256");
    let cases = [
        (
            format!("client_id={spa}&redirect_uri={SPA_CB}&state=x"),
            "invalid_request",
        ),
        (
            format!(
                "client_id={spa}&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=plain&state=x"
            ),
            "invalid_request",
        ),
        (
            format!("client_id={spa}&response_type=code&state=x"),
            "invalid_request",
        ),
        (
            format!("client_id={spa}&response_type=token&state=x"),
            "unsupported_response_type",
        ),
        (
            format!("client_id={spa}&response_type=code&scope=openid+nonsense&{s256}&state=x"),
            "invalid_scope",
        ),
        (
            format!("client_id={spa}&response_type=code&prompt=bogus&{s256}&state=x"),
            "invalid_request",
        ),
        (
            format!("client_id={spa}&response_type=code&request=eyJ&{s256}&state=x"),
            "request_not_supported",
        ),
        (
            format!(
                "client_id={implicit}&response_type=id_token&scope=openid&state=x&response_mode=fragment"
            ),
            "invalid_request",
        ),
        (
            format!("client_id={implicit}&response_type=code&{s256}&state=x"),
            "unauthorized_client",
        ),
    ];
    for (query, code) in cases {
        let params = error_param(&server, &query).await;
        assert_eq!(
            params.get("error").map(String::as_str),
            Some(code),
            "{query}: {params:?}"
        );
        assert_eq!(
            params.get("state").map(String::as_str),
            Some("x"),
            "{query}"
        );
        assert_eq!(params.get("iss"), Some(&server.issuer("demo")), "{query}");
    }
}

#[tokio::test]
async fn implicit_without_nonce_is_refused_in_the_fragment() {
    let server = TestApp::dev().await;
    let implicit = server.demo_client("Demo implicit").id;
    let (_, _, location) = page(
        &server,
        &format!("client_id={implicit}&response_type=id_token&scope=openid&state=x"),
    )
    .await;
    let location = location.unwrap();
    assert!(
        location.contains('#'),
        "implicit errors use the fragment: {location}"
    );
    assert_eq!(
        response_params(&location).get("error").map(String::as_str),
        Some("invalid_request")
    );
}
