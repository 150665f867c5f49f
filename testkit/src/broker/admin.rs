//! The admin requests `rmq-admin` sends to a broker (Java `AdminBrokerProcessor`): topic and
//! subscription-group configs, broker config and runtime info, topic and consume stats,
//! connection lists, offset cloning, stats. Requests relayed to a client are in `relay`.

use std::collections::{BTreeMap, BTreeSet};

use rmq_protocol::body::{
    BrokerStatsData, BrokerStatsItem, Connection, ConsumeStats, ConsumerConnection, GroupList,
    KvTable, OffsetWrapper, ProducerConnection, QueryConsumeTimeSpanBody, QueueTimeSpan,
    SubscriptionGroupConfig, TopicConfig, TopicOffset, TopicStatsTable,
};
use rmq_protocol::header::{
    CloneGroupOffsetRequestHeader, CreateTopicRequestHeader, DeleteSubscriptionGroupRequestHeader,
    DeleteTopicRequestHeader, GetBrokerConfigResponseHeader, GetConsumeStatsRequestHeader,
    GetConsumerConnectionListRequestHeader, GetProducerConnectionListRequestHeader,
    GetTopicStatsInfoRequestHeader, QueryConsumeTimeSpanRequestHeader,
    QueryTopicConsumeByWhoRequestHeader, ViewBrokerStatsDataRequestHeader,
};
use rmq_protocol::{naming, Command, MessageQueue, RequestCode, ResponseCode};

use super::state::{Channel, GROUP_GET_NUMS, TOPIC_PUT_NUMS};
use super::{now_ms, Broker};
use crate::reply;

/// Whether [`serve`] handles `code`.
pub(crate) fn serves(code: RequestCode) -> bool {
    matches!(
        code,
        RequestCode::UPDATE_AND_CREATE_TOPIC
            | RequestCode::DELETE_TOPIC_IN_BROKER
            | RequestCode::GET_ALL_TOPIC_CONFIG
            | RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
            | RequestCode::DELETE_SUBSCRIPTIONGROUP
            | RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG
            | RequestCode::GET_BROKER_RUNTIME_INFO
            | RequestCode::GET_BROKER_CONFIG
            | RequestCode::UPDATE_BROKER_CONFIG
            | RequestCode::GET_TOPIC_STATS_INFO
            | RequestCode::GET_CONSUME_STATS
            | RequestCode::GET_CONSUMER_CONNECTION_LIST
            | RequestCode::GET_PRODUCER_CONNECTION_LIST
            | RequestCode::QUERY_TOPIC_CONSUME_BY_WHO
            | RequestCode::CLONE_GROUP_OFFSET
            | RequestCode::CLEAN_UNUSED_TOPIC
            | RequestCode::CLEAN_EXPIRED_CONSUMEQUEUE
            | RequestCode::VIEW_BROKER_STATS_DATA
            | RequestCode::QUERY_CONSUME_TIME_SPAN
    )
}

/// Serves one of the codes [`serves`] accepts.
pub(crate) fn serve(broker: &Broker, request: &Command) -> Command {
    let result = match request.request_code() {
        RequestCode::UPDATE_AND_CREATE_TOPIC => create_topic(broker, request),
        RequestCode::DELETE_TOPIC_IN_BROKER => reply::header::<DeleteTopicRequestHeader>(request)
            .map(|h| {
                broker.delete_topic(&h.topic);
                reply::ok()
            }),
        RequestCode::GET_ALL_TOPIC_CONFIG => Ok(all_topics(broker)),
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => create_group(broker, request),
        RequestCode::DELETE_SUBSCRIPTIONGROUP => delete_group(broker, request),
        RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => Ok(all_groups(broker)),
        RequestCode::GET_BROKER_RUNTIME_INFO => Ok(runtime_info(broker)),
        RequestCode::GET_BROKER_CONFIG => Ok(broker_config(broker)),
        RequestCode::UPDATE_BROKER_CONFIG => {
            let text = String::from_utf8_lossy(&request.body);
            broker.update_config(reply::parse_properties(&text));
            Ok(reply::ok())
        }
        RequestCode::GET_TOPIC_STATS_INFO => topic_stats(broker, request),
        RequestCode::GET_CONSUME_STATS => consume_stats(broker, request),
        RequestCode::GET_CONSUMER_CONNECTION_LIST => consumer_connections(broker, request),
        RequestCode::GET_PRODUCER_CONNECTION_LIST => producer_connections(broker, request),
        RequestCode::QUERY_TOPIC_CONSUME_BY_WHO => consumed_by(broker, request),
        RequestCode::CLONE_GROUP_OFFSET => clone_offsets(broker, request),
        RequestCode::VIEW_BROKER_STATS_DATA => stats_data(broker, request),
        RequestCode::QUERY_CONSUME_TIME_SPAN => consume_time_span(broker, request),
        // Java answers both with SUCCESS; there are no files to clean here.
        _ => Ok(reply::ok()),
    };
    result.unwrap_or_else(|answer| answer)
}

