//! The in-memory message store of one broker: a commit log of store-format records, consume
//! queues per (topic, queue id) and a key index, bounded by a byte budget (the oldest records
//! go first, advancing their queues' min offsets, as a real commit log's cleanup does).
//!
//! Pure data: no tokio, no I/O, no clock except [`Store::put`] reading the wall clock for store
//! timestamps. The broker wraps it in a `std::sync::Mutex` and never holds that across an await.
//! Which topic a message belongs in (retry, schedule, half topics) is the processors' business.

mod commit_log;
mod consume_queue;
mod index;
#[cfg(test)]
mod tests;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rmq_protocol::{Properties, StoredMessage};

use commit_log::{CommitLog, Record};
use consume_queue::ConsumeQueue;
use index::KeyIndex;

/// Java `maxTransferBytesOnMessageInMemory`: a pull returns at most this many bytes (the first
/// record always goes, whatever its size).
const MAX_TRANSFER_BYTES: usize = 256 * 1024;
/// Java `maxTransferCountOnMessageInMemory`: a pull returns at most this many records.
const MAX_TRANSFER_COUNT: usize = 32;
/// Java `maxFilterMessageCount` is 16000 bytes of 20-byte consume-queue units: a filtered get
/// looks at no more entries than this (or `max_msgs`, if larger) before answering.
const MIN_SCAN_ENTRIES: usize = 16_000 / 20;
/// Java `maxMsgsNumBatch`: a key query returns at most this many records.
const MAX_QUERY_RESULTS: usize = 64;
/// Longest topic a V1 record can name; longer topics get V2 records, as 5.x brokers write.
const MAX_V1_TOPIC_LEN: usize = 127;

/// How a store is set up.
#[derive(Debug, Clone)]
pub(crate) struct StoreConfig {
    /// Most bytes of encoded records held; older records are dropped to make room.
    pub budget_bytes: usize,
    /// The broker's address, written into every record and offset message id.
    pub store_host: SocketAddr,
}

/// One message to store, as a processor hands it in.
#[derive(Debug, Clone)]
pub(crate) struct PutRequest {
    /// Topic to store under.
    pub topic: String,
    /// Queue id within the topic.
    pub queue_id: i32,
    /// The user flag.
    pub flag: i32,
    /// `MessageSysFlag` bits; transaction prepared/rollback records are not queued.
    pub sys_flag: i32,
    /// The body, as sent (possibly compressed).
    pub body: Bytes,
    /// The properties.
    pub properties: Properties,
    /// When the producer created it, ms since the epoch.
    pub born_timestamp: i64,
    /// The producer's address.
    pub born_host: SocketAddr,
    /// Redeliveries so far.
    pub reconsume_times: i32,
    /// Commit-log offset of the half message (transactions), else 0.
    pub prepared_transaction_offset: i64,
}

/// Where a message was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PutResult {
    /// The offset message id: store host and commit-log offset.
    pub msg_id: String,
    /// Logical offset in its queue (0 for records that are not queued).
    pub queue_offset: i64,
    /// Physical offset in the commit log.
    pub commit_log_offset: i64,
    /// When it was stored, ms since the epoch.
    pub store_timestamp: i64,
}

/// Outcome of [`Store::get`] (Java `GetMessageStatus`, less the states of files on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GetStatus {
    /// At least one record.
    Found,
    /// Entries were scanned but none passed the filter; `next_begin_offset` moved past them.
    NoMatched,
    /// The queue has never held a message (or does not exist).
    NoMessageInQueue,
    /// Java: the consume-queue file for the offset is gone. This store has no holes, so it
    /// never answers this; the variant keeps the status set complete for the processors.
    #[allow(dead_code)]
    OffsetFoundNull,
    /// The offset equals the max offset: nothing new yet.
    OffsetOverflowOne,
    /// The offset is past the max offset.
    OffsetOverflowBadly,
    /// The offset is below the min offset (evicted).
    OffsetTooSmall,
}

