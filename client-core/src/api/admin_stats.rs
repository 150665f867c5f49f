//! Broker-side inspection for admins: topic and consume stats, connections, consumer running
//! info and status, offset reset and cloning, consume time spans, broker stats and
//! consume-directly.
//!
//! Maps keyed by [`MessageQueue`] are read in both shapes brokers send: fastjson's object keys
//! (Java brokers) and strings holding the queue's JSON (the CI broker).

use std::collections::BTreeMap;
use std::time::Duration;

use rmq_protocol::body::{
    mq_map, BrokerStatsData, ConsumeMessageDirectlyResult, ConsumeStats, ConsumerConnection,
    ConsumerRunningInfo, GetConsumerStatusBody, GroupList, ProducerConnection,
    QueryConsumeTimeSpanBody, QueueTimeSpan, ResetOffsetBody, TopicStatsTable,
};
use rmq_protocol::header::{
    CloneGroupOffsetRequestHeader, ConsumeMessageDirectlyRequestHeader,
    GetConsumeStatsRequestHeader, GetConsumerConnectionListRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetConsumerStatusRequestHeader,
    GetProducerConnectionListRequestHeader, GetTopicStatsInfoRequestHeader,
    QueryConsumeTimeSpanRequestHeader, QueryTopicConsumeByWhoRequestHeader,
    ResetOffsetRequestHeader, ViewBrokerStatsDataRequestHeader,
};
use rmq_protocol::{MessageQueue, RequestCode};
use serde::Deserialize;

use super::{json_body, json_body_or_default, ClientApi};
use crate::error::Result;

