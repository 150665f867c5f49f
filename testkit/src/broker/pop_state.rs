//! What a broker keeps for POP consumption (Java: the pop buffer, checkpoints in the revive
//! topic and the pop offsets): where each group pops next in each queue, and one checkpoint per
//! pop with the offsets not yet acked. Pure bookkeeping; the processors in `pop.rs` and
//! `pop_ack.rs` read the store and answer.

use std::collections::{BTreeMap, BTreeSet};

/// Most checkpoints held; a pop that would add one more finds nothing (Java stops popping
/// past `popInflightMessageThreshold`).
pub(crate) const MAX_CHECKPOINTS: usize = 100_000;
/// Most `(topic, group, queue)` pop offsets held.
const MAX_POP_OFFSETS: usize = 100_000;
/// Most pops long-polling at once on one broker; more are answered POLLING_FULL (Java
/// `popPollingSize`).
pub(crate) const MAX_POLLING: usize = 1024;
/// Java's `reviveQueueNum`.
const REVIVE_QUEUES: u64 = 8;

/// A queue as a pop reads it: the topic actually read (a POP retry topic for retries), the
/// group and the queue id.
pub(crate) type PopKey = (String, String, i32);

/// One pop's checkpoint (Java `PopCheckPoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// The topic read (normal or retry).
    pub topic: String,
    /// The consumer group.
    pub group: String,
    /// The queue read.
    pub queue_id: i32,
    /// The offset the pop started at (the handles' `ckOffset`).
    pub start_offset: i64,
    /// Broker time of the pop, ms.
    pub pop_time: i64,
    /// Invisible time, ms.
    pub invisible_time: i64,
    /// Revive queue id written into the handles.
    pub revive_qid: i32,
    /// Offsets popped and not yet acked.
    pub pending: BTreeSet<i64>,
}

impl Checkpoint {
    /// When its unacked messages go to the retry topic.
    pub fn revive_at(&self) -> i64 {
        self.pop_time.saturating_add(self.invisible_time)
    }
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct PopState {
    /// Next offset to pop per queue and group.
    offsets: BTreeMap<PopKey, i64>,
    /// Queues a pop is reading right now (Java's queue lock): another pop skips them.
    busy: BTreeSet<PopKey>,
    /// Checkpoints by id.
    checkpoints: BTreeMap<u64, Checkpoint>,
    next_id: u64,
    /// Pops counted, for the revive queue id and the retry-first choice (Java `ckMessageNumber`
    /// and its random draw).
    pops: u64,
    /// Pops waiting right now.
    pub polling: usize,
}

impl PopState {
    /// Counts a pop; returns its revive queue id and a number in 0..100 to draw with.
    pub fn next_pop(&mut self) -> (i32, u64) {
        self.pops = self.pops.wrapping_add(1);
        let qid = i32::try_from(self.pops % REVIVE_QUEUES).unwrap_or(0);
        (qid, self.pops.wrapping_mul(37) % 100)
    }

    /// Where the group pops next in this queue, if it popped before.
    pub fn pop_offset(&self, key: &PopKey) -> Option<i64> {
        self.offsets.get(key).copied()
    }

    /// Moves the group's pop position in this queue (refused past the bound for new keys).
    pub fn set_pop_offset(&mut self, key: PopKey, offset: i64) {
        if self.offsets.len() < MAX_POP_OFFSETS || self.offsets.contains_key(&key) {
            self.offsets.insert(key, offset);
        }
    }

    /// Reserves a queue for one pop; `false` when another pop holds it.
    pub fn try_reserve(&mut self, key: &PopKey) -> bool {
        self.busy.insert(key.clone())
    }

    /// Releases a reserved queue.
    pub fn release(&mut self, key: &PopKey) {
        self.busy.remove(key);
    }

    /// Whether one more checkpoint fits.
    pub fn has_room(&self) -> bool {
        self.checkpoints.len() < MAX_CHECKPOINTS
    }

    /// Adds a checkpoint (nothing when full or empty).
    pub fn add(&mut self, ck: Checkpoint) {
        if self.has_room() && !ck.pending.is_empty() {
            self.next_id = self.next_id.wrapping_add(1);
            self.checkpoints.insert(self.next_id, ck);
        }
    }

