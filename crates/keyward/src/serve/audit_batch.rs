//! The audit recorder of the protocol endpoints: events go into a bounded queue in memory and
//! one task writes them to the audit log in batches (one multi-row INSERT per batch), so a
//! token request never waits for the database.
//!
//! What can go wrong, and what happens:
//! - the database is away (the log's ping fails too): the batch is kept and retried with
//!   backoff (100 ms doubling to 5 s) while new events queue up behind it;
//! - a batch holds an event the log refuses (its tenant was deleted meanwhile), or the batch
//!   fails while the database answers (an event the log can never take): the batch is
//!   written event by event; an event refused as a conflict, or failing
//!   [`UNWRITABLE_ATTEMPTS`] times while the database answers, is dropped, counted and
//!   logged (action and tenant, never the content) — one bad event never holds up the rest;
//! - the queue is full (events arrive faster than they are written): the request waits for
//!   room, up to a second, which slows a burst down to the writer's pace instead of losing
//!   events; after that (the database has been away) the event is dropped, counted in
//!   `keyward_audit_events_dropped_total` and logged (at most once per second), and for the
//!   next few seconds a full queue drops at once — an outage of the database must not slow
//!   the token endpoint, which needs no database;
//! - the server stops: [`AuditWriter::finish`] writes what is queued, for at most a few
//!   seconds; what is still unwritten then is counted as dropped and logged with its number.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use keyward_core::{AuditEvent, AuditLog, AuditRecorder, StoreError};
use keyward_http::metrics::IntCounter;
use tokio::sync::mpsc::{self, Receiver, Sender, error::TrySendError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Events waiting to be written; beyond this, new ones are dropped (and counted).
pub const QUEUE_CAPACITY: usize = 65_536;
/// Events per batch (one transaction).
pub const BATCH: usize = 256;
/// How long a request waits for room in a full queue before its event is dropped (and
/// counted): long enough to ride out a slow batch, short enough not to hang a request while
/// the database is away.
pub const FULL_WAIT: Duration = Duration::from_secs(1);
/// Seconds after a timed-out wait during which a full queue drops events without waiting.
const GIVE_UP_FOR: i64 = 5;
/// Attempts at one event that fails while the database answers, before it is dropped.
pub const UNWRITABLE_ATTEMPTS: u32 = 3;
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// The recording half, shared by every endpoint.
#[derive(Debug)]
pub struct BatchedAudit {
    queue: Sender<AuditEvent>,
    dropped: IntCounter,
    /// Unix second of the last "dropped" warning, so a flood logs once a second.
    last_warning: AtomicI64,
    /// Unix second at which a wait for room last timed out: for [`GIVE_UP_FOR`] after it,
    /// requests meeting a full queue drop their event at once instead of waiting again.
    gave_up_at: AtomicI64,
}

#[async_trait]
impl AuditRecorder for BatchedAudit {
    /// Queues at once while there is room; when the queue is full, waits for room (up to
    /// [`FULL_WAIT`]) so that a burst slows requests down instead of losing events.
    async fn record(&self, event: AuditEvent) {
        let event = match self.queue.try_send(event) {
            Ok(()) => return,
            Err(TrySendError::Closed(event)) => {
                return self.drop_one(&event, "the audit writer stopped");
            }
            Err(TrySendError::Full(event)) => event,
        };
        let now = chrono::Utc::now().timestamp();
        if now - self.gave_up_at.load(Ordering::Relaxed) < GIVE_UP_FOR {
            // The database is away: a request that needs none must not wait for it.
            return self.drop_one(&event, "the audit queue stayed full");
        }
        match tokio::time::timeout(FULL_WAIT, self.queue.reserve()).await {
            Ok(Ok(room)) => room.send(event),
            Ok(Err(_)) => self.drop_one(&event, "the audit writer stopped"),
            Err(_) => {
                self.gave_up_at.store(now, Ordering::Relaxed);
                self.drop_one(&event, "the audit queue stayed full");
            }
        }
    }
}

impl BatchedAudit {
    fn drop_one(&self, event: &AuditEvent, why: &str) {
        self.dropped.inc();
        let now = chrono::Utc::now().timestamp();
        if self.last_warning.swap(now, Ordering::Relaxed) != now {
            tracing::error!(
                action = %event.action,
                dropped_total = self.dropped.get(),
                "audit event dropped: {why}"
            );
        }
    }
}

/// The writing half: the task that drains the queue.
pub struct AuditWriter {
    task: JoinHandle<()>,
    stop: oneshot::Sender<()>,
    /// A handle on the queue, to count what is still in it when the grace runs out.
    queue: Sender<AuditEvent>,
    /// Events taken from the queue and not yet written (or dropped) by the task.
    unwritten: Arc<AtomicUsize>,
    dropped: IntCounter,
}

/// Starts the writer task; `dropped` counts events that could not be kept.
pub fn spawn(log: Arc<dyn AuditLog>, dropped: IntCounter) -> (Arc<BatchedAudit>, AuditWriter) {
    let (queue, events) = mpsc::channel(QUEUE_CAPACITY);
    let recorder = Arc::new(BatchedAudit {
        queue: queue.clone(),
        dropped: dropped.clone(),
        last_warning: AtomicI64::new(0),
        gave_up_at: AtomicI64::new(0),
    });
    let (stop, stopped) = oneshot::channel();
    let unwritten = Arc::new(AtomicUsize::new(0));
    let task = tokio::spawn(write_batches(
        events,
        stopped,
        log,
        dropped.clone(),
        unwritten.clone(),
    ));
    (
        recorder,
        AuditWriter {
            task,
            stop,
            queue,
            unwritten,
            dropped,
        },
    )
}

impl AuditWriter {
    /// Stops taking events, writes what is queued and returns, or gives up after `grace`.
    /// Call it after the server has stopped; later events are dropped (and counted).
    pub async fn finish(self, grace: Duration) {
        let _ = self.stop.send(());
        let abort = self.task.abort_handle();
        if tokio::time::timeout(grace, self.task).await.is_err() {
            abort.abort();
            let queued = self.queue.max_capacity() - self.queue.capacity();
            let lost = queued + self.unwritten.load(Ordering::SeqCst);
            self.dropped.inc_by(lost as u64);
            tracing::error!(
                lost,
                dropped_total = self.dropped.get(),
                "audit events still unwritten when the shutdown grace ran out were dropped"
            );
        }
    }
}

/// Writes batches until the queue is closed (by `stop`, or every recorder gone) and empty.
async fn write_batches(
    mut events: Receiver<AuditEvent>,
    mut stop: oneshot::Receiver<()>,
    log: Arc<dyn AuditLog>,
    dropped: IntCounter,
    unwritten: Arc<AtomicUsize>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut stopping = false;
    loop {
        tokio::select! {
            taken = events.recv_many(&mut batch, BATCH) => {
                if taken == 0 {
                    return;
                }
                unwritten.store(batch.len(), Ordering::SeqCst);
                let started = std::time::Instant::now();
                write(log.as_ref(), &batch, &dropped, &unwritten).await;
                unwritten.store(0, Ordering::SeqCst);
                tracing::debug!(events = batch.len(), took = ?started.elapsed(), "audit batch written");
                batch.clear();
            }
            // A dropped `AuditWriter` stops the writer too.
            _ = &mut stop, if !stopping => {
                stopping = true;
                events.close();
            }
        }
    }
}

/// Writes one batch: retried as a whole while the database is away, written event by event
/// when the log refuses it while the database answers.
async fn write(
    log: &dyn AuditLog,
    batch: &[AuditEvent],
    dropped: &IntCounter,
    unwritten: &AtomicUsize,
) {
    let mut wait = FIRST_RETRY;
    loop {
        match log.append(batch).await {
            Ok(()) => return,
            Err(StoreError::Conflict(_)) => {
                return write_one_by_one(log, batch, dropped, unwritten).await;
            }
            Err(e) if log.ping().await.is_ok() => {
                tracing::warn!(error = %e, events = batch.len(), "the audit log refused a batch while the database answers; writing it event by event");
                return write_one_by_one(log, batch, dropped, unwritten).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, events = batch.len(), retry_in = ?wait, "writing audit events failed");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(LAST_RETRY);
            }
        }
    }
}

