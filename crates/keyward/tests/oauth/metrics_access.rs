//! Finding 21 of the security review: `/metrics` is not open to anyone. With a metrics token
//! set it needs that bearer token; without one it answers only direct loopback requests.

use crate::app::{Options, TestApp};

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let token = "metrics-token-of-the-test-0123456789";
    let app = TestApp::embedded(Options::default().var("KEYWARD_METRICS_TOKEN", token)).await;
    let url = format!("{}/metrics", app.base);
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "no token");
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("metrics-token-of-the-test-0123456788")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401, "a wrong token");
    let right = app.http.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("keyward_http_requests_total")
    );
}

#[tokio::test]
async fn without_a_token_metrics_answer_direct_loopback_requests_only() {
    let app = TestApp::embedded(Options::default()).await;
    let url = format!("{}/metrics", app.base);
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 200);
    // Through a reverse proxy on the same host the peer is loopback too: a forwarded request
    // is not a local one.
    for (name, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
    ] {
        let proxied = app.http.get(&url).header(name, value).send().await.unwrap();
        assert_eq!(proxied.status(), 403, "{name}");
    }
}
