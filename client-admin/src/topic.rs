//! Topics: list, route, status (offsets per queue), create/update, delete, and which groups
//! consume a topic.
//!
//! Writes go to one broker or to every master of a cluster ([`Target`]); reads that span
//! brokers ask every master in the topic's route and merge the answers.

use std::collections::{BTreeMap, BTreeSet};

use rmq_protocol::body::{TopicConfig, TopicRouteData, TopicStatsTable};
use rmq_protocol::{perm, validate};

use crate::admin::{route_masters, Admin, Target};
use crate::error::{Context, Error, Result};

impl Admin {
    /// Every topic the name server knows (`fetchAllTopicList`), sorted.
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) when the name server cannot be asked.
    pub async fn topic_list(&self) -> Result<Vec<String>> {
        let mut topics = self
            .api()
            .all_topics(self.timeout())
            .await
            .context(|| format!("list the topics of {}", self.namesrv_label()))?;
        topics.sort();
        Ok(topics)
    }

    /// The topics of one cluster (`fetchTopicsByCLuster`), sorted.
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) when the name server cannot be asked.
    pub async fn topics_of_cluster(&self, cluster: &str) -> Result<Vec<String>> {
        let mut topics = self
            .api()
            .topics_by_cluster(cluster, self.timeout())
            .await
            .context(|| format!("list the topics of cluster {cluster}"))?;
        topics.sort();
        Ok(topics)
    }

    /// The topic's route (`examineTopicRouteInfo`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when the name server does not know the topic.
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData> {
        self.route_of(topic).await
    }

    /// Min and max offset and last update time of every queue of the topic, over all its
    /// brokers (`examineTopicStats`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that fails, named.
    pub async fn topic_status(&self, topic: &str) -> Result<TopicStatsTable> {
        let route = self.route_of(topic).await?;
        let mut table = TopicStatsTable::default();
        for (name, addr) in route_masters(&route) {
            let stats = self
                .api()
                .topic_stats(&addr, topic, self.timeout())
                .await
                .context(|| {
                    format!("get the status of topic {topic} from broker {name} ({addr})")
                })?;
            table.offset_table.extend(stats.offset_table);
        }
        Ok(table)
    }

    /// Creates or updates `config`'s topic on the targeted brokers (`createAndUpdateTopicConfig`);
    /// returns the broker addresses written.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name, queue count or permission; an unknown
    /// cluster; the first broker that refuses, named.
    pub async fn create_or_update_topic(
        &self,
        target: &Target,
        config: &TopicConfig,
    ) -> Result<Vec<String>> {
        validate::check_topic(&config.topic_name)
            .map_err(|e| Error::InvalidArgument(format!("topic {:?}: {e}", config.topic_name)))?;
        if config.read_queue_nums <= 0 || config.write_queue_nums <= 0 {
            return Err(Error::InvalidArgument(format!(
                "queue counts must be positive (read {}, write {})",
                config.read_queue_nums, config.write_queue_nums
            )));
        }
        if config.perm & !(perm::READ | perm::WRITE | perm::INHERIT | perm::PRIORITY) != 0 {
            return Err(Error::InvalidArgument(format!(
                "perm {} is not a combination of 2 (write), 4 (read) and 1 (inherit)",
                config.perm
            )));
        }
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            self.api()
                .create_topic(
                    addr,
                    rmq_protocol::naming::AUTO_CREATE_TOPIC_KEY_TOPIC,
                    config,
                    self.timeout(),
                )
                .await
                .context(|| format!("create topic {} on broker {addr}", config.topic_name))?;
        }
        Ok(addrs)
    }

    /// Deletes the topic from every master of `cluster`, then from the name servers
    /// (`deleteTopicInBroker` + `deleteTopicInNameServer`); returns the broker addresses.
    ///
    /// # Errors
    /// An unknown cluster; the first broker or name server that refuses, named.
    pub async fn delete_topic(&self, topic: &str, cluster: &str) -> Result<Vec<String>> {
        let addrs: Vec<String> = self.cluster_masters(cluster).await?.into_values().collect();
        for addr in &addrs {
            self.api()
                .delete_topic_in_broker(addr, topic, self.timeout())
                .await
                .context(|| format!("delete topic {topic} on broker {addr}"))?;
        }
        self.api()
            .delete_topic_in_namesrv(topic, None, self.timeout())
            .await
            .context(|| format!("delete topic {topic} in {}", self.namesrv_label()))?;
        Ok(addrs)
    }

    /// The groups that consume `topic` on any of its brokers (`queryTopicConsumeByWho`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that fails, named.
    pub async fn topic_consumed_by(&self, topic: &str) -> Result<BTreeSet<String>> {
        let route = self.route_of(topic).await?;
        let mut groups = BTreeSet::new();
        for (name, addr) in route_masters(&route) {
            let list = self
                .api()
                .topic_consumed_by(&addr, topic, self.timeout())
                .await
                .context(|| format!("ask broker {name} ({addr}) which groups consume {topic}"))?;
            groups.extend(list);
        }
        Ok(groups)
    }

    /// Every topic config of one broker (`GET_ALL_TOPIC_CONFIG`), keyed by topic.
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) naming the broker.
    pub async fn topic_configs(&self, addr: &str) -> Result<BTreeMap<String, TopicConfig>> {
        Ok(self
            .api()
            .all_topic_configs(addr, self.timeout())
            .await
            .context(|| format!("get the topic configs of broker {addr}"))?
            .topic_config_table)
    }
}
