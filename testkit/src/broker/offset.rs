//! Consumer offsets (QUERY/UPDATE_CONSUMER_OFFSET 14/15, GET_ALL_CONSUMER_OFFSET 43) and queue
//! positions (GET_MIN/MAX_OFFSET 31/30, SEARCH_OFFSET_BY_TIMESTAMP 29,
//! GET_EARLIEST_MSG_STORETIME 32), as Java's `ConsumerManageProcessor` and
//! `AdminBrokerProcessor` answer them.

use std::collections::BTreeMap;

use rmq_protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rmq_protocol::{Command, ResponseCode};

use super::Broker;
use crate::reply;

/// QUERY_CONSUMER_OFFSET: the committed offset; with none, 0 while the queue still holds its
/// first message (unless the 5.x `setZeroIfNotFound=false`), else QUERY_NOT_FOUND.
pub(crate) fn query_consumer_offset(broker: &Broker, request: &Command) -> Command {
    let h = match reply::header::<QueryConsumerOffsetRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    let committed = broker
        .metadata()
        .state()
        .offset(&h.consumer_group, &h.topic, h.queue_id)
        .filter(|o| *o >= 0);
    if let Some(offset) = committed {
        return reply::with_header(&QueryConsumerOffsetResponseHeader { offset });
    }
    // Java: minOffset <= 0 && !checkInDiskByConsumeOffset(topic, queueId, 0); nothing is on
    // disk here, so only the min offset decides.
    let min = broker.store().min_offset(&h.topic, h.queue_id);
    if h.set_zero_if_not_found.unwrap_or(true) && min <= 0 {
        return reply::with_header(&QueryConsumerOffsetResponseHeader { offset: 0 });
    }
    reply::error(
        ResponseCode::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    )
}

/// UPDATE_CONSUMER_OFFSET: commits the offset.
pub(crate) fn update_consumer_offset(broker: &Broker, request: &Command) -> Command {
    match reply::header::<UpdateConsumerOffsetRequestHeader>(request) {
        Ok(h) => {
            broker.metadata().state().commit(
                &h.consumer_group,
                &h.topic,
                h.queue_id,
                h.commit_offset,
            );
            reply::ok()
        }
        Err(answer) => answer,
    }
}

/// GET_MIN_OFFSET.
pub(crate) fn min_offset(broker: &Broker, request: &Command) -> Command {
    match reply::header::<GetMinOffsetRequestHeader>(request) {
        Ok(h) => reply::with_header(&GetMinOffsetResponseHeader {
            offset: broker.store().min_offset(&h.topic, h.queue_id),
        }),
        Err(answer) => answer,
    }
}

/// GET_MAX_OFFSET (every stored message is committed here, so `committed` changes nothing).
pub(crate) fn max_offset(broker: &Broker, request: &Command) -> Command {
    match reply::header::<GetMaxOffsetRequestHeader>(request) {
        Ok(h) => reply::with_header(&GetMaxOffsetResponseHeader {
            offset: broker.store().max_offset(&h.topic, h.queue_id),
        }),
        Err(answer) => answer,
    }
}

/// SEARCH_OFFSET_BY_TIMESTAMP (Java `getOffsetInQueueByTime`).
pub(crate) fn search_offset(broker: &Broker, request: &Command) -> Command {
    match reply::header::<SearchOffsetRequestHeader>(request) {
        Ok(h) => reply::with_header(&SearchOffsetResponseHeader {
            offset: broker
                .store()
                .search_offset(&h.topic, h.queue_id, h.timestamp),
        }),
        Err(answer) => answer,
    }
}

/// GET_EARLIEST_MSG_STORETIME: the store time of the queue's oldest message, -1 without one.
pub(crate) fn earliest_store_time(broker: &Broker, request: &Command) -> Command {
    match reply::header::<GetEarliestMsgStoretimeRequestHeader>(request) {
        Ok(h) => {
            let store = broker.store();
            let min = store.min_offset(&h.topic, h.queue_id);
            let timestamp = store.store_time(&h.topic, h.queue_id, min).unwrap_or(-1);
            reply::with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp })
        }
        Err(answer) => answer,
    }
}

/// GET_ALL_CONSUMER_OFFSET: `{"offsetTable":{"topic@group":{queueId:offset}}}` (Java
/// `ConsumerOffsetManager#encode`).
pub(crate) fn all_consumer_offsets(broker: &Broker) -> Command {
    let table: BTreeMap<String, BTreeMap<String, i64>> = broker
        .state()
        .offsets
        .iter()
        .map(|((topic, group), queues)| {
            let queues = queues.iter().map(|(q, o)| (q.to_string(), *o)).collect();
            (format!("{topic}@{group}"), queues)
        })
        .collect();
    match serde_json::to_vec(&serde_json::json!({ "offsetTable": table })) {
        Ok(body) => reply::ok().with_body(body),
        Err(e) => reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()),
    }
}
