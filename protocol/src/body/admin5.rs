//! Admin bodies 5.x added besides ACLs, controllers and static topics: batch topic and group
//! creation, 5.x topic and group configs with every field kept, group read bans, a consumer's
//! subscription, and the RocksDB consume-queue check result.
//!
//! 5.x configs grow fields from release to release (`attributes`, `groupRetryPolicy`...); the
//! `*V5` types keep the 4.x fields typed and every other field as JSON, so nothing a broker
//! sends is lost when it is shown or written back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::admin::{SubscriptionGroupConfig, TopicConfig};
use super::heartbeat::SubscriptionData;

/// A topic config with the fields 4.x knows typed, 5.x `attributes`, and any other field as
/// JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TopicConfigV5 {
    /// The 4.x fields.
    #[serde(flatten)]
    pub config: TopicConfig,
    /// 5.x topic attributes (`+message.type` ...). Always written, as Java 5.x writes its
    /// empty map: the crates.io broker refuses a topic config without it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub attributes: BTreeMap<String, String>,
    /// Every other field, by its Java name.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl From<TopicConfig> for TopicConfigV5 {
    fn from(config: TopicConfig) -> Self {
        TopicConfigV5 {
            config,
            attributes: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// Reads a JSON `null` as the type's default: some servers write `null` for an empty list or
/// map where Java leaves the field out or writes it empty.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A subscription group config with the fields 4.x knows typed and the rest
/// (`consumeMessageOrderly`, `groupRetryPolicy`, `attributes`...) as JSON.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubscriptionGroupConfigV5 {
    /// The 4.x fields.
    #[serde(flatten)]
    pub config: SubscriptionGroupConfig,
    /// Every other field, by its Java name.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// UPDATE_AND_CREATE_TOPIC_LIST body (Java `CreateTopicListRequestBody`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateTopicListRequestBody {
    /// The topics to create or update.
    pub topic_config_list: Vec<TopicConfigV5>,
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST body (Java `SubscriptionGroupList`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupList {
    /// The groups to create or update.
    pub group_config_list: Vec<SubscriptionGroupConfigV5>,
}

/// UPDATE_AND_GET_GROUP_FORBIDDEN answer (Java `GroupForbidden`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupForbidden {
    /// Topic.
    pub topic: Option<String>,
    /// Consumer group.
    pub group: Option<String>,
    /// Whether the group may read the topic.
    pub readable: Option<bool>,
}

/// QUERY_SUBSCRIPTION_BY_CONSUMER answer (Java `QuerySubscriptionResponseBody`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuerySubscriptionResponseBody {
    /// The group's subscription to the topic; `None` when it has none.
    pub subscription_data: Option<SubscriptionData>,
    /// Consumer group.
    pub group: Option<String>,
    /// Topic.
    pub topic: Option<String>,
}

/// CHECK_ROCKSDB_CQ_WRITE_PROGRESS answer (Java `CheckRocksdbCqWriteResult`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CheckRocksdbCqWriteResult {
    /// The broker's report, free text.
    pub check_result: Option<String>,
    /// 0 ok, 1 not ok, 2 in progress, 3 error (Java `CheckStatus`).
    pub check_status: i32,
}

impl CheckRocksdbCqWriteResult {
    /// Java's `CheckStatus` name of [`check_status`](Self::check_status).
    pub fn status_name(&self) -> &'static str {
        match self.check_status {
            0 => "CHECK_OK",
            1 => "CHECK_NOT_OK",
            2 => "CHECK_IN_PROGRESS",
            3 => "CHECK_ERROR",
            _ => "UNKNOWN",
        }
    }
}

impl super::JsonBody for CreateTopicListRequestBody {}
impl super::JsonBody for SubscriptionGroupList {}
impl super::JsonBody for SubscriptionGroupConfigV5 {}
impl super::JsonBody for TopicConfigV5 {}
impl super::JsonBody for GroupForbidden {}
impl super::JsonBody for QuerySubscriptionResponseBody {}
impl super::JsonBody for CheckRocksdbCqWriteResult {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonBody;

    #[test]
    fn group_config_v5_keeps_fields_4x_does_not_know() {
        let body = br#"{"brokerId":0,"consumeEnable":true,"groupName":"g","retryMaxTimes":3,
            "consumeMessageOrderly":true,"groupRetryPolicy":{"type":"CUSTOMIZED"},"attributes":{}}"#;
        let g: SubscriptionGroupConfigV5 = crate::body::from_fastjson(body).expect("decodes");
        assert_eq!(g.config.group_name, "g");
        assert_eq!(g.config.retry_max_times, 3);
        assert_eq!(g.extra["consumeMessageOrderly"], serde_json::json!(true));
        assert!(!g.extra.contains_key("groupName"));
        let list = SubscriptionGroupList {
            group_config_list: vec![g],
        };
        let json = String::from_utf8(list.to_json().expect("encodes")).expect("utf8");
        assert!(
            json.contains(r#""groupRetryPolicy":{"type":"CUSTOMIZED"}"#),
            "{json}"
        );
    }

    #[test]
    fn topic_config_v5_always_writes_attributes() {
        let t = TopicConfigV5::from(TopicConfig {
            topic_name: "T".into(),
            ..TopicConfig::default()
        });
        let json: serde_json::Value =
            serde_json::from_slice(&t.to_json().expect("encodes")).expect("json");
        assert_eq!(json["attributes"], serde_json::json!({}));
        assert_eq!(json["topicName"], "T");
        let back: TopicConfigV5 =
            crate::body::from_fastjson(br#"{"topicName":"T","attributes":null,"x":1}"#)
                .expect("decodes");
        assert!(back.attributes.is_empty());
        assert_eq!(back.extra["x"], 1);
    }

    #[test]
    fn forbidden_and_rocksdb_results_read_java_answers() {
        let f = GroupForbidden::from_json(br#"{"group":"g","readable":false,"topic":"t"}"#)
            .expect("decodes");
        assert_eq!(f.readable, Some(false));
        let r = CheckRocksdbCqWriteResult::from_json(
            br#"{"checkResult":"topic t ok","checkStatus":0}"#,
        )
        .expect("decodes");
        assert_eq!(r.status_name(), "CHECK_OK");
    }
}