fn json_value(value: &serde_json::Value) -> Command {
    match serde_json::to_vec(value) {
        Ok(body) => reply::ok().with_body(body),
        Err(e) => reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()),
    }
}

fn data_version(broker: &Broker) -> serde_json::Value {
    let counter = broker.state().data_version;
    serde_json::json!({ "counter": counter, "timestamp": broker.started_ms() })
}

fn create_topic(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<CreateTopicRequestHeader>(request)?;
    if let Err(e) = rmq_protocol::validate::broker_check_topic(&h.topic) {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()));
    }
    if h.topic == naming::AUTO_CREATE_TOPIC_KEY_TOPIC {
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("The topic[{}] is conflict with system topic.", h.topic),
        ));
    }
    let config = TopicConfig {
        topic_name: h.topic,
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: h.topic_filter_type,
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order,
    };
    if !broker.put_topic(config) {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many topics"));
    }
    Ok(reply::ok())
}

fn all_topics(broker: &Broker) -> Command {
    let table = broker.state().topics.clone();
    json_value(&serde_json::json!({
        "dataVersion": data_version(broker),
        "topicConfigTable": table,
    }))
}

fn create_group(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let config = serde_json::from_slice::<SubscriptionGroupConfig>(&request.body)
        .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, format!("bad body: {e}")))?;
    let mut state = broker.state();
    if state.groups.len() >= super::state::MAX_ENTRIES
        && !state.groups.contains_key(&config.group_name)
    {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many groups"));
    }
    state.data_version += 1;
    state.groups.insert(config.group_name.clone(), config);
    Ok(reply::ok())
}

fn delete_group(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<DeleteSubscriptionGroupRequestHeader>(request)?;
    let mut state = broker.state();
    state.groups.remove(&h.group_name);
    state.data_version += 1;
    if h.remove_offset {
        state.offsets.retain(|(_, group), _| *group != h.group_name);
    }
    Ok(reply::ok())
}

fn all_groups(broker: &Broker) -> Command {
    let table = broker.state().groups.clone();
    json_value(&serde_json::json!({
        "dataVersion": data_version(broker),
        "subscriptionGroupTable": table,
    }))
}

