//! INVOKE_BROKER_TO_RESET_OFFSET (222), as Java's `Broker2Client#resetOffset`: the offsets of
//! every write queue at a time (or the max offsets for -1), sent oneway to each live consumer
//! of the group with RESET_CONSUMER_CLIENT_OFFSET (220), and answered with the same table. The
//! new offsets are also committed on the broker, so a group without a running offset store
//! (or one that goes away) resumes from them.

use std::collections::BTreeMap;

use rmq_protocol::body::{JsonBody, ResetOffsetBody};
use rmq_protocol::header::ResetOffsetRequestHeader;
use rmq_protocol::{Command, MessageQueue, RequestCode, ResponseCode};

use super::Broker;
use crate::reply;

/// Serves INVOKE_BROKER_TO_RESET_OFFSET.
pub(crate) fn reset_offset(broker: &Broker, request: &Command) -> Command {
    let header = match reply::header::<ResetOffsetRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    let (topic, group) = (header.topic.as_str(), header.group.as_str());
    let Some(queues) = broker.state().topics.get(topic).map(|c| c.write_queue_nums) else {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("[reset-offset] reset offset failed, no topic in this broker. topic={topic}"),
        );
    };
    let mut table = BTreeMap::new();
    for queue_id in 0..queues.max(0) {
        let Some(committed) = broker.state().offset(group, topic, queue_id) else {
            return reply::error(
                ResponseCode::SYSTEM_ERROR,
                format!("THe consumer group <{group}> not exist"),
            );
        };
        let at_time = {
            let store = broker.store();
            if header.timestamp == -1 {
                store.max_offset(topic, queue_id)
            } else {
                store.search_offset(topic, queue_id, header.timestamp)
            }
        }
        .max(0);
        let offset = if header.is_force || at_time < committed {
            at_time
        } else {
            committed
        };
        let queue = MessageQueue {
            topic: topic.to_owned(),
            broker_name: broker.config().name.clone(),
            queue_id,
        };
        table.insert(queue, offset);
    }
    let body = ResetOffsetBody {
        offset_table: table,
    };
    let Ok(encoded) = body.to_fastjson() else {
        return reply::error(ResponseCode::SYSTEM_ERROR, "cannot encode the offset table");
    };
    let members = broker.state().members(group);
    if members.is_empty() {
        return reply::error(
            ResponseCode::CONSUMER_NOT_ONLINE,
            format!(
                "Consumer not online, so can not reset offset, Group: {group} Topic: {topic} Timestamp: {}",
                header.timestamp
            ),
        );
    }
    {
        let mut state = broker.state();
        for (queue, offset) in &body.offset_table {
            state.commit(group, topic, queue.queue_id, *offset);
        }
    }
    let notice = ResetOffsetRequestHeader {
        is_force: false,
        ..header.clone()
    };
    for conn in members {
        conn.oneway(
            Command::request(RequestCode::RESET_CONSUMER_CLIENT_OFFSET)
                .with_header(&notice)
                .with_body(encoded.clone()),
        );
    }
    reply::ok().with_body(encoded)
}
