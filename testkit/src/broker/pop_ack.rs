//! ACK_MESSAGE (200051), BATCH_ACK_MESSAGE (200151) and CHANGE_MESSAGE_INVISIBLETIME
//! (200053), as Java 5.3.3's `AckMessageProcessor` and `ChangeInvisibleTimeProcessor`.
//!
//! Java checks the topic, the queue id and that the offset is still in the queue; it does not
//! check that the handle is current. An ack of a revived or already-acked message is answered
//! SUCCESS and changes nothing; a change of invisible time on such a handle makes a new
//! checkpoint all the same (the message may then be delivered twice, as with Java). A handle
//! that does not parse is a SYSTEM_ERROR, as Java's uncaught parse exception becomes.

use rmq_protocol::body::{BatchAckMessageRequestBody, JsonBody};
use rmq_protocol::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
    PopHandle, PopTopicKind,
};
use rmq_protocol::{Command, ResponseCode};

use super::pop_state::{Checkpoint, PopKey};
use super::{now_ms, Broker};
use crate::reply;

/// Java's FAQ pointer on topic errors.
const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// Serves ACK_MESSAGE.
pub(crate) fn ack(broker: &Broker, request: &Command) -> Command {
    match try_ack(broker, request) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_ack(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let header = reply::header::<AckMessageRequestHeader>(request)?;
    let (min, max) = queue_range(broker, &header.topic, header.queue_id)?;
    if header.offset < min || header.offset > max {
        return Err(reply::error(
            ResponseCode::NO_MESSAGE,
            format!(
                "offset is illegal, key:{}@{}, commit:{}, store:{min}~{max}",
                header.topic, header.queue_id, header.offset
            ),
        ));
    }
    let handle = parse_handle(&header.extra_info)?;
    let key: PopKey = (
        header.topic.clone(),
        header.consumer_group.clone(),
        header.queue_id,
    );
    ack_offsets(
        broker,
        &key,
        handle.ck_offset,
        handle.pop_time,
        &[header.offset],
    );
    Ok(reply::ok())
}

/// Serves BATCH_ACK_MESSAGE.
pub(crate) fn batch_ack(broker: &Broker, request: &Command) -> Command {
    let body = if request.body.is_empty() {
        None
    } else {
        match BatchAckMessageRequestBody::from_json(&request.body) {
            Ok(body) => Some(body),
            Err(e) => return reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()),
        }
    };
    let Some(body) = body.filter(|b| !b.acks.is_empty()) else {
        return Command::response(ResponseCode::NO_MESSAGE, None);
    };
    for ack in &body.acks {
        let Ok(kind) = PopTopicKind::from_mark(&ack.retry, "retry") else {
            return reply::error(ResponseCode::SYSTEM_ERROR, "getRetry fail, format is wrong");
        };
        let topic = kind.real_topic(&ack.topic, &ack.consumer_group);
        let (min, max) = {
            let store = broker.store();
            (
                store.min_offset(&topic, ack.queue_id),
                store.max_offset(&topic, ack.queue_id),
            )
        };
        let offsets: Vec<i64> = ack
            .acked
            .iter()
            .map(|bit| ack.start_offset.saturating_add(i64::from(*bit)))
            .filter(|o| (min..=max).contains(o))
            .collect();
        let key: PopKey = (topic, ack.consumer_group.clone(), ack.queue_id);
        ack_offsets(broker, &key, ack.start_offset, ack.pop_time, &offsets);
    }
    reply::ok()
}

/// Serves CHANGE_MESSAGE_INVISIBLETIME: a new checkpoint for the one message, then an ack of
/// it in the old one (Java `appendCheckPointThenAckOrigin`).
pub(crate) fn change_invisible_time(broker: &Broker, request: &Command) -> Command {
    match try_change(broker, request) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_change(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let header = reply::header::<ChangeInvisibleTimeRequestHeader>(request)?;
    let (min, max) = queue_range(broker, &header.topic, header.queue_id)?;
    if header.offset < min || header.offset >= max {
        return Err(Command::response(ResponseCode::NO_MESSAGE, None));
    }
    let handle = parse_handle(&header.extra_info)?;
    let now = now_ms();
    let key: PopKey = (
        header.topic.clone(),
        header.consumer_group.clone(),
        header.queue_id,
    );
    {
        let mut meta = broker.metadata().state();
        if !meta.pop.has_room() {
            return Err(reply::error(
                ResponseCode::SYSTEM_ERROR,
                "too many checkpoints held",
            ));
        }
        meta.pop.add(Checkpoint {
            topic: header.topic.clone(),
            group: header.consumer_group.clone(),
            queue_id: header.queue_id,
            start_offset: header.offset,
            pop_time: now,
            invisible_time: header.invisible_time.max(0),
            revive_qid: handle.revive_qid,
            pending: [header.offset].into_iter().collect(),
        });
    }
    ack_offsets(
        broker,
        &key,
        handle.ck_offset,
        handle.pop_time,
        &[header.offset],
    );
    // A change wakes the group's waiting pops, which recompute when to revive.
    broker.messages_arrived();
    Ok(reply::with_header(&ChangeInvisibleTimeResponseHeader {
        pop_time: now,
        invisible_time: header.invisible_time,
        revive_qid: handle.revive_qid,
    }))
}

/// The topic's queue `queue_id` as `(min, max)` offsets, or Java's refusal.
fn queue_range(broker: &Broker, topic: &str, queue_id: i32) -> Result<(i64, i64), Command> {
    let config = broker.metadata().state().topics.get(topic).cloned();
    let Some(config) = config else {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{topic}] not exist, apply first please! {FAQ}"),
        ));
    };
    if queue_id < 0 || queue_id >= config.read_queue_nums {
        return Err(reply::error(
            ResponseCode::MESSAGE_ILLEGAL,
            format!(
                "queueId[{queue_id}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}]",
                config.read_queue_nums
            ),
        ));
    }
    let store = broker.store();
    Ok((
        store.min_offset(topic, queue_id),
        store.max_offset(topic, queue_id),
    ))
}

fn parse_handle(extra_info: &str) -> Result<PopHandle, Command> {
    PopHandle::parse(extra_info)
        .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()))
}

/// Acks `offsets` in their checkpoint and moves the group's committed offset.
fn ack_offsets(broker: &Broker, key: &PopKey, start_offset: i64, pop_time: i64, offsets: &[i64]) {
    let mut meta = broker.metadata().state();
    for offset in offsets {
        meta.pop.ack(key, start_offset, pop_time, *offset);
    }
    if let Some(consumed) = meta.pop.consumed_offset(key) {
        meta.commit(&key.1, &key.0, key.2, consumed);
    }
}
