//! The send-side trace hooks (Java's `SendMessageTraceHookImpl` and
//! `EndTransactionTraceHookImpl`): [`Shared::send_traced`] is the send path plus a Pub record
//! per stored message, [`Shared::trace_end_transaction`] the EndTransaction record of a local
//! end (built by `trace_record.rs`, which `inner.rs` uses for a check's answer too). All only
//! append to the producer's trace dispatcher, which never waits or fails a send.

use std::time::{Instant, SystemTime};

use rmq_client_core::api::SendStatus;
use rmq_client_core::trace::{pub_record, SentMessageInfo};
use rmq_protocol::Message;

use crate::budget::Budget;
use crate::checker::TransactionState;
use crate::error::Result;
use crate::message::Outgoing;
use crate::receipt::SendReceipt;
use crate::send::Route;
use crate::shared::Shared;
use crate::trace_record::{end_transaction_record, EndTransaction};

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
            let properties = out.properties();
            for (i, id) in receipt.msg_ids.iter().enumerate() {
                let offset_id = receipt.offset_msg_ids.get(i).map_or("", |o| o.as_str());
                let info = SentMessageInfo {
                    group: &self.settings.group,
                    topic: out.user_topic(),
                    properties: &properties,
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
