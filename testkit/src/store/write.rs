//! Writing: encoding puts into store-format records, appending them to the commit log, the
//! consume queues and the key index, and evicting the oldest records to stay in budget.

use bytes::BytesMut;
use rmq_protocol::message::{decode_stored, sysflag, DecodeOptions, MessageVersion};
use rmq_protocol::StoredMessage;

use super::commit_log::Record;
use super::consume_queue::Entry;
use super::index::KeyIndex;
use super::{now_ms, PutRequest, PutResult, Store, StoreError, MAX_V1_TOPIC_LEN};

impl Store {
    /// Stores one message, stamped with the wall clock.
    pub fn put(&mut self, req: PutRequest) -> Result<PutResult, StoreError> {
        let mut results = self.put_at(vec![req], now_ms())?;
        results.pop().ok_or(StoreError::BatchSpansQueues)
    }

    /// Stores a batch at contiguous offsets of one queue, all with the same store timestamp.
    pub fn put_batch(&mut self, reqs: Vec<PutRequest>) -> Result<Vec<PutResult>, StoreError> {
        self.put_at(reqs, now_ms())
    }

    /// Stores messages (all of one topic and queue) with store timestamp `now`: all of them,
    /// or none when one cannot be encoded or they exceed the budget together.
    pub fn put_at(
        &mut self,
        reqs: Vec<PutRequest>,
        now: i64,
    ) -> Result<Vec<PutResult>, StoreError> {
        let Some(first) = reqs.first() else {
            return Ok(Vec::new());
        };
        let (topic, queue_id) = (first.topic.clone(), first.queue_id);
        if reqs
            .iter()
            .any(|r| r.topic != topic || r.queue_id != queue_id)
        {
            return Err(StoreError::BatchSpansQueues);
        }
        let mut commit_log_offset = self.log.next_offset();
        let mut queue_offset = self.queue(&topic, queue_id).map_or(0, |q| q.max_offset());
        let mut records = Vec::with_capacity(reqs.len());
        for req in reqs {
            let dispatched = is_dispatched(req.sys_flag);
            let offset_in_queue = if dispatched { queue_offset } else { 0 };
            let record = self.encode(req, offset_in_queue, commit_log_offset, now)?;
            commit_log_offset += record.encoded.len() as i64;
            queue_offset += i64::from(dispatched);
            records.push(record);
        }
        let len: usize = records.iter().map(|r| r.encoded.len()).sum();
        if len > self.config.budget_bytes {
            return Err(StoreError::TooLarge {
                len,
                budget: self.config.budget_bytes,
            });
        }
        while self.log.bytes() + len > self.config.budget_bytes {
            self.evict_oldest();
        }
        let mut results = Vec::with_capacity(records.len());
        for record in records {
            results.push(PutResult {
                msg_id: record.msg.offset_msg_id(),
                queue_offset: record.msg.queue_offset,
                commit_log_offset: record.msg.commit_log_offset,
                store_timestamp: now,
            });
            self.append(record);
        }
        Ok(results)
    }

    /// The record for `req` at the given offsets, encoded and decoded back so the message's
    /// fields are exactly what a consumer will read.
    fn encode(
        &self,
        req: PutRequest,
        queue_offset: i64,
        commit_log_offset: i64,
        now: i64,
    ) -> Result<Record, StoreError> {
        let version = if req.topic.len() > MAX_V1_TOPIC_LEN {
            MessageVersion::V2
        } else {
            MessageVersion::V1
        };
        let msg = StoredMessage {
            version,
            store_size: 0,
            body_crc: rmq_protocol::message::body_crc(&req.body),
            queue_id: req.queue_id,
            flag: req.flag,
            queue_offset,
            commit_log_offset,
            sys_flag: req.sys_flag,
            born_timestamp: req.born_timestamp,
            born_host: req.born_host,
            store_timestamp: now,
            store_host: self.config.store_host,
            reconsume_times: req.reconsume_times,
            prepared_transaction_offset: req.prepared_transaction_offset,
            body: req.body,
            topic: req.topic,
            properties: req.properties,
        };
        let dispatched = is_dispatched(msg.sys_flag);
        let mut buf = BytesMut::new();
        msg.encode(&mut buf).map_err(StoreError::Encode)?;
        let encoded = buf.freeze();
        let options = DecodeOptions::new().with_decompress(false);
        let msg = decode_stored(encoded.clone(), options)
            .map_err(StoreError::Encode)?
            .pop()
            .unwrap_or(msg);
        let index_keys = KeyIndex::keys_of(&msg);
        Ok(Record {
            encoded,
            msg,
            dispatched,
            index_keys,
        })
    }

    fn append(&mut self, record: Record) {
        let msg = &record.msg;
        if record.dispatched {
            self.queues
                .entry(msg.topic.clone())
                .or_default()
                .entry(msg.queue_id)
                .or_default()
                .push(Entry {
                    commit_log_offset: msg.commit_log_offset,
                    size: record.encoded.len(),
                    store_timestamp: msg.store_timestamp,
                });
        }
        self.index.add(
            &record.index_keys,
            msg.commit_log_offset,
            msg.store_timestamp,
        );
        self.log.push(record);
    }

    fn evict_oldest(&mut self) {
        let Some(record) = self.log.pop_oldest() else {
            return;
        };
        let msg = &record.msg;
        if record.dispatched {
            if let Some(queue) = self
                .queues
                .get_mut(&msg.topic)
                .and_then(|q| q.get_mut(&msg.queue_id))
            {
                queue.evict_through(msg.commit_log_offset);
            }
        }
        self.index.remove(&record.index_keys, msg.commit_log_offset);
    }
}

/// Whether a record goes into its consume queue: not for prepared or rolled-back transaction
/// records (Java `CommitLogDispatcherBuildConsumeQueue`).
fn is_dispatched(sys_flag: i32) -> bool {
    !matches!(
        sysflag::transaction_type(sys_flag),
        sysflag::TRANSACTION_PREPARED_TYPE | sysflag::TRANSACTION_ROLLBACK_TYPE
    )
}
