//! Who acts on the admin plane, as Casbin subjects. How the actor authenticated is not this
//! crate's business: the caller hands over an actor it has already authenticated.

use std::fmt;

use keyward_core::{ClientId, ParseError, TenantId, UserId};

/// An authenticated principal of the admin plane.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A person, by user id (users of the `system` tenant, usually).
    User(UserId),
    /// A service account: a client_credentials client of `tenant` holding admin roles.
    ServiceAccount {
        tenant: TenantId,
        client_id: ClientId,
    },
}

const USER_PREFIX: &str = "user:";
const CLIENT_PREFIX: &str = "client:";

impl Actor {
    /// The Casbin subject: `user:{uuid}` or `client:{tenant}/{client_id}`.
    pub fn subject(&self) -> String {
        match self {
            Self::User(id) => user_subject(*id),
            Self::ServiceAccount { tenant, client_id } => {
                format!("{CLIENT_PREFIX}{tenant}/{client_id}")
            }
        }
    }

    /// Parses a subject written by [`Actor::subject`].
    pub fn from_subject(subject: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::new("subject", "must be user:{uuid} or client:{tenant}/{id}");
        if let Some(id) = subject.strip_prefix(USER_PREFIX) {
            return id.parse().map(Self::User).map_err(|_| invalid());
        }
        let (tenant, client_id) = subject
            .strip_prefix(CLIENT_PREFIX)
            .and_then(|rest| rest.split_once('/'))
            .ok_or_else(invalid)?;
        Ok(Self::ServiceAccount {
            tenant: tenant.parse().map_err(|_| invalid())?,
            client_id: ClientId::parse(client_id).map_err(|_| invalid())?,
        })
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.subject())
    }
}

/// The subject of an end user, on either plane.
pub(crate) fn user_subject(user: UserId) -> String {
    format!("{USER_PREFIX}{user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_round_trip() {
        let tenant = TenantId::generate();
        let actors = [
            Actor::User(UserId::generate()),
            Actor::ServiceAccount {
                tenant,
                client_id: ClientId::parse("ci/bot:1").unwrap_or_else(|_| ClientId::generate()),
            },
        ];
        for actor in actors {
            assert_eq!(Actor::from_subject(&actor.subject()).ok(), Some(actor));
        }
        assert!(Actor::from_subject("user:nope").is_err());
        assert!(Actor::from_subject("app:viewer").is_err());
        assert!(Actor::from_subject(&format!("client:{tenant}")).is_err());
    }
}
