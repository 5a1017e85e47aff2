//! What the authorizer can answer besides success.

/// A failure of the policy engine or of the policy storage behind it.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// Casbin failed: the model, a matcher, or the adapter (the database).
    #[error("policy engine")]
    Engine(#[from] casbin::Error),
}
