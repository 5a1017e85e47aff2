//! keyward-identity: end-user authentication — users and their password credentials
//! (Argon2id), throttled password login behind a bounded, per-tenant-fair hashing queue, browser (SSO) sessions with a per-user index for
//! administrators (`user_sessions`), and later second factors,
//! sign-up, e-mail verification and password reset. It declares the `UserStore` port and may use keyward-core only; never
//! actix-web, sea-orm, redis, lettre or leptos.

pub mod hashing_queue;
pub mod password;
pub mod password_login;
pub mod session;
pub mod sign_in;
pub mod user;
mod user_sessions;

pub use hashing_queue::{HashingQueue, QueueLimits};
pub use password::{PasswordError, PasswordHasher};
pub use password_login::{LoginRefusal, PasswordLogin, ThrottleLimits};
pub use session::{BrowserSession, EndedSession, SessionError, Sessions, SignedIn};
pub use sign_in::{Completed, SignIn, SignInError, Step};
pub use user::{NewUser, User, UserQuery, UserStore};
