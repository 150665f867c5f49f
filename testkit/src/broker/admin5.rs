//! The admin requests 5.x brokers added (Java 5.3.3 `AdminBrokerProcessor`), besides ACL 2.0
//! (`auth`) and static topics (`static_topic`): batch topic and group creation, single topic
//! and group configs, a consumer's topics and subscription, group read bans, HA status,
//! cold-data flow control, the read-ahead mode, the RocksDB consume-queue check and the epoch
//! cache (refused outside controller mode, as Java does).
//!
//! What these requests keep besides topics and groups lives in [`Admin5State`], one per
//! broker; a slave reads its master's bans and mappings, as it reads its topics.

use std::collections::BTreeMap;

use rmq_protocol::body::{
    CheckRocksdbCqWriteResult, CreateTopicListRequestBody, EpochEntry, EpochEntryCache,
    GroupForbidden, HaClientRuntimeInfo, HaConnectionRuntimeInfo, HaRuntimeInfo, JsonBody,
    QuerySubscriptionResponseBody, SubscriptionGroupConfigV5, SubscriptionGroupList,
    TopicConfigAndQueueMapping, TopicConfigV5, TopicList, TopicQueueMappingDetail,
};
use rmq_protocol::header::{
    GetSubscriptionGroupConfigRequestHeader, GetTopicConfigRequestHeader,
    QuerySubscriptionByConsumerRequestHeader, QueryTopicsByConsumerRequestHeader,
    SetCommitLogReadModeRequestHeader, UpdateGroupForbiddenRequestHeader,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use super::topic_checks::check_new_topic;
use super::{auth, lock, now_ms, static_topic, Broker};
use crate::reply;

/// Most group read bans and cold-data thresholds a broker keeps.
const MAX_ENTRIES: usize = 100_000;
/// Java `PermName.INDEX_PERM_READ`: the bit of a read ban.
const INDEX_PERM_READ: u32 = 2;
/// Java `BrokerConfig.cgColdReadThreshold` and `globalColdReadThreshold` defaults.
const CG_COLD_READ_THRESHOLD: i64 = 3 * 1024 * 1024;
const GLOBAL_COLD_READ_THRESHOLD: i64 = 100 * 1024 * 1024;

/// A broker's 5.x admin state besides topics and groups.
#[derive(Debug, Default)]
pub(crate) struct Admin5State {
    /// ACL 2.0 users and ACLs.
    pub auth: auth::AuthStore,
    /// Static-topic mappings by topic (Java `TopicQueueMappingManager`).
    pub mappings: BTreeMap<String, TopicQueueMappingDetail>,
    /// Ban bits by `(group, topic)` (Java `SubscriptionGroupManager.forbiddenTable`).
    forbidden: BTreeMap<(String, String), u32>,
    /// Cold-read thresholds by group (Java `ColdDataCgCtrService.cgColdThresholdMapConfig`).
    cold_data: BTreeMap<String, i64>,
}

impl Broker {
    /// Runs `f` on this broker's 5.x admin state.
    pub(crate) fn with_admin5<R>(&self, f: impl FnOnce(&mut Admin5State) -> R) -> R {
        f(&mut lock(&self.admin5))
    }
}

/// Whether [`serve`] handles `code`.
pub(crate) fn serves(code: RequestCode) -> bool {
    auth::serves(code)
        || matches!(
            code,
            RequestCode::UPDATE_AND_CREATE_TOPIC_LIST
                | RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST
                | RequestCode::GET_TOPIC_CONFIG
                | RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG
                | RequestCode::QUERY_TOPICS_BY_CONSUMER
                | RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER
                | RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN
                | RequestCode::GET_BROKER_HA_STATUS
                | RequestCode::UPDATE_AND_CREATE_STATIC_TOPIC
                | RequestCode::UPDATE_COLD_DATA_FLOW_CTR_CONFIG
                | RequestCode::REMOVE_COLD_DATA_FLOW_CTR_CONFIG
                | RequestCode::GET_COLD_DATA_FLOW_CTR_INFO
                | RequestCode::SET_COMMITLOG_READ_MODE
                | RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS
                | RequestCode::GET_BROKER_EPOCH_CACHE
        )
}

/// Serves one of the codes [`serves`] accepts.
pub(crate) fn serve(broker: &Broker, request: &Command) -> Command {
    if auth::serves(request.request_code()) {
        return auth::serve(broker, request);
    }
    let result = match request.request_code() {
        RequestCode::UPDATE_AND_CREATE_TOPIC_LIST => create_topic_list(broker, request),
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST => create_group_list(broker, request),
        RequestCode::GET_TOPIC_CONFIG => topic_config(broker, request),
        RequestCode::GET_SUBSCRIPTIONGROUP_CONFIG => group_config(broker, request),
        RequestCode::QUERY_TOPICS_BY_CONSUMER => topics_by_consumer(broker, request),
        RequestCode::QUERY_SUBSCRIPTION_BY_CONSUMER => subscription_by_consumer(broker, request),
        RequestCode::UPDATE_AND_GET_GROUP_FORBIDDEN => group_forbidden(broker, request),
        RequestCode::GET_BROKER_HA_STATUS => Ok(ha_status(broker)),
        RequestCode::UPDATE_AND_CREATE_STATIC_TOPIC => static_topic::create(broker, request),
        RequestCode::UPDATE_COLD_DATA_FLOW_CTR_CONFIG => Ok(update_cold_data(broker, request)),
        RequestCode::REMOVE_COLD_DATA_FLOW_CTR_CONFIG => Ok(remove_cold_data(broker, request)),
        RequestCode::GET_COLD_DATA_FLOW_CTR_INFO => Ok(cold_data_info(broker)),
        RequestCode::SET_COMMITLOG_READ_MODE => read_ahead_mode(request),
        RequestCode::CHECK_ROCKSDB_CQ_WRITE_PROGRESS => Ok(rocksdb_check()),
        _ => epoch_cache(broker),
    };
    result.unwrap_or_else(|answer| answer)
}

fn bad_body(e: impl std::fmt::Display) -> Command {
    reply::error(ResponseCode::SYSTEM_ERROR, format!("bad body: {e}"))
}

/// UPDATE_AND_CREATE_TOPIC_LIST: every topic is checked first, then all are created (the
/// 5.x attributes are not kept).
fn create_topic_list(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let body = CreateTopicListRequestBody::from_json(&request.body).map_err(bad_body)?;
    for topic in &body.topic_config_list {
        check_new_topic(&topic.config.topic_name)?;
    }
    for topic in body.topic_config_list {
        if !broker.put_topic(topic.config) {
            return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many topics"));
        }
    }
    Ok(reply::ok())
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST: creates or replaces every group (fields 4.x does
/// not know are not kept).
fn create_group_list(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let body = SubscriptionGroupList::from_json(&request.body).map_err(bad_body)?;
    let mut state = broker.metadata().state();
    let new = body
        .group_config_list
        .iter()
        .filter(|g| !state.groups.contains_key(&g.config.group_name))
        .count();
    if state.groups.len() + new > super::state::MAX_ENTRIES {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many groups"));
    }
    for group in body.group_config_list {
        state
            .groups
            .insert(group.config.group_name.clone(), group.config);
    }
    state.data_version += 1;
    Ok(reply::ok())
}

/// GET_TOPIC_CONFIG: the config, with the static-topic mapping when `lo` is true;
/// TOPIC_NOT_EXIST for an unknown topic.
fn topic_config(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetTopicConfigRequestHeader>(request)?;
    let meta = broker.metadata();
    let Some(config) = meta.state().topics.get(&h.topic).cloned() else {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("No topic in this broker. topic: {}", h.topic),
        ));
    };
    let mapping_detail = match h.lo {
        Some(true) => meta.with_admin5(|s| s.mappings.get(&h.topic).cloned()),
        _ => None,
    };
    Ok(reply::json(&TopicConfigAndQueueMapping {
        config: TopicConfigV5::from(config),
        mapping_detail,
    }))
}

/// GET_SUBSCRIPTIONGROUP_CONFIG: the group's config; SUBSCRIPTION_GROUP_NOT_EXIST for an
/// unknown group (Java does not create it here).
fn group_config(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<GetSubscriptionGroupConfigRequestHeader>(request)?;
    let Some(config) = broker.metadata().state().groups.get(&h.group).cloned() else {
        return Err(reply::error(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            "No group in this broker",
        ));
    };
    Ok(reply::json(&SubscriptionGroupConfigV5 {
        config,
        extra: BTreeMap::new(),
    }))
}

/// QUERY_TOPICS_BY_CONSUMER: the topics the group has committed offsets for (Java
/// `ConsumerOffsetManager#whichTopicByConsumer`), with this broker's address.
fn topics_by_consumer(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<QueryTopicsByConsumerRequestHeader>(request)?;
    let topic_list = broker
        .metadata()
        .state()
        .offsets
        .keys()
        .filter(|(_, group)| *group == h.group)
        .map(|(topic, _)| topic.clone())
        .collect();
    Ok(reply::json(&TopicList {
        broker_addr: Some(broker.addr().to_string()),
        topic_list,
    }))
}

/// QUERY_SUBSCRIPTION_BY_CONSUMER: the live group's subscription to the topic, if any.
fn subscription_by_consumer(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<QuerySubscriptionByConsumerRequestHeader>(request)?;
    let subscription_data = h.topic.as_ref().and_then(|topic| {
        let state = broker.state();
        state
            .consumers
            .get(&h.group)
            .and_then(|g| g.subscriptions.get(topic).cloned())
    });
    Ok(reply::json(&QuerySubscriptionResponseBody {
        subscription_data,
        group: Some(h.group),
        topic: h.topic,
    }))
}

/// UPDATE_AND_GET_GROUP_FORBIDDEN: sets or clears the read ban when `readable` is given, then
/// answers whether the group may read the topic.
fn group_forbidden(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<UpdateGroupForbiddenRequestHeader>(request)?;
    let key = (h.group.clone(), h.topic.clone());
    let bit = 1 << INDEX_PERM_READ;
    let banned = broker.metadata().with_admin5(|s| {
        if let Some(readable) = h.readable {
            let old = s.forbidden.get(&key).copied().unwrap_or(0);
            let new = if readable { old & !bit } else { old | bit };
            if new == 0 {
                s.forbidden.remove(&key);
            } else if s.forbidden.len() < MAX_ENTRIES || s.forbidden.contains_key(&key) {
                s.forbidden.insert(key.clone(), new);
            }
        }
        s.forbidden.get(&key).is_some_and(|b| b & bit != 0)
    });
    let body = GroupForbidden {
        topic: Some(h.topic),
        group: Some(h.group),
        readable: Some(!banned),
    };
    Ok(reply::json(&body).with_remark(""))
}

/// GET_BROKER_HA_STATUS (Java `DefaultHAService#getRuntimeInfo`): a master lists its slaves
/// (they share its store here, so each is in sync at the master's max offset); a slave
/// describes its connection to the master.
fn ha_status(broker: &Broker) -> Command {
    let max = broker.store().commit_log_range().1;
    let now = now_ms();
    let config = broker.config();
    let info = if let Some(master) = &broker.master {
        HaRuntimeInfo {
            master: false,
            ha_client_runtime_info: HaClientRuntimeInfo {
                master_addr: Some(master.addr().to_string()),
                max_offset: max,
                last_read_timestamp: now,
                last_write_timestamp: now,
                master_flush_offset: max,
                activated: true,
                ..HaClientRuntimeInfo::default()
            },
            ..HaRuntimeInfo::default()
        }
    } else {
        let slaves: Vec<String> = broker
            .namesrv
            .routes()
            .cluster_info()
            .broker_addr_table
            .get(&config.name)
            .map(|b| {
                b.broker_addrs
                    .iter()
                    .filter(|(id, _)| **id != config.id)
                    .map(|(_, addr)| addr.clone())
                    .collect()
            })
            .unwrap_or_default();
        let ha_connection_info: Vec<HaConnectionRuntimeInfo> = slaves
            .into_iter()
            .map(|addr| HaConnectionRuntimeInfo {
                addr,
                slave_ack_offset: max,
                diff: 0,
                in_sync: true,
                transferred_byte_in_second: 0,
                transfer_from_where: max,
            })
            .collect();
        HaRuntimeInfo {
            master: true,
            master_commit_log_max_offset: max,
            in_sync_slave_nums: i32::try_from(ha_connection_info.len()).unwrap_or(i32::MAX),
            ha_connection_info,
            ..HaRuntimeInfo::default()
        }
    };
    reply::json(&info)
}

/// UPDATE_COLD_DATA_FLOW_CTR_CONFIG: `group=threshold` properties; entries whose threshold is
/// not a number are skipped, as Java logs and skips them.
fn update_cold_data(broker: &Broker, request: &Command) -> Command {
    let text = String::from_utf8_lossy(&request.body);
    let entries = reply::parse_properties(&text);
    broker.with_admin5(|s| {
        for (group, threshold) in entries {
            let Ok(threshold) = threshold.trim().parse::<i64>() else {
                continue;
            };
            if s.cold_data.len() < MAX_ENTRIES || s.cold_data.contains_key(&group) {
                s.cold_data.insert(group, threshold);
            }
        }
    });
    reply::ok()
}

/// REMOVE_COLD_DATA_FLOW_CTR_CONFIG: the body is the group name.
fn remove_cold_data(broker: &Broker, request: &Command) -> Command {
    let group = String::from_utf8_lossy(&request.body).into_owned();
    broker.with_admin5(|s| s.cold_data.remove(&group));
    reply::ok()
}

/// GET_COLD_DATA_FLOW_CTR_INFO: Java `ColdDataCgCtrService#getColdDataFlowCtrInfo` (nothing
/// is ever read cold here, so the runtime table and accumulator are empty).
fn cold_data_info(broker: &Broker) -> Command {
    let config_table = broker.with_admin5(|s| s.cold_data.clone());
    let info = serde_json::json!({
        "runtimeTable": {},
        "configTable": config_table,
        "cgColdReadThreshold": CG_COLD_READ_THRESHOLD,
        "globalColdReadThreshold": GLOBAL_COLD_READ_THRESHOLD,
        "globalAcc": 0,
    });
    reply::ok().with_body(info.to_string().into_bytes())
}

/// SET_COMMITLOG_READ_MODE: `0` (MADV_NORMAL) or `1` (MADV_RANDOM); there is no page cache to
/// advise here, so only the value is checked.
fn read_ahead_mode(request: &Command) -> Result<Command, Command> {
    let h = reply::header::<SetCommitLogReadModeRequestHeader>(request)?;
    match h.read_ahead_mode.trim().parse::<i32>() {
        Ok(mode @ (0 | 1)) => Ok(reply::ok().with_remark(format!(
            "set commitlog readahead mode success, mode: {mode}"
        ))),
        Ok(_) => Err(reply::error(
            ResponseCode::INVALID_PARAMETER,
            "set commitlog readahead mode param value error",
        )),
        Err(_) => Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            "set commitlog readahead mode failed",
        )),
    }
}

/// GET_BROKER_EPOCH_CACHE (Java `getBrokerEpochCache`): refused outside controller mode (the
/// remark's space is Java's); in it, one epoch (the controller's master epoch 1) from offset 0.
fn epoch_cache(broker: &Broker) -> Result<Command, Command> {
    if !broker.namesrv.controller_mode() {
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            "this request only for controllerMode ",
        ));
    }
    let config = broker.config();
    Ok(reply::json(&EpochEntryCache {
        cluster_name: Some(config.cluster.clone()),
        broker_name: Some(config.name.clone()),
        broker_id: config.id,
        epoch_list: vec![EpochEntry {
            epoch: 1,
            ..EpochEntry::default()
        }],
        max_offset: broker.store().commit_log_range().1,
    }))
}

/// CHECK_ROCKSDB_CQ_WRITE_PROGRESS: Java starts the check in the background and answers at
/// once that it is in progress.
fn rocksdb_check() -> Command {
    reply::json(&CheckRocksdbCqWriteResult {
        check_result: None,
        check_status: 2,
    })
}