fn runtime_info(broker: &Broker) -> Command {
    let (min, max) = {
        let store = broker.store();
        store.commit_log_range()
    };
    let now = now_ms();
    let table: BTreeMap<String, String> = [
        ("brokerVersion", crate::SERVER_VERSION.0.to_string()),
        (
            "brokerVersionDesc",
            crate::SERVER_VERSION.name().unwrap_or_default(),
        ),
        ("bootTimestamp", broker.started_ms().to_string()),
        (
            "runtime",
            format!("[ {} seconds ]", (now - broker.started_ms()) / 1000),
        ),
        ("commitLogMinOffset", min.to_string()),
        ("commitLogMaxOffset", max.to_string()),
        ("commitLogDiskRatio", "0.0".to_owned()),
        ("putTps", "0.0 0.0 0.0".to_owned()),
        ("getTransferedTps", "0.0 0.0 0.0".to_owned()),
        ("msgPutTotalTodayNow", "0".to_owned()),
        ("msgGetTotalTodayNow", "0".to_owned()),
        ("sendThreadPoolQueueSize", "0".to_owned()),
        ("pullThreadPoolQueueSize", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    reply::json(&KvTable { table })
}

fn broker_config(broker: &Broker) -> Command {
    let text = reply::format_properties(&broker.config_entries());
    let version = data_version(broker).to_string();
    reply::with_header(&GetBrokerConfigResponseHeader { version }).with_body(text.into_bytes())
}

fn topic_stats(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetTopicStatsInfoRequestHeader>(request)?;
    let Some(config) = broker.state().topics.get(&h.topic).cloned() else {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let store = broker.store();
    let mut table = TopicStatsTable::default();
    for queue_id in 0..config.write_queue_nums {
        let max = store.max_offset(&h.topic, queue_id);
        let mq = MessageQueue::new(&h.topic, &broker.config().name, queue_id);
        let offset = TopicOffset {
            min_offset: store.min_offset(&h.topic, queue_id),
            max_offset: max,
            last_update_timestamp: store.store_time(&h.topic, queue_id, max - 1).unwrap_or(0),
        };
        table.offset_table.insert(mq, offset);
    }
    Ok(reply::json(&table))
}

fn consume_stats(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetConsumeStatsRequestHeader>(request)?;
    let group = h.consumer_group;
    let (topics, offsets, configs) = {
        let state = broker.state();
        let topics: BTreeSet<String> = match h.topic.filter(|t| !t.is_empty()) {
            Some(topic) => [topic].into(),
            None => state
                .offsets
                .keys()
                .filter(|(_, g)| *g == group)
                .map(|(t, _)| t.clone())
                .collect(),
        };
        // Java skips topics a live group with subscriptions does not subscribe to.
        let subscribed: Option<BTreeSet<String>> = state
            .consumers
            .get(&group)
            .filter(|g| !g.subscriptions.is_empty())
            .map(|g| g.subscriptions.keys().cloned().collect());
        let topics = topics
            .into_iter()
            .filter(|t| subscribed.as_ref().is_none_or(|s| s.contains(t)))
            .collect::<Vec<_>>();
        (topics, state.offsets.clone(), state.topics.clone())
    };
    let store = broker.store();
    let mut stats = ConsumeStats::default();
    for topic in topics {
        let Some(config) = configs.get(&topic) else {
            continue;
        };
        let committed = offsets.get(&(topic.clone(), group.clone()));
        for queue_id in 0..config.read_queue_nums {
            let consumer_offset = committed
                .and_then(|q| q.get(&queue_id))
                .copied()
                .unwrap_or(0)
                .max(0);
            let last = store.store_time(&topic, queue_id, consumer_offset - 1);
            let wrapper = OffsetWrapper {
                broker_offset: store.max_offset(&topic, queue_id),
                consumer_offset,
                last_timestamp: last.unwrap_or(0),
                pull_offset: None,
            };
            let mq = MessageQueue::new(&topic, &broker.config().name, queue_id);
            stats.offset_table.insert(mq, wrapper);
        }
    }
    Ok(reply::json(&stats))
}

fn connection(channel: &Channel) -> Connection {
    Connection {
        client_addr: channel.conn.peer().to_string(),
        client_id: channel.client_id.clone(),
        language: channel
            .language
            .name()
            .map_or_else(|| format!("{:?}", channel.language), str::to_owned),
        version: channel.version,
    }
}

fn consumer_connections(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetConsumerConnectionListRequestHeader>(request)?;
    let state = broker.state();
    let Some(group) = state.consumers.get(&h.consumer_group) else {
        return Err(reply::error(
            ResponseCode::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        ));
    };
    let body = ConsumerConnection {
        connection_set: group.channels.values().map(connection).collect(),
        consume_from_where: Some(group.consume_from_where),
        consume_type: Some(group.consume_type),
        message_model: Some(group.message_model),
        subscription_table: group.subscriptions.clone(),
    };
    Ok(reply::json(&body))
}

fn producer_connections(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetProducerConnectionListRequestHeader>(request)?;
    let state = broker.state();
    match state.producers.get(&h.producer_group) {
        Some(members) => Ok(reply::json(&ProducerConnection {
            connection_set: members.values().map(connection).collect(),
        })),
        None => Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("the producer group[{}] not exist", h.producer_group),
        )),
    }
}

fn consumed_by(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<QueryTopicConsumeByWhoRequestHeader>(request)?;
    let state = broker.state();
    let mut groups: BTreeSet<String> = state
        .consumers
        .iter()
        .filter(|(_, g)| g.subscriptions.contains_key(&h.topic))
        .map(|(name, _)| name.clone())
        .collect();
    groups.extend(
        state
            .offsets
            .keys()
            .filter(|(t, _)| *t == h.topic)
            .map(|(_, g)| g.clone()),
    );
    Ok(reply::json(&GroupList {
        group_list: groups.into_iter().collect(),
    }))
}

fn clone_offsets(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<CloneGroupOffsetRequestHeader>(request)?;
    let mut state = broker.state();
    let copies: Vec<(String, BTreeMap<i32, i64>)> = state
        .offsets
        .iter()
        .filter(|((t, g), _)| *g == h.src_group && h.topic.as_ref().is_none_or(|x| x == t))
        .map(|((t, _), q)| (t.clone(), q.clone()))
        .collect();
    for (topic, queues) in copies {
        for (queue_id, offset) in queues {
            state.commit(&h.dest_group, &topic, queue_id, offset);
        }
    }
    Ok(reply::ok())
}

/// VIEW_BROKER_STATS_DATA: a message counter; every window reports the count since start.
fn stats_data(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<ViewBrokerStatsDataRequestHeader>(request)?;
    let name = [TOPIC_PUT_NUMS, GROUP_GET_NUMS]
        .into_iter()
        .find(|n| *n == h.stats_name);
    let sum = name.and_then(|name| {
        let state = broker.metadata().state();
        state.stats.get(&(name, h.stats_key.clone())).copied()
    });
    let Some(sum) = sum else {
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("The stats <{}> <{}> not exist", h.stats_name, h.stats_key),
        ));
    };
    let item = BrokerStatsItem {
        sum,
        ..BrokerStatsItem::default()
    };
    Ok(reply::json(&BrokerStatsData {
        stats_day: item.clone(),
        stats_hour: item.clone(),
        stats_minute: item,
    }))
}

