//! The load loop: a fixed number of workers, each sending one request at a time on its own
//! keep-alive connection, for a warm-up and then a measured window; optionally paced to a fixed
//! offered rate. Every worker keeps its own histogram and counters (nothing is shared on the hot
//! path); they are merged at the end.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hdrhistogram::Histogram;
use reqwest::Client;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::config::Load;
use crate::scenario::{Outcome, Plan, WorkerState};

/// Latencies are recorded in microseconds, up to an hour, to three significant digits.
const HIGHEST_US: u64 = 3_600_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;
/// The resolution of Tokio's timer.
const TIMER_TICK: Duration = Duration::from_millis(1);

/// A new, empty latency histogram (µs).
pub fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_DIGITS).context("latency histogram")
}

/// Errors by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ErrorCounts {
    /// Non-2xx answers.
    pub status: u64,
    /// Connect failures, resets, timeouts.
    pub transport: u64,
    /// 2xx answers that did not say what they should (no access_token, active=false, ...).
    pub semantic: u64,
}

impl ErrorCounts {
    pub fn total(&self) -> u64 {
        self.status + self.transport + self.semantic
    }

    fn add(&mut self, o: &ErrorCounts) {
        self.status += o.status;
        self.transport += o.transport;
        self.semantic += o.semantic;
    }
}

/// What the measured window saw.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Latency of every measured request, successful or not (µs).
    pub histogram: Histogram<u64>,
    pub ok: u64,
    pub errors: ErrorCounts,
    /// The first error seen, to tell a misconfiguration from overload.
    pub first_error: Option<String>,
    /// From the end of the warm-up to the last measured answer.
    pub elapsed: Duration,
}

impl RunResult {
    pub fn requests(&self) -> u64 {
        self.ok + self.errors.total()
    }
}

struct WorkerResult {
    histogram: Histogram<u64>,
    ok: u64,
    errors: ErrorCounts,
    first_error: Option<String>,
    last_done: Option<Instant>,
}

/// Runs the plan with one worker per state, then merges what they saw.
pub async fn run(
    client: Client,
    plan: Arc<Plan>,
    states: Vec<WorkerState>,
    load: &Load,
) -> anyhow::Result<RunResult> {
    let start = Instant::now();
    let measure_from = start + load.warmup;
    let end = measure_from + load.duration;
    // With a fixed rate each worker sends every `workers / rate` seconds, the workers offset
    // evenly so the load is smooth rather than in bursts.
    let pacing = load.rate.map(|rate| {
        let workers = states.len().max(1) as f64;
        (
            Duration::from_secs_f64(workers / rate),
            Duration::from_secs_f64(1.0 / rate),
        )
    });
    let mut set = JoinSet::new();
    for (i, state) in states.into_iter().enumerate() {
        let schedule = pacing.map(|(every, offset)| (every, start + offset.mul_f64(i as f64)));
        let (client, plan, histogram) = (client.clone(), plan.clone(), new_histogram()?);
        set.spawn(worker(
            client,
            plan,
            state,
            histogram,
            schedule,
            measure_from,
            end,
        ));
    }
    let mut merged = RunResult {
        histogram: new_histogram()?,
        ok: 0,
        errors: ErrorCounts::default(),
        first_error: None,
        elapsed: load.duration,
    };
    let mut last_done = None::<Instant>;
    while let Some(done) = set.join_next().await {
        let w = done.context("worker task")?;
        merged
            .histogram
            .add(&w.histogram)
            .context("merging histograms")?;
        merged.ok += w.ok;
        merged.errors.add(&w.errors);
        if merged.first_error.is_none() {
            merged.first_error = w.first_error;
        }
        last_done = last_done.max(w.last_done);
    }
    if let Some(last) = last_done {
        merged.elapsed = last
            .saturating_duration_since(measure_from)
            .max(load.duration);
    }
    Ok(merged)
}

/// One worker: sends, judges, records; stops at `end`. With a schedule, latency is measured
/// from the intended send time, so a server that falls behind shows it in the percentiles
/// instead of silently lowering the offered load (coordinated omission).
async fn worker(
    client: Client,
    plan: Arc<Plan>,
    mut state: WorkerState,
    histogram: Histogram<u64>,
    schedule: Option<(Duration, Instant)>,
    measure_from: Instant,
    end: Instant,
) -> WorkerResult {
    let mut next_send = schedule.map(|(_, first)| first);
    let mut r = WorkerResult {
        histogram,
        ok: 0,
        errors: ErrorCounts::default(),
        first_error: None,
        last_done: None,
    };
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let t0 = match (next_send, schedule) {
            (Some(at), Some((every, _))) => {
                if at >= end {
                    break;
                }
                next_send = Some(at + every);
                // Tokio's timer ticks in milliseconds and rounds a deadline up: wake up to one
                // tick early rather than late, so a worker whose period is under a millisecond
                // keeps its schedule (it never gets more than a tick ahead, so the offered rate
                // stays exact on average). Latency then runs from the earlier of the intended
                // and the actual send time.
                if let Some(wake) = at.checked_sub(TIMER_TICK)
                    && wake > now
                {
                    tokio::time::sleep_until(wake).await;
                }
                at.min(Instant::now())
            }
            _ => now,
        };
        let outcome = plan.execute(&client, &mut state).await;
        let done = Instant::now();
        let failed = outcome != Outcome::Ok;
        if t0 >= measure_from {
            let us =
                u64::try_from(done.saturating_duration_since(t0).as_micros()).unwrap_or(u64::MAX);
            r.histogram.saturating_record(us.max(1));
            r.last_done = Some(done);
            match outcome {
                Outcome::Ok => r.ok += 1,
                Outcome::Status(code, body) => {
                    r.errors.status += 1;
                    r.first_error
                        .get_or_insert_with(|| format!("HTTP {code}: {body}"));
                }
                Outcome::Transport(e) => {
                    r.errors.transport += 1;
                    r.first_error.get_or_insert(e);
                }
                Outcome::Semantic(e) => {
                    r.errors.semantic += 1;
                    r.first_error.get_or_insert(e);
                }
            }
        }
        if failed {
            plan.recover(&client, &mut state).await;
        }
    }
    r
}
