//! Server-side load balancing of 5.x clients (Java 5.3.3 `QueryAssignmentProcessor`):
//! QUERY_ASSIGNMENT (400) answers the queues a client of a group gets, SET_MESSAGE_REQUEST_MODE
//! (401) sets a topic and group to PULL or POP mode.
//!
//! Queues come from the name server's route (readable queues of every broker, as Java's
//! `TopicRouteInfoManager` reads them); clustering allocates them among the group's live
//! members with `AVG` or `AVG_BY_CIRCLE`, broadcasting gives every queue. POP mode hands out
//! whole-broker queues (queue id -1) or a share of them (`popShareQueueNum`), as Java's
//! `allocate4Pop` does. Bodies are JSON as fastjson writes them; the body types live here
//! until `rmq-protocol` has them.

use std::collections::BTreeSet;

use rmq_protocol::body::{MessageQueue, TopicRouteData};
use rmq_protocol::{naming, perm, Command, ResponseCode};
use serde_json::{json, Value};

use super::state::{RequestMode, MAX_ENTRIES};
use super::Broker;
use crate::reply;

/// A JSON body's string field.
fn text<'a>(body: &'a Value, field: &str) -> Result<&'a str, Command> {
    body.get(field).and_then(Value::as_str).ok_or_else(|| {
        reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("the request body has no {field}"),
        )
    })
}

fn parse_body(request: &Command) -> Result<Value, Command> {
    serde_json::from_slice(&request.body).map_err(|e| {
        reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("the request body is not JSON: {e}"),
        )
    })
}

/// Serves SET_MESSAGE_REQUEST_MODE.
pub(crate) fn set_message_request_mode(broker: &Broker, request: &Command) -> Command {
    match try_set_mode(broker, request) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_set_mode(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let body = parse_body(request)?;
    let topic = text(&body, "topic")?;
    let group = text(&body, "consumerGroup")?;
    if topic.starts_with(naming::RETRY_GROUP_TOPIC_PREFIX) {
        return Err(reply::error(
            ResponseCode::NO_PERMISSION,
            "retry topic is not allowed to set mode",
        ));
    }
    let mode = RequestMode {
        pop: body.get("mode").and_then(Value::as_str) == Some("POP"),
        pop_share_queue_num: body
            .get("popShareQueueNum")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(0),
    };
    let mut state = broker.metadata().state();
    if !state.topics.contains_key(topic) {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{topic}] not exist"),
        ));
    }
    if state.group_config(group).is_none() {
        return Err(reply::error(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            "subscription group does not exist",
        ));
    }
    let key = (topic.to_owned(), group.to_owned());
    if state.request_modes.len() < MAX_ENTRIES || state.request_modes.contains_key(&key) {
        state.request_modes.insert(key, mode);
    }
    Ok(reply::ok())
}

/// Serves QUERY_ASSIGNMENT.
pub(crate) fn query_assignment(broker: &Broker, request: &Command) -> Command {
    match try_query_assignment(broker, request) {
        Ok(answer) | Err(answer) => answer,
    }
}

fn try_query_assignment(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let body = parse_body(request)?;
    let topic = text(&body, "topic")?;
    let group = text(&body, "consumerGroup")?;
    let client_id = text(&body, "clientId")?;
    let strategy = text(&body, "strategyName")?;
    let broadcasting = body.get("messageModel").and_then(Value::as_str) == Some("BROADCASTING");
    let mode = {
        let state = broker.metadata().state();
        let stored = state
            .request_modes
            .get(&(topic.to_owned(), group.to_owned()))
            .copied();
        // Java: without a stored mode, PULL (always so for a retry topic).
        stored.unwrap_or(RequestMode::DEFAULT)
    };
    let queues = if broadcasting {
        subscribe_info(broker, topic)
    } else {
        clustering(broker, topic, group, client_id, strategy, mode)
    };
    let answer = match queues {
        Some(queues) => {
            let assignments: Vec<Value> = queues
                .into_iter()
                .map(|mq| json!({ "messageQueue": mq, "mode": mode.name() }))
                .collect();
            json!({ "messageQueueAssignments": assignments })
        }
        // Java: a null set, which fastjson leaves out; the client keeps what it has.
        None => json!({}),
    };
    Ok(reply::ok().with_body(answer.to_string().into_bytes()))
}

/// Java `TopicRouteInfoManager#getTopicSubscribeInfo`: the readable queues of every broker in
/// the topic's route, `None` without a route.
fn subscribe_info(broker: &Broker, topic: &str) -> Option<BTreeSet<MessageQueue>> {
    let route: TopicRouteData = broker.namesrv_route(topic)?;
    let queues = route
        .queue_datas
        .iter()
        .filter(|q| perm::is_readable(q.perm))
        .flat_map(|q| (0..q.read_queue_nums).map(|id| MessageQueue::new(topic, &q.broker_name, id)))
        .collect();
    Some(queues)
}

