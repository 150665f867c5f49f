//! The EndTransaction trace record (Java's `EndTransactionTraceHookImpl`), built from what the
//! producer knows of a transaction's end: for a local end (`trace.rs`) and for the answer to a
//! broker's check (`inner.rs`).

use std::time::SystemTime;

use rmq_client_core::api::DEFAULT_REGION;
use rmq_protocol::message::property;
use rmq_protocol::trace::{self, TraceMessageType, TraceRecord, TraceType};
use rmq_protocol::{naming, Properties};

use crate::checker::TransactionState;

/// What an EndTransaction record says.
pub(crate) struct EndTransaction<'a> {
    pub(crate) group: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) msg_id: &'a str,
    pub(crate) properties: &'a Properties,
    pub(crate) store_host: &'a str,
    pub(crate) region_id: &'a str,
    pub(crate) transaction_id: Option<&'a str>,
    pub(crate) state: TransactionState,
    pub(crate) from_check: bool,
}

/// The EndTransaction record (Java's `EndTransactionTraceHookImpl`), for a local end and for
/// the answer to a broker's check.
pub(crate) fn end_transaction_record(end: EndTransaction<'_>) -> TraceRecord {
    let mut r = TraceRecord::new(TraceType::EndTransaction, SystemTime::now());
    r.region_id = if end.region_id.is_empty() {
        DEFAULT_REGION.to_owned()
    } else {
        end.region_id.to_owned()
    };
    r.group = naming::without_namespace(end.group);
    r.topic = naming::without_namespace(end.topic);
    r.msg_id = end.msg_id.to_owned();
    r.tags = end.properties.get(property::TAGS).map(str::to_owned);
    r.keys = end.properties.get(property::KEYS).map(str::to_owned);
    r.store_host = end.store_host.to_owned();
    r.msg_type = TraceMessageType::TRANS_COMMIT;
    r.transaction_id = end.transaction_id.map(str::to_owned);
    r.transaction_state = Some(match end.state {
        TransactionState::Commit => trace::TransactionState::Commit,
        TransactionState::Rollback => trace::TransactionState::Rollback,
        TransactionState::Unknown => trace::TransactionState::Unknown,
    });
    r.from_transaction_check = end.from_check;
    r
}
