//! The concurrent consume service (Java's `ConsumeMessageConcurrentlyService`): batches of
//! `consume_batch_size` messages run as tracked tasks, at most `consume_concurrency` at a time.
//!
//! A batch that fails (`Later` or a panic) is sent back for retry in clustering mode; messages
//! that could not be handed back stay in the cache, holding the offset, and are consumed again
//! 5 s later. A batch still running at the consume timeout is handed back the same way at
//! delay level 3 (Java's `cleanExpireMsg`), so the offset moves on, and its listener is left to
//! finish (its result is then ignored), not cancelled halfway through.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use rmq_client_core::telemetry::process_span;
use rmq_client_core::trace::ConsumeOutcome;
use tracing::{debug, warn, Instrument};

use crate::listener::ConsumeResult;
use crate::message::ReceivedMessage;
use crate::state::core::{Core, Sink};
use crate::state::process_queue::ProcessQueue;

/// Java's delay before consuming again messages that could not be sent back.
const CONSUME_AGAIN_DELAY: Duration = Duration::from_secs(5);
/// The delay level an expired message is sent back with (Java's `cleanExpiredMsg`: 3, 10 s).
const EXPIRED_DELAY_LEVEL: i32 = 3;

/// Splits `msgs` into batches and spawns one task each.
pub(crate) fn submit(core: &Arc<Core>, pq: &Arc<ProcessQueue>, msgs: Vec<ReceivedMessage>) {
    for chunk in msgs.chunks(core.opts.consume_batch_size) {
        let (core2, pq2, batch) = (core.clone(), pq.clone(), chunk.to_vec());
        let span = tracing::debug_span!("consume", queue = %pq.queue());
        core.tracker
            .spawn(boxed(core2, pq2, batch, Duration::ZERO).instrument(span));
    }
}

/// The task, boxed: it re-spawns itself for messages to consume again.
fn boxed(
    core: Arc<Core>,
    pq: Arc<ProcessQueue>,
    batch: Vec<ReceivedMessage>,
    delay: Duration,
) -> futures::future::BoxFuture<'static, ()> {
    Box::pin(consume_task(core, pq, batch, delay))
}

async fn consume_task(
    core: Arc<Core>,
    pq: Arc<ProcessQueue>,
    batch: Vec<ReceivedMessage>,
    delay: Duration,
) {
    if !delay.is_zero() {
        tokio::select! {
            () = core.pull_token.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
    let Some(Sink::Concurrent(listener)) = core.sink.get() else {
        return;
    };
    let _permit = tokio::select! {
        () = core.consume_token.cancelled() => return,
        p = core.permits.acquire() => match p { Ok(p) => p, Err(_) => return },
    };
    if pq.is_dropped() || core.pull_token.is_cancelled() {
        // Not started: it stays cached, holding the offset, and is delivered again.
        debug!("batch not started: queue dropped or consumer stopping");
        return;
    }
    let started = Instant::now();
    let mut traced = super::trace::before(&core, &batch);
    let mut run = AssertUnwindSafe(listener.consume(batch.clone()).instrument(process_span(
        core.group(),
        &pq.queue().topic,
        batch.len(),
    )))
    .catch_unwind();
    let result = tokio::select! {
        () = core.consume_token.cancelled() => return,
        r = tokio::time::timeout(core.opts.consume_timeout, &mut run) => match r {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => {
                warn!(queue = %pq.queue(), "listener panicked; the batch will be retried");
                super::trace::after(&core, traced.take(), ConsumeOutcome::Panicked);
                ConsumeResult::RETRY
            }
            Err(_) => {
                warn!(queue = %pq.queue(), timeout = ?core.opts.consume_timeout, "listener past the consume timeout; its batch is sent back and the listener left to finish");
                core.instance.stats().record_consume(
                    core.group(),
                    &pq.queue().topic,
                    0,
                    batch.len() as u64,
                    started.elapsed(),
                );
                super::trace::after(&core, traced.take(), ConsumeOutcome::TimedOut);
                if !pq.is_dropped() {
                    hand_back(&core, &pq, &batch, EXPIRED_DELAY_LEVEL).await;
                }
                // The permit stays held: the listener still runs. Shutdown aborts it at the
                // drain deadline, as any other.
                tokio::select! {
                    () = core.consume_token.cancelled() => {}
                    _ = run => debug!(queue = %pq.queue(), "expired listener finished; result ignored"),
                }
                return;
            }
        },
    };
    let outcome = match result {
        ConsumeResult::Success => ConsumeOutcome::Success,
        ConsumeResult::Later(_) => ConsumeOutcome::Retry,
    };
    super::trace::after(&core, traced, outcome);
    let n = batch.len() as u64;
    let (ok, failed) = match result {
        ConsumeResult::Success => (n, 0),
        _ => (0, n),
    };
    core.instance.stats().record_consume(
        core.group(),
        &pq.queue().topic,
        ok,
        failed,
        started.elapsed(),
    );
    if pq.is_dropped() {
        // The queue's new owner consumes these again: at least once.
        debug!(queue = %pq.queue(), "queue dropped while consuming; result not recorded");
        return;
    }
    match result {
        ConsumeResult::Success => {
            let offset = pq.remove(batch.iter().map(ReceivedMessage::queue_offset));
            core.commit_progress(&pq, offset);
        }
        ConsumeResult::Later(level) => hand_back(&core, &pq, &batch, level).await,
    }
}

/// Hands a failed (or expired) batch back: clustering sends each message to the retry topic
/// at `level` and consumes again in 5 s those it could not send; broadcasting, which has no
/// retry topic, logs and drops them as Java does. The offset moves past what was handed back.
async fn hand_back(
    core: &Arc<Core>,
    pq: &Arc<ProcessQueue>,
    batch: &[ReceivedMessage],
    level: i32,
) {
    if !core.is_clustering() {
        for m in batch {
            warn!(msg_id = %m.msg_id(), "broadcasting consume failed; message dropped");
        }
        let offset = pq.remove(batch.iter().map(ReceivedMessage::queue_offset));
        core.commit_progress(pq, offset);
        return;
    }
    let mut done = Vec::new();
    let mut again = Vec::new();
    for m in batch {
        if super::retry::send_back(core, m, level, false).await {
            done.push(m.queue_offset());
        } else {
            again.push(m.with_reconsume_times(m.reconsume_times() + 1));
        }
    }
    let offset = pq.remove(done);
    core.commit_progress(pq, offset);
    if !again.is_empty() {
        let span = tracing::debug_span!("consume_again", queue = %pq.queue());
        core.tracker
            .spawn(boxed(core.clone(), pq.clone(), again, CONSUME_AGAIN_DELAY).instrument(span));
    }
}
