//! keyward-admin's `SessionLogout` port: a session an administrator ends is announced to its
//! clients by OpenID Connect Back-Channel Logout, the same delivery the logout page uses.

use std::sync::Arc;

use async_trait::async_trait;
use keyward_admin::SessionLogout;
use keyward_auth_server::backchannel_logout::BackchannelLogout;
use keyward_core::{Clock, Tenant};
use keyward_identity::EndedSession;
use keyward_oauth::directory::Directory;

pub struct BackchannelSessionLogout {
    pub backchannel: Arc<BackchannelLogout>,
    pub directory: Arc<Directory>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl SessionLogout for BackchannelSessionLogout {
    async fn session_ended(&self, tenant: &Tenant, ended: &EndedSession) {
        let entry = match self.directory.tenant(tenant.slug.as_str()).await {
            Ok(Some(entry)) => entry,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "back-channel logout: reading the tenant failed");
                return;
            }
        };
        self.backchannel
            .notify(&self.directory, &entry, ended, None, self.clock.now())
            .await;
    }
}
