//! INVOKE_BROKER_TO_RESET_OFFSET (222), as Java's `Broker2Client#resetOffset`: the offsets of
//! every write queue at a time (or the max offsets for -1), sent oneway to each live consumer
//! of the group with RESET_CONSUMER_CLIENT_OFFSET (220), and answered with the same table. The
//! new offsets are also committed on the broker, so a group without a running offset store
//! (or one that goes away) resumes from them. Also INVOKE_BROKER_TO_GET_CONSUMER_STATUS, which
//! asks those consumers for their offsets.

use std::collections::BTreeMap;
use std::time::Duration;

use rmq_protocol::body::{GetConsumerStatusBody, JsonBody, ResetOffsetBody};
use rmq_protocol::header::{GetConsumerStatusRequestHeader, ResetOffsetRequestHeader};
use rmq_protocol::{Command, MessageQueue, RequestCode, ResponseCode};

use super::Broker;
use crate::reply;
use crate::server::ClientConn;

/// Serves INVOKE_BROKER_TO_RESET_OFFSET.
///
/// One function on purpose: it follows Java's `resetOffset` step by step (refusals included).
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

/// Java `Broker2Client` waits this long for each client's status.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223), as Java's `Broker2Client#getConsumeStatus`: asks
/// each live consumer of the group (or only `clientAddr`, a client id) for its offsets with
/// GET_CONSUMER_STATUS_FROM_CLIENT (221) and answers them per client id.
///
/// One function on purpose: it follows Java's `getConsumeStatus` step by step.
pub(crate) async fn consumer_status(broker: &Broker, request: &Command) -> Command {
    let header = match reply::header::<GetConsumerStatusRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    let members: Vec<(String, ClientConn)> = broker
        .state()
        .consumers
        .get(&header.group)
        .map(|g| {
            g.channels
                .values()
                .map(|c| (c.client_id.clone(), c.conn.clone()))
                .collect()
        })
        .unwrap_or_default();
    if members.is_empty() {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!(
                "No Any Consumer online in the consumer group: [{}]",
                header.group
            ),
        );
    }
    let only = header
        .client_addr
        .as_deref()
        .filter(|c| !c.trim().is_empty());
    let ask = GetConsumerStatusRequestHeader {
        client_addr: None,
        ..header.clone()
    };
    let mut table = BTreeMap::new();
    for (client_id, conn) in members {
        if only.is_some_and(|c| c != client_id) {
            continue;
        }
        let call = Command::request(RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT).with_header(&ask);
        if let Ok(answer) = conn.request(call, STATUS_TIMEOUT).await {
            let status = (answer.response_code() == ResponseCode::SUCCESS
                && !answer.body.is_empty())
            .then(|| GetConsumerStatusBody::from_json(&answer.body).ok())
            .flatten();
            if let Some(status) = status {
                table.insert(client_id, queue_keyed(&status.message_queue_table));
            }
        }
        if only.is_some() {
            break;
        }
    }
    let body = GetConsumerStatusBody {
        consumer_table: table,
        ..GetConsumerStatusBody::default()
    };
    match body.to_fastjson() {
        Ok(encoded) => reply::ok().with_body(encoded),
        Err(e) => reply::error(ResponseCode::SYSTEM_ERROR, format!("encode body: {e}")),
    }
}

/// A queue-keyed table as a JSON object whose keys are the queues' JSON text (what
/// `to_fastjson` turns into fastjson's raw object keys).
fn queue_keyed(table: &BTreeMap<MessageQueue, i64>) -> serde_json::Value {
    let map = table
        .iter()
        .filter_map(|(q, o)| Some((serde_json::to_string(q).ok()?, serde_json::Value::from(*o))))
        .collect();
    serde_json::Value::Object(map)
}