impl ClientApi {
    /// GET_TOPIC_STATS_INFO (202): min/max offsets and last update time of every queue of the
    /// topic on this broker.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (`TOPIC_NOT_EXIST`);
    /// transport and parse errors.
    pub async fn topic_stats(
        &self,
        addr: &str,
        topic: &str,
        timeout: Duration,
    ) -> Result<TopicStatsTable> {
        let header = GetTopicStatsInfoRequestHeader {
            topic: topic.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_TOPIC_STATS_INFO, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// GET_CONSUME_STATS (208): the group's offsets against the broker's, per queue, and its
    /// consume rate; only `topic`'s queues when given.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn consume_stats(
        &self,
        addr: &str,
        group: &str,
        topic: Option<&str>,
        timeout: Duration,
    ) -> Result<ConsumeStats> {
        let header = GetConsumeStatsRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::GET_CONSUME_STATS, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// GET_CONSUMER_CONNECTION_LIST (203): the group's connected consumers and subscriptions.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (`CONSUMER_NOT_ONLINE`);
    /// transport and parse errors.
    pub async fn consumer_connection_list(
        &self,
        addr: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<ConsumerConnection> {
        let header = GetConsumerConnectionListRequestHeader {
            consumer_group: group.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_CONSUMER_CONNECTION_LIST, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// GET_PRODUCER_CONNECTION_LIST (204): the group's connected producers.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn producer_connection_list(
        &self,
        addr: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<ProducerConnection> {
        let header = GetProducerConnectionListRequestHeader {
            producer_group: group.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_PRODUCER_CONNECTION_LIST, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// GET_CONSUMER_RUNNING_INFO (307) through the broker, which forwards it to the client
    /// `client_id` and relays its answer. `jstack` asks for a thread dump.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (the client is not
    /// connected, or too old); transport and parse errors.
    pub async fn consumer_running_info(
        &self,
        addr: &str,
        group: &str,
        client_id: &str,
        jstack: bool,
        timeout: Duration,
    ) -> Result<ConsumerRunningInfo> {
        let header = GetConsumerRunningInfoRequestHeader {
            consumer_group: group.to_owned(),
            client_id: client_id.to_owned(),
            jstack_enable: jstack,
        };
        let cmd = self.request_with(RequestCode::GET_CONSUMER_RUNNING_INFO, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// INVOKE_BROKER_TO_RESET_OFFSET (222): the broker moves the group's offsets of `topic` to
    /// those at `timestamp` (ms) and tells the online consumers. Returns the new offset per
    /// queue (empty when the broker sends no body). Without `force` (Java's `isForce`) a queue
    /// only moves back: one whose committed offset is already below the target keeps it.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn reset_offset_via_broker(
        &self,
        addr: &str,
        topic: &str,
        group: &str,
        timestamp: i64,
        force: bool,
        timeout: Duration,
    ) -> Result<BTreeMap<MessageQueue, i64>> {
        let header = ResetOffsetRequestHeader {
            topic: topic.to_owned(),
            group: group.to_owned(),
            timestamp,
            is_force: force,
        };
        let cmd = self.request_with(RequestCode::INVOKE_BROKER_TO_RESET_OFFSET, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        Ok(json_body_or_default::<ResetOffsetBody>(&response)?.offset_table)
    }

    /// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223): each online consumer's offsets for `topic`,
    /// keyed by client id (only `client_addr`'s when given).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn consumer_status_via_broker(
        &self,
        addr: &str,
        topic: &str,
        group: &str,
        client_addr: Option<&str>,
        timeout: Duration,
    ) -> Result<BTreeMap<String, BTreeMap<MessageQueue, i64>>> {
        let header = GetConsumerStatusRequestHeader {
            topic: topic.to_owned(),
            group: group.to_owned(),
            client_addr: client_addr.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        let body: GetConsumerStatusBody = json_body_or_default(&response)?;
        let mut table = BTreeMap::new();
        for (client, offsets) in body.consumer_table {
            let QueueOffsets(offsets) =
                serde_json::from_value(offsets).map_err(|source| rmq_protocol::Error::Json {
                    what: "consumerTable",
                    source,
                })?;
            table.insert(client, offsets);
        }
        Ok(table)
    }

    /// CLONE_GROUP_OFFSET (314): copies `src_group`'s committed offsets (of `topic`, or all
    /// topics) to `dest_group`. `offline` says the source group has no online consumer.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn clone_group_offset(
        &self,
        addr: &str,
        src_group: &str,
        dest_group: &str,
        topic: Option<&str>,
        offline: bool,
        timeout: Duration,
    ) -> Result<()> {
        let header = CloneGroupOffsetRequestHeader {
            src_group: src_group.to_owned(),
            dest_group: dest_group.to_owned(),
            topic: topic.map(str::to_owned),
            offline,
        };
        let cmd = self.request_with(RequestCode::CLONE_GROUP_OFFSET, &header);
        self.call_ok(addr, cmd, timeout).await.map(drop)
    }

    /// QUERY_TOPIC_CONSUME_BY_WHO (300): the groups that consume `topic` on this broker.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn topic_consumed_by(
        &self,
        addr: &str,
        topic: &str,
        timeout: Duration,
    ) -> Result<Vec<String>> {
        let header = QueryTopicConsumeByWhoRequestHeader {
            topic: topic.to_owned(),
        };
        let cmd = self.request_with(RequestCode::QUERY_TOPIC_CONSUME_BY_WHO, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        Ok(json_body::<GroupList>(addr, &response)?.group_list)
    }

    /// QUERY_CONSUME_TIME_SPAN (303): per queue of `topic`, the store times of the oldest,
    /// newest and last consumed messages of `group`.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn consume_time_span(
        &self,
        addr: &str,
        topic: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<Vec<QueueTimeSpan>> {
        let header = QueryConsumeTimeSpanRequestHeader {
            topic: topic.to_owned(),
            group: group.to_owned(),
        };
        let cmd = self.request_with(RequestCode::QUERY_CONSUME_TIME_SPAN, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        Ok(json_body::<QueryConsumeTimeSpanBody>(addr, &response)?.consume_time_span_set)
    }

    /// VIEW_BROKER_STATS_DATA (315): minute, hour and day figures of one broker statistic
    /// (`stats_name` e.g. `"TOPIC_PUT_NUMS"`, `stats_key` a topic or `topic@group`).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn broker_stats_data(
        &self,
        addr: &str,
        stats_name: &str,
        stats_key: &str,
        timeout: Duration,
    ) -> Result<BrokerStatsData> {
        let header = ViewBrokerStatsDataRequestHeader {
            stats_name: stats_name.to_owned(),
            stats_key: stats_key.to_owned(),
        };
        let cmd = self.request_with(RequestCode::VIEW_BROKER_STATS_DATA, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }

    /// CONSUME_MESSAGE_DIRECTLY (309) through the broker: the broker looks the message up and
    /// has the client in `header` consume it, then relays the outcome.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn consume_message_directly(
        &self,
        addr: &str,
        header: &ConsumeMessageDirectlyRequestHeader,
        timeout: Duration,
    ) -> Result<ConsumeMessageDirectlyResult> {
        let cmd = self.request_with(RequestCode::CONSUME_MESSAGE_DIRECTLY, header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        json_body(addr, &response)
    }
}

/// One client's offsets in a GetConsumerStatusBody `consumerTable`.
#[derive(Deserialize)]
struct QueueOffsets(#[serde(with = "mq_map")] BTreeMap<MessageQueue, i64>);
