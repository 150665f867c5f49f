//! RECALL_MESSAGE (370, 5.x) as Java 5.3.3's `RecallMessageProcessor` serves it: the recall
//! handle a timer message's send answer carries (`SendMessageProcessor#attachRecallHandle`),
//! and the delete marker a recall parks beside the timer message so that the timer never
//! delivers it (`TimerMessageStore`'s delete list). It does not undo a delivered message.
//!
//! ```text
//! handle = base64url("v1 <topic> <brokerName> <TIMER_OUT_MS + 1> <UNIQ_KEY>")
//! marker = message to <topic>, body "0", tag _RECALL_TAG_, TIMER_DELIVER_MS = handle's time,
//!          TIMER_DEL_UNIQKEY = "<topic>+<UNIQ_KEY>"       (parked in the timer like any other)
//! ```

use base64::Engine as _;
use bytes::Bytes;
use rmq_protocol::header::{RecallHandle, RecallMessageRequestHeader, RecallMessageResponseHeader};
use rmq_protocol::message::property;
use rmq_protocol::{naming, perm, Command, Properties, RequestCode, ResponseCode};

use super::recalled::{delete_key, TIMER_DEL_UNIQKEY, TIMER_OUT_MS};
use super::{inner, now_ms, schedule, Broker};
use crate::reply;
use crate::server::ClientConn;
use crate::store::PutRequest;

/// Java `MessageConst.PROPERTY_BORN_TIMESTAMP`.
const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// Java `RecallMessageProcessor.RECALL_MESSAGE_TAG`.
const RECALL_TAG: &str = "_RECALL_TAG_";
/// Java `MessageStoreConfig#timerMaxDelaySec` default: 3 days.
const DEFAULT_TIMER_MAX_DELAY_SEC: i64 = 3 * 24 * 3600;
/// Region the answers name (as the send answers do).
const REGION: &str = "DefaultRegion";

/// Serves RECALL_MESSAGE: checks the broker, the topic and the handle in Java's order, then
/// stores the delete marker.
pub(crate) fn recall(broker: &Broker, request: &Command, conn: &ClientConn) -> Command {
    let header = match reply::header::<RecallMessageRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    let answer = match check(broker, &header) {
        Ok(handle) => store_marker(broker, &header, &handle, conn),
        Err(refusal) => refusal,
    };
    answer.with_ext(property::MSG_REGION, REGION)
}

/// Java `RecallMessageProcessor#processRequest` up to the put: the refusal, or the handle.
fn check(broker: &Broker, header: &RecallMessageRequestHeader) -> Result<RecallHandle, Command> {
    let config = broker.config_entries();
    let flag = |key: &str, default: bool| {
        config
            .get(key)
            .map_or(default, |v| v.trim().eq_ignore_ascii_case("true"))
    };
    let unavailable = "recall failed, broker service not available";
    if !flag("recallMessageEnable", false) {
        return Err(reply::error(
            ResponseCode::NO_PERMISSION,
            "recall failed, operation is forbidden",
        ));
    }
    if broker.is_slave() {
        return Err(reply::error(ResponseCode::SLAVE_NOT_AVAILABLE, unavailable));
    }
    if !perm::is_writeable(broker.permission()) && !flag("allowRecallWhenBrokerNotWriteable", true)
    {
        return Err(reply::error(
            ResponseCode::SERVICE_NOT_AVAILABLE,
            unavailable,
        ));
    }
    if !broker.metadata().state().topics.contains_key(&header.topic) {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("recall failed, the topic[{}] not exist", header.topic),
        ));
    }
    let illegal = |remark: &str| reply::error(ResponseCode::ILLEGAL_OPERATION, remark);
    // Java's DecoderException says only this, whatever was wrong with the handle.
    let handle = RecallHandle::decode(&header.recall_handle)
        .map_err(|_| illegal("recall handle is invalid"))?;
    if handle.topic != header.topic {
        return Err(illegal("recall failed, topic not match"));
    }
    if handle.broker_name != broker.config().name {
        return Err(illegal(unavailable));
    }
    let max_delay_ms = config
        .get("timerMaxDelaySec")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(DEFAULT_TIMER_MAX_DELAY_SEC)
        .saturating_mul(1000);
    let time_left = handle
        .timestamp
        .parse::<i64>()
        .unwrap_or(-1)
        .saturating_sub(now_ms());
    if time_left <= 0 || time_left >= max_delay_ms {
        return Err(illegal("recall failed, timestamp invalid"));
    }
    Ok(handle)
}

/// Java `RecallMessageProcessor#buildMessage` and the put: the marker is a timer message due
/// at the handle's time, parked beside the message it cancels.
fn store_marker(
    broker: &Broker,
    header: &RecallMessageRequestHeader,
    handle: &RecallHandle,
    conn: &ClientConn,
) -> Command {
    let now = now_ms();
    let mut properties = Properties::default();
    properties.insert(property::TAGS, RECALL_TAG);
    properties.insert(
        TIMER_DEL_UNIQKEY,
        delete_key(&handle.topic, &handle.message_id),
    );
    properties.insert(
        property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        handle.message_id.as_str(),
    );
    properties.insert(property::TIMER_DELIVER_MS, handle.timestamp.as_str());
    properties.insert(BORN_TIMESTAMP, now.to_string());
    properties.insert(property::TRACE_CONTEXT, "");
    if let Some(group) = &header.producer_group {
        properties.insert(property::PRODUCER_GROUP, group.as_str());
    }
    let mut put = PutRequest {
        topic: handle.topic.clone(),
        queue_id: 0,
        flag: 0,
        sys_flag: 0,
        body: Bytes::from_static(b"0"),
        properties,
        born_timestamp: now,
        born_host: conn.peer(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    schedule::rewrite_delayed(broker, &mut put);
    if put.topic != schedule::TIMER_TOPIC {
        // The time passed between the check and here: a marker must never reach the topic.
        return reply::error(
            ResponseCode::ILLEGAL_OPERATION,
            "recall failed, timestamp invalid",
        );
    }
    match inner::store_as_is(broker, put) {
        Ok(_) => reply::with_header(&RecallMessageResponseHeader {
            msg_id: handle.message_id.clone(),
        }),
        Err(_) => reply::error(ResponseCode::SYSTEM_ERROR, "recall failed, execute error"),
    }
}

/// Java `SendMessageProcessor#attachRecallHandle`: the handle for a single message just
/// parked in the timer (not a batch, not a retry), or `None`.
pub(crate) fn handle_for(broker: &Broker, code: RequestCode, put: &PutRequest) -> Option<String> {
    if code == RequestCode::SEND_BATCH_MESSAGE || code == RequestCode::CONSUMER_SEND_MSG_BACK {
        return None;
    }
    let due: i64 = put.properties.get(TIMER_OUT_MS)?.parse().ok()?;
    let topic = put.properties.get(property::REAL_TOPIC)?;
    if topic.starts_with(naming::RETRY_GROUP_TOPIC_PREFIX) {
        return None;
    }
    let id = put
        .properties
        .get(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
        .unwrap_or_default();
    // Java adds 1 "consider of floor": the marker then rounds down to the same timer slot.
    let raw = format!("v1 {topic} {} {} {id}", broker.config().name, due + 1);
    Some(base64::engine::general_purpose::URL_SAFE.encode(raw))
}
