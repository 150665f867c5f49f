//! JSON bodies the protocol crate does not model yet: the CHECK_CLIENT_CONFIG request and the
//! wrappers of GET_ALL_SUBSCRIPTIONGROUP_CONFIG and GET_ALL_TOPIC_CONFIG.
//!
//! Fields are declared in fastjson's alphabetical order so the JSON matches Java's.

use std::collections::BTreeMap;

use rmq_protocol::body::{JsonBody, SubscriptionData, SubscriptionGroupConfig, TopicConfig};
use serde::{Deserialize, Serialize};

/// CHECK_CLIENT_CONFIG (46) request body (Java `CheckClientRequestBody`): asks the broker
/// whether it accepts a subscription (e.g. an SQL92 expression) before the consumer starts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckClientRequestBody {
    /// Client id.
    #[serde(rename = "clientId", default)]
    pub client_id: String,
    /// Consumer group.
    #[serde(default)]
    pub group: String,
    /// The subscription to check.
    #[serde(rename = "subscriptionData", default)]
    pub subscription_data: SubscriptionData,
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) response body (Java `SubscriptionGroupWrapper`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubscriptionGroupWrapper {
    /// The broker's config data version, as sent (`{"counter":..,"timestamp":..}`).
    #[serde(
        rename = "dataVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_version: Option<serde_json::Value>,
    /// Group name to config.
    #[serde(rename = "subscriptionGroupTable", default)]
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

/// GET_ALL_TOPIC_CONFIG (21) response body (Java `TopicConfigSerializeWrapper`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TopicConfigSerializeWrapper {
    /// The broker's config data version, as sent.
    #[serde(
        rename = "dataVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_version: Option<serde_json::Value>,
    /// Topic name to config.
    #[serde(rename = "topicConfigTable", default)]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

impl JsonBody for CheckClientRequestBody {}
impl JsonBody for SubscriptionGroupWrapper {}
impl JsonBody for TopicConfigSerializeWrapper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_client_body_uses_java_field_names_in_fastjson_order() -> rmq_protocol::Result<()> {
        let body = CheckClientRequestBody {
            client_id: "127.0.0.1@1".into(),
            group: "CG".into(),
            subscription_data: SubscriptionData::sql92("T", "a > 1", 5),
        };
        let json = String::from_utf8_lossy(&body.to_json()?).into_owned();
        assert!(json.starts_with(r#"{"clientId":"127.0.0.1@1","group":"CG","subscriptionData":{"#));
        assert!(json.contains(r#""expressionType":"SQL92""#));
        Ok(())
    }

    #[test]
    fn topic_config_wrapper_reads_a_java_body() -> rmq_protocol::Result<()> {
        let json = br#"{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}"#;
        let wrapper = TopicConfigSerializeWrapper::from_json(json)?;
        assert_eq!(wrapper.topic_config_table["TopicTest"].read_queue_nums, 4);
        assert!(wrapper.data_version.is_some());
        Ok(())
    }
}
