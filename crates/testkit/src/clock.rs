//! A clock that only moves when a test moves it.

use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use keyward_core::Clock;

/// Starts at a fixed instant; `advance` moves it forward.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }

    /// 2026-01-01T00:00:00Z, whole seconds so every backend stores it exactly.
    pub fn new() -> Self {
        Self::at(
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        )
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Default for FixedClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_default()
    }
}
