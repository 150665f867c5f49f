//! The POP consume service (Java's `ConsumeMessagePopConcurrentlyService`): popped messages
//! run through the concurrent listener in batches of `consume_batch_size`, at most
//! `consume_concurrency` at a time, and are settled with the broker instead of an offset:
//! a consumed message is acked; a failed one (`Later`, a panic, the consume timeout) stays
//! invisible for the retry delay of Java's POP delay table, after which the broker hands it out
//! again through the group's POP retry topic with one more reconsume time.
//!
//! Every popped message holds one unit of its queue's in-flight bound ([`Held`]) until it is
//! settled or abandoned, so a queue never has more than its bound popped and unsettled.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::FutureExt;
use rmq_client_core::telemetry::process_span;
use rmq_client_core::trace::ConsumeOutcome;
use rmq_protocol::header::{AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, PopHandle};
use tokio::sync::Semaphore;
use tracing::{debug, warn, Instrument};

use crate::listener::ConsumeResult;
use crate::message::ReceivedMessage;
use crate::state::core::{Core, Sink};

/// Java's `popDelayLevel`: seconds a failed message stays invisible, by delay level (a level
/// of 0 takes the message's reconsume times; levels past the end take the last entry).
const POP_DELAY_SECS: [u64; 16] = [
    10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
];

/// Units of a queue's in-flight bound, given back when dropped.
#[derive(Debug)]
pub(crate) struct Held {
    bound: Arc<Semaphore>,
    units: usize,
}

impl Held {
    /// Waits for `units` of `bound`; `None` once the semaphore is closed.
    pub(crate) async fn acquire(bound: &Arc<Semaphore>, units: usize) -> Option<Held> {
        let n = u32::try_from(units).ok()?;
        bound.acquire_many(n).await.ok()?.forget();
        Some(Held {
            bound: bound.clone(),
            units,
        })
    }

