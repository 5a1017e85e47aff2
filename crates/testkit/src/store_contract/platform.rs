//! The `PlatformStore` contract: platform facts are written once, and when several nodes race
//! to write the same fact exactly one of them wins.

use keyward_core::PlatformStore;

pub async fn meta_is_absent_until_written<S: PlatformStore>(s: &S) {
    assert_eq!(s.meta("master_key_check").await.unwrap(), None);
    assert!(
        s.put_meta_if_absent("master_key_check", "v1:abc")
            .await
            .unwrap()
    );
    assert_eq!(
        s.meta("master_key_check").await.unwrap().as_deref(),
        Some("v1:abc")
    );
    assert_eq!(s.meta("other").await.unwrap(), None);
}

pub async fn put_meta_if_absent_never_overwrites<S: PlatformStore>(s: &S) {
    assert!(s.put_meta_if_absent("k", "first").await.unwrap());
    assert!(
        !s.put_meta_if_absent("k", "second").await.unwrap(),
        "reported a write that lost"
    );
    assert_eq!(s.meta("k").await.unwrap().as_deref(), Some("first"));
}

/// Eight writers race for one key: exactly one is told it wrote, and its value is stored.
pub async fn put_meta_if_absent_has_one_winner_under_races<S: PlatformStore>(s: &S) {
    let values: Vec<String> = (0..8).map(|i| format!("node-{i}")).collect();
    let results =
        futures::future::join_all(values.iter().map(|v| s.put_meta_if_absent("race", v))).await;
    let winners: Vec<&String> = values
        .iter()
        .zip(&results)
        .filter(|(_, r)| *r.as_ref().unwrap())
        .map(|(v, _)| v)
        .collect();
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    assert_eq!(s.meta("race").await.unwrap().as_ref(), Some(winners[0]));
}

pub async fn ping_answers<S: PlatformStore>(s: &S) {
    s.ping().await.unwrap();
}
