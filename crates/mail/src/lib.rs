//! keyward-mail: the outgoing-mail adapter — lettre's SMTP transport for production, a file
//! transport for development, and the message templates. It holds no business rules: the
//! identity crate decides when a message is sent.
//!
//! Status: arrives with the sign-up / e-mail verification work; nothing sends mail yet.
