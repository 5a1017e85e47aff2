//! Token lifetimes from settings: a number of seconds stored in a tenant's or a client's
//! settings becomes a `Duration` that `now + lifetime` can always hold.

use chrono::Duration;

/// The longest lifetime a token gets, whatever a stored setting says (ten years; the admin
/// API allows a year). Keeps `now + lifetime` far from where a timestamp overflows.
pub const MAX_LIFETIME_SECS: i64 = 10 * 366 * 24 * 3600;

/// `secs` as a lifetime between one second and [`MAX_LIFETIME_SECS`].
pub fn seconds(secs: i64) -> Duration {
    Duration::try_seconds(secs.clamp(1, MAX_LIFETIME_SECS)).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_setting_is_a_lifetime_a_timestamp_can_add() {
        let now = chrono::Utc::now();
        for secs in [i64::MIN, -1, 0, 1, 600, i64::MAX / 1000 + 1, i64::MAX] {
            let ttl = seconds(secs);
            assert!(ttl >= Duration::seconds(1), "{secs}");
            assert!(now.checked_add_signed(ttl).is_some(), "{secs}");
        }
        assert_eq!(seconds(600), Duration::seconds(600));
    }
}