/// Java `doLoadBalance` for CLUSTERING.
fn clustering(
    broker: &Broker,
    topic: &str,
    group: &str,
    client_id: &str,
    strategy: &str,
    mode: RequestMode,
) -> Option<BTreeSet<MessageQueue>> {
    let mq_all: Vec<MessageQueue> = subscribe_info(broker, topic)?.into_iter().collect();
    let mut cid_all = broker.metadata().state().client_ids(group)?;
    cid_all.sort();
    let allocate: fn(&str, &[MessageQueue], &[String]) -> Vec<MessageQueue> = match strategy {
        "AVG" => averagely,
        "AVG_BY_CIRCLE" => averagely_by_circle,
        _ => return None,
    };
    let result = if mode.pop {
        allocate_for_pop(
            allocate,
            client_id,
            &mq_all,
            &cid_all,
            mode.pop_share_queue_num,
        )
    } else {
        allocate(client_id, &mq_all, &cid_all)
    };
    Some(result.into_iter().collect())
}

/// Java `QueryAssignmentProcessor#allocate4Pop`.
fn allocate_for_pop(
    allocate: fn(&str, &[MessageQueue], &[String]) -> Vec<MessageQueue>,
    client_id: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
    share: i32,
) -> Vec<MessageQueue> {
    let share_all = usize::try_from(share).map_or(true, |s| s == 0 || s + 1 >= cid_all.len());
    if share_all {
        return mq_all
            .iter()
            .map(|mq| MessageQueue::new(&mq.topic, &mq.broker_name, -1))
            .collect();
    }
    if cid_all.len() > mq_all.len() {
        // More members than queues: one queue each, round the ring.
        return match cid_all.iter().position(|c| c == client_id) {
            Some(index) if !mq_all.is_empty() => vec![mq_all[index % mq_all.len()].clone()],
            _ => Vec::new(),
        };
    }
    let mut result = allocate(client_id, mq_all, cid_all);
    if let Some(mut index) = cid_all.iter().position(|c| c == client_id) {
        for _ in 0..share {
            index = (index + 1) % cid_all.len();
            result.extend(allocate(&cid_all[index], mq_all, cid_all));
        }
    }
    result
}

/// Java `AllocateMessageQueueAveragely`: contiguous blocks, the first members one longer.
fn averagely(client_id: &str, mq_all: &[MessageQueue], cid_all: &[String]) -> Vec<MessageQueue> {
    let Some(index) = cid_all.iter().position(|c| c == client_id) else {
        return Vec::new();
    };
    let (queues, members) = (mq_all.len(), cid_all.len());
    let modulo = queues % members;
    let size = if queues <= members {
        1
    } else if modulo > 0 && index < modulo {
        queues / members + 1
    } else {
        queues / members
    };
    let start = if modulo > 0 && index < modulo {
        index * size
    } else {
        index * size + modulo
    };
    let range = size.min(queues.saturating_sub(start));
    (0..range)
        .map(|i| mq_all[(start + i) % queues].clone())
        .collect()
}

/// Java `AllocateMessageQueueAveragelyByCircle`: every `members`-th queue.
fn averagely_by_circle(
    client_id: &str,
    mq_all: &[MessageQueue],
    cid_all: &[String],
) -> Vec<MessageQueue> {
    let Some(index) = cid_all.iter().position(|c| c == client_id) else {
        return Vec::new();
    };
    mq_all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % cid_all.len() == index)
        .map(|(_, mq)| mq.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("T", "b", i)).collect()
    }

    fn ids(queues: &[MessageQueue]) -> Vec<i32> {
        queues.iter().map(|q| q.queue_id).collect()
    }

    #[test]
    fn averagely_gives_the_first_members_one_more() {
        let cids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let all = queues(8);
        assert_eq!(ids(&averagely("a", &all, &cids)), [0, 1, 2]);
        assert_eq!(ids(&averagely("b", &all, &cids)), [3, 4, 5]);
        assert_eq!(ids(&averagely("c", &all, &cids)), [6, 7]);
        assert!(averagely("x", &all, &cids).is_empty());
    }

    #[test]
    fn by_circle_deals_queues_round_the_members() {
        let cids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(ids(&averagely_by_circle("b", &queues(8), &cids)), [1, 4, 7]);
    }

    #[test]
    fn pop_without_share_gets_whole_brokers() {
        let cids: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let got = allocate_for_pop(averagely, "a", &queues(4), &cids, 0);
        assert_eq!(ids(&got), [-1, -1, -1, -1]);
    }

    #[test]
    fn pop_share_adds_the_next_members_queues() {
        let cids: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let got = allocate_for_pop(averagely, "a", &queues(6), &cids, 1);
        assert_eq!(ids(&got), [0, 1, 2, 3]);
    }
}
