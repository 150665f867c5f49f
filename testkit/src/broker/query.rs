//! QUERY_MESSAGE (12) by key or unique key and VIEW_MESSAGE_BY_ID (33) by commit-log offset,
//! as Java's `QueryMessageProcessor` answers them: store-format records in the body.

use bytes::{Bytes, BytesMut};
use rmq_protocol::header::{
    QueryMessageRequestHeader, QueryMessageResponseHeader, ViewMessageRequestHeader,
};
use rmq_protocol::{Command, ResponseCode};

use super::Broker;
use crate::reply;

/// Java `MessageStoreConfig#defaultQueryMaxNum`: what a unique-key query may return.
const UNIQUE_KEY_QUERY_MAX: usize = 32;

/// QUERY_MESSAGE: the newest records indexed under the key in the time range.
pub(crate) fn query_message(broker: &Broker, request: &Command) -> Command {
    let header = match reply::header::<QueryMessageRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    // Java: `_UNIQUE_KEY_QUERY=true` replaces the asked count with defaultQueryMaxNum.
    let max = if header.unique_key_query == Some(true) {
        UNIQUE_KEY_QUERY_MAX
    } else {
        usize::try_from(header.max_num).unwrap_or(0)
    };
    let (records, (time, offset)) = {
        let store = broker.store();
        let records = store.query_by_key(
            &header.topic,
            &header.key,
            max,
            header.begin_timestamp,
            header.end_timestamp,
        );
        (records, store.index_last_update())
    };
    let response_header = QueryMessageResponseHeader {
        index_last_update_timestamp: time,
        index_last_update_phyoffset: offset,
    };
    if records.is_empty() {
        return reply::error(
            ResponseCode::QUERY_NOT_FOUND,
            "can not find message, maybe time range not correct",
        )
        .with_header(&response_header);
    }
    reply::with_header(&response_header).with_body(concat(&records))
}

/// VIEW_MESSAGE_BY_ID: the one record at the offset an offset message id names.
pub(crate) fn view_message_by_id(broker: &Broker, request: &Command) -> Command {
    let header = match reply::header::<ViewMessageRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    match broker.store().record_at(header.offset) {
        Some(record) => reply::ok().with_body(record),
        None => reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("can not find message by the offset, {}", header.offset),
        ),
    }
}

/// Records back to back, as a query body carries them.
fn concat(records: &[Bytes]) -> Bytes {
    let mut body = BytesMut::with_capacity(records.iter().map(Bytes::len).sum());
    for record in records {
        body.extend_from_slice(record);
    }
    body.freeze()
}