/// What [`Store::get`] found.
#[derive(Debug, Clone)]
pub(crate) struct GetResult {
    /// The outcome.
    pub status: GetStatus,
    /// Store-format records, ready to concatenate into a pull body.
    pub records: Vec<Bytes>,
    /// Where the consumer should pull next.
    pub next_begin_offset: i64,
    /// The queue's min offset.
    pub min_offset: i64,
    /// The queue's max offset.
    pub max_offset: i64,
}

/// Why a put was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// The message cannot be written in store format (topic or properties too long).
    #[error("message cannot be stored")]
    Encode(#[source] rmq_protocol::Error),
    /// The message alone is larger than the whole byte budget.
    #[error("message of {len} bytes exceeds the store budget of {budget} bytes")]
    TooLarge {
        /// Encoded bytes of the put.
        len: usize,
        /// The budget.
        budget: usize,
    },
    /// A batch named more than one topic or queue.
    #[error("a batch must go to a single queue")]
    BatchSpansQueues,
}

/// One broker's messages. See the module docs.
#[derive(Debug)]
pub(crate) struct Store {
    config: StoreConfig,
    log: CommitLog,
    queues: HashMap<String, BTreeMap<i32, ConsumeQueue>>,
    index: KeyIndex,
}

impl Store {
    /// An empty store.
    pub fn new(config: StoreConfig) -> Store {
        Store {
            config,
            log: CommitLog::default(),
            queues: HashMap::new(),
            index: KeyIndex::default(),
        }
    }

    /// Up to `max_msgs` records of a queue from `offset` that pass `filter`, by Java's
    /// `DefaultMessageStore#getMessage`: at most 32 records and 256 KiB, and a filtered get
    /// scans at most 800 entries (or `max_msgs`) and moves `next_begin_offset` past every
    /// entry it scanned, matched or not.
    ///
    /// Kept in one piece so the statuses and offsets read in the order Java decides them.
    pub fn get(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msgs: usize,
        filter: &dyn Fn(&StoredMessage) -> bool,
    ) -> GetResult {
        let (min_offset, max_offset) = (
            self.min_offset(topic, queue_id),
            self.max_offset(topic, queue_id),
        );
        let mut result = GetResult {
            status: GetStatus::NoMessageInQueue,
            records: Vec::new(),
            next_begin_offset: offset,
            min_offset,
            max_offset,
        };
        let queue = match self.queue(topic, queue_id) {
            Some(queue) if max_offset != 0 => queue,
            _ => {
                result.next_begin_offset = 0;
                return result;
            }
        };
        if offset < min_offset {
            result.status = GetStatus::OffsetTooSmall;
            result.next_begin_offset = min_offset;
            return result;
        }
        if offset >= max_offset {
            result.status = if offset == max_offset {
                GetStatus::OffsetOverflowOne
            } else {
                GetStatus::OffsetOverflowBadly
            };
            result.next_begin_offset = if offset == max_offset {
                offset
            } else {
                max_offset
            };
            return result;
        }
        result.status = GetStatus::NoMatched;
        let scan_limit = MIN_SCAN_ENTRIES.max(max_msgs);
        let mut bytes = 0usize;
        let mut scanned = 0usize;
        for entry in queue.from(offset) {
            if scanned >= scan_limit
                || batch_full(entry.size, max_msgs, bytes, result.records.len())
            {
                break;
            }
            scanned += 1;
            let Some(record) = self.log.at(entry.commit_log_offset) else {
                continue;
            };
            if !filter(&record.msg) {
                continue;
            }
            bytes += record.encoded.len();
            result.records.push(record.encoded.clone());
            result.status = GetStatus::Found;
        }
        result.next_begin_offset = offset + scanned as i64;
        result
    }

