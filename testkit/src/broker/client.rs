//! Client registry (Java `ClientManageProcessor`, `ConsumerManager`, `ProducerManager`):
//! HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP (38),
//! CHECK_CLIENT_CONFIG (46), closed connections, and NOTIFY_CONSUMER_IDS_CHANGED (40) to every
//! member when a group's membership or subscribed topics change.

use std::collections::BTreeMap;

use rmq_protocol::body::{ConsumerData, ConsumerListBody, HeartbeatData, JsonBody};
use rmq_protocol::header::{
    GetConsumerListByGroupRequestHeader, NotifyConsumerIdsChangedRequestHeader,
    UnregisterClientRequestHeader,
};
use rmq_protocol::{naming, perm, Command, RequestCode, ResponseCode};

use super::state::{Channel, ConsumerGroup, MAX_CLIENTS_PER_GROUP, MAX_ENTRIES, MAX_PER_KEY};
use super::{topic_config, Broker};
use crate::filter::MessageFilter;
use crate::reply;
use crate::server::ClientConn;

/// Java `MixAll.IS_SUPPORT_HEART_BEAT_V2`: answered `true` to every heartbeat (5.x).
const IS_SUPPORT_HEART_BEAT_V2: &str = "IS_SUPPORT_HEART_BEAT_V2";
/// Java `MixAll.IS_SUB_CHANGE`: whether a V2 heartbeat's fingerprint differs from the group's
/// last one (always `true` for a V1 heartbeat), telling the client to send its subscriptions.
const IS_SUB_CHANGE: &str = "IS_SUB_CHANGE";

/// HEART_BEAT: registers the connection in every producer and consumer group it names.
///
/// 5.x heartbeat V2 (Java `ClientManageProcessor#heartBeatV2`): a non-zero
/// `heartbeatFingerprint` is remembered per group and compared with the last one; with
/// `withoutSub` the group's subscriptions are left as they are. Every answer carries
/// `IS_SUPPORT_HEART_BEAT_V2=true` and `IS_SUB_CHANGE`, as 5.3.3 answers.
pub(crate) fn heartbeat(broker: &Broker, request: &Command, conn: &ClientConn) -> Command {
    let data = match HeartbeatData::from_json(&request.body) {
        Ok(data) => data,
        Err(e) => return reply::error(ResponseCode::SYSTEM_ERROR, format!("bad heartbeat: {e}")),
    };
    let channel = Channel {
        conn: conn.clone(),
        client_id: data.client_id.clone(),
        language: request.language,
        version: request.version,
    };
    let fingerprint = data.heartbeat_fingerprint.unwrap_or(0);
    let v2 = fingerprint != 0;
    let keep_subscriptions = v2 && data.without_sub == Some(true);
    let mut sub_change = !v2;
    for consumer in &data.consumer_data_set {
        let previous = remember_fingerprint(broker, &consumer.group_name, fingerprint);
        if v2 && previous.is_some_and(|p| p != fingerprint) {
            sub_change = true;
        }
        register_consumer(broker, consumer, &channel, keep_subscriptions);
    }
    let mut state = broker.state();
    for producer in &data.producer_data_set {
        let at_capacity = state.producers.len() >= MAX_ENTRIES;
        if at_capacity && !state.producers.contains_key(&producer.group_name) {
            continue;
        }
        let members = state
            .producers
            .entry(producer.group_name.clone())
            .or_default();
        if members.len() < MAX_CLIENTS_PER_GROUP || members.contains_key(&conn.id()) {
            members.insert(conn.id(), channel.clone());
        }
    }
    reply::ok()
        .with_ext(IS_SUPPORT_HEART_BEAT_V2, "true")
        .with_ext(IS_SUB_CHANGE, sub_change.to_string())
}

/// Stores `group`'s heartbeat fingerprint; the one stored before, if any.
fn remember_fingerprint(broker: &Broker, group: &str, fingerprint: i32) -> Option<i32> {
    let mut state = broker.state();
    let table = &mut state.heartbeat_fingerprints;
    if table.len() >= MAX_ENTRIES && !table.contains_key(group) {
        return None;
    }
    table.insert(group.to_owned(), fingerprint)
}

/// Java `ConsumerManager#registerConsumer` (or `registerConsumerWithoutSub` when
/// `keep_subscriptions`).
fn register_consumer(
    broker: &Broker,
    data: &ConsumerData,
    channel: &Channel,
    keep_subscriptions: bool,
) {
    let (changed, notify, retry_queues) = {
        let mut state = broker.state();
        let Some(config) = state.group_config(&data.group_name) else {
            return;
        };
        if state.consumers.len() >= MAX_ENTRIES && !state.consumers.contains_key(&data.group_name) {
            return;
        }
        let group = state
            .consumers
            .entry(data.group_name.clone())
            .or_insert_with(|| ConsumerGroup {
                channels: BTreeMap::new(),
                subscriptions: BTreeMap::new(),
                consume_type: data.consume_type,
                message_model: data.message_model,
                consume_from_where: data.consume_from_where,
            });
        group.consume_type = data.consume_type;
        group.message_model = data.message_model;
        group.consume_from_where = data.consume_from_where;
        let id = channel.conn.id();
        let joined = !group.channels.contains_key(&id);
        if joined && group.channels.len() >= MAX_CLIENTS_PER_GROUP {
            return;
        }
        group.channels.insert(id, channel.clone());
        let topics_changed = !keep_subscriptions && update_subscriptions(group, data);
        (
            joined || topics_changed,
            config.notify_consumer_ids_changed_enable,
            config.retry_queue_nums,
        )
    };
    // Java creates the group's retry topic on every heartbeat (createTopicInSendMessageBackMethod).
    let retry = format!("{}{}", naming::RETRY_GROUP_TOPIC_PREFIX, data.group_name);
    if !broker.state().topics.contains_key(&retry) {
        broker.put_topic(topic_config(&retry, retry_queues.max(1), perm::READ_WRITE));
    }
    if changed && notify {
        notify_members(broker, &data.group_name);
    }
}

