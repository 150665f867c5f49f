//! The auto-batching accumulator: concurrent [`send`](crate::Producer::send) and
//! [`send_async`](crate::Producer::send_async) calls to one topic go out together as one
//! `SEND_BATCH_MESSAGE` while earlier requests of the topic are in flight ("natural" batching,
//! as group commit; see [`AutoBatch`] for the rule and how it differs from Java 5.x
//! `ProduceAccumulator`); each caller gets its own receipt or the batch's error.
//!
//! # How a message travels
//! 1. [`Accumulator::admit`] decides whether the message may be batched. As Java, messages with
//!    a delay level or a delivery time, half (transactional) messages, replies, messages to
//!    `%RETRY%`/`%DLQ%` topics and messages that name a producer group go directly; so does a
//!    message larger than [`AutoBatch::max_batch_bytes`]. Oneway, ordered and `send_to` sends
//!    never come here.
//! 2. It waits (within the send's deadline) for room under [`AutoBatch::max_total_bytes`]: the
//!    bytes of every batch not yet answered. That wait is the back-pressure of this path.
//! 3. It joins the open batch of its key's lane (wire topic + `WAIT` flag; Java adds the tag,
//!    but each message keeps its own tag inside the batch, so we do not split on it). The
//!    first message of a batch spawns its flusher, a task on the producer's tracker. A message
//!    that would take the batch over `max_batch_bytes` seals it and opens the next one; a
//!    batch that reaches the bound is sealed too; and while fewer than
//!    [`AutoBatch::max_in_flight`] batches of the lane are unanswered, the batch is sealed at
//!    once. Sealing hands the batch to its flusher and counts it in flight.
//! 4. The flusher sends when sealed, or seals and sends when the delay expires or the producer
//!    shuts down, through the ordinary send path (queue selection, retries, deadline). The
//!    batch's deadline is its first member's, the earliest; its attempts the most any member
//!    asked for. `flush.rs` splits the answer back: each message its own id and offset id, its
//!    queue offset the batch's first plus its index. Then it counts the batch answered, which
//!    seals the lane's waiting batch if the lane has room again.
//!
//! The lanes sit in a `std::sync::Mutex` map: nothing awaits while it is held. A lane is
//! removed once it has no open batch and nothing in flight, so the map holds at most one lane
//! per batch whose bytes are held under `max_total_bytes`.

mod flush;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use rmq_protocol::message::property;
use rmq_protocol::{ids, naming, Message};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::auto_batch::AutoBatch;
use crate::budget::Budget;
use crate::error::{Error, Result};
use crate::message::{self, MAX_PROPERTIES_LEN, REPLY_MESSAGE_FLAG};
use crate::receipt::SendReceipt;
use crate::shared::Shared;

/// Bytes of one batch entry besides body and properties (Java `MessageDecoder.encodeMessage`:
/// total size, magic, body CRC, flag, body length, properties length).
const ENTRY_OVERHEAD: usize = 4 + 4 + 4 + 4 + 4 + 2;

/// The open batches of one producer and the bound on what they hold.
pub(crate) struct Accumulator {
    config: AutoBatch,
    lanes: Mutex<HashMap<Key, Lane>>,
    /// One permit per byte held in batches not yet answered.
    held: Arc<Semaphore>,
    /// Cancelled at shutdown: every flusher sends what it has at once.
    closing: CancellationToken,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Accumulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accumulator")
            .field("config", &self.config)
            .field("held_free", &self.held.available_permits())
            .finish_non_exhaustive()
    }
}

/// What messages may share a batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// The topic as the user named it (each producer has one namespace).
    topic: String,
    wait_store_msg_ok: bool,
}

/// The batches of one key: the one taking messages, and how many are sent but unanswered.
#[derive(Default)]
struct Lane {
    open: Option<Open>,
    in_flight: usize,
}

/// A batch still taking messages, and the way to hand it to its flusher.
struct Open {
    id: u64,
    batch: Batch,
    flusher: oneshot::Sender<Batch>,
}

/// Messages sealed (or being gathered) for one request.
struct Batch {
    msgs: Vec<Message>,
    members: Vec<Member>,
    bytes: usize,
    /// The first member's: the earliest deadline of the batch.
    budget: Budget,
    attempts: u32,
}

/// One caller waiting in a batch.
struct Member {
    reply: oneshot::Sender<Result<SendReceipt>>,
    /// Released when the batch is answered: its bytes under `max_total_bytes`, and for an
    /// async send its room in the producer's in-flight window.
    _held: Vec<OwnedSemaphorePermit>,
}

/// A caller's place in a batch: resolves to its own receipt, or the batch's error.
#[derive(Debug)]
pub(crate) struct Queued<T = SendReceipt> {
    reply: oneshot::Receiver<Result<T>>,
}

