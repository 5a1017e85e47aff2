//! The in-process test app itself: the real application on every backend, seeded without a
//! subprocess.

use crate::app::{Options, TestApp};

#[tokio::test]
async fn the_in_process_app_serves_tokens_and_seeds_clients_on_every_backend() {
    for app in TestApp::every_backend(Options::dev()).await {
        let service = app.demo_client("Demo service");
        let body = app
            .token("demo", &service, &[("grant_type", "client_credentials")])
            .await;
        assert!(body["access_token"].is_string(), "{}: {body}", app.backend);
        app.tenant("acme").await;
        let client = app
            .client("acme", &["--grant-type", "client_credentials"])
            .await;
        let token = app
            .token("acme", &client, &[("grant_type", "client_credentials")])
            .await;
        let access = token["access_token"].as_str().unwrap();
        assert!(app.active("acme", &client, access).await, "{}", app.backend);
        let admin = app.admin_token().await;
        let res = app
            .http
            .get(format!("{}/admin/api/v1/tenants", app.base))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", app.backend);
        app.cleanup().await;
    }
}
