//! The commit log: every stored record in arrival order, addressed by its physical offset
//! (the running sum of record sizes, as Java's `CommitLog` addresses it). It knows nothing of
//! queues or keys; eviction only pops the oldest record and lets the caller clean up after it.

use std::collections::VecDeque;

use bytes::Bytes;
use rmq_protocol::StoredMessage;

/// One record: its store-format bytes and the decoded message, whose body is a slice of
/// those same bytes (no second copy).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The record exactly as a pull body carries it.
    pub encoded: Bytes,
    /// The same record decoded (body shared with `encoded`).
    pub msg: StoredMessage,
    /// Whether the record went into a consume queue (transaction prepared and rollback
    /// records do not, as in Java's `CommitLogDispatcherBuildConsumeQueue`).
    pub dispatched: bool,
    /// The index keys (`topic#key`) this record was indexed under.
    pub index_keys: Vec<String>,
}

/// Records back to back, oldest first.
#[derive(Debug, Default)]
pub(crate) struct CommitLog {
    records: VecDeque<Record>,
    /// Physical offset the next record gets.
    next_offset: i64,
    /// Sum of `encoded.len()` over `records`.
    bytes: usize,
}

impl CommitLog {
    /// Physical offset the next record will be written at.
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    /// Physical offset of the oldest record still held (the next offset when empty).
    pub fn min_offset(&self) -> i64 {
        self.records
            .front()
            .map_or(self.next_offset, |r| r.msg.commit_log_offset)
    }

    /// Bytes of every record held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends a record whose `commit_log_offset` is [`Self::next_offset`].
    pub fn push(&mut self, record: Record) {
        self.next_offset = record.msg.commit_log_offset + record.encoded.len() as i64;
        self.bytes += record.encoded.len();
        self.records.push_back(record);
    }

    /// Removes and returns the oldest record.
    pub fn pop_oldest(&mut self) -> Option<Record> {
        let record = self.records.pop_front()?;
        self.bytes -= record.encoded.len();
        Some(record)
    }

    /// The record starting exactly at physical offset `offset`.
    pub fn at(&self, offset: i64) -> Option<&Record> {
        let at = self
            .records
            .binary_search_by_key(&offset, |r| r.msg.commit_log_offset)
            .ok()?;
        self.records.get(at)
    }
}
