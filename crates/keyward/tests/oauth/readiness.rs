//! Finding 15 of the security review: `/readyz` checks each dependency with its own timeout
//! and names the one that fails. Redis is reached through a proxy the test can freeze, so
//! Redis hangs (accepts, never answers) while the database is fine.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::app::{Options, TestApp};

/// Forwards bytes from `from` to `to` unless frozen, when it holds them forever.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        while frozen.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A TCP proxy to `upstream` on a free loopback port, and its freeze switch.
async fn freezable_proxy(upstream: String) -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let frozen = Arc::new(AtomicBool::new(false));
    let switch = frozen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pump(cr, sw, frozen.clone()));
            tokio::spawn(pump(sr, cw, frozen.clone()));
        }
    });
    (format!("redis://{addr}"), switch)
}

#[tokio::test]
async fn readyz_names_redis_when_only_redis_hangs() {
    let Ok(redis) = std::env::var("KEYWARD_TEST_REDIS_URL") else {
        eprintln!("KEYWARD_TEST_REDIS_URL not set: the hanging-Redis readiness check is skipped");
        return;
    };
    let upstream = redis
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let (proxy, frozen) = freezable_proxy(upstream).await;
    let app = TestApp::embedded(Options::default().var("KEYWARD_REDIS_URL", &proxy).var(
        "KEYWARD_REDIS_PREFIX",
        &keyward_testkit::cache_contract::fresh_prefix(),
    ))
    .await;
    let ready = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    frozen.store(true, Ordering::Relaxed);
    let res = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(body["checks"]["cache"], "unavailable", "{body}");
    assert_eq!(body["failing"], serde_json::json!(["cache"]), "{body}");
    frozen.store(false, Ordering::Relaxed);
}
