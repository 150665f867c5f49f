//! Name-server bodies: [`TopicRouteData`] (GET_ROUTEINFO_BY_TOPIC), [`ClusterInfo`]
//! (GET_BROKER_CLUSTER_INFO), [`TopicList`] and [`KvTable`].
//!
//! Fields are declared in fastjson's alphabetical order so `to_json` matches Java's key order.
//! Picking queues or master addresses from a route is client-core's job, not this module's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Broker id of a master (Java `MixAll.MASTER_ID`).
pub const MASTER_ID: i64 = 0;

/// A topic's route: which brokers serve it and how many queues each has.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TopicRouteData {
    /// The brokers (with addresses) holding the topic.
    #[serde(rename = "brokerDatas", default)]
    pub broker_datas: Vec<BrokerData>,
    /// Filter servers per broker address (legacy).
    #[serde(rename = "filterServerTable", default)]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// `"brokerName:queueNum;..."`, only when the name server has ordered topics configured.
    #[serde(
        rename = "orderTopicConf",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub order_topic_conf: Option<String>,
    /// Queue counts and permissions per broker.
    #[serde(rename = "queueDatas", default)]
    pub queue_datas: Vec<QueueData>,
    /// 5.x static topics: logical queue mapping per broker (kept as raw JSON).
    #[serde(
        rename = "topicQueueMappingByBroker",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub topic_queue_mapping_by_broker: Option<serde_json::Value>,
}

/// One broker group (a master and its slaves) as the name server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BrokerData {
    /// Broker id to `"ip:port"`; id 0 is the master.
    #[serde(rename = "brokerAddrs", default)]
    pub broker_addrs: BTreeMap<i64, String>,
    /// Broker name.
    #[serde(rename = "brokerName", default)]
    pub broker_name: String,
    /// Cluster name.
    #[serde(default)]
    pub cluster: String,
    /// 5.x: whether a slave may act as master.
    #[serde(
        rename = "enableActingMaster",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_acting_master: Option<bool>,
    /// 5.x: zone name.
    #[serde(rename = "zoneName", default, skip_serializing_if = "Option::is_none")]
    pub zone_name: Option<String>,
}

impl BrokerData {
    /// The master's address, if the group has one.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }
}

/// Queue counts and permissions of a topic on one broker.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueData {
    /// Broker name.
    #[serde(rename = "brokerName", default)]
    pub broker_name: String,
    /// PermName bits.
    #[serde(default)]
    pub perm: i32,
    /// Readable queue count.
    #[serde(rename = "readQueueNums", default)]
    pub read_queue_nums: i32,
    /// Topic sys flag (bit 0 unit, bit 1 unit-sub).
    #[serde(rename = "topicSysFlag", default)]
    pub topic_sys_flag: i32,
    /// Writable queue count.
    #[serde(rename = "writeQueueNums", default)]
    pub write_queue_nums: i32,
}

/// GET_BROKER_CLUSTER_INFO body: every broker group and which cluster holds which.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClusterInfo {
    /// Broker name to broker group.
    #[serde(rename = "brokerAddrTable", default)]
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// Cluster name to broker names.
    #[serde(rename = "clusterAddrTable", default)]
    pub cluster_addr_table: BTreeMap<String, Vec<String>>,
}

/// A list of topic names (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TopicList {
    /// The broker that answered, when set.
    #[serde(
        rename = "brokerAddr",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub broker_addr: Option<String>,
    /// Topic names.
    #[serde(rename = "topicList", default)]
    pub topic_list: Vec<String>,
}

/// A string-to-string table (GET_KVLIST_BY_NAMESPACE, GET_BROKER_RUNTIME_INFO).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KvTable {
    /// The entries.
    #[serde(default)]
    pub table: BTreeMap<String, String>,
}