/// A batch the log refused as a whole: keep every event it accepts on its own; drop (and
/// count) the ones it refuses as conflicts or keeps failing while the database answers.
async fn write_one_by_one(
    log: &dyn AuditLog,
    batch: &[AuditEvent],
    dropped: &IntCounter,
    unwritten: &AtomicUsize,
) {
    for event in batch {
        let mut wait = FIRST_RETRY;
        let mut failed_while_up = 0;
        loop {
            match log.append(std::slice::from_ref(event)).await {
                Ok(()) => break,
                Err(StoreError::Conflict(why)) => {
                    dropped.inc();
                    tracing::warn!(action = %event.action, tenant = %event.tenant_id, %why, "audit event refused by the log; dropped");
                    break;
                }
                Err(e) => {
                    if log.ping().await.is_ok() {
                        failed_while_up += 1;
                        if failed_while_up >= UNWRITABLE_ATTEMPTS {
                            dropped.inc();
                            tracing::error!(action = %event.action, tenant = %event.tenant_id, error = %e, "audit event the log cannot write; dropped");
                            break;
                        }
                    }
                    tracing::warn!(error = %e, retry_in = ?wait, "writing an audit event failed");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(LAST_RETRY);
                }
            }
        }
        unwritten.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::Utc;
    use keyward_core::{AuditFilter, Page, PageRequest, TenantId};
    use uuid::Uuid;

    use super::*;

    /// Keeps what it is given; fails the first `failures` appends (its storage away meanwhile
    /// when `away`); refuses events of `refused`; fails every batch holding an event whose
    /// target is `unwritable` while answering pings; with `stall`, never finishes an append.
    #[derive(Default)]
    struct Log {
        kept: Mutex<Vec<AuditEvent>>,
        appends: Mutex<Vec<usize>>,
        failures: Mutex<usize>,
        refused: Option<TenantId>,
        away: bool,
        unwritable: Option<String>,
        stall: bool,
    }

    #[async_trait]
    impl AuditLog for Log {
        async fn ping(&self) -> Result<(), StoreError> {
            if self.away && *self.failures.lock().unwrap() > 0 {
                return Err(StoreError::Backend("database away".to_owned()));
            }
            Ok(())
        }

        async fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
            if self.stall {
                std::future::pending::<()>().await;
            }
            self.appends.lock().unwrap().push(events.len());
            if events
                .iter()
                .any(|e| Some(&e.target) == self.unwritable.as_ref())
            {
                return Err(StoreError::Backend("value too long for type".to_owned()));
            }
            {
                let mut failures = self.failures.lock().unwrap();
                if *failures > 0 {
                    *failures -= 1;
                    return Err(StoreError::Backend("database away".to_owned()));
                }
            }
            if events.iter().any(|e| Some(e.tenant_id) == self.refused) {
                return Err(StoreError::Conflict("no such tenant".to_owned()));
            }
            self.kept.lock().unwrap().extend_from_slice(events);
            Ok(())
        }

        async fn list(
            &self,
            _: TenantId,
            _: &AuditFilter,
            _: &PageRequest,
        ) -> Result<Page<AuditEvent>, StoreError> {
            unreachable!("the writer never lists")
        }
    }

    fn event(tenant: TenantId, n: usize) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            actor: "client:app".to_owned(),
            action: "token.issue".to_owned(),
            target: format!("user:{n}"),
            before: None,
            after: None,
            request_id: None,
            at: Utc::now(),
        }
    }

    fn counter() -> IntCounter {
        IntCounter::new("dropped", "dropped").unwrap()
    }

    /// Records `events`, finishes the writer, and answers how many were dropped.
    async fn run(log: Arc<Log>, events: Vec<AuditEvent>) -> u64 {
        let dropped = counter();
        let (recorder, writer) = spawn(log, dropped.clone());
        for e in events {
            recorder.record(e).await;
        }
        // The recorder stays alive, as the server's would: `finish` still drains the queue.
        writer.finish(Duration::from_secs(30)).await;
        let before = dropped.get();
        recorder.record(event(TenantId::generate(), 0)).await;
        assert_eq!(
            dropped.get(),
            before + 1,
            "an event after finish is counted"
        );
        before
    }

    #[tokio::test]
    async fn every_event_is_written_in_order_in_batches() {
        let log = Arc::new(Log::default());
        let tenant = TenantId::generate();
        let events: Vec<_> = (0..1_300).map(|n| event(tenant, n)).collect();
        let dropped = run(log.clone(), events.clone()).await;
        assert_eq!(*log.kept.lock().unwrap(), events);
        assert_eq!(dropped, 0);
        let appends = log.appends.lock().unwrap();
        assert!(appends.iter().all(|n| *n <= BATCH), "{appends:?}");
        assert!(appends.len() >= 3, "1,300 events need several batches");
    }

    #[tokio::test]
    async fn a_failing_database_is_retried_without_losing_events() {
        let log = Arc::new(Log {
            failures: Mutex::new(3),
            ..Log::default()
        });
        let tenant = TenantId::generate();
        let events: Vec<_> = (0..10).map(|n| event(tenant, n)).collect();
        let dropped = run(log.clone(), events.clone()).await;
        assert_eq!(*log.kept.lock().unwrap(), events);
        assert_eq!(dropped, 0);
        assert!(log.appends.lock().unwrap().len() >= 4);
    }

    #[tokio::test]
    async fn a_database_outage_is_waited_out_without_dropping_anything() {
        let log = Arc::new(Log {
            failures: Mutex::new(4),
            away: true,
            ..Log::default()
        });
        let tenant = TenantId::generate();
        let events: Vec<_> = (0..10).map(|n| event(tenant, n)).collect();
        let dropped = run(log.clone(), events.clone()).await;
        assert_eq!(*log.kept.lock().unwrap(), events);
        assert_eq!(dropped, 0);
    }

    #[tokio::test]
    async fn an_event_the_log_can_never_write_is_dropped_and_counted_not_retried_forever() {
        let log = Arc::new(Log {
            unwritable: Some("user:1".to_owned()),
            ..Log::default()
        });
        let tenant = TenantId::generate();
        let events: Vec<_> = (0..3).map(|n| event(tenant, n)).collect();
        let dropped =
            tokio::time::timeout(Duration::from_secs(20), run(log.clone(), events.clone()))
                .await
                .expect("the writer retried a batch it can never write until the test gave up");
        assert_eq!(
            *log.kept.lock().unwrap(),
            vec![events[0].clone(), events[2].clone()]
        );
        assert_eq!(dropped, 1);
    }

    #[tokio::test]
    async fn events_still_queued_at_the_shutdown_timeout_are_counted_as_dropped() {
        let log = Arc::new(Log {
            stall: true,
            ..Log::default()
        });
        let dropped = counter();
        let (recorder, writer) = spawn(log, dropped.clone());
        let tenant = TenantId::generate();
        for n in 0..5 {
            recorder.record(event(tenant, n)).await;
        }
        writer.finish(Duration::from_millis(200)).await;
        assert_eq!(
            dropped.get(),
            5,
            "every event lost at the timeout is counted"
        );
    }

    #[tokio::test]
    async fn only_the_events_the_log_refuses_are_dropped() {
        let gone = TenantId::generate();
        let live = TenantId::generate();
        let log = Arc::new(Log {
            refused: Some(gone),
            ..Log::default()
        });
        let events = vec![event(live, 0), event(gone, 1), event(live, 2)];
        let dropped = run(log.clone(), events.clone()).await;
        assert_eq!(
            *log.kept.lock().unwrap(),
            vec![events[0].clone(), events[2].clone()]
        );
        assert_eq!(dropped, 1);
    }

    #[tokio::test]
    async fn a_full_queue_makes_the_request_wait_for_room() {
        let (queue, mut events) = mpsc::channel(2);
        let recorder = Arc::new(BatchedAudit {
            queue,
            dropped: counter(),
            last_warning: AtomicI64::new(0),
            gave_up_at: AtomicI64::new(0),
        });
        let tenant = TenantId::generate();
        for n in 0..2 {
            recorder.record(event(tenant, n)).await;
        }
        let waiting = tokio::spawn({
            let recorder = recorder.clone();
            async move { recorder.record(event(tenant, 2)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiting.is_finished(), "the third event waits for room");
        assert_eq!(events.recv().await.unwrap().target, "user:0");
        waiting.await.unwrap();
        assert_eq!(recorder.dropped.get(), 0);
        let rest = [events.recv().await.unwrap(), events.recv().await.unwrap()];
        assert_eq!(rest.map(|e| e.target), ["user:1", "user:2"]);
    }

    #[tokio::test]
    async fn a_queue_full_for_too_long_drops_and_counts() {
        let (queue, _events) = mpsc::channel(1);
        let recorder = BatchedAudit {
            queue,
            dropped: counter(),
            last_warning: AtomicI64::new(0),
            gave_up_at: AtomicI64::new(0),
        };
        let tenant = TenantId::generate();
        recorder.record(event(tenant, 0)).await;
        let started = std::time::Instant::now();
        recorder.record(event(tenant, 1)).await;
        assert!(started.elapsed() >= FULL_WAIT);
        assert_eq!(recorder.dropped.get(), 1);
        let again = std::time::Instant::now();
        recorder.record(event(tenant, 2)).await;
        assert!(
            again.elapsed() < FULL_WAIT,
            "after a timed-out wait, no waiting again"
        );
        assert_eq!(recorder.dropped.get(), 2);
    }
}
