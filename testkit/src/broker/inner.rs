//! Messages the broker writes itself (send-back, scheduled delivery, transaction commit and
//! check bookkeeping): built from a stored message, rewritten for delays as Java's commit log
//! rewrites every put, then stored, waking long polls.

use rmq_protocol::StoredMessage;

use super::Broker;
use crate::store::{PutRequest, PutResult, StoreError};

/// A put that copies `msg` (body, flag, properties, sysflag, born time and host, reconsume
/// times) to another topic and queue.
pub(crate) fn copy_of(msg: &StoredMessage, topic: &str, queue_id: i32) -> PutRequest {
    PutRequest {
        topic: topic.to_owned(),
        queue_id,
        flag: msg.flag,
        sys_flag: msg.sys_flag,
        body: msg.body.clone(),
        properties: msg.properties.clone(),
        born_timestamp: msg.born_timestamp,
        born_host: msg.born_host,
        reconsume_times: msg.reconsume_times,
        prepared_transaction_offset: msg.prepared_transaction_offset,
    }
}

/// Stores `put` without the delay rewrite, and wakes long polls: for messages whose stored
/// properties still name a delay Java no longer acts on (Java clears the property in the map
/// it checks, after writing the properties string it stores).
///
/// # Errors
/// The store's refusal.
pub(crate) fn store_as_is(broker: &Broker, put: PutRequest) -> Result<PutResult, StoreError> {
    let result = broker.store().put(put)?;
    broker.messages_arrived();
    Ok(result)
}
