//! The dispatcher's task: takes records off the bounded queue, groups them into batches by
//! count, bytes and age, and sends each batch as one trace message; on stop, one last flush
//! within the shutdown budget. It sends one batch at a time, so a slow broker fills the queue
//! (and appends are dropped) instead of piling up sends.

use std::sync::Arc;

use rmq_protocol::trace::TraceRecord;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, warn, Instrument};

use super::batch::Batch;
use super::send::send_batch;
use super::{Counters, Settings, Shared};
use crate::instance::ClientInstance;

/// Spawns the task on the instance's tracker; it cancels `shared.done` when it ends.
pub(super) fn spawn(
    instance: ClientInstance,
    settings: Settings,
    rx: mpsc::Receiver<TraceRecord>,
    shared: Arc<Shared>,
) {
    let span = tracing::debug_span!("trace_dispatch", topic = %settings.topic);
    let tracker = instance.inner.tracker.clone();
    tracker.spawn(dispatch_task(instance, settings, rx, shared).instrument(span));
}

async fn dispatch_task(
    instance: ClientInstance,
    settings: Settings,
    mut rx: mpsc::Receiver<TraceRecord>,
    shared: Arc<Shared>,
) {
    let _done = shared.done.clone().drop_guard();
    let mut batch = Batch::default();
    loop {
        let flush_at = batch
            .started
            .map_or_else(Instant::now, |t| t + settings.flush_interval);
        tokio::select! {
            biased;
            () = shared.stop.cancelled() => break,
            record = rx.recv() => match record {
                Some(record) => {
                    batch.push(&record);
                    if batch.is_full(&settings) {
                        flush(&instance, &settings, &shared.counters, batch.take()).await;
                    }
                }
                // Every handle is gone: nothing more can arrive.
                None => break,
            },
            () = tokio::time::sleep_until(flush_at), if batch.records > 0 => {
                flush(&instance, &settings, &shared.counters, batch.take()).await;
            }
        }
    }
    final_flush(&instance, &settings, &mut rx, &shared.counters, batch).await;
    debug!("trace dispatcher stopped");
}

/// Sends the open batch and whatever is still queued, until the shutdown budget runs out;
/// what is left then is counted as dropped.
async fn final_flush(
    instance: &ClientInstance,
    settings: &Settings,
    rx: &mut mpsc::Receiver<TraceRecord>,
    counters: &Counters,
    mut batch: Batch,
) {
    rx.close();
    let deadline = Instant::now() + settings.shutdown_flush;
    loop {
        while !batch.is_full(settings) {
            match rx.try_recv() {
                Ok(record) => batch.push(&record),
                Err(_) => break,
            }
        }
        if batch.records == 0 {
            return;
        }
        let sending = batch.take();
        let in_flight = sending.records;
        let sent = flush(instance, settings, counters, sending);
        if tokio::time::timeout_at(deadline, sent).await.is_err() {
            let mut left = in_flight;
            while rx.try_recv().is_ok() {
                left += 1;
            }
            warn!(
                records = left,
                "trace records dropped: the shutdown flush ran out of time"
            );
            Counters::add(&counters.dropped, left);
            return;
        }
    }
}

/// Sends one batch and counts its records as sent or failed.
async fn flush(instance: &ClientInstance, settings: &Settings, counters: &Counters, batch: Batch) {
    let records = batch.records;
    match send_batch(instance, settings, batch).await {
        Ok(()) => Counters::add(&counters.sent, records),
        Err(e) => {
            warn!(
                records,
                topic = %settings.topic,
                error = %rmq_remoting::Error::chain(&e),
                "trace message not sent"
            );
            Counters::add(&counters.failed, records);
        }
    }
}