    /// The queue's min offset (0 for an unknown queue).
    pub fn min_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id)
            .map_or(0, ConsumeQueue::min_offset)
    }

    /// The queue's max offset: the offset its next message gets (0 for an unknown queue).
    pub fn max_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.queue(topic, queue_id)
            .map_or(0, ConsumeQueue::max_offset)
    }

    /// The offset of the message stored closest to `timestamp_ms`, by Java's
    /// `getOffsetInQueueByTime` (see [`ConsumeQueue::offset_by_time`]); 0 for an unknown queue.
    pub fn search_offset(&self, topic: &str, queue_id: i32, timestamp_ms: i64) -> i64 {
        self.queue(topic, queue_id)
            .map_or(0, |q| q.offset_by_time(timestamp_ms))
    }

    /// The store timestamp of the message at `offset` in a queue, if it is still held.
    pub fn store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        Some(self.queue(topic, queue_id)?.at(offset)?.store_timestamp)
    }

    /// The message starting at physical offset `offset` (what VIEW_MESSAGE_BY_ID reads).
    pub fn by_commit_log_offset(&self, offset: i64) -> Option<StoredMessage> {
        self.log.at(offset).map(|r| r.msg.clone())
    }

    /// The message at logical offset `offset` of a queue, if it is still held.
    pub fn message_in_queue(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Option<StoredMessage> {
        let entry = self.queue(topic, queue_id)?.at(offset)?;
        self.log.at(entry.commit_log_offset).map(|r| r.msg.clone())
    }

    /// The store-format record starting at physical offset `offset`.
    pub fn record_at(&self, offset: i64) -> Option<Bytes> {
        self.log.at(offset).map(|r| r.encoded.clone())
    }

    /// Records of `topic` indexed under `key` (a key or a unique key) stored within
    /// `[begin_ms, end_ms]`: the newest `max` (at most 64), returned oldest first, as Java's
    /// `DefaultMessageStore#queryMessage` answers.
    pub fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin_ms: i64,
        end_ms: i64,
    ) -> Vec<Bytes> {
        let mut found: Vec<&Record> = self
            .index
            .newest_first(&index::index_key(topic, key))
            .filter_map(|offset| self.log.at(offset))
            .filter(|r| (begin_ms..=end_ms).contains(&r.msg.store_timestamp))
            .take(max.min(MAX_QUERY_RESULTS))
            .collect();
        found.reverse();
        found.into_iter().map(|r| r.encoded.clone()).collect()
    }

    /// Store time and physical offset of the last record indexed (the
    /// `indexLastUpdateTimestamp` / `indexLastUpdatePhyoffset` of a query response).
    pub fn index_last_update(&self) -> (i64, i64) {
        self.index.last_update()
    }

    /// The earliest record of `topic` whose `UNIQ_KEY` is `uniq` (what Java's admin
    /// `queryMessageByUniqKey` settles on).
    #[cfg(test)]
    pub fn query_by_unique_key(&self, topic: &str, uniq: &str) -> Option<Bytes> {
        let key = rmq_protocol::message::property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX;
        self.index
            .newest_first(&index::index_key(topic, uniq))
            .filter_map(|offset| self.log.at(offset))
            .filter(|r| r.msg.property(key) == Some(uniq))
            .min_by_key(|r| (r.msg.store_timestamp, r.msg.commit_log_offset))
            .map(|r| r.encoded.clone())
    }

    /// Topics with at least one queue.
    #[cfg(test)]
    pub fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self.queues.keys().cloned().collect();
        topics.sort();
        topics
    }

    /// Queue ids of `topic`, ascending.
    #[cfg(test)]
    pub fn queue_ids(&self, topic: &str) -> Vec<i32> {
        self.queues
            .get(topic)
            .map(|q| q.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Forgets the topic's queues (Java destroys its consume queues); its records stay in
    /// the commit log and the key index until evicted, as they do in Java.
    pub fn delete_topic(&mut self, topic: &str) {
        self.queues.remove(topic);
    }

    /// Bytes of records held.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.log.bytes()
    }

    /// Physical offsets of the oldest record held and of the next record to be written.
    pub fn commit_log_range(&self) -> (i64, i64) {
        (self.log.min_offset(), self.log.next_offset())
    }

    fn queue(&self, topic: &str, queue_id: i32) -> Option<&ConsumeQueue> {
        self.queues.get(topic)?.get(&queue_id)
    }
}

/// Java `DefaultMessageStore#isTheBatchFull` for records in memory.
fn batch_full(next_size: usize, max_msgs: usize, bytes: usize, count: usize) -> bool {
    if bytes == 0 || count == 0 {
        return false;
    }
    max_msgs <= count || bytes + next_size > MAX_TRANSFER_BYTES || count >= MAX_TRANSFER_COUNT
}

/// Wall-clock ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