/// QUERY_CONSUME_TIME_SPAN: per queue, the store times of the oldest, newest and last consumed
/// message, and how far behind the group is (Java `queryConsumeTimeSpan`).
fn consume_time_span(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<QueryConsumeTimeSpanRequestHeader>(request)?;
    let (config, offsets) = {
        let state = broker.metadata().state();
        let offsets = state
            .offsets
            .get(&(h.topic.clone(), h.group.clone()))
            .cloned();
        (
            state.topics.get(&h.topic).cloned(),
            offsets.unwrap_or_default(),
        )
    };
    let Some(config) = config else {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let store = broker.store();
    let now = now_ms();
    let mut body = QueryConsumeTimeSpanBody::default();
    for queue_id in 0..config.write_queue_nums {
        let min = store.min_offset(&h.topic, queue_id);
        let max = store.max_offset(&h.topic, queue_id);
        let time = |offset: i64| store.store_time(&h.topic, queue_id, offset).unwrap_or(0);
        let (min_time, max_time) = (time(min), time(max - 1));
        let consumed = offsets.get(&queue_id).copied().unwrap_or(-1);
        let consume_time = if consumed > 0 {
            time(consumed - 1)
        } else {
            min_time
        };
        let delay = if consumed < max && consumed >= 0 {
            now - time(consumed)
        } else {
            0
        };
        body.consume_time_span_set.push(QueueTimeSpan {
            message_queue: MessageQueue::new(&h.topic, &broker.config().name, queue_id),
            min_time_stamp: min_time,
            max_time_stamp: max_time,
            consume_time_stamp: consume_time,
            delay_time: delay,
        });
    }
    Ok(reply::json(&body))
}
