//! CONSUMER_SEND_MSG_BACK (36), as Java's `SendMessageProcessor#asyncConsumerSendMsgBack`:
//! a message the consumer failed goes to `%RETRY%<group>` with delay level 3 + reconsume times
//! (or the level asked), or to `%DLQ%<group>` once it was retried `maxReconsumeTimes` times.
//! Also the send path's rule (`handleRetryAndDLQ`): a message sent to a `%RETRY%` topic whose
//! reconsume times reached the maximum goes to the DLQ instead.

use rmq_protocol::body::TopicConfig;
use rmq_protocol::header::ConsumerSendMsgBackRequestHeader;
use rmq_protocol::message::property;
use rmq_protocol::{naming, perm, Command, ResponseCode};

use super::{inner, schedule, topic_config, Broker};
use crate::reply;
use crate::store::PutRequest;

/// Java `MixAll.DLQ_NUMS_PER_GROUP`.
const DLQ_QUEUES: i32 = 1;
/// The delay level a first retry gets when the consumer asks for none: level 3 + reconsume
/// times (Java).
const FIRST_RETRY_LEVEL: i32 = 3;
/// Java's FAQ pointer on group errors.
const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// Serves CONSUMER_SEND_MSG_BACK.
///
/// One function on purpose: its checks and rewrites follow Java's method step by step, so the
/// two can be compared line by line.
pub(crate) fn consumer_send_msg_back(broker: &Broker, request: &Command) -> Command {
    let header = match reply::header::<ConsumerSendMsgBackRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    let Some(group) = broker.state().group_config(&header.group) else {
        return reply::error(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {} {FAQ}", header.group),
        );
    };
    if !perm::is_writeable(broker.permission()) {
        return broker.refuses_writes();
    }
    if group.retry_queue_nums <= 0 {
        return reply::ok();
    }
    let retry_topic = format!("{}{}", naming::RETRY_GROUP_TOPIC_PREFIX, header.group);
    let Some(config) = topic_in_send_back(broker, &retry_topic, group.retry_queue_nums) else {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("topic[{retry_topic}] not exist"),
        );
    };
    if !perm::is_writeable(config.perm) {
        return reply::error(
            ResponseCode::NO_PERMISSION,
            format!("the topic[{retry_topic}] sending message is forbidden"),
        );
    }
    let Some(msg) = broker.store().by_commit_log_offset(header.offset) else {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("look message by offset failed, {}", header.offset),
        );
    };
    let max_reconsume_times = header.max_reconsume_times.unwrap_or(group.retry_max_times);
    let mut properties = msg.properties.clone();
    if !properties.contains(property::RETRY_TOPIC) {
        properties.insert(property::RETRY_TOPIC, msg.topic.as_str());
    }
    properties.insert(property::WAIT_STORE_MSG_OK, "false");
    let (topic, queue_id) = if msg.reconsume_times >= max_reconsume_times || header.delay_level < 0
    {
        let dlq = format!("{}{}", naming::DLQ_GROUP_TOPIC_PREFIX, header.group);
        if topic_in_send_back(broker, &dlq, DLQ_QUEUES).is_none() {
            return reply::error(
                ResponseCode::SYSTEM_ERROR,
                format!("topic[{dlq}] not exist"),
            );
        }
        properties.insert(property::DELAY_TIME_LEVEL, "0");
        (dlq, 0)
    } else {
        let level = match header.delay_level {
            0 => FIRST_RETRY_LEVEL.saturating_add(msg.reconsume_times),
            level => level,
        };
        properties.insert(property::DELAY_TIME_LEVEL, level.to_string());
        (retry_topic, broker.pick_queue(group.retry_queue_nums))
    };
    if properties
        .get(property::ORIGIN_MESSAGE_ID)
        .is_none_or(|id| id.trim().is_empty())
    {
        properties.insert(property::ORIGIN_MESSAGE_ID, msg.offset_msg_id());
    }
    let mut put = inner::copy_of(&msg, &topic, queue_id);
    put.properties = properties;
    put.reconsume_times = msg.reconsume_times.saturating_add(1);
    match schedule::store_rewritten(broker, put) {
        Ok(_) => reply::ok(),
        Err(e) => reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()),
    }
}

/// The send path's rule for `%RETRY%` topics (Java `SendMessageProcessor#handleRetryAndDLQ`):
/// once the reconsume times reach the maximum (the send header's `maxReconsumeTimes` when the
/// client sends one, else the group's `retryMaxTimes`), the message goes to the group's DLQ,
/// queue 0. Its DELAY stays: Java resets the level before copying the sent properties over it,
/// so a delayed send reaches the DLQ after its delay.
///
/// # Errors
/// Java's SUBSCRIPTION_GROUP_NOT_EXIST answer when the group cannot be made (too many groups),
/// SYSTEM_ERROR when the DLQ topic cannot.
pub(crate) fn dead_letter_if_exhausted(
    broker: &Broker,
    put: &mut PutRequest,
    header_max_reconsume_times: Option<i32>,
) -> Result<(), Command> {
    let Some(group) = put.topic.strip_prefix(naming::RETRY_GROUP_TOPIC_PREFIX) else {
        return Ok(());
    };
    let Some(config) = broker.state().group_config(group) else {
        return Err(reply::error(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {group} {FAQ}"),
        ));
    };
    let max = header_max_reconsume_times.unwrap_or(config.retry_max_times);
    if put.reconsume_times < max {
        return Ok(());
    }
    let dlq = format!("{}{group}", naming::DLQ_GROUP_TOPIC_PREFIX);
    if topic_in_send_back(broker, &dlq, DLQ_QUEUES).is_none() {
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("topic[{dlq}] not exist"),
        ));
    }
    put.topic = dlq;
    put.queue_id = 0;
    Ok(())
}

/// Java `TopicConfigManager#createTopicInSendMessageBackMethod`: the topic's config, created
/// read/write with `queues` queues when missing.
fn topic_in_send_back(broker: &Broker, topic: &str, queues: i32) -> Option<TopicConfig> {
    if let Some(config) = broker.state().topics.get(topic) {
        return Some(config.clone());
    }
    let config = topic_config(topic, queues, perm::READ_WRITE);
    broker.put_topic(config.clone()).then_some(config)
}
