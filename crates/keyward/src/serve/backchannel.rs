//! keyward-auth-server's `BackchannelTransport` port over the guarded outbound client: POSTs
//! a Logout Token to a client's `backchannel_logout_uri` (OIDC Back-Channel Logout 1.0 §2.5),
//! never to a loopback or private address unless allowed, no redirects followed, any non-2xx
//! answer is a failure.

use async_trait::async_trait;
use keyward_auth_server::backchannel_logout::BackchannelTransport;

use crate::serve::outbound::OutboundHttp;

pub struct HttpBackchannel {
    http: OutboundHttp,
}

impl HttpBackchannel {
    pub fn new(http: OutboundHttp) -> Self {
        Self { http }
    }
}

#[async_trait]
impl BackchannelTransport for HttpBackchannel {
    async fn post(&self, uri: &str, logout_token: &str) -> Result<(), String> {
        // The error names the URI and the failure, never the token (it is in the body).
        self.http
            .post_form(uri, &[("logout_token", logout_token)])
            .await
            .map_err(|e| e.to_string())
    }
}
