//! Errors shared by the ports and the parsers.

/// A value from outside did not parse into one of the vocabulary types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ParseError {
    /// The name of the field or parameter, as the caller knows it.
    pub field: &'static str,
    /// What is wrong, safe to show to the caller.
    pub message: String,
}

impl ParseError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// What a durable storage port can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist in the caller's tenant (it may exist in another).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken, e.g. a slug or username already taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored row no longer parses into the domain type (corrupt or foreign data).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database could not be reached or failed; the message is for logs.
    #[error("storage backend: {0}")]
    Backend(String),
}
