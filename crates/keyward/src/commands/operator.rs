//! The CLI as a client of keyward-admin: every command that reads or changes tenants,
//! clients, users, keys or roles calls the same use-case as the admin API, as the local
//! operator ([`Actor::Operator`], audited as `operator:local`). Validation, audit snapshots,
//! announcements to running nodes and key-retirement rules therefore exist once, in
//! keyward-admin; a command only parses its arguments and prints the answer.

use std::future::Future;

use keyward_admin::{Admin, AdminError, Caller, PageView};
use keyward_authz::Actor;
use keyward_core::PageRequest;

use crate::failure::Failure;
use crate::startup::Platform;

/// The admin use-cases over the platform, and the local operator calling them.
pub struct Operator {
    pub platform: Platform,
    pub admin: Admin,
    pub caller: Caller,
}

impl Operator {
    /// The use-cases wired as `serve` wires them; changes are announced to running nodes.
    pub async fn new(platform: &Platform) -> Result<Self, Failure> {
        let authorizer = crate::admin_service::authorizer(platform).await?;
        Ok(Self {
            platform: platform.clone(),
            admin: crate::admin_service::service(platform, authorizer),
            caller: Caller::new(Actor::Operator, None),
        })
    }

    /// Every item of a paged list, fetching the largest pages.
    pub async fn all<T, F, Fut>(&self, mut page: F) -> Result<Vec<T>, AdminError>
    where
        F: FnMut(Option<u64>, Option<String>) -> Fut,
        Fut: Future<Output = Result<PageView<T>, AdminError>>,
    {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let batch = page(Some(PageRequest::MAX_LIMIT), after).await?;
            all.extend(batch.items);
            match batch.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }
}

/// What a use-case's error means on the command line; `missing` says what was not found.
pub fn failure(e: AdminError, missing: impl FnOnce() -> String) -> Failure {
    match e {
        AdminError::NotFound => Failure::NotFound(missing()),
        AdminError::Invalid(fields) => Failure::Invalid(
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AdminError::Conflict(what) => Failure::Conflict(what),
        AdminError::Stale => Failure::Conflict("changed by someone else meanwhile".to_owned()),
        AdminError::Denied(denied) => Failure::Internal(format!("refused: {denied}")),
        AdminError::Store(why) => Failure::Unavailable(format!("database error: {why}")),
        AdminError::Internal(why) => Failure::Internal(why),
    }
}