/// Java `ConsumerGroupInfo#updateSubscription`: adds new topics, replaces newer versions,
/// drops topics no longer named; `true` when a topic was added or dropped.
fn update_subscriptions(group: &mut ConsumerGroup, data: &ConsumerData) -> bool {
    let mut changed = false;
    for sub in &data.subscription_data_set {
        match group.subscriptions.get(&sub.topic) {
            None if group.subscriptions.len() < MAX_PER_KEY => {
                group.subscriptions.insert(sub.topic.clone(), sub.clone());
                changed = true;
            }
            None => {}
            Some(old) if sub.sub_version > old.sub_version => {
                group.subscriptions.insert(sub.topic.clone(), sub.clone());
            }
            Some(_) => {}
        }
    }
    let before = group.subscriptions.len();
    group
        .subscriptions
        .retain(|topic, _| data.subscription_data_set.iter().any(|s| &s.topic == topic));
    changed || group.subscriptions.len() != before
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every member of `group`.
pub(crate) fn notify_members(broker: &Broker, group: &str) {
    let members = broker.state().members(group);
    let header = NotifyConsumerIdsChangedRequestHeader {
        consumer_group: group.to_owned(),
    };
    for conn in members {
        conn.oneway(
            Command::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED).with_header(&header),
        );
    }
}

/// Removes `conn` from consumer `group`; notifies the remaining members when it was there.
fn leave_group(broker: &Broker, group: &str, conn: &ClientConn) {
    let notify = {
        let mut state = broker.state();
        let notify = state
            .groups
            .get(group)
            .is_none_or(|c| c.notify_consumer_ids_changed_enable);
        let Some(info) = state.consumers.get_mut(group) else {
            return;
        };
        if info.channels.remove(&conn.id()).is_none() {
            return;
        }
        if info.channels.is_empty() {
            state.consumers.remove(group);
        }
        notify
    };
    if notify {
        notify_members(broker, group);
    }
}

/// UNREGISTER_CLIENT: leaves the named producer and consumer groups.
pub(crate) fn unregister(broker: &Broker, request: &Command, conn: &ClientConn) -> Command {
    let h = match reply::header::<UnregisterClientRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    if let Some(group) = h.producer_group.as_deref() {
        let mut state = broker.state();
        if let Some(members) = state.producers.get_mut(group) {
            members.remove(&conn.id());
            if members.is_empty() {
                state.producers.remove(group);
            }
        }
    }
    if let Some(group) = h.consumer_group.as_deref() {
        leave_group(broker, group, conn);
    }
    reply::ok()
}

/// A closed connection leaves every group (Java `doChannelCloseEvent`).
pub(crate) fn connection_closed(broker: &Broker, conn: &ClientConn) {
    let groups: Vec<String> = {
        let mut state = broker.state();
        state.producers.retain(|_, members| {
            members.remove(&conn.id());
            !members.is_empty()
        });
        state
            .consumers
            .iter()
            .filter(|(_, g)| g.channels.contains_key(&conn.id()))
            .map(|(name, _)| name.clone())
            .collect()
    };
    for group in groups {
        leave_group(broker, &group, conn);
    }
}

/// GET_CONSUMER_LIST_BY_GROUP: the client ids of the group's members.
pub(crate) fn consumer_list(broker: &Broker, request: &Command) -> Command {
    let h = match reply::header::<GetConsumerListByGroupRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    let ids: Vec<String> = broker
        .state()
        .consumers
        .get(&h.consumer_group)
        .map(|g| g.channels.values().map(|c| c.client_id.clone()).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("no consumer for this group, {}", h.consumer_group),
        );
    }
    reply::json(&ConsumerListBody {
        consumer_id_list: ids,
    })
}

/// CHECK_CLIENT_CONFIG: whether the subscription's expression parses.
pub(crate) fn check_client_config(request: &Command) -> Command {
    let body: serde_json::Value = match serde_json::from_slice(&request.body) {
        Ok(v) => v,
        Err(e) => return reply::error(ResponseCode::SYSTEM_ERROR, format!("bad body: {e}")),
    };
    let sub = &body["subscriptionData"];
    let kind = sub["expressionType"].as_str();
    let expression = sub["subString"].as_str().unwrap_or_default();
    match MessageFilter::parse(kind, expression) {
        Ok(_) => reply::ok(),
        Err(e) => reply::error(ResponseCode::SUBSCRIPTION_PARSE_FAILED, e),
    }
}
