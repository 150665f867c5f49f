//! Message trace: the records producers and consumers wrote to a trace topic about one
//! message (`queryMsgTraceById`), and one send with its Pub record (`sendMessage -m true`).
//!
//! Reading decodes Java's trace format with `rmq_protocol::trace`; writing goes through
//! client-core's `TraceDispatcher`, so the admin writes what a traced producer writes.

use std::time::{Duration, Instant, SystemTime};

use rmq_client_core::trace::{TraceDispatcher, TraceRole, TraceStats};
use rmq_protocol::message::property;
use rmq_protocol::trace::{decode_all, TraceMessageType, TraceRecord, TraceType};
use rmq_protocol::{ids, naming, Message, MessageQueue};
use tracing::warn;

use crate::admin::Admin;
use crate::error::{Error, Result};
use crate::message::{SentMessage, DEFAULT_QUERY_MAX};

/// One trace record about the queried message (Java `TraceView`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceView {
    /// Pub, SubBefore, SubAfter, EndTransaction or Recall.
    pub kind: TraceType,
    /// Producer or consumer group.
    pub group: String,
    /// The IP of the client that wrote the record (the trace message's born host).
    pub client_host: String,
    /// When it happened (`None` for a SubAfter record written without it).
    pub time: Option<SystemTime>,
    /// How long the send or consume took.
    pub cost: Duration,
    /// Whether it succeeded.
    pub success: bool,
    /// The traced message's topic.
    pub topic: String,
    /// The traced message's id.
    pub msg_id: String,
    /// Its offset message id (Pub).
    pub offset_msg_id: String,
    /// Its tag.
    pub tags: Option<String>,
    /// Its keys.
    pub keys: Option<String>,
    /// The broker that stored it (Pub, EndTransaction).
    pub store_host: String,
}

impl TraceView {
    fn of(record: TraceRecord, client_host: String) -> TraceView {
        TraceView {
            kind: record.kind,
            group: record.group,
            client_host,
            time: record.timestamp,
            cost: record.cost,
            success: record.success,
            topic: record.topic,
            msg_id: record.msg_id,
            offset_msg_id: record.offset_msg_id,
            tags: record.tags,
            keys: record.keys,
            store_host: record.store_host,
        }
    }
}

impl Admin {
    /// The trace records about `msg_id` in `trace_topic` (`RMQ_SYS_TRACE_TOPIC` unless
    /// producers were given another), oldest first: [`query_msg_trace`](Self::query_msg_trace)
    /// over all time, at most [`DEFAULT_QUERY_MAX`] trace messages.
    ///
    /// # Errors
    /// As [`query_msg_trace`](Self::query_msg_trace).
    pub async fn query_msg_trace_by_id(
        &self,
        msg_id: &str,
        trace_topic: &str,
    ) -> Result<Vec<TraceView>> {
        self.query_msg_trace(msg_id, trace_topic, DEFAULT_QUERY_MAX, 0, i64::MAX)
            .await
    }

    /// The trace records about `msg_id` in the trace messages of `trace_topic` indexed under
    /// it and stored between `begin` and `end` (ms), at most `max_num` trace messages
    /// (`queryMsgTraceById -b -e -c`); sorted by time, records without one last.
    ///
    /// A trace message whose body does not decode is skipped with a warning: one bad writer
    /// does not hide the others' records.
    ///
    /// # Errors
    /// [`Error::NotFound`] when the trace topic does not exist; the first broker that fails.
    pub async fn query_msg_trace(
        &self,
        msg_id: &str,
        trace_topic: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> Result<Vec<TraceView>> {
        let found = self
            .query_msg_by_key(trace_topic, msg_id, max_num, begin, end)
            .await?;
        let mut views = Vec::new();
        for message in found {
            let body = String::from_utf8_lossy(&message.body);
            let records = match decode_all(&body) {
                Ok(records) => records,
                Err(e) => {
                    warn!(trace_msg_id = %message.msg_id(), error = %e, "trace message skipped");
                    continue;
                }
            };
            let client_host = message.born_host.ip().to_string();
            views.extend(
                records
                    .into_iter()
                    .filter(|r| r.msg_id == msg_id)
                    .map(|r| TraceView::of(r, client_host.clone())),
            );
        }
        views.sort_by_key(|v| (v.time.is_none(), v.time));
        Ok(views)
    }

    /// Sends one message as [`send_message`](Self::send_message) does, then its Pub record to
    /// `trace_topic` as a traced producer of group `DEFAULT_PRODUCER` would (`sendMessage -m
    /// true`). The trace never fails the send: the returned counters say whether it went.
    ///
    /// # Errors
    /// The send's errors; [`Error::InvalidArgument`] for an invalid trace topic.
    pub async fn send_message_traced(
        &self,
        message: Message,
        queue: Option<&MessageQueue>,
        trace_topic: &str,
    ) -> Result<(SentMessage, TraceStats)> {
        let traces = TraceDispatcher::builder(
            self.instance().clone(),
            naming::DEFAULT_PRODUCER_GROUP,
            TraceRole::Produce,
        )
        .topic(trace_topic)
        .build()
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let started_at = SystemTime::now();
        let started = Instant::now();
        let sent = self.send_message(message.clone(), queue).await;
        let cost = started.elapsed();
        if let Ok(sent) = &sent {
            traces.append(pub_of(&message, sent, started_at, cost));
        }
        traces.shutdown().await;
        let stats = traces.stats();
        if stats.sent == 0 && sent.is_ok() {
            warn!(
                ?stats,
                "the Pub trace of the sent message did not reach the trace topic"
            );
        }
        Ok((sent?, stats))
    }
}

/// The Pub record of a message the admin sent.
fn pub_of(message: &Message, sent: &SentMessage, at: SystemTime, cost: Duration) -> TraceRecord {
    let mut r = TraceRecord::new(TraceType::Pub, at);
    r.region_id = rmq_client_core::api::DEFAULT_REGION.to_owned();
    r.group = naming::DEFAULT_PRODUCER_GROUP.to_owned();
    r.topic = message.topic().to_owned();
    r.msg_id = sent.msg_id.clone();
    r.offset_msg_id = sent.offset_msg_id.clone();
    r.tags = message.tags().map(str::to_owned);
    r.keys = message.property(property::KEYS).map(str::to_owned);
    r.store_host = ids::decode_offset_msg_id(&sent.offset_msg_id)
        .map(|id| id.store_host.to_string())
        .unwrap_or_default();
    r.body_length = i32::try_from(message.body().len()).unwrap_or(i32::MAX);
    r.cost = cost;
    r.msg_type = TraceMessageType::NORMAL;
    r.success = sent.status == "SEND_OK";
    r
}
