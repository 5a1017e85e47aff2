//! keyward-auth-server's `BackchannelTransport` port over reqwest: POSTs a Logout Token to a
//! client's `backchannel_logout_uri` (OIDC Back-Channel Logout 1.0 §2.5), 5 s timeout, no
//! redirects followed, any non-2xx answer is a failure.

use async_trait::async_trait;
use keyward_auth_server::backchannel_logout::BackchannelTransport;

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

pub struct HttpBackchannel {
    http: reqwest::Client,
}

impl HttpBackchannel {
    pub fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { http })
    }
}

#[async_trait]
impl BackchannelTransport for HttpBackchannel {
    async fn post(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        // The error text names the URI and the failure, never the token (it is in the body).
        let response = self
            .http
            .post(uri)
            .header(reqwest::header::CACHE_CONTROL, "no-store")
            .form(&[("logout_token", logout_token)])
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}
