//! What an admin use-case answers besides success. The admin API maps each variant to one
//! status in exactly one place.

use keyward_authz::Denied;
use keyward_core::{ParseError, StoreError};

/// One invalid input field, named as the caller sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<ParseError> for FieldError {
    fn from(e: ParseError) -> Self {
        Self::new(e.field, e.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No policy lets the actor do this (403).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The resource does not exist in this tenant (404).
    #[error("not found")]
    NotFound,
    /// The input is invalid; every field error is listed (422).
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A uniqueness rule was broken (409); the message is safe to show.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller's `If-Match` names another version than the current one (412).
    #[error("the resource changed since it was read")]
    Stale,
    /// Storage failed; the message is for logs.
    #[error("storage: {0}")]
    Store(String),
    /// Something else failed; the message is for logs.
    #[error("internal: {0}")]
    Internal(String),
}

impl AdminError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(what) => Self::Conflict(what),
            other => Self::Store(other.to_string()),
        }
    }
}

impl From<ParseError> for AdminError {
    fn from(e: ParseError) -> Self {
        Self::Invalid(vec![e.into()])
    }
}

/// Collects field errors, then fails with all of them at once.
#[derive(Debug, Default)]
pub(crate) struct Fields(pub(crate) Vec<FieldError>);

impl Fields {
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// The parsed value, or `None` after recording the error under `field`.
    pub(crate) fn take<T>(&mut self, field: &str, parsed: Result<T, ParseError>) -> Option<T> {
        parsed.map_err(|e| self.push(field, e.message)).ok()
    }

    pub(crate) fn finish(self) -> Result<(), AdminError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AdminError::Invalid(self.0))
        }
    }
}