impl<T> Future for Queued<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.reply).poll(cx) {
            Poll::Ready(Ok(result)) => Poll::Ready(result),
            // The flusher was dropped unanswered: the runtime is shutting down.
            Poll::Ready(Err(_)) => Poll::Ready(Err(Error::Shutdown)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// What a send asks of the accumulator.
pub(crate) struct Admit<'a> {
    pub(crate) msg: &'a Message,
    pub(crate) budget: Budget,
    /// Attempts the send may make (retries + 1).
    pub(crate) attempts: u32,
    /// Permits to hold until the batch is answered (an async send's in-flight room).
    pub(crate) hold: Vec<OwnedSemaphorePermit>,
}

impl Accumulator {
    pub(crate) fn new(config: AutoBatch) -> Self {
        Accumulator {
            held: Arc::new(Semaphore::new(config.total_bytes())),
            config,
            lanes: Mutex::new(HashMap::new()),
            closing: CancellationToken::new(),
            next_id: AtomicU64::new(0),
        }
    }

    /// Whether `msg` may join a batch (else it goes directly).
    pub(crate) fn accepts(&self, msg: &Message) -> bool {
        self.batchable(msg).is_some()
    }

    /// The batch entry size of `msg`, or `None` when it goes directly (see the module docs).
    fn batchable(&self, msg: &Message) -> Option<usize> {
        if naming::is_retry_topic(msg.topic()) || naming::is_dlq_topic(msg.topic()) {
            return None;
        }
        // One pass over the properties, on every send: the checks and the encoded length.
        let mut props = 0;
        let mut has_id = false;
        for (name, value) in msg.properties().iter() {
            let direct = match name {
                property::DELAY_TIME_LEVEL => value.parse::<i32>().is_ok_and(|l| l > 0),
                property::TIMER_DELIVER_MS
                | property::TIMER_DELAY_SEC
                | property::TIMER_DELAY_MS
                | property::PRODUCER_GROUP => true,
                property::TRANSACTION_PREPARED => value == "true",
                property::MESSAGE_TYPE => value == REPLY_MESSAGE_FLAG,
                property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX => {
                    has_id = true;
                    false
                }
                _ => false,
            };
            if direct {
                return None;
            }
            // `name` 0x01 `value`, pairs separated by 0x02.
            props += name.len() + value.len() + 2;
        }
        // With the UNIQ_KEY the batch adds: 8 + 1 + 32 bytes and a separator.
        props = props.saturating_sub(1) + if has_id { 0 } else { 42 };
        if props > MAX_PROPERTIES_LEN {
            return None;
        }
        let size = ENTRY_OVERHEAD + msg.body().len() + props;
        (size <= self.config.batch_bytes()).then_some(size)
    }

    /// Queues `req.msg` in a batch, or hands it back (`Ok(None)`) to be sent directly.
    ///
    /// # Errors
    /// [`Error::InvalidMessage`] for a message the producer would refuse anyway;
    /// [`Error::Timeout`] when no room under `max_total_bytes` freed up within the deadline;
    /// [`Error::Shutdown`].
    pub(crate) async fn admit(
        self: &Arc<Self>,
        shared: &Arc<Shared>,
        req: Admit<'_>,
    ) -> Result<Option<Queued>> {
        let Some(size) = self.batchable(req.msg) else {
            return Ok(None);
        };
        // Refuse it now, as its own error, rather than fail the batch it would join.
        message::check(&shared.settings, req.msg)?;
        let room = self.held.clone().acquire_many_owned(size as u32);
        let permit = match tokio::time::timeout_at(req.budget.tokio_deadline(), room).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(Error::Shutdown),
            Err(_) => {
                return Err(Error::Timeout {
                    what: format!(
                        "waiting for room in the auto-batch bound of {} bytes",
                        self.config.total_bytes()
                    ),
                    after: req.budget.elapsed(),
                })
            }
        };
        let msg = match req.msg.unique_key() {
            Some(_) => req.msg.clone(),
            None => req.msg.clone().with_unique_key(ids::unique_id()),
        };
        let key = Key {
            topic: msg.topic().to_owned(),
            wait_store_msg_ok: msg.wait_store_msg_ok(),
        };
        let (tx, rx) = oneshot::channel();
        let mut hold = req.hold;
        hold.push(permit);
        let member = Member {
            reply: tx,
            _held: hold,
        };
        let spawn = {
            let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
            let lane = lanes.entry(key.clone()).or_default();
            let full = lane
                .open
                .as_ref()
                .is_some_and(|o| o.batch.bytes + size > self.config.batch_bytes());
            if full {
                seal(lane, None);
            }
            let mut spawn = None;
            let open = lane.open.get_or_insert_with(|| {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let (flusher, sealed) = oneshot::channel();
                spawn = Some((id, sealed));
                Open {
                    id,
                    batch: Batch {
                        msgs: Vec::new(),
                        members: Vec::new(),
                        bytes: 0,
                        budget: req.budget,
                        attempts: req.attempts,
                    },
                    flusher,
                }
            });
            let batch = &mut open.batch;
            batch.msgs.push(msg);
            batch.members.push(member);
            batch.bytes += size;
            batch.attempts = batch.attempts.max(req.attempts);
            if batch.bytes >= self.config.batch_bytes() || lane.in_flight < self.config.in_flight()
            {
                seal(lane, None);
            }
            spawn
        };
        if let Some((id, sealed)) = spawn {
            let task = flush::when_due(self.clone(), shared.clone(), key, id, sealed);
            shared.tracker.spawn(task);
        }
        Ok(Some(Queued { reply: rx }))
    }

