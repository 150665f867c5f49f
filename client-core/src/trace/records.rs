//! Building the records the hooks append, as Java's `SendMessageTraceHookImpl` and
//! `ConsumeMessageTraceHookImpl` fill them: group and topic without namespace, the broker's
//! region, the message's tags and keys; a SubAfter shares its SubBefore's request id.

use std::time::{Duration, SystemTime};

use rmq_protocol::message::property;
use rmq_protocol::trace::{ContextCode, TraceMessageType, TraceRecord, TraceType};
use rmq_protocol::{ids, naming, Properties, StoredMessage};

use crate::api::{SendStatus, DEFAULT_REGION};

/// What a producer's send hook knows once a broker stored a message.
#[derive(Debug, Clone, Copy)]
pub struct SentMessageInfo<'a> {
    /// The producer group.
    pub group: &'a str,
    /// The topic.
    pub topic: &'a str,
    /// The message's properties (tags, keys, and what makes it delayed or transactional).
    pub properties: &'a Properties,
    /// Body length in bytes, uncompressed.
    pub body_length: usize,
    /// Its unique id (`UNIQ_KEY`).
    pub msg_id: &'a str,
    /// The broker's offset message id.
    pub offset_msg_id: &'a str,
    /// Address of the broker that stored it.
    pub store_host: &'a str,
    /// The broker's region.
    pub region_id: &'a str,
    /// How the broker stored it.
    pub status: SendStatus,
    /// Whether the broker has tracing on (`TRACE_ON` of its answer).
    pub trace_on: bool,
    /// When the send started.
    pub started: SystemTime,
    /// How long it took.
    pub cost: Duration,
}

/// The Pub record of a stored message, or `None` when the broker has tracing off
/// (`TRACE_ON=false` in its answer), as Java skips it.
pub fn pub_record(sent: &SentMessageInfo<'_>) -> Option<TraceRecord> {
    if !sent.trace_on {
        return None;
    }
    let props = sent.properties;
    let mut r = TraceRecord::new(TraceType::Pub, sent.started);
    r.region_id = sent.region_id.to_owned();
    r.group = naming::without_namespace(sent.group);
    r.topic = naming::without_namespace(sent.topic);
    r.msg_id = sent.msg_id.to_owned();
    r.offset_msg_id = sent.offset_msg_id.to_owned();
    r.tags = props.get(property::TAGS).map(str::to_owned);
    r.keys = props.get(property::KEYS).map(str::to_owned);
    r.store_host = sent.store_host.to_owned();
    r.body_length = i32::try_from(sent.body_length).unwrap_or(i32::MAX);
    r.cost = sent.cost;
    r.msg_type = message_type(props);
    r.success = sent.status == SendStatus::Ok;
    Some(r)
}

/// Java's `MessageType` of an outgoing message: a transaction's half message, a delayed one,
/// or normal.
fn message_type(props: &Properties) -> TraceMessageType {
    if props.get(property::TRANSACTION_PREPARED) == Some("true") {
        TraceMessageType::TRANS_HALF
    } else if [
        property::DELAY_TIME_LEVEL,
        property::START_DELIVER_TIME,
        property::TIMER_DELIVER_MS,
        property::TIMER_DELAY_SEC,
        property::TIMER_DELAY_MS,
    ]
    .iter()
    .any(|p| props.get(p).is_some())
    {
        TraceMessageType::DELAY
    } else {
        TraceMessageType::NORMAL
    }
}

/// The SubBefore records of one consume call over `messages`, sharing one request id;
/// messages whose producer switched tracing off (`TRACE_ON=false`) are left out.
pub fn sub_before(group: &str, messages: &[&StoredMessage], now: SystemTime) -> Vec<TraceRecord> {
    let request_id = ids::unique_id();
    let group = naming::without_namespace(group);
    messages
        .iter()
        .filter(|m| m.property(property::TRACE_SWITCH) != Some("false"))
        .map(|m| {
            let mut r = TraceRecord::new(TraceType::SubBefore, now);
            r.region_id = m
                .property(property::MSG_REGION)
                .unwrap_or(DEFAULT_REGION)
                .to_owned();
            r.group = group.clone();
            r.request_id = request_id.clone();
            r.topic = naming::without_namespace(&m.topic);
            r.msg_id = m.msg_id();
            r.tags = m.tags().map(str::to_owned);
            r.keys = m.property(property::KEYS).map(str::to_owned);
            r.body_length = m.store_size;
            r.retry_times = m.reconsume_times;
            r
        })
        .collect()
}

/// How a listener's call ended, for the SubAfter records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// The listener consumed the messages.
    Success,
    /// The listener asked for a later redelivery.
    Retry,
    /// The listener panicked.
    Panicked,
    /// The listener ran past its timeout.
    TimedOut,
}

/// The SubAfter records answering `before` (one consume call): its request id and group,
/// `outcome`, and the call's `elapsed` time shared out over its messages (as Java does).
pub fn sub_after(
    before: &[TraceRecord],
    outcome: ConsumeOutcome,
    elapsed: Duration,
    now: SystemTime,
) -> Vec<TraceRecord> {
    let count = u32::try_from(before.len().max(1)).unwrap_or(u32::MAX);
    let (success, code) = match outcome {
        ConsumeOutcome::Success => (true, ContextCode::SUCCESS),
        ConsumeOutcome::Retry => (false, ContextCode::FAILED),
        ConsumeOutcome::Panicked => (false, ContextCode::EXCEPTION),
        ConsumeOutcome::TimedOut => (false, ContextCode::TIME_OUT),
    };
    before
        .iter()
        .map(|b| {
            let mut r = TraceRecord::new(TraceType::SubAfter, now);
            r.region_id = b.region_id.clone();
            r.group = b.group.clone();
            r.request_id = b.request_id.clone();
            r.topic = b.topic.clone();
            r.msg_id = b.msg_id.clone();
            r.keys = b.keys.clone();
            r.tags = b.tags.clone();
            r.cost = elapsed / count;
            r.success = success;
            r.context_code = code;
            r
        })
        .collect()
}
