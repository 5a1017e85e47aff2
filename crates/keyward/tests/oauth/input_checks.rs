//! Protocol input checks end to end against the in-process server: numbers from a request
//! that meet time never panic a worker (they are bounded at parse), client assertions name
//! only the audiences RFC 7523 and OIDC Core allow, and plain-http redirect URIs are for
//! loopback only.

use reqwest::header::{COOKIE, LOCATION};

use crate::app::TestApp;
use crate::code_flow::{CHALLENGE, SPA_CB};
use crate::page_client::Browser;
use crate::sessions::sign_in;

#[tokio::test]
async fn authorize_answers_huge_max_age_without_panicking_the_worker() {
    let app = TestApp::dev().await;
    let spa = app.demo_client("Demo SPA").id;
    let cookie = sign_in(&app, &Browser::new()).await;
    // 9223372036854776 s is just past what chrono's Duration holds (i64::MAX ms).
    for max_age in [
        "9223372036854776",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999999",
        "-1",
        "+5",
        "1e3",
    ] {
        let url = format!(
            "{}/authorize?response_type=code&client_id={spa}&redirect_uri={SPA_CB}&scope=openid&state=st&code_challenge={CHALLENGE}&code_challenge_method=S256&max_age={max_age}",
            app.issuer("demo")
        );
        let res = app
            .http
            .get(&url)
            .header(COOKIE, format!("keyward_session={cookie}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("max_age={max_age}: the connection was dropped: {e}"));
        assert_eq!(res.status(), 302, "max_age={max_age}");
        let to = res.headers()[LOCATION].to_str().unwrap().to_owned();
        let back = url::Url::parse(&to).unwrap();
        let has = |name: &str| back.query_pairs().any(|(k, _)| k == name);
        assert!(
            to.starts_with(SPA_CB) && (has("code") || has("error")),
            "max_age={max_age}: {to}"
        );
        if max_age.starts_with(['-', '+']) || max_age.contains('e') {
            assert!(
                back.query_pairs()
                    .any(|(k, v)| k == "error" && v == "invalid_request"),
                "max_age={max_age}: {to}"
            );
        } else {
            // Longer than any session has lived: the session is fresh enough.
            assert!(has("code"), "max_age={max_age}: {to}");
        }
    }
    let discovery = app
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            app.issuer("demo")
        ))
        .send()
        .await
        .expect("the server still serves");
    assert_eq!(discovery.status(), 200);
}
