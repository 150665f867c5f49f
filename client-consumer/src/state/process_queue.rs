//! [`ProcessQueue`]: the messages pulled from one queue and not yet finished (Java's
//! `ProcessQueue`), and the offset accounting built on them.
//!
//! Invariant: the offset a consumer may commit for a queue is the smallest offset still in the
//! cache (a message not yet consumed, retried or dead-lettered), or one past the largest offset
//! ever cached when the cache is empty. A message leaves the cache only when it is resolved, so
//! the committed offset never passes an unresolved message.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rmq_protocol::body::ProcessQueueInfo;
use rmq_protocol::MessageQueue;

use crate::message::ReceivedMessage;

/// How long a broker lock lasts before it must be renewed (Java's
/// `rocketmq.client.rebalance.lockMaxLiveTime`, 30 s).
pub(crate) const LOCK_MAX_LIVE_MS: i64 = 30_000;

/// Pulled, unfinished messages of one queue plus its pull position.
#[derive(Debug)]
pub struct ProcessQueue {
    queue: MessageQueue,
    state: Mutex<State>,
    dropped: AtomicBool,
    locked: AtomicBool,
    paused: AtomicBool,
    last_lock_ms: AtomicI64,
    last_pull_ms: AtomicI64,
    last_consume_ms: AtomicI64,
    suggested_broker: AtomicI64,
    generation: AtomicU64,
    /// Bumped by every seek, pause, resume and drop: the pull task waits on it next to its
    /// pull and abandons the pull (or its back-off) when it moves.
    interrupt: tokio::sync::watch::Sender<u64>,
    /// Orderly consumption: one batch at a time per queue (Java's `consumeLock`); a rebalance
    /// that drops the queue waits for it before unlocking on the broker.
    pub(crate) consume_lock: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct State {
    /// Offset → message, waiting or being consumed (concurrent), or waiting (orderly).
    msgs: BTreeMap<i64, ReceivedMessage>,
    /// Orderly: the batch being consumed.
    consuming: BTreeMap<i64, ReceivedMessage>,
    bytes: u64,
    /// Largest offset ever cached (Java's `queueOffsetMax`).
    max_offset: i64,
    /// Next offset to pull from.
    next_offset: i64,
    /// Orderly: whether a consume task owns this queue right now.
    consume_running: bool,
    /// Lag behind the queue's max offset at the last pull.
    lag: i64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl ProcessQueue {
    /// A queue to pull from `next_offset`.
    pub fn new(queue: MessageQueue, next_offset: i64) -> Self {
        ProcessQueue {
            queue,
            state: Mutex::new(State {
                next_offset,
                max_offset: next_offset - 1,
                ..State::default()
            }),
            dropped: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            last_lock_ms: AtomicI64::new(0),
            last_pull_ms: AtomicI64::new(now_ms()),
            last_consume_ms: AtomicI64::new(now_ms()),
            suggested_broker: AtomicI64::new(0),
            generation: AtomicU64::new(0),
            interrupt: tokio::sync::watch::Sender::new(0),
            consume_lock: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the maps half-updated in a way that
        // matters more than stopping the queue would; keep going with the data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The queue.
    pub fn queue(&self) -> &MessageQueue {
        &self.queue
    }

    /// Adds pulled messages (offsets already cached are ignored). Returns whether an orderly
    /// consume task should be started (none is running and there is something to consume).
    pub fn put(&self, msgs: &[ReceivedMessage]) -> bool {
        let mut s = self.state();
        for m in msgs {
            if s.msgs.insert(m.queue_offset(), m.clone()).is_none() {
                s.bytes += m.size();
                s.max_offset = s.max_offset.max(m.queue_offset());
            } else {
                // Replaced an identical offset: keep the byte count exact.
            }
        }
        if let Some(last) = msgs.last() {
            if let Some(max) = last
                .property(rmq_protocol::message::property::MAX_OFFSET)
                .and_then(|v| v.parse::<i64>().ok())
            {
                s.lag = (max - last.queue_offset()).max(0);
            }
        }
        if !s.msgs.is_empty() && !s.consume_running {
            s.consume_running = true;
            true
        } else {
            false
        }
    }

    /// Removes finished messages; returns the offset that may now be committed, or `None` when
    /// nothing was cached (Java's `removeMessage`).
    pub fn remove(&self, offsets: impl IntoIterator<Item = i64>) -> Option<i64> {
        let mut s = self.state();
        if s.msgs.is_empty() {
            return None;
        }
        let mut result = s.max_offset + 1;
        for o in offsets {
            if let Some(m) = s.msgs.remove(&o) {
                s.bytes = s.bytes.saturating_sub(m.size());
            }
        }
        if let Some((&first, _)) = s.msgs.first_key_value() {
            result = first;
        }
        self.last_consume_ms.store(now_ms(), Ordering::Relaxed);
        Some(result)
    }

    /// The offset that may be committed right now (the low-water mark), or `None` when nothing
    /// was ever cached.
    pub fn commit_offset(&self) -> Option<i64> {
        let s = self.state();
        let first = s
            .consuming
            .first_key_value()
            .into_iter()
            .chain(s.msgs.first_key_value())
            .map(|(k, _)| *k)
            .min();
        match first {
            Some(o) => Some(o),
            None if s.max_offset >= 0 => Some(s.max_offset + 1),
            None => None,
        }
    }

    /// Cached messages (waiting and being consumed).
    pub fn count(&self) -> usize {
        let s = self.state();
        s.msgs.len() + s.consuming.len()
    }

    /// Cached body bytes.
    pub fn bytes(&self) -> u64 {
        self.state().bytes
    }

    /// Distance between the largest and smallest cached offsets (Java's `getMaxSpan`).
    pub fn span(&self) -> i64 {
        let s = self.state();
        match (s.msgs.first_key_value(), s.msgs.last_key_value()) {
            (Some((a, _)), Some((b, _))) => b - a,
            _ => 0,
        }
    }

    /// Drops every cached message (seek, reset): they will be pulled again.
    pub fn clear(&self) {
        let mut s = self.state();
        s.msgs.clear();
        s.consuming.clear();
        s.bytes = 0;
        s.consume_running = false;
    }

    /// Next offset to pull.
    pub fn next_offset(&self) -> i64 {
        self.state().next_offset
    }

    /// Sets the next offset to pull.
    pub fn set_next_offset(&self, offset: i64) {
        self.state().next_offset = offset;
    }

    /// Moves the pull position to `offset`, forgetting cached messages; pulls already in flight
    /// are discarded through the generation.
    pub fn seek(&self, offset: i64) {
        let mut s = self.state();
        self.generation.fetch_add(1, Ordering::AcqRel);
        s.msgs.clear();
        s.consuming.clear();
        s.bytes = 0;
        s.next_offset = offset;
        s.max_offset = offset - 1;
        drop(s);
        self.interrupt();
    }

    /// Wakes the pull task: what it is waiting for (a pull, a back-off) is out of date.
    fn interrupt(&self) {
        self.interrupt.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver whose `changed()` resolves at the next seek, pause, resume or drop after
    /// this call.
    pub(crate) fn interrupts(&self) -> tokio::sync::watch::Receiver<u64> {
        self.interrupt.subscribe()
    }

    /// Bumped by every seek.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Applies a pull's result: next offset, unless a seek happened since `generation`.
    pub fn advance(&self, generation: u64, next: i64) -> bool {
        let mut s = self.state();
        if self.generation.load(Ordering::Acquire) != generation {
            return false;
        }
        s.next_offset = next;
        true
    }

    // ===== orderly =====

    /// Orderly: moves up to `n` of the oldest messages into the consuming set. Empty means
    /// nothing to do, and the consume task gives up the queue.
    pub fn take(&self, n: usize) -> Vec<ReceivedMessage> {
        let mut s = self.state();
        let mut out = Vec::new();
        while out.len() < n {
            let Some((o, m)) = s.msgs.pop_first() else {
                break;
            };
            s.consuming.insert(o, m.clone());
            out.push(m);
        }
        if out.is_empty() {
            s.consume_running = false;
        }
        out
    }

    /// Orderly: the batch succeeded; returns the offset to commit.
    pub fn commit(&self) -> Option<i64> {
        let mut s = self.state();
        let last = s.consuming.last_key_value().map(|(k, _)| *k)?;
        let consumed: Vec<u64> = s.consuming.values().map(ReceivedMessage::size).collect();
        for size in consumed {
            s.bytes = s.bytes.saturating_sub(size);
        }
        s.consuming.clear();
        self.last_consume_ms.store(now_ms(), Ordering::Relaxed);
        Some(last + 1)
    }

    /// Orderly: puts a failed batch back to be consumed again, counting the attempt.
    pub fn make_available(&self, msgs: &[ReceivedMessage]) {
        let mut s = self.state();
        for m in msgs {
            s.consuming.remove(&m.queue_offset());
            let again = m.with_reconsume_times(m.reconsume_times() + 1);
            s.msgs.insert(m.queue_offset(), again);
        }
    }

    /// Orderly: puts an interrupted batch back as it was (shutdown aborted it).
    pub fn make_available_unchanged(&self, msgs: &[ReceivedMessage]) {
        let mut s = self.state();
        for m in msgs {
            if let Some(m) = s.consuming.remove(&m.queue_offset()) {
                s.msgs.insert(m.queue_offset(), m);
            }
        }
    }

    /// Orderly: releases the queue when no consume task will run (stop or error).
    pub fn release_consume(&self) {
        self.state().consume_running = false;
    }

    /// Orderly: claims the queue for a consume task if none runs and messages wait.
    pub fn claim_consume(&self) -> bool {
        let mut s = self.state();
        if s.consume_running || s.msgs.is_empty() {
            return false;
        }
        s.consume_running = true;
        true
    }

    // ===== flags =====

    /// Whether the queue was dropped (no longer ours).
    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Marks the queue dropped.
    pub fn set_dropped(&self) {
        self.dropped.store(true, Ordering::Release);
        self.interrupt();
    }

    /// Whether the broker lock is held and fresh.
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
            && now_ms() - self.last_lock_ms.load(Ordering::Relaxed) <= LOCK_MAX_LIVE_MS
    }

    /// Records the result of a lock request.
    pub fn set_locked(&self, locked: bool) {
        if locked {
            self.last_lock_ms.store(now_ms(), Ordering::Relaxed);
        }
        self.locked.store(locked, Ordering::Release);
    }

    /// Whether pulling is paused (lite pull `pause`).
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    /// Pauses or resumes pulling.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Release);
        self.interrupt();
    }

    /// Broker id to pull from next (the broker's suggestion).
    pub fn suggested_broker(&self) -> i64 {
        self.suggested_broker.load(Ordering::Relaxed)
    }

    /// Records the broker's suggestion.
    pub fn set_suggested_broker(&self, id: i64) {
        self.suggested_broker.store(id, Ordering::Relaxed);
    }

    /// Records a pull.
    pub fn touch_pull(&self) {
        self.last_pull_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// The running-info view of this queue.
    pub fn info(&self, commit_offset: i64) -> ProcessQueueInfo {
        let s = self.state();
        ProcessQueueInfo {
            cached_msg_count: (s.msgs.len() + s.consuming.len()) as i32,
            cached_msg_min_offset: s.msgs.first_key_value().map_or(0, |(k, _)| *k),
            cached_msg_max_offset: s.msgs.last_key_value().map_or(0, |(k, _)| *k),
            cached_msg_size_in_mib: (s.bytes / (1024 * 1024)) as i32,
            commit_offset,
            dropped: self.is_dropped(),
            last_consume_timestamp: self.last_consume_ms.load(Ordering::Relaxed),
            last_lock_timestamp: self.last_lock_ms.load(Ordering::Relaxed),
            last_pull_timestamp: self.last_pull_ms.load(Ordering::Relaxed),
            locked: self.locked.load(Ordering::Relaxed),
            ..ProcessQueueInfo::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rmq_protocol::StoredMessage;

    fn msg(offset: i64, len: usize) -> ReceivedMessage {
        let stored = StoredMessage {
            queue_offset: offset,
            body: Bytes::from(vec![0u8; len]),
            ..StoredMessage::default()
        };
        ReceivedMessage::new(stored, MessageQueue::new("T", "b", 0), "g", None)
    }

    #[test]
    fn committed_offset_is_the_lowest_unfinished_message() {
        let pq = ProcessQueue::new(MessageQueue::new("T", "b", 0), 10);
        assert_eq!(pq.commit_offset(), Some(10));
        pq.put(&[msg(10, 5), msg(11, 5), msg(12, 5)]);
        assert_eq!((pq.count(), pq.bytes(), pq.span()), (3, 15, 2));
        // 11 and 12 finish first: the offset must stay at 10.
        assert_eq!(pq.remove([11, 12]), Some(10));
        assert_eq!(pq.commit_offset(), Some(10));
        assert_eq!(pq.remove([10]), Some(13));
        assert_eq!((pq.count(), pq.bytes()), (0, 0));
        assert_eq!(pq.remove([13]), None, "nothing cached");
    }

    #[test]
    fn seek_discards_results_of_older_pulls() {
        let pq = ProcessQueue::new(MessageQueue::new("T", "b", 0), 0);
        let g = pq.generation();
        pq.put(&[msg(0, 1)]);
        pq.seek(100);
        assert!(!pq.advance(g, 32));
        assert_eq!((pq.next_offset(), pq.count()), (100, 0));
        assert!(pq.advance(pq.generation(), 132));
        assert_eq!(pq.next_offset(), 132);
    }

    #[test]
    fn orderly_take_commit_and_retry_keep_order_and_counts() {
        let pq = ProcessQueue::new(MessageQueue::new("T", "b", 0), 0);
        assert!(pq.put(&[msg(0, 1), msg(1, 1), msg(2, 1)]));
        assert!(
            !pq.put(&[msg(3, 1)]),
            "a consume task already owns the queue"
        );
        let batch = pq.take(2);
        assert_eq!(
            batch.iter().map(|m| m.queue_offset()).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(pq.commit_offset(), Some(0));
        pq.make_available(&batch);
        let again = pq.take(2);
        assert_eq!(again[0].reconsume_times(), 1);
        assert_eq!(pq.commit(), Some(2));
        assert_eq!(pq.count(), 2);
        assert_eq!(pq.take(10).len(), 2);
        assert_eq!(pq.commit(), Some(4));
        assert!(pq.take(1).is_empty());
        assert!(!pq.claim_consume());
    }
}
