//! The summary of a run: requests/s, latency percentiles in milliseconds and errors by kind,
//! as a table for people or as one JSON object for scripts.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::runner::{ErrorCounts, RunResult};

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    /// From a histogram of microseconds; all zero when nothing was recorded.
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Latency {
                p50: 0.0,
                p95: 0.0,
                p99: 0.0,
                max: 0.0,
                mean: 0.0,
            };
        }
        let ms = |us: u64| round3(us as f64 / 1000.0);
        Latency {
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: round3(h.mean() / 1000.0),
        }
    }
}

/// What the run was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    pub scenario: &'static str,
    /// What one counted "request" is: `request`, or `login` (a whole sign-in chain).
    pub unit: &'static str,
    pub urls: Vec<String>,
    pub concurrency: usize,
    pub threads: usize,
    pub warmup_s: f64,
    /// Offered load in requests/s; None means as fast as the workers go.
    pub rate: Option<f64>,
}

/// One run's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    #[serde(flatten)]
    pub info: RunInfo,
    pub duration_s: f64,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub errors_by_kind: ErrorCounts,
    pub requests_per_sec: f64,
    pub ok_per_sec: f64,
    pub latency_ms: Latency,
    pub first_error: Option<String>,
}

impl Summary {
    pub fn new(info: RunInfo, run: &RunResult) -> Self {
        let requests = run.requests();
        Summary {
            info,
            duration_s: round3(run.elapsed.as_secs_f64()),
            requests,
            ok: run.ok,
            errors: run.errors.total(),
            errors_by_kind: run.errors,
            requests_per_sec: per_sec(requests, run.elapsed),
            ok_per_sec: per_sec(run.ok, run.elapsed),
            latency_ms: Latency::from_histogram(&run.histogram),
            first_error: run.first_error.clone(),
        }
    }

    /// The human table.
    pub fn table(&self) -> String {
        let i = &self.info;
        let l = &self.latency_ms;
        let e = &self.errors_by_kind;
        let rate = i
            .rate
            .map_or_else(|| "unlimited".to_owned(), |r| format!("{r} req/s"));
        let mut s = String::new();
        let _ = writeln!(
            s,
            "keyward-bench  {}  →  {}",
            i.scenario,
            i.urls.join(" , ")
        );
        let _ = writeln!(
            s,
            "  workers      {} on {} thread(s); warm-up {} s; measured {} s; offered load {rate}",
            i.concurrency, i.threads, i.warmup_s, self.duration_s
        );
        let (label, per) = if i.unit == "login" {
            ("logins   ", "logins/s")
        } else {
            ("requests ", "req/s")
        };
        let _ = writeln!(
            s,
            "  {label}    {:<10} {:>10.1} {per}   (ok {:.1}/s)",
            self.requests, self.requests_per_sec, self.ok_per_sec
        );
        let _ = writeln!(
            s,
            "  errors       {:<10} status {}, transport {}, semantic {}",
            self.errors, e.status, e.transport, e.semantic
        );
        let _ = writeln!(
            s,
            "  latency ms   p50 {:.3}   p95 {:.3}   p99 {:.3}   max {:.3}   mean {:.3}",
            l.p50, l.p95, l.p99, l.max, l.mean
        );
        if let Some(first) = &self.first_error {
            let _ = writeln!(s, "  first error  {first}");
        }
        s
    }
}

fn per_sec(n: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        round3(n as f64 / secs)
    } else {
        0.0
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::runner::new_histogram;

    fn info() -> RunInfo {
        RunInfo {
            scenario: "client-credentials",
            unit: "request",
            urls: vec!["http://127.0.0.1/token".to_owned()],
            concurrency: 4,
            threads: 1,
            warmup_s: 0.0,
            rate: None,
        }
    }

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let mut h = new_histogram().unwrap();
        for ms in 1..=100u64 {
            h.record(ms * 1000).unwrap();
        }
        let l = Latency::from_histogram(&h);
        assert!((l.p50 - 50.0).abs() < 0.1, "{l:?}");
        assert!((l.p95 - 95.0).abs() < 0.1, "{l:?}");
        assert!((l.p99 - 99.0).abs() < 0.1, "{l:?}");
        assert!((l.max - 100.0).abs() < 0.1, "{l:?}");
        assert!((l.mean - 50.5).abs() < 0.1, "{l:?}");
    }

    #[test]
    fn an_empty_histogram_summarises_to_zero() {
        let l = Latency::from_histogram(&new_histogram().unwrap());
        assert_eq!(
            l,
            Latency {
                p50: 0.0,
                p95: 0.0,
                p99: 0.0,
                max: 0.0,
                mean: 0.0
            }
        );
    }

    #[test]
    fn rates_count_every_request_and_separately_the_successful_ones() {
        let mut histogram = new_histogram().unwrap();
        histogram.record(2000).unwrap();
        let run = RunResult {
            histogram,
            ok: 900,
            errors: ErrorCounts {
                status: 50,
                transport: 30,
                semantic: 20,
            },
            first_error: Some("HTTP 400: invalid_client".to_owned()),
            elapsed: Duration::from_secs(2),
        };
        let s = Summary::new(info(), &run);
        assert_eq!(s.requests, 1000);
        assert_eq!(s.errors, 100);
        assert_eq!(s.requests_per_sec, 500.0);
        assert_eq!(s.ok_per_sec, 450.0);
        assert_eq!(s.latency_ms.p99, 2.0);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["scenario"], "client-credentials");
        assert_eq!(json["errors_by_kind"]["transport"], 30);
        assert_eq!(json["latency_ms"]["p50"], 2.0);
        assert!(s.table().contains("first error  HTTP 400"));
    }
}
