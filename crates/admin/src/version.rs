//! Resource versions for HTTP's ETag / If-Match (RFC 9110 §8.8.3, §13.1.1): a version is
//! derived from the resource's id and `updated_at`, so any stored change makes a new one.

use chrono::{DateTime, Utc};

use crate::error::AdminError;

/// An opaque version of one resource, as a strong entity tag without its quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(String);

impl Version {
    pub fn of(id: &str, updated_at: DateTime<Utc>) -> Self {
        // FNV-1a over the id keeps the tag short and free of characters ETags forbid.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in id.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self(format!("{hash:016x}-{:x}", updated_at.timestamp_micros()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Fails with `Stale` unless `expected` (an If-Match value, if any) names this version.
    /// `*` matches any existing resource.
    pub fn check(&self, expected: Option<&str>) -> Result<(), AdminError> {
        let Some(expected) = expected else {
            return Ok(());
        };
        let matches = expected
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == self.0);
        if matches {
            Ok(())
        } else {
            Err(AdminError::Stale)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_changes_with_updated_at_and_checks_if_match() {
        let t = Utc::now();
        let v = Version::of("a", t);
        assert_ne!(v, Version::of("a", t + chrono::Duration::seconds(1)));
        assert_ne!(v, Version::of("b", t));
        assert!(v.check(None).is_ok());
        assert!(v.check(Some("*")).is_ok());
        assert!(v.check(Some(&format!("\"{}\"", v.as_str()))).is_ok());
        assert!(matches!(v.check(Some("\"other\"")), Err(AdminError::Stale)));
    }
}
