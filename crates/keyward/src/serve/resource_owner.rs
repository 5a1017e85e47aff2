//! keyward-oauth's `ResourceOwnerAuthenticator` port, answered by keyward-identity's throttled
//! password login: the protocol engine never sees a user table.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_core::Tenant;
use keyward_identity::{LoginRefusal, PasswordLogin};
use keyward_oauth::token::password::{PasswordGrantRefusal, ResourceOwnerAuthenticator, Subject};

pub struct PasswordGrantOwners(pub Arc<PasswordLogin>);

#[async_trait]
impl ResourceOwnerAuthenticator for PasswordGrantOwners {
    async fn authenticate(
        &self,
        tenant: &Tenant,
        username: &str,
        password: &str,
        remote_ip: Option<IpAddr>,
    ) -> Result<Subject, PasswordGrantRefusal> {
        match self
            .0
            .verify(tenant.id, username, password, remote_ip)
            .await
        {
            Ok(user) => Ok(Subject {
                id: user.id.to_string(),
            }),
            Err(LoginRefusal::InvalidCredentials) => Err(PasswordGrantRefusal::InvalidCredentials),
            Err(LoginRefusal::Throttled) => Err(PasswordGrantRefusal::Throttled),
            Err(LoginRefusal::Busy) => Err(PasswordGrantRefusal::Busy),
            Err(LoginRefusal::Unavailable(why)) => Err(PasswordGrantRefusal::Unavailable(why)),
        }
    }
}
