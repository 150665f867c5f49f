//! One broker at a time: runtime stats, config get and update, clean-ups, and broker statistics
//! (`VIEW_BROKER_STATS_DATA`), plus the name servers' write permission of a broker group.

use std::collections::BTreeMap;

use rmq_protocol::body::BrokerStatsData;

use crate::admin::{Admin, Target};
use crate::error::{Context, Result};

impl Admin {
    /// The broker's runtime statistics (`fetchBrokerRuntimeStats`).
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) naming the broker.
    pub async fn broker_runtime_stats(&self, addr: &str) -> Result<BTreeMap<String, String>> {
        self.api()
            .broker_runtime_info(addr, self.timeout())
            .await
            .context(|| format!("get the runtime stats of broker {addr}"))
    }

    /// The config of each targeted broker, keyed by address (`getBrokerConfig`).
    ///
    /// # Errors
    /// The first broker that fails, named; an unknown cluster.
    pub async fn broker_config(
        &self,
        target: &Target,
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let config = self
                .api()
                .broker_config_get(&addr, self.timeout())
                .await
                .context(|| format!("get the config of broker {addr}"))?;
            out.insert(addr, config);
        }
        Ok(out)
    }

    /// Sets `key = value` on each targeted broker (`updateBrokerConfig`); returns the addresses
    /// updated.
    ///
    /// # Errors
    /// The first broker that refuses, named (some brokers refuse keys that need a restart).
    pub async fn update_broker_config(
        &self,
        target: &Target,
        key: &str,
        value: &str,
    ) -> Result<Vec<String>> {
        let config = BTreeMap::from([(key.to_owned(), value.to_owned())]);
        let addrs = self.targets(target).await?;
        for addr in &addrs {
            self.api()
                .broker_config_update(addr, &config, self.timeout())
                .await
                .context(|| format!("update {key}={value} on broker {addr}"))?;
        }
        Ok(addrs)
    }

    /// Asks each targeted broker to drop consume queues of deleted commit-log files
    /// (`cleanExpiredConsumerQueue`); returns each address with its outcome.
    ///
    /// # Errors
    /// An unknown cluster; per-broker failures are in the result.
    pub async fn clean_expired_cq(&self, target: &Target) -> Result<BTreeMap<String, bool>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let ok = self
                .api()
                .clean_expired_consume_queue(&addr, self.timeout())
                .await
                .is_ok();
            out.insert(addr, ok);
        }
        Ok(out)
    }

    /// Asks each targeted broker to drop queues of topics it no longer has
    /// (`cleanUnusedTopic`); returns each address with its outcome.
    ///
    /// # Errors
    /// An unknown cluster; per-broker failures are in the result.
    pub async fn clean_unused_topic(&self, target: &Target) -> Result<BTreeMap<String, bool>> {
        let mut out = BTreeMap::new();
        for addr in self.targets(target).await? {
            let ok = self
                .api()
                .clean_unused_topic(&addr, self.timeout())
                .await
                .is_ok();
            out.insert(addr, ok);
        }
        Ok(out)
    }

    /// Removes write permission of `broker_name` on every name server; returns the affected
    /// topic count per name server (`wipeWritePermOfBroker`).
    ///
    /// # Errors
    /// The first name server that fails, named.
    pub async fn wipe_write_perm(&self, broker_name: &str) -> Result<BTreeMap<String, i32>> {
        let mut out = BTreeMap::new();
        for ns in self.namesrv_addrs() {
            let n = self
                .api()
                .wipe_write_perm(&ns, broker_name, self.timeout())
                .await
                .context(|| {
                    format!("wipe the write permission of broker {broker_name} in name server {ns}")
                })?;
            out.insert(ns, n);
        }
        Ok(out)
    }

    /// Restores write permission of `broker_name` on every name server; returns the affected
    /// topic count per name server (`addWritePermOfBroker`).
    ///
    /// # Errors
    /// The first name server that fails, named.
    pub async fn add_write_perm(&self, broker_name: &str) -> Result<BTreeMap<String, i32>> {
        let mut out = BTreeMap::new();
        for ns in self.namesrv_addrs() {
            let n = self
                .api()
                .add_write_perm(&ns, broker_name, self.timeout())
                .await
                .context(|| {
                    format!("add the write permission of broker {broker_name} in name server {ns}")
                })?;
            out.insert(ns, n);
        }
        Ok(out)
    }

    /// Minute, hour and day figures of one broker statistic (`viewBrokerStatsData`), e.g.
    /// `("TOPIC_PUT_NUMS", topic)` or `("GROUP_GET_NUMS", "topic@group")`.
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) naming the broker and statistic (brokers answer
    /// an error when the statistic has no data yet).
    pub async fn broker_stats(
        &self,
        addr: &str,
        stats_name: &str,
        stats_key: &str,
    ) -> Result<BrokerStatsData> {
        self.api()
            .broker_stats_data(addr, stats_name, stats_key, self.timeout())
            .await
            .context(|| format!("get statistic {stats_name}/{stats_key} from broker {addr}"))
    }
}
