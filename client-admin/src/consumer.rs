//! Consumer groups at work: progress (`examineConsumeStats`), connections, running info, offset
//! reset by time (new style through the broker, old style by writing offsets), offset cloning
//! and consume time spans.
//!
//! A group's brokers are those of its retry topic (`%RETRY%group`), as in Java; a group without
//! one (it never heart-beat as a push consumer) falls back to every master of every cluster.

use std::collections::BTreeMap;

use rmq_protocol::body::{
    ConsumeStats, ConsumerConnection, ConsumerRunningInfo, ProducerConnection, QueueTimeSpan,
};
use rmq_protocol::{naming, MessageQueue, ResponseCode};
use serde::Serialize;

use crate::admin::{route_masters, Admin};
use crate::error::{Context, Error, ErrorKind, Result};

/// The outcome of [`Admin::reset_offset_by_time`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetOutcome {
    /// The new offset of each queue.
    #[serde(with = "rmq_protocol::body::mq_map")]
    pub offsets: BTreeMap<MessageQueue, i64>,
    /// Whether the offsets were written directly because no consumer of the group was online
    /// (Java's `resetOffsetByTimestampOld`).
    pub old_style: bool,
}

impl Admin {
    /// `broker name -> master address` of the brokers that serve `group`.
    async fn group_brokers(&self, group: &str) -> Result<BTreeMap<String, String>> {
        match self.route_of(&naming::retry_topic(group)).await {
            Ok(route) => Ok(route_masters(&route)),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let info = self.cluster().await?;
                Ok(info
                    .broker_addr_table
                    .values()
                    .filter_map(|b| Some((b.broker_name.clone(), b.master_addr()?.to_owned())))
                    .collect())
            }
            Err(e) => Err(e),
        }
    }

    /// Per-queue broker and consumer offsets and the consume rate of `group`, over all its
    /// brokers, limited to `topic` when given (`examineConsumeStats`). Retry-topic queues are
    /// included, as in Java.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no broker has offsets of the group (it never consumed);
    /// the first broker that fails, named.
    pub async fn consume_stats(&self, group: &str, topic: Option<&str>) -> Result<ConsumeStats> {
        let mut stats = ConsumeStats::default();
        for (name, addr) in self.group_brokers(group).await? {
            let part = self
                .api()
                .consume_stats(&addr, group, topic, self.timeout())
                .await
                .context(|| {
                    format!("get the progress of group {group} from broker {name} ({addr})")
                })?;
            stats.consume_tps += part.consume_tps;
            stats.offset_table.extend(part.offset_table);
        }
        if stats.offset_table.is_empty() {
            return Err(Error::not_found(
                format!(
                    "consume stats of group {group}{}",
                    topic.map(|t| format!(" on topic {t}")).unwrap_or_default()
                ),
                Some("any broker (the group has not consumed any message)".into()),
            ));
        }
        Ok(stats)
    }

    /// The group's connected consumers and subscriptions (`examineConsumerConnectionInfo`).
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) with `CONSUMER_NOT_ONLINE` when no consumer of
    /// the group is connected to any of its brokers.
    pub async fn consumer_connection(&self, group: &str) -> Result<ConsumerConnection> {
        let mut last = None;
        for (name, addr) in self.group_brokers(group).await? {
            match self
                .api()
                .consumer_connection_list(&addr, group, self.timeout())
                .await
                .context(|| {
                    format!(
                        "get the connections of consumer group {group} from broker {name} ({addr})"
                    )
                }) {
                Ok(c) if !c.connection_set.is_empty() => return Ok(c),
                Ok(_) => {}
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::not_found(
                format!("online consumer of group {group}"),
                Some("any broker".into()),
            )
        }))
    }

    /// The group's connected producers on the brokers of `topic`
    /// (`examineProducerConnectionInfo`), merged.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that fails, named.
    pub async fn producer_connection(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<ProducerConnection> {
        let route = self.route_of(topic).await?;
        let mut merged = ProducerConnection::default();
        for (name, addr) in route_masters(&route) {
            let part = self
                .api()
                .producer_connection_list(&addr, group, self.timeout())
                .await
                .context(|| {
                    format!(
                        "get the connections of producer group {group} from broker {name} ({addr})"
                    )
                })?;
            for c in part.connection_set {
                if !merged
                    .connection_set
                    .iter()
                    .any(|m| m.client_id == c.client_id)
                {
                    merged.connection_set.push(c);
                }
            }
        }
        Ok(merged)
    }

    /// The running info of one consumer client, relayed by a broker (`getConsumerRunningInfo`).
    ///
    /// # Errors
    /// The last broker's error when none could relay it (the client is not connected).
    pub async fn consumer_running_info(
        &self,
        group: &str,
        client_id: &str,
        jstack: bool,
    ) -> Result<ConsumerRunningInfo> {
        let mut last = None;
        for (name, addr) in self.group_brokers(group).await? {
            match self
                .api()
                .consumer_running_info(&addr, group, client_id, jstack, self.timeout())
                .await
                .context(|| format!("get the running info of client {client_id} (group {group}) through broker {name} ({addr})"))
            {
                Ok(info) => return Ok(info),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::not_found(format!("client {client_id} of group {group}"), None)
        }))
    }

    /// Moves `group`'s offsets of `topic` to the first message stored at or after `timestamp`
    /// (ms). Asks each broker to do it and tell online consumers (`resetOffsetByTimestamp`);
    /// when the group has no consumer online, writes the offsets directly instead (Java's
    /// old-style fallback). Without `force`, a queue only moves back.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that fails, named.
    pub async fn reset_offset_by_time(
        &self,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<ResetOutcome> {
        let route = self.route_of(topic).await?;
        let mut offsets = BTreeMap::new();
        let mut old_style = false;
        for (name, addr) in route_masters(&route) {
            let reset = self
                .api()
                .reset_offset_via_broker(&addr, topic, group, timestamp, force, self.timeout())
                .await;
            match reset {
                Ok(table) => offsets.extend(table),
                Err(e) if e.response_code() == Some(ResponseCode::CONSUMER_NOT_ONLINE) => {
                    old_style = true;
                    let table = self.reset_offset_old(&name, &addr, group, topic, timestamp, force).await?;
                    offsets.extend(table);
                }
                Err(e) => {
                    return Err(e).context(|| {
                        format!("reset the offsets of group {group} on topic {topic} at broker {name} ({addr})")
                    })
                }
            }
        }
        Ok(ResetOutcome { offsets, old_style })
    }

    /// Old style: search each queue's offset at `timestamp` and commit it for the group.
    async fn reset_offset_old(
        &self,
        broker_name: &str,
        addr: &str,
        group: &str,
        topic: &str,
        timestamp: i64,
        force: bool,
    ) -> Result<BTreeMap<MessageQueue, i64>> {
        let stats = self
            .api()
            .consume_stats(addr, group, Some(topic), self.timeout())
            .await
            .context(|| {
                format!("get the progress of group {group} from broker {broker_name} ({addr})")
            })?;
        let mut out = BTreeMap::new();
        for (mq, wrapper) in stats.offset_table {
            if mq.topic != topic {
                continue;
            }
            let target = self
                .api()
                .search_offset(addr, topic, mq.queue_id, timestamp, self.timeout())
                .await
                .context(|| {
                    format!(
                        "search the offset of {topic}:{} at {timestamp} on broker {addr}",
                        mq.queue_id
                    )
                })?;
            let offset = if force || target <= wrapper.consumer_offset {
                self.api()
                    .update_consumer_offset(addr, group, topic, mq.queue_id, target, self.timeout())
                    .await
                    .context(|| format!("commit offset {target} of {topic}:{} for group {group} on broker {addr}", mq.queue_id))?;
                target
            } else {
                wrapper.consumer_offset
            };
            out.insert(mq, offset);
        }
        Ok(out)
    }

    /// Copies `src_group`'s offsets of `topic` to `dest_group` on every broker of the topic
    /// (`cloneGroupOffset`); `offline` says the source group has no consumer online.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that refuses, named.
    pub async fn clone_group_offset(
        &self,
        src_group: &str,
        dest_group: &str,
        topic: &str,
        offline: bool,
    ) -> Result<()> {
        let route = self.route_of(topic).await?;
        for (name, addr) in route_masters(&route) {
            self.api()
                .clone_group_offset(&addr, src_group, dest_group, Some(topic), offline, self.timeout())
                .await
                .context(|| format!("clone the offsets of {src_group} to {dest_group} on broker {name} ({addr})"))?;
        }
        Ok(())
    }

    /// Per queue of `topic`, the store times of the oldest, newest and last consumed message
    /// of `group` (`queryConsumeTimeSpan`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that fails, named.
    pub async fn consume_time_span(&self, topic: &str, group: &str) -> Result<Vec<QueueTimeSpan>> {
        let route = self.route_of(topic).await?;
        let mut spans = Vec::new();
        for (name, addr) in route_masters(&route) {
            spans.extend(
                self.api()
                    .consume_time_span(&addr, topic, group, self.timeout())
                    .await
                    .context(|| format!("get the consume time span of {group} on {topic} from broker {name} ({addr})"))?,
            );
        }
        Ok(spans)
    }
}