    /// Splits `units` off into a guard of their own (fewer when fewer are held).
    pub(crate) fn split(&mut self, units: usize) -> Held {
        let units = units.min(self.units);
        self.units -= units;
        Held {
            bound: self.bound.clone(),
            units,
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.units > 0 {
            self.bound.add_permits(self.units);
        }
    }
}

/// A popped message and its receipt handle.
#[derive(Debug, Clone)]
pub(crate) struct Popped {
    pub(crate) msg: ReceivedMessage,
    pub(crate) handle: PopHandle,
}

/// Splits `popped` into batches and spawns one consume task each; `held` covers every message
/// (units beyond them are given back at once).
pub(crate) fn submit(core: &Arc<Core>, popped: Vec<Popped>, mut held: Held) {
    for chunk in popped.chunks(core.opts.consume_batch_size.max(1)) {
        let units = held.split(chunk.len());
        let span = tracing::debug_span!("pop_consume", broker = %chunk[0].handle.broker_name);
        core.tracker
            .spawn(consume_task(core.clone(), chunk.to_vec(), units).instrument(span));
    }
}

async fn consume_task(core: Arc<Core>, batch: Vec<Popped>, _held: Held) {
    let Some(Sink::Concurrent(listener)) = core.sink.get() else {
        return;
    };
    let _permit = tokio::select! {
        () = core.consume_token.cancelled() => return,
        p = core.permits.acquire() => match p { Ok(p) => p, Err(_) => return },
    };
    if core.pull_token.is_cancelled() {
        // Not started: the broker hands these out again after their invisible time.
        debug!("pop batch not started: consumer stopping");
        return;
    }
    let msgs: Vec<ReceivedMessage> = batch.iter().map(|p| p.msg.clone()).collect();
    let topic = msgs[0].queue().topic.clone();
    let started = Instant::now();
    let mut traced = super::trace::before(&core, &msgs);
    let mut run = AssertUnwindSafe(listener.consume(msgs).instrument(process_span(
        core.group(),
        &topic,
        batch.len(),
    )))
    .catch_unwind();
    let (result, outcome, expired) = tokio::select! {
        () = core.consume_token.cancelled() => return,
        r = tokio::time::timeout(core.opts.consume_timeout, &mut run) => match r {
            Ok(Ok(ConsumeResult::Success)) => (ConsumeResult::Success, ConsumeOutcome::Success, false),
            Ok(Ok(later)) => (later, ConsumeOutcome::Retry, false),
            Ok(Err(_)) => {
                warn!(group = %core.group(), %topic, "listener panicked; the popped batch will be retried");
                (ConsumeResult::RETRY, ConsumeOutcome::Panicked, false)
            }
            Err(_) => {
                warn!(group = %core.group(), %topic, timeout = ?core.opts.consume_timeout, "listener past the consume timeout; its popped batch is retried and the listener left to finish");
                (ConsumeResult::RETRY, ConsumeOutcome::TimedOut, true)
            }
        },
    };
    super::trace::after(&core, traced.take(), outcome);
    let n = batch.len() as u64;
    let (ok, failed) = match result {
        ConsumeResult::Success => (n, 0),
        _ => (0, n),
    };
    core.instance
        .stats()
        .record_consume(core.group(), &topic, ok, failed, started.elapsed());
    for p in &batch {
        match result {
            ConsumeResult::Success => ack(&core, p).await,
            ConsumeResult::Later(level) => retry_later(&core, p, level).await,
        }
    }
    if expired {
        // The permit stays held while the listener still runs; shutdown aborts it at the
        // drain deadline, as any other.
        tokio::select! {
            () = core.consume_token.cancelled() => {}
            _ = run => debug!(%topic, "expired listener finished; result ignored"),
        }
    }
}

/// The master address of the message's broker, logged when unknown.
async fn broker_addr(core: &Core, p: &Popped) -> Option<String> {
    let addr = crate::state::offset_store::remote::master(&core.instance, p.msg.wire_queue()).await;
    if addr.is_none() {
        warn!(broker = %p.handle.broker_name, msg_id = %p.msg.msg_id(), "no master known for the popped message's broker; it comes back after its invisible time");
    }
    addr
}

/// ACK_MESSAGE for one consumed message; a failure leaves it to come back (at least once).
async fn ack(core: &Core, p: &Popped) {
    let Some(addr) = broker_addr(core, p).await else {
        return;
    };
    let header = AckMessageRequestHeader {
        consumer_group: core.group().to_owned(),
        topic: p.handle.real_topic(&p.msg.stored().topic, core.group()),
        queue_id: p.handle.queue_id,
        extra_info: p.handle.to_string(),
        offset: p.handle.queue_offset,
        broker_name: Some(p.handle.broker_name.clone()),
    };
    let api = core.instance.api();
    if let Err(e) = api.ack_message(&addr, &header, api.default_timeout()).await {
        warn!(%addr, msg_id = %p.msg.msg_id(), error = %rmq_remoting::Error::chain(&e), "ack failed; the message comes back after its invisible time");
    }
}

/// Hides a failed message for its retry delay (Java's `changePopInvisibleTime`); past the
/// group's max reconsume times, Java's `checkNeedAckOrDelay`: ack it when it was born over
/// twice the longest delay ago, else hide it for the delay its age has reached.
async fn retry_later(core: &Core, p: &Popped, level: i32) {
    let times = p.msg.reconsume_times();
    let delay = if times >= core.opts.max_reconsume(false) {
        let age = p
            .msg
            .born_time()
            .and_then(|b| SystemTime::now().duration_since(b).ok())
            .unwrap_or_default();
        match delay_for_age(age) {
            Some(d) => d,
            None => {
                warn!(group = %core.group(), msg_id = %p.msg.msg_id(), times, "consumed too many times; acked and dropped");
                return ack(core, p).await;
            }
        }
    } else {
        delay_of_level(level, times)
    };
    let Some(addr) = broker_addr(core, p).await else {
        return;
    };
    let header = ChangeInvisibleTimeRequestHeader {
        consumer_group: core.group().to_owned(),
        topic: p.handle.real_topic(&p.msg.stored().topic, core.group()),
        queue_id: p.handle.queue_id,
        extra_info: p.handle.to_string(),
        offset: p.handle.queue_offset,
        invisible_time: i64::try_from(delay.as_millis()).unwrap_or(i64::MAX),
        broker_name: Some(p.handle.broker_name.clone()),
    };
    let api = core.instance.api();
    if let Err(e) = api
        .change_invisible_time(&addr, &header, api.default_timeout())
        .await
    {
        warn!(%addr, msg_id = %p.msg.msg_id(), error = %rmq_remoting::Error::chain(&e), "changing the invisible time failed; the message comes back after its current one");
    }
}

/// The retry delay for delay `level` (0: the message's reconsume times).
pub(crate) fn delay_of_level(level: i32, reconsume_times: i32) -> Duration {
    let level = if level == 0 { reconsume_times } else { level };
    let i = usize::try_from(level)
        .unwrap_or(0)
        .min(POP_DELAY_SECS.len() - 1);
    Duration::from_secs(POP_DELAY_SECS[i])
}

/// For a message past its max reconsume times, `age` old: the delay of the first level its age
/// has not reached yet, or `None` (ack it) past twice the longest delay.
pub(crate) fn delay_for_age(age: Duration) -> Option<Duration> {
    let last = POP_DELAY_SECS[POP_DELAY_SECS.len() - 1];
    if age > Duration::from_secs(last * 2) {
        return None;
    }
    let reached = POP_DELAY_SECS
        .iter()
        .rposition(|s| age >= Duration::from_secs(*s));
    let level = reached.map_or(0, |i| i + 1);
    Some(delay_of_level(i32::try_from(level).unwrap_or(i32::MAX), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_zero_follows_the_reconsume_times() {
        assert_eq!(delay_of_level(0, 0), Duration::from_secs(10));
        assert_eq!(delay_of_level(0, 2), Duration::from_secs(60));
        assert_eq!(delay_of_level(3, 0), Duration::from_secs(120));
        assert_eq!(delay_of_level(99, 0), Duration::from_secs(7200));
        assert_eq!(delay_of_level(-4, 0), Duration::from_secs(10));
    }

    #[test]
    fn an_old_message_past_its_retries_is_acked_a_younger_one_delayed() {
        assert_eq!(delay_for_age(Duration::from_secs(15_000)), None);
        assert_eq!(
            delay_for_age(Duration::from_secs(5)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            delay_for_age(Duration::from_secs(35)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            delay_for_age(Duration::from_secs(8000)),
            Some(Duration::from_secs(7200))
        );
    }

    #[tokio::test]
    async fn held_units_come_back_when_dropped() {
        let bound = Arc::new(Semaphore::new(4));
        let mut held = Held::acquire(&bound, 3).await.expect("held");
        assert_eq!(bound.available_permits(), 1);
        let part = held.split(2);
        drop(held);
        assert_eq!(bound.available_permits(), 2);
        drop(part);
        assert_eq!(bound.available_permits(), 4);
    }
}