    /// Acks `offset` in the checkpoint of `(topic, group, queue)` that started at
    /// `start_offset` at `pop_time`. `false` when no such checkpoint holds it (acked before,
    /// or revived: Java answers such acks with success all the same).
    pub fn ack(&mut self, key: &PopKey, start_offset: i64, pop_time: i64, offset: i64) -> bool {
        let found = self.checkpoints.iter_mut().find(|(_, ck)| {
            ck.topic == key.0
                && ck.group == key.1
                && ck.queue_id == key.2
                && ck.start_offset == start_offset
                && ck.pop_time == pop_time
                && ck.pending.contains(&offset)
        });
        let Some((&id, ck)) = found else {
            return false;
        };
        ck.pending.remove(&offset);
        if ck.pending.is_empty() {
            self.checkpoints.remove(&id);
        }
        true
    }

    /// Removes and returns the checkpoints of `group` on `topics` due at `now`.
    pub fn take_due(&mut self, group: &str, topics: &[&str], now: i64) -> Vec<Checkpoint> {
        let due: Vec<u64> = self
            .checkpoints
            .iter()
            .filter(|(_, ck)| {
                ck.group == group && topics.contains(&ck.topic.as_str()) && ck.revive_at() <= now
            })
            .map(|(&id, _)| id)
            .collect();
        due.iter()
            .filter_map(|id| self.checkpoints.remove(id))
            .collect()
    }

    /// The earliest revive time of `group`'s checkpoints on `topics`.
    pub fn next_revive(&self, group: &str, topics: &[&str]) -> Option<i64> {
        self.checkpoints
            .values()
            .filter(|ck| ck.group == group && topics.contains(&ck.topic.as_str()))
            .map(Checkpoint::revive_at)
            .min()
    }

    /// The offset a group has consumed up to in a queue: the pop position, or the start of
    /// the oldest checkpoint still pending there.
    pub fn consumed_offset(&self, key: &PopKey) -> Option<i64> {
        let popped = self.pop_offset(key)?;
        let pending = self
            .checkpoints
            .values()
            .filter(|ck| ck.topic == key.0 && ck.group == key.1 && ck.queue_id == key.2)
            .filter_map(|ck| ck.pending.first().copied())
            .min();
        Some(pending.map_or(popped, |p| p.min(popped)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PopKey {
        ("T".into(), "G".into(), 0)
    }

    fn ck(start: i64, offsets: &[i64], pop_time: i64) -> Checkpoint {
        Checkpoint {
            topic: "T".into(),
            group: "G".into(),
            queue_id: 0,
            start_offset: start,
            pop_time,
            invisible_time: 100,
            revive_qid: 0,
            pending: offsets.iter().copied().collect(),
        }
    }

    #[test]
    fn acking_every_offset_drops_the_checkpoint_and_moves_the_consumed_offset() {
        let mut state = PopState::default();
        state.set_pop_offset(key(), 3);
        state.add(ck(0, &[0, 1, 2], 1_000));
        assert_eq!(state.consumed_offset(&key()), Some(0));
        assert!(state.ack(&key(), 0, 1_000, 0));
        assert!(
            !state.ack(&key(), 0, 1_000, 0),
            "a second ack finds nothing"
        );
        assert!(
            !state.ack(&key(), 0, 999, 1),
            "another pop time is another checkpoint"
        );
        assert_eq!(state.consumed_offset(&key()), Some(1));
        assert!(state.ack(&key(), 0, 1_000, 1));
        assert!(state.ack(&key(), 0, 1_000, 2));
        assert_eq!(state.consumed_offset(&key()), Some(3));
        assert!(state.take_due("G", &["T"], i64::MAX).is_empty());
    }

    #[test]
    fn due_checkpoints_are_taken_once() {
        let mut state = PopState::default();
        state.add(ck(0, &[0], 1_000));
        state.add(ck(1, &[1], 2_000));
        assert_eq!(state.next_revive("G", &["T"]), Some(1_100));
        assert!(state.take_due("G", &["T"], 1_099).is_empty());
        let due = state.take_due("G", &["T"], 1_100);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].start_offset, 0);
        assert!(state.take_due("G", &["T"], 1_100).is_empty());
        assert_eq!(state.next_revive("G", &["T"]), Some(2_100));
        assert_eq!(state.next_revive("other", &["T"]), None);
    }

    #[test]
    fn a_reserved_queue_is_skipped_until_released() {
        let mut state = PopState::default();
        assert!(state.try_reserve(&key()));
        assert!(!state.try_reserve(&key()));
        state.release(&key());
        assert!(state.try_reserve(&key()));
    }
}
