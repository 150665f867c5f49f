//! Static topics (Java 5.3.3 `statictopic` package): the logic-queue mapping a broker hosts
//! (`TopicQueueMappingDetail`, `LogicQueueMappingItem`) and the topic config that carries it
//! (`TopicConfigAndQueueMapping`, GET_TOPIC_CONFIG's answer).
//!
//! A static topic has a fixed number of logic queues (global ids); each is hosted by one
//! broker's physical queue, and a remapping appends an item, so the last item of a global id
//! names the broker that serves it now. Planning a mapping is the admin crate's job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::admin5::TopicConfigV5;

/// Java `MixAll.METADATA_SCOPE_GLOBAL`, the default scope of a mapping.
pub const METADATA_SCOPE_GLOBAL: &str = "__global__";

/// The logic queues one broker hosts (Java `TopicQueueMappingDetail`, with the fields of its
/// parent `TopicQueueMappingInfo`): UPDATE_AND_CREATE_STATIC_TOPIC's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicQueueMappingDetail {
    /// Topic.
    pub topic: String,
    /// Scope, [`METADATA_SCOPE_GLOBAL`] unless set.
    pub scope: String,
    /// Logic queue count of the whole topic.
    pub total_queues: i32,
    /// The hosting broker's name.
    pub bname: String,
    /// Mapping epoch (milliseconds); a newer epoch fences older data.
    pub epoch: i64,
    /// Whether the mapping is being changed.
    pub dirty: bool,
    /// Logic id to physical id, as the broker registers it (fastjson writes the keys bare).
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub curr_id_map: BTreeMap<i32, i32>,
    /// Global id to its mapping items, oldest first.
    #[serde(deserialize_with = "super::admin5::null_as_default")]
    pub hosted_queues: BTreeMap<i32, Vec<LogicQueueMappingItem>>,
}

impl Default for TopicQueueMappingDetail {
    fn default() -> Self {
        TopicQueueMappingDetail {
            topic: String::new(),
            scope: METADATA_SCOPE_GLOBAL.to_owned(),
            total_queues: 0,
            bname: String::new(),
            epoch: 0,
            dirty: false,
            curr_id_map: BTreeMap::new(),
            hosted_queues: BTreeMap::new(),
        }
    }
}

/// One stretch of a logic queue on a physical queue (Java `LogicQueueMappingItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LogicQueueMappingItem {
    /// Generation: how many times the logic queue moved before this item.
    pub gen: i32,
    /// Physical queue id on `bname`.
    pub queue_id: i32,
    /// Broker name.
    pub bname: String,
    /// Logic offset where this item starts.
    pub logic_offset: i64,
    /// Physical offset where this item starts (always 0 today).
    pub start_offset: i64,
    /// Physical end offset, exclusive; -1 while open.
    pub end_offset: i64,
    /// Reserved, -1.
    pub time_of_start: i64,
    /// Reserved, -1.
    pub time_of_end: i64,
}

impl Default for LogicQueueMappingItem {
    fn default() -> Self {
        LogicQueueMappingItem {
            gen: 0,
            queue_id: 0,
            bname: String::new(),
            logic_offset: 0,
            start_offset: 0,
            end_offset: -1,
            time_of_start: -1,
            time_of_end: -1,
        }
    }
}

/// GET_TOPIC_CONFIG's answer (Java `TopicConfigAndQueueMapping`): a topic config and, for a
/// static topic, the broker's mapping.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TopicConfigAndQueueMapping {
    /// The topic config, 5.x fields included.
    #[serde(flatten)]
    pub config: TopicConfigV5,
    /// The mapping; `None` for an ordinary topic.
    #[serde(
        rename = "mappingDetail",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub mapping_detail: Option<TopicQueueMappingDetail>,
}

impl super::JsonBody for TopicQueueMappingDetail {}
impl super::JsonBody for TopicConfigAndQueueMapping {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn topic_config_and_mapping_reads_fastjson_answer() {
        let body = br#"{"attributes":{"+message.type":"NORMAL"},"order":false,"perm":6,"readQueueNums":2,
            "topicFilterType":"SINGLE_TAG","topicName":"S","topicSysFlag":0,"writeQueueNums":2,
            "mappingDetail":{"bname":"broker-a","currIdMap":{0:0,3:1},"dirty":false,"epoch":1700000000000,
              "hostedQueues":{0:[{"bname":"broker-a","endOffset":-1,"gen":0,"logicOffset":0,"queueId":0,
                "startOffset":0,"timeOfEnd":-1,"timeOfStart":-1}]},"scope":"__global__","topic":"S","totalQueues":4}}"#;
        let t = TopicConfigAndQueueMapping::from_json(body).expect("decodes");
        assert_eq!(t.config.config.topic_name, "S");
        assert_eq!(t.config.config.read_queue_nums, 2);
        assert_eq!(t.config.attributes["+message.type"], "NORMAL");
        let detail = t.mapping_detail.expect("mapping present");
        assert_eq!(detail.total_queues, 4);
        assert_eq!(detail.curr_id_map[&3], 1);
        assert_eq!(detail.hosted_queues[&0][0].end_offset, -1);
    }

    #[test]
    fn plain_topic_has_no_mapping_and_round_trips() {
        let body = br#"{"perm":6,"readQueueNums":8,"topicName":"T","writeQueueNums":8}"#;
        let t = TopicConfigAndQueueMapping::from_json(body).expect("decodes");
        assert!(t.mapping_detail.is_none());
        let again = TopicConfigAndQueueMapping::from_json(&t.to_json().expect("encodes"))
            .expect("round trip");
        assert_eq!(again, t);
    }
}
