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
    /// The local operator: whoever runs the `keyward` CLI on the platform's database and
    /// master key. Holding both, they can do anything, so no policy is consulted; they are
    /// audited as `operator:local`. Never a policy subject: [`Actor::from_subject`] refuses
    /// it, so no role can be assigned to it and no token can name it.
    Operator,
}

const USER_PREFIX: &str = "user:";
const CLIENT_PREFIX: &str = "client:";
const OPERATOR_SUBJECT: &str = "operator:local";

impl Actor {
    /// The Casbin subject: `user:{uuid}` or `client:{tenant}/{client_id}`.
    pub fn subject(&self) -> String {
        match self {
            Self::User(id) => user_subject(*id),
            Self::ServiceAccount { tenant, client_id } => {
                format!("{CLIENT_PREFIX}{tenant}/{client_id}")
            }
            Self::Operator => OPERATOR_SUBJECT.to_owned(),
        }
    }

    /// Parses a policy subject written by [`Actor::subject`] (a user or a service account).
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
        assert!(
            Actor::from_subject(&Actor::Operator.subject()).is_err(),
            "the operator is never a policy subject"
        );
        assert!(Actor::from_subject(&format!("client:{tenant}")).is_err());
    }
}