    /// Hands the open batch of `key` to its flusher if it is still the batch `id`, whatever is
    /// in flight; a batch already sealed (and the next one of the key) is left alone.
    fn seal_if(&self, key: &Key, id: u64) {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lane) = lanes.get_mut(key) {
            seal(lane, Some(id));
        }
    }

    /// Counts one batch of `key` answered: the lane's waiting batch is sealed if the lane has
    /// room again, and an idle lane is removed.
    fn answered(&self, key: &Key) {
        let mut lanes = self.lanes.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(lane) = lanes.get_mut(key) else {
            return;
        };
        lane.in_flight = lane.in_flight.saturating_sub(1);
        if lane.in_flight < self.config.in_flight() {
            seal(lane, None);
        }
        if lane.in_flight == 0 && lane.open.is_none() {
            lanes.remove(key);
        }
    }

    /// Sends every open batch at once and refuses new ones; waiters for room get
    /// [`Error::Shutdown`]. The flushers run on the producer's tracker, which shutdown waits
    /// for within its timeout.
    pub(crate) fn close(&self) {
        self.closing.cancel();
        self.held.close();
    }
}

/// Takes the open batch of `lane` (only if it is the batch `id`, when given), hands it to its
/// flusher and counts it in flight.
fn seal(lane: &mut Lane, id: Option<u64>) {
    if id.is_some_and(|id| lane.open.as_ref().is_some_and(|o| o.id != id)) {
        return;
    }
    if let Some(o) = lane.open.take() {
        lane.in_flight += 1;
        // The flusher only stops listening once it has this batch or the runtime is gone;
        // then the members learn it from their dropped replies.
        let _ = o.flusher.send(o.batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_size_is_the_encoded_size_with_the_id_the_batch_adds() {
        let acc = Accumulator::new(AutoBatch::new());
        let msg = Message::new("T", "body")
            .with_tag("tag")
            .with_keys(["k1", "k2"]);
        let size = acc.batchable(&msg).expect("batchable");
        let with_id = msg.clone().with_unique_key(ids::unique_id());
        let encoded = rmq_protocol::message::encode_batch(&[with_id]).expect("encoded");
        assert_eq!(size, encoded.len());
        let bare = Message::new("T", "b");
        let encoded = rmq_protocol::message::encode_batch(&[bare
            .clone()
            .with_unique_key("0123456789ABCDEF0123456789ABCDEF")])
        .expect("encoded");
        assert_eq!(acc.batchable(&bare), Some(encoded.len()));
    }

    #[test]
    fn messages_java_never_batches_are_sent_directly() {
        let acc = Accumulator::new(AutoBatch::new().max_batch_bytes(1024));
        let direct = [
            Message::new("T", "x").with_delay_level(2),
            Message::new("T", "x").with_delivery_time(std::time::SystemTime::now()),
            Message::new("T", "x").with_property(property::TIMER_DELAY_SEC, "5"),
            Message::new("T", "x").with_property(property::TRANSACTION_PREPARED, "true"),
            Message::new("T", "x").with_property(property::MESSAGE_TYPE, REPLY_MESSAGE_FLAG),
            Message::new("T", "x").with_property(property::PRODUCER_GROUP, "g"),
            Message::new("%RETRY%g", "x"),
            Message::new("%DLQ%g", "x"),
            Message::new("T", vec![0u8; 1024]),
        ];
        for msg in &direct {
            assert!(!acc.accepts(msg), "{msg:?}");
        }
        assert!(acc.accepts(&Message::new("T", "x").with_delay_level(0)));
        assert!(acc.accepts(&Message::new("T", vec![0u8; 900])));
    }
}
