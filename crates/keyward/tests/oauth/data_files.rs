//! Finding 22 of the security review: the embedded database and the other data files are
//! readable by their owner only.

use std::os::unix::fs::PermissionsExt;

use crate::app::{Options, TestApp};

#[tokio::test]
async fn the_embedded_database_and_master_key_are_created_owner_only() {
    let app = TestApp::embedded(Options::default()).await;
    app.tenant("acme").await;
    for name in ["keyward.db", "master.key"] {
        let path = app.data_dir().join(name);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is {:o}", mode & 0o777);
    }
    // SQLite gives its -wal and -shm files the database file's mode.
    for entry in std::fs::read_dir(app.data_dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("keyward.db") {
            let mode = entry.metadata().unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{name} is {:o}", mode & 0o777);
        }
    }
}
