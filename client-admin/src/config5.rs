//! Topic and group operations 5.x added: batch creation (`updateTopicList`,
//! `updateSubGroupList`), one group's config (`getConsumerConfig`), what a consumer group
//! reads (topics and subscription), group read bans, cold-data flow control with the
//! commit-log read-ahead mode, and the RocksDB consume-queue check.

use std::collections::{BTreeMap, BTreeSet};

use rmq_protocol::body::{
    CheckRocksdbCqWriteResult, GroupForbidden, QuerySubscriptionResponseBody,
    SubscriptionGroupConfigV5, TopicConfigV5,
};

use rmq_protocol::ResponseCode;

use crate::admin::{route_masters, Admin, Target};
use crate::error::{Error, Result};
use crate::support::Role;

/// One broker group's copy of a subscription group config (`getConsumerConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupConfigOnBroker {
    /// The cluster the broker group belongs to, when the name server says.
    pub cluster: Option<String>,
    /// Broker group name.
    pub broker_name: String,
    /// The address asked.
    pub addr: String,
    /// The config.
    pub config: SubscriptionGroupConfigV5,
}

impl Admin {
    /// Creates or updates `topics` in one request per targeted broker (`updateTopicList`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that refuses, named.
    pub async fn create_topic_list(
        &self,
        target: &Target,
        topics: &[TopicConfigV5],
    ) -> Result<Vec<String>> {
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self
                .api()
                .create_topic_list(addr, topics, self.timeout())
                .await;
            self.v5(
                Role::Broker,
                addr,
                "updateTopicList (UPDATE_AND_CREATE_TOPIC_LIST)",
                r,
                || format!("create {} topics on broker {addr}", topics.len()),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// Creates or updates `groups` in one request per targeted broker (`updateSubGroupList`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that refuses, named.
    pub async fn create_group_list(
        &self,
        target: &Target,
        groups: &[SubscriptionGroupConfigV5],
    ) -> Result<Vec<String>> {
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self
                .api()
                .create_subscription_group_list(addr, groups, self.timeout())
                .await;
            self.v5(
                Role::Broker,
                addr,
                "updateSubGroupList (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST)",
                r,
                || format!("create {} groups on broker {addr}", groups.len()),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// The group's config on one broker (GET_SUBSCRIPTIONGROUP_CONFIG); `None` when that
    /// broker does not have it (Java answers SUBSCRIPTION_GROUP_NOT_EXIST, some brokers an
    /// empty body).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; other failures, named.
    pub async fn group_config(
        &self,
        addr: &str,
        group: &str,
    ) -> Result<Option<SubscriptionGroupConfigV5>> {
        let r = self
            .api()
            .subscription_group_config(addr, group, self.timeout())
            .await;
        if r.as_ref().err().and_then(|e| e.response_code())
            == Some(ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST)
        {
            return Ok(None);
        }
        self.v5(
            Role::Broker,
            addr,
            "getConsumerConfig (GET_SUBSCRIPTIONGROUP_CONFIG)",
            r,
            || format!("get the config of group {group} from broker {addr}"),
        )
        .await
    }

    /// The group's config on every broker group that has it (`getConsumerConfig`).
    ///
    /// # Errors
    /// The first broker that fails, named.
    pub async fn group_config_all(&self, group: &str) -> Result<Vec<GroupConfigOnBroker>> {
        let info = self.cluster().await?;
        let mut out = Vec::new();
        for (name, broker) in &info.broker_addr_table {
            let Some(addr) = broker.master_addr() else {
                continue;
            };
            if let Some(config) = self.group_config(addr, group).await? {
                let cluster = info
                    .cluster_addr_table
                    .iter()
                    .find(|(_, names)| names.contains(name))
                    .map(|(c, _)| c.clone());
                out.push(GroupConfigOnBroker {
                    cluster,
                    broker_name: name.clone(),
                    addr: addr.to_owned(),
                    config,
                });
            }
        }
        Ok(out)
    }

    /// The topics `group` has consume offsets for, over every broker master
    /// (`queryTopicsByConsumer`).
    ///
    /// # Errors
    /// The first broker that fails, named.
    pub async fn topics_by_consumer(&self, group: &str) -> Result<BTreeSet<String>> {
        let info = self.cluster().await?;
        let mut out = BTreeSet::new();
        for broker in info.broker_addr_table.values() {
            let Some(addr) = broker.master_addr() else {
                continue;
            };
            let r = self
                .api()
                .topics_by_consumer(addr, group, self.timeout())
                .await;
            let list = self
                .v5(
                    Role::Broker,
                    addr,
                    "queryTopicsByConsumer (QUERY_TOPICS_BY_CONSUMER)",
                    r,
                    || format!("get the topics of group {group} from broker {addr}"),
                )
                .await?;
            out.extend(list.topic_list);
        }
        Ok(out)
    }

    /// The group's subscription to `topic`, from a master serving the topic
    /// (`querySubscriptionByConsumer`).
    ///
    /// # Errors
    /// An unknown topic; the broker's failure, named.
    pub async fn subscription_by_consumer(
        &self,
        group: &str,
        topic: &str,
    ) -> Result<QuerySubscriptionResponseBody> {
        let route = self.route_of(topic).await?;
        let addr = route_masters(&route)
            .into_values()
            .next()
            .ok_or_else(|| Error::not_found(format!("a master serving topic {topic}"), None))?;
        let r = self
            .api()
            .subscription_by_consumer(&addr, group, topic, self.timeout())
            .await;
        self.v5(
            Role::Broker,
            &addr,
            "querySubscriptionByConsumer (QUERY_SUBSCRIPTION_BY_CONSUMER)",
            r,
            || format!("get the subscription of group {group} to {topic} from broker {addr}"),
        )
        .await
    }

    /// Sets (when `readable` is given) and reads whether `group` may read `topic` on each
    /// targeted broker (`updateGroupForbidden`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that refuses, named.
    pub async fn group_forbidden(
        &self,
        target: &Target,
        group: &str,
        topic: &str,
        readable: Option<bool>,
    ) -> Result<BTreeMap<String, GroupForbidden>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self
                .api()
                .update_and_get_group_forbidden(&addr, group, topic, readable, self.timeout())
                .await;
            let state = self
                .v5(
                    Role::Broker,
                    &addr,
                    "updateGroupForbidden (UPDATE_AND_GET_GROUP_FORBIDDEN)",
                    r,
                    || format!("update the read ban of {group} on {topic} at broker {addr}"),
                )
                .await?;
            out.insert(addr, state);
        }
        Ok(out)
    }

    /// Each targeted broker's cold-read flow control state as JSON text; `None` where the
    /// broker has none (`getColdDataFlowCtrInfo`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that fails, named.
    pub async fn cold_data_flow_ctr_info(
        &self,
        target: &Target,
    ) -> Result<BTreeMap<String, Option<String>>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self
                .api()
                .cold_data_flow_ctr_info(&addr, self.timeout())
                .await;
            let text = self
                .v5(
                    Role::Broker,
                    &addr,
                    "getColdDataFlowCtrInfo (GET_COLD_DATA_FLOW_CTR_INFO)",
                    r,
                    || format!("get the cold data flow control of broker {addr}"),
                )
                .await?;
            out.insert(addr, Some(text).filter(|t| !t.trim().is_empty()));
        }
        Ok(out)
    }

