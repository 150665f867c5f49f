//! The send-side trace hooks (Java's `SendMessageTraceHookImpl` and
//! `EndTransactionTraceHookImpl`): [`Shared::send_traced`] is the send path plus a Pub record
//! per stored message, [`Shared::trace_end_transaction`] the EndTransaction record of a local
//! end, [`end_transaction_record`] also that of a check's answer (`inner.rs`). All only append
//! to the producer's trace dispatcher, which never waits or fails a send.

use std::time::{Instant, SystemTime};

use rmq_client_core::api::{SendStatus, DEFAULT_REGION};
use rmq_client_core::trace::{pub_record, SentMessageInfo};
use rmq_protocol::message::property;
use rmq_protocol::trace::{self, TraceMessageType, TraceRecord, TraceType};
use rmq_protocol::{naming, Message, Properties};

use crate::budget::Budget;
use crate::checker::TransactionState;
use crate::error::Result;
use crate::message::Outgoing;
use crate::receipt::SendReceipt;
use crate::send::Route;
use crate::shared::Shared;

impl Shared {
    /// [`send_outgoing`](Shared::send_outgoing), then one Pub record per stored message when
    /// trace is on (messages of the trace topic itself are not traced).
    pub(crate) async fn send_traced(
        &self,
        out: &Outgoing,
        route: Route<'_>,
        budget: Budget,
    ) -> Result<SendReceipt> {
        let Some(traces) = self
            .traces
            .as_ref()
            .filter(|t| !t.is_trace_topic(&out.topic))
        else {
            return self.send_outgoing(out, route, budget).await;
        };
        let (at, started) = (SystemTime::now(), Instant::now());
        let sent = self.send_outgoing(out, route, budget).await;
        if let Ok(receipt) = &sent {
            let store_host = self
                .instance
                .brokers()
                .master(&receipt.queue.broker_name)
                .unwrap_or_default();
            let count = receipt.msg_ids.len().max(1);
            for (i, id) in receipt.msg_ids.iter().enumerate() {
                let offset_id = receipt.offset_msg_ids.get(i).map_or("", |o| o.as_str());
                let info = SentMessageInfo {
                    group: &self.settings.group,
                    topic: &out.user_topic,
                    properties: &out.properties,
                    body_length: out.size / count,
                    msg_id: id.as_str(),
                    offset_msg_id: offset_id,
                    store_host: &store_host,
                    region_id: &receipt.region_id,
                    status: receipt.status,
                    trace_on: receipt.trace_on,
                    started: at,
                    cost: started.elapsed() / u32::try_from(count).unwrap_or(u32::MAX),
                };
                if let Some(record) = pub_record(&info) {
                    traces.append(record);
                }
            }
        }
        sent
    }

    /// The EndTransaction record of `msg`'s transaction, ended with `state`.
    pub(crate) fn trace_end_transaction(
        &self,
        msg: &Message,
        receipt: &SendReceipt,
        state: TransactionState,
    ) {
        let Some(traces) = self
            .traces
            .as_ref()
            .filter(|t| !t.is_trace_topic(msg.topic()))
        else {
            return;
        };
        let store_host = self
            .instance
            .brokers()
            .master(&receipt.queue.broker_name)
            .unwrap_or_default();
        let mut r = end_transaction_record(EndTransaction {
            group: &self.settings.group,
            topic: msg.topic(),
            msg_id: receipt.msg_id().as_str(),
            properties: msg.properties(),
            store_host: &store_host,
            region_id: &receipt.region_id,
            transaction_id: receipt.transaction_id.as_deref(),
            state,
            from_check: false,
        });
        r.success = receipt.status == SendStatus::Ok;
        traces.append(r);
    }
}

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
