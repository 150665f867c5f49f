//! One pop task per assigned queue (Java's `DefaultMQPushConsumerImpl#popMessage` on a
//! `PopProcessQueue`): waits until the queue has room under its in-flight bound, pops up to a
//! batch with long polling, and hands the messages to [`crate::dispatch::pop::submit`]. It
//! stops when its token is cancelled (reassignment, the topic back to pull, shutdown).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_protocol::header::{PopMessageRequestHeader, INIT_MODE_MAX, INIT_MODE_MIN};
use rmq_protocol::MessageQueue;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn, Instrument};

use rmq_client_core::api::PopStatus;

use crate::dispatch::pop::{Held, Popped};
use crate::message::ReceivedMessage;
use crate::options::ConsumeFrom;
use crate::state::core::{now_ms, Core};

/// Messages asked for per pop (Java's `popBatchNums`).
pub(crate) const POP_BATCH: usize = 32;
/// Popped and unsettled messages per queue at most (Java's `popThresholdForQueue`).
pub(crate) const POP_THRESHOLD: usize = 96;
/// How long a popped message stays invisible to others (Java's `popInvisibleTime`).
pub(crate) const POP_INVISIBLE: Duration = Duration::from_secs(60);
/// Pause after a failed pop or when the broker holds too many polls.
const POP_BACKOFF: Duration = Duration::from_secs(1);
/// Pause after a "nothing new" answer that came back sooner than this (a broker that does not
/// hold the poll), so such a broker is not asked in a busy loop.
const EMPTY_POP_PAUSE: Duration = Duration::from_millis(200);

/// Spawns the pop task of `queue` on the consumer's tracker.
pub(crate) fn spawn(core: &Arc<Core>, queue: MessageQueue, token: CancellationToken) {
    let span = tracing::debug_span!("pop", queue = %queue);
    core.tracker
        .spawn(pop_loop(core.clone(), queue, token).instrument(span));
}

async fn pop_loop(core: Arc<Core>, queue: MessageQueue, token: CancellationToken) {
    let bound = Arc::new(Semaphore::new(POP_THRESHOLD));
    loop {
        let held = tokio::select! {
            () = token.cancelled() => return,
            h = Held::acquire(&bound, POP_BATCH) => match h { Some(h) => h, None => return },
        };
        let pause = tokio::select! {
            () = token.cancelled() => return,
            p = pop_once(&core, &queue, held) => p,
        };
        if let Some(pause) = pause {
            tokio::select! {
                () = token.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}

/// One pop; returns how long to pause before the next one.
async fn pop_once(core: &Arc<Core>, queue: &MessageQueue, held: Held) -> Option<Duration> {
    let Some(sub) = core.subscription(&queue.topic) else {
        return Some(POP_BACKOFF);
    };
    let addr = match core.master_of(queue).await {
        Ok(addr) => addr,
        Err(e) => {
            debug!(error = %rmq_remoting::Error::chain(&e), "no master for the pop queue");
            return Some(POP_BACKOFF);
        }
    };
    let header = PopMessageRequestHeader {
        consumer_group: core.group().to_owned(),
        topic: queue.topic.clone(),
        queue_id: queue.queue_id,
        max_msg_nums: i32::try_from(POP_BATCH).unwrap_or(1),
        invisible_time: i64::try_from(POP_INVISIBLE.as_millis()).unwrap_or(60_000),
        poll_time: i64::try_from(core.opts.broker_suspend.as_millis()).unwrap_or(15_000),
        born_time: now_ms(),
        init_mode: match core.opts.consume_from {
            ConsumeFrom::FirstOffset => INIT_MODE_MIN,
            _ => INIT_MODE_MAX,
        },
        exp_type: Some(sub.expression_type.clone()),
        exp: Some(sub.sub_string.clone()),
        order: Some(false),
        attempt_id: None,
        broker_name: Some(queue.broker_name.clone()),
    };
    let api = core.instance.api();
    let timeout = core.opts.broker_suspend + api.default_timeout();
    let asked = Instant::now();
    let popped = match api
        .pop_message(&addr, &queue.broker_name, &header, timeout)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            warn!(%addr, error = %rmq_remoting::Error::chain(&e), "pop failed; retrying in 1 s");
            return Some(POP_BACKOFF);
        }
    };
    match popped.status {
        PopStatus::Found => {}
        PopStatus::NoNewMsg if asked.elapsed() < EMPTY_POP_PAUSE => return Some(EMPTY_POP_PAUSE),
        PopStatus::NoNewMsg => return None,
        PopStatus::PollingFull => return Some(POP_BACKOFF),
    }
    let group = core.group();
    let msgs: Vec<Popped> = popped
        .records
        .into_iter()
        .map(|r| {
            let topic = r.handle.real_topic(&queue.topic, group);
            let wire = MessageQueue::new(topic, &queue.broker_name, r.handle.queue_id);
            Popped {
                msg: ReceivedMessage::new(r.message, wire, group, core.namespace()),
                handle: r.handle,
            }
        })
        .collect();
    if !msgs.is_empty() {
        crate::dispatch::pop::submit(core, msgs, held);
    }
    None
}