    /// Sets `group`'s cold-read threshold on each targeted broker
    /// (`updateColdDataFlowCtrGroupConfig`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that refuses, named.
    pub async fn update_cold_data_flow_ctr(
        &self,
        target: &Target,
        group: &str,
        threshold: &str,
    ) -> Result<Vec<String>> {
        let config = BTreeMap::from([(group.to_owned(), threshold.to_owned())]);
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self
                .api()
                .update_cold_data_flow_ctr_config(addr, &config, self.timeout())
                .await;
            self.v5(
                Role::Broker,
                addr,
                "updateColdDataFlowCtrGroupConfig (UPDATE_COLD_DATA_FLOW_CTR_CONFIG)",
                r,
                || format!("set the cold read threshold of {group} on broker {addr}"),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// Removes `group` from the cold-read flow control of each targeted broker
    /// (`removeColdDataFlowCtrGroupConfig`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that refuses, named.
    pub async fn remove_cold_data_flow_ctr(
        &self,
        target: &Target,
        group: &str,
    ) -> Result<Vec<String>> {
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            let r = self
                .api()
                .remove_cold_data_flow_ctr_config(addr, group, self.timeout())
                .await;
            self.v5(
                Role::Broker,
                addr,
                "removeColdDataFlowCtrGroupConfig (REMOVE_COLD_DATA_FLOW_CTR_CONFIG)",
                r,
                || format!("remove {group} from the cold data flow control of broker {addr}"),
            )
            .await?;
        }
        Ok(addrs)
    }

    /// Sets the commit-log read-ahead mode (`"0"` normal, `"1"` random) of a broker, or of
    /// every broker of a cluster, slaves included (`setCommitLogReadAheadMode`); returns each
    /// broker's answer.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for another mode; [`Error::Unsupported`] from a 4.x broker;
    /// the first broker that refuses, named.
    pub async fn set_commit_log_read_mode(
        &self,
        target: &Target,
        mode: &str,
    ) -> Result<BTreeMap<String, Option<String>>> {
        if mode != "0" && mode != "1" {
            return Err(Error::InvalidArgument(format!(
                "read-ahead mode {mode:?}: 0 is default, 1 random read"
            )));
        }
        let addrs = match target {
            Target::Broker(addr) => vec![addr.clone()],
            Target::Cluster(cluster) => self.cluster_replica_addrs(cluster).await?,
        };
        let mut out = BTreeMap::new();
        for addr in addrs {
            let r = self
                .api()
                .set_commit_log_read_mode(&addr, mode, self.timeout())
                .await;
            let remark = self
                .v5(
                    Role::Broker,
                    &addr,
                    "setCommitLogReadAheadMode (SET_COMMITLOG_READ_MODE)",
                    r,
                    || format!("set the read-ahead mode of broker {addr}"),
                )
                .await?;
            out.insert(addr, remark);
        }
        Ok(out)
    }

    /// Compares each targeted broker's RocksDB consume queue with the file one for `topic`
    /// (all topics when empty) since `check_from` ms (`checkRocksdbCqWriteProgress`).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a 4.x broker; the first broker that fails, named.
    pub async fn check_rocksdb_cq(
        &self,
        target: &Target,
        topic: &str,
        check_from: i64,
    ) -> Result<BTreeMap<String, CheckRocksdbCqWriteResult>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let r = self
                .api()
                .check_rocksdb_cq_write_progress(&addr, topic, check_from, self.timeout())
                .await;
            let result = self
                .v5(
                    Role::Broker,
                    &addr,
                    "checkRocksdbCqWriteProgress (CHECK_ROCKSDB_CQ_WRITE_PROGRESS)",
                    r,
                    || format!("check the RocksDB consume queue of broker {addr}"),
                )
                .await?;
            out.insert(addr, result);
        }
        Ok(out)
    }
}
