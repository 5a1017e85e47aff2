//! keyward-admin-ui: the Keyward admin console, a Leptos application rendered on the server
//! through leptos_actix.
//!
//! It owns the console's pages, layout and navigation under `/admin/`. Pages are plain
//! server-rendered HTML: there is no WebAssembly bundle and no hydration. Not yet: server
//! functions calling the use-cases of keyward-admin (today each section page only says what it
//! will do, and the crate depends on no Keyward crate); the console itself must not hold
//! business rules, only present them. It may depend on keyward-core and keyward-http, never on
//! sea-orm, redis or lettre.
//!
//! Mount it with [`configure`] inside the `HttpServer::new` closure:
//! ```text
//! let console = ConsoleOptions::new(listen_addr);
//! App::new()
//!     .configure(|cfg| keyward_admin_ui::configure(cfg, console.clone()))
//! ```
//! It serves `GET /admin` (308 to `/admin/`), the section pages, and a 404 page for any other
//! `GET /admin/...` path outside `/admin/api/`.

mod app;
mod csp;
mod layout;
mod mount;
mod pages;
pub mod sections;

pub use app::{Console, shell};
pub use mount::{ConsoleOptions, MOUNT_PATH, configure};
