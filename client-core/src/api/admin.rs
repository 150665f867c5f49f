//! Broker administration (the `MQClientAPIImpl` methods behind Java's admin tool): topics,
//! subscription groups, broker config and runtime info, clean-ups.
//!
//! Each call targets one broker; sending to every master of a cluster is the admin crate's job.
//! Stats, connections and consumer inspection live in `admin_stats`.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::body::{KvTable, SubscriptionGroupConfig, TopicConfig};
use rmq_protocol::header::{
    CleanExpiredConsumeQueueRequestHeader, CleanUnusedTopicRequestHeader, CreateTopicRequestHeader,
    DeleteSubscriptionGroupRequestHeader, DeleteTopicRequestHeader,
};
use rmq_protocol::RequestCode;

use super::bodies::{SubscriptionGroupWrapper, TopicConfigSerializeWrapper};
use super::namesrv::properties_body;
use super::properties::format_properties;
use super::{json_body, to_json_body, ClientApi};
use crate::error::Result;

impl ClientApi {
    /// UPDATE_AND_CREATE_TOPIC (17): creates or updates `config`'s topic on the broker at
    /// `addr`, with `default_topic` (normally `"TBW102"`) as template.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn create_topic(
        &self,
        addr: &str,
        default_topic: &str,
        config: &TopicConfig,
        timeout: Duration,
    ) -> Result<()> {
        let header = CreateTopicRequestHeader {
            topic: config.topic_name.clone(),
            default_topic: default_topic.to_owned(),
            read_queue_nums: config.read_queue_nums,
            write_queue_nums: config.write_queue_nums,
            perm: config.perm,
            topic_filter_type: config.topic_filter_type.clone(),
            topic_sys_flag: Some(config.topic_sys_flag),
            order: config.order,
            attributes: None,
        };
        let cmd = self.request_with(RequestCode::UPDATE_AND_CREATE_TOPIC, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// DELETE_TOPIC_IN_BROKER (215): deletes the topic's config and queues on one broker.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn delete_topic_in_broker(
        &self,
        addr: &str,
        topic: &str,
        timeout: Duration,
    ) -> Result<()> {
        let header = DeleteTopicRequestHeader {
            topic: topic.to_owned(),
        };
        let cmd = self.request_with(RequestCode::DELETE_TOPIC_IN_BROKER, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200): creates or updates a subscription group; the
    /// body is `config` as JSON.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn create_subscription_group(
        &self,
        addr: &str,
        config: &SubscriptionGroupConfig,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
            .with_body(to_json_body(config)?);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// DELETE_SUBSCRIPTIONGROUP (207): deletes a group; with `remove_offset` its committed
    /// offsets too.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn delete_subscription_group(
        &self,
        addr: &str,
        group: &str,
        remove_offset: bool,
        timeout: Duration,
    ) -> Result<()> {
        let header = DeleteSubscriptionGroupRequestHeader {
            group_name: group.to_owned(),
            remove_offset,
        };
        let cmd = self.request_with(RequestCode::DELETE_SUBSCRIPTIONGROUP, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): every subscription group of the broker.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn all_subscription_groups(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<SubscriptionGroupWrapper> {
        let cmd = self.request(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// GET_ALL_TOPIC_CONFIG (21): every topic config of the broker.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn all_topic_configs(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<TopicConfigSerializeWrapper> {
        let cmd = self.request(RequestCode::GET_ALL_TOPIC_CONFIG);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// GET_BROKER_RUNTIME_INFO (28): the broker's runtime statistics (`brokerVersion`,
    /// `msgPutTotalTodayNow`, `commitLogDiskRatio`...).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn broker_runtime_info(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<String, String>> {
        let cmd = self.request(RequestCode::GET_BROKER_RUNTIME_INFO);
        let response = self.call_ok(addr, cmd, timeout).await?;
        Ok(json_body::<KvTable>(addr, &response)?.table)
    }

    /// GET_BROKER_CONFIG (26): the broker's config, read from its Java properties body.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors;
    /// [`Error::BadAnswer`](crate::Error::BadAnswer) for a body that is not UTF-8.
    pub async fn broker_config_get(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<String, String>> {
        let cmd = self.request(RequestCode::GET_BROKER_CONFIG);
        let response = self.call_ok(addr, cmd, timeout).await?;
        properties_body(addr, &response)
    }

    /// UPDATE_BROKER_CONFIG (25): changes the given keys; the body is Java properties text.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn broker_config_update(
        &self,
        addr: &str,
        config: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::UPDATE_BROKER_CONFIG)
            .with_body(Bytes::from(format_properties(config)));
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// CLEAN_EXPIRED_CONSUMEQUEUE (306): asks the broker to drop consume queues of deleted
    /// commit-log files.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn clean_expired_consume_queue(&self, addr: &str, timeout: Duration) -> Result<()> {
        let header = CleanExpiredConsumeQueueRequestHeader {};
        let cmd = self.request_with(RequestCode::CLEAN_EXPIRED_CONSUMEQUEUE, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// CLEAN_UNUSED_TOPIC (316): asks the broker to drop queues of topics it no longer has.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn clean_unused_topic(&self, addr: &str, timeout: Duration) -> Result<()> {
        let header = CleanUnusedTopicRequestHeader {};
        let cmd = self.request_with(RequestCode::CLEAN_UNUSED_TOPIC, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }
}
