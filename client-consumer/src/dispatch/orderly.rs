//! The orderly consume service (Java's `ConsumeMessageOrderlyService`): one task per queue at a
//! time, taking batches in offset order under the queue's consume lock, and only while the
//! broker lock is held (clustering).
//!
//! A failed batch (`SuspendCurrentQueue`, a panic, a timeout) goes back into the cache and the
//! queue waits the suspend time before the same batch runs again. A message that failed
//! `max_reconsume_times` times is sent to `%RETRY%group` at that count, which the broker puts
//! into the DLQ, and the queue moves on.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rmq_client_core::telemetry::process_span;
use rmq_client_core::trace::ConsumeOutcome;
use tracing::{debug, warn, Instrument};

use crate::listener::OrderlyResult;
use crate::message::ReceivedMessage;
use crate::state::core::{Core, Sink};
use crate::state::process_queue::ProcessQueue;

/// Wait before checking again a queue whose broker lock lapsed.
const RELOCK_DELAY: Duration = Duration::from_millis(100);

/// Spawns the consume task of `pq` (the caller claimed the queue).
pub(crate) fn spawn(core: &Arc<Core>, pq: Arc<ProcessQueue>) {
    let span = tracing::debug_span!("consume_orderly", queue = %pq.queue());
    let core2 = core.clone();
    core.tracker.spawn(consume_task(core2, pq).instrument(span));
}

async fn consume_task(core: Arc<Core>, pq: Arc<ProcessQueue>) {
    let Some(Sink::Orderly(listener)) = core.sink.get() else {
        pq.release_consume();
        return;
    };
    let _guard = pq.consume_lock.lock().await;
    let max = core.opts.max_reconsume(true);
    loop {
        if pq.is_dropped() || core.pull_token.is_cancelled() {
            break;
        }
        if core.is_clustering() && !pq.is_locked() {
            // Wait for the next lock renewal; give up at shutdown.
            tokio::select! {
                () = core.pull_token.cancelled() => break,
                () = tokio::time::sleep(RELOCK_DELAY) => continue,
            }
        }
        let batch = pq.take(core.opts.consume_batch_size);
        if batch.is_empty() {
            // `take` released the queue; messages put meanwhile start a new task.
            if pq.claim_consume() {
                continue;
            }
            return;
        }
        let _permit = tokio::select! {
            () = core.consume_token.cancelled() => break,
            p = core.permits.acquire() => match p { Ok(p) => p, Err(_) => break },
        };
        let started = Instant::now();
        let mut traced = super::trace::before(&core, &batch);
        let run = AssertUnwindSafe(listener.consume(batch.clone()).instrument(process_span(
            core.group(),
            &pq.queue().topic,
            batch.len(),
        )))
        .catch_unwind();
        let result = tokio::select! {
            () = core.consume_token.cancelled() => { pq.make_available_unchanged(&batch); break }
            r = tokio::time::timeout(core.opts.consume_timeout, run) => match r {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => {
                    warn!(queue = %pq.queue(), "orderly listener panicked; suspending the queue");
                    super::trace::after(&core, traced.take(), ConsumeOutcome::Panicked);
                    OrderlyResult::SuspendCurrentQueue
                }
                Err(_) => {
                    warn!(queue = %pq.queue(), "orderly listener timed out; suspending the queue");
                    super::trace::after(&core, traced.take(), ConsumeOutcome::TimedOut);
                    OrderlyResult::SuspendCurrentQueue
                }
            },
        };
        drop(_permit);
        let ok = result == OrderlyResult::Success;
        let outcome = if ok {
            ConsumeOutcome::Success
        } else {
            ConsumeOutcome::Retry
        };
        super::trace::after(&core, traced, outcome);
        let n = batch.len() as u64;
        core.instance.stats().record_consume(
            core.group(),
            &pq.queue().topic,
            if ok { n } else { 0 },
            if ok { 0 } else { n },
            started.elapsed(),
        );
        if pq.is_dropped() {
            debug!(queue = %pq.queue(), "queue dropped while consuming");
            break;
        }
        let suspend = match result {
            OrderlyResult::Success => None,
            OrderlyResult::SuspendFor(d) => Some(d),
            _ => Some(core.opts.suspend_time),
        };
        let Some(suspend) = suspend else {
            let offset = pq.commit();
            core.commit_progress(&pq, offset);
            continue;
        };
        if give_up_on(&core, &batch, max).await {
            let offset = pq.commit();
            core.commit_progress(&pq, offset);
            continue;
        }
        pq.make_available(&batch);
        tokio::select! {
            () = core.pull_token.cancelled() => break,
            () = tokio::time::sleep(suspend) => {}
        }
    }
    pq.release_consume();
}

/// When a message of the batch reached `max` attempts, moves the whole batch to the retry
/// topic at that count (the broker dead-letters it). Returns whether the batch is done with.
async fn give_up_on(core: &Core, batch: &[ReceivedMessage], max: i32) -> bool {
    if !core.is_clustering() || !batch.iter().any(|m| m.reconsume_times() >= max) {
        return false;
    }
    for m in batch {
        if !super::retry::resend(core, m, m.reconsume_times(), None, max).await {
            return false;
        }
    }
    true
}
