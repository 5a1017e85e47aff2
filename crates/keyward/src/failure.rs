//! How a command fails: a one-line message and an exit code scripts can rely on.
//! 2 = bad configuration or input, or a dependency (database, Redis) unreachable;
//! 1 = the operation itself failed (not found, conflict, internal error).

use std::process::ExitCode;

use keyward_core::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) | Self::Unavailable(_) | Self::Invalid(_) => ExitCode::from(2),
            Self::NotFound(_) | Self::Conflict(_) | Self::Internal(_) => ExitCode::from(1),
        }
    }

    /// Maps a storage error, naming what was being done.
    pub fn store(what: &str, err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound(format!("{what}: not found")),
            StoreError::Conflict(_) => Self::Conflict(format!("{what}: already exists")),
            StoreError::Corrupt(m) => Self::Internal(format!("{what}: corrupt stored data: {m}")),
            StoreError::Backend(m) => Self::Unavailable(format!("{what}: database error: {m}")),
        }
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Self::Config(e.to_string())
    }
}
