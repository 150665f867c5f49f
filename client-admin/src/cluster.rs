//! Cluster-wide reads: the cluster table (`examineBrokerClusterInfo`) and the per-broker
//! summary `clusterList` prints, tolerant of the key names both broker lines use.

use std::collections::BTreeMap;

use rmq_protocol::body::ClusterInfo;
use serde::Serialize;

use crate::admin::{now_ms, Admin};
use crate::error::Result;

/// One broker of a cluster with its load, as `clusterList` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerSummary {
    /// Cluster name.
    pub cluster: String,
    /// Broker group name.
    pub broker_name: String,
    /// Broker id (0 = master).
    pub broker_id: i64,
    /// Address, `host:port`.
    pub addr: String,
    /// `brokerVersionDesc` (e.g. `V4_9_7`), empty when the broker did not answer.
    pub version: String,
    /// Messages put per second (first figure of `putTps`).
    pub in_tps: f64,
    /// Messages delivered per second (`getTransferedTps`, or 5.x's `getTransferredTps`).
    pub out_tps: f64,
    /// Runtime stats as the broker reported them (empty when it did not answer).
    pub runtime: BTreeMap<String, String>,
    /// Why the runtime stats are missing, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl BrokerSummary {
    /// A runtime stat, or `""`.
    pub fn stat(&self, key: &str) -> &str {
        self.runtime.get(key).map_or("", String::as_str)
    }

    /// Hours of messages the commit log holds (from `earliestMessageTimeStamp`).
    pub fn hours(&self) -> f64 {
        match self.stat("earliestMessageTimeStamp").parse::<i64>() {
            Ok(ts) if ts > 0 => (now_ms() - ts) as f64 / 1000.0 / 3600.0,
            _ => 0.0,
        }
    }

    /// Fraction of the disk the commit log uses (`commitLogDiskRatio`).
    pub fn space(&self) -> f64 {
        self.stat("commitLogDiskRatio").parse().unwrap_or(0.0)
    }
}

/// First number of a stats value such as `"12.5 11.0 10.1"`.
fn first_figure(value: Option<&String>) -> f64 {
    value
        .and_then(|v| v.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

impl Admin {
    /// Every cluster and broker group the name server knows (`examineBrokerClusterInfo`).
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) when the name server cannot be asked.
    pub async fn cluster_info(&self) -> Result<ClusterInfo> {
        self.cluster().await
    }

    /// Every broker (of `cluster`, or of all clusters) with its runtime stats, in cluster,
    /// broker-name and id order. A broker that does not answer is listed with an `error`.
    ///
    /// # Errors
    /// [`Error::Client`](crate::Error::Client) when the name server cannot be asked;
    /// [`Error::NotFound`](crate::Error::NotFound) for an unknown `cluster`.
    pub async fn cluster_list(&self, cluster: Option<&str>) -> Result<Vec<BrokerSummary>> {
        let info = self.cluster().await?;
        if let Some(c) = cluster {
            if !info.cluster_addr_table.contains_key(c) {
                return Err(crate::Error::not_found(
                    format!("cluster {c}"),
                    Some(self.namesrv_label()),
                ));
            }
        }
        let mut out = Vec::new();
        for (cluster_name, names) in &info.cluster_addr_table {
            if cluster.is_some_and(|c| c != cluster_name) {
                continue;
            }
            let mut names = names.clone();
            names.sort();
            for name in names {
                let Some(data) = info.broker_addr_table.get(&name) else {
                    continue;
                };
                for (id, addr) in &data.broker_addrs {
                    let (runtime, error) = match self.broker_runtime_stats(addr).await {
                        Ok(r) => (r, None),
                        Err(e) => (BTreeMap::new(), Some(crate::report(&e))),
                    };
                    let out_tps = runtime
                        .get("getTransferedTps")
                        .or_else(|| runtime.get("getTransferredTps"));
                    out.push(BrokerSummary {
                        cluster: cluster_name.clone(),
                        broker_name: name.clone(),
                        broker_id: *id,
                        addr: addr.clone(),
                        version: runtime
                            .get("brokerVersionDesc")
                            .cloned()
                            .unwrap_or_default(),
                        in_tps: first_figure(runtime.get("putTps")),
                        out_tps: first_figure(out_tps),
                        runtime,
                        error,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The clusters that hold `topic` (`getTopicClusterList`).
    ///
    /// # Errors
    /// [`Error::NotFound`](crate::Error::NotFound) for an unknown topic; name-server failures.
    pub async fn topic_clusters(&self, topic: &str) -> Result<Vec<String>> {
        let route = self.route_of(topic).await?;
        let info = self.cluster().await?;
        let mut clusters: Vec<String> = Vec::new();
        for b in &route.broker_datas {
            for (cluster, names) in &info.cluster_addr_table {
                if names.contains(&b.broker_name) && !clusters.contains(cluster) {
                    clusters.push(cluster.clone());
                }
            }
        }
        clusters.sort();
        Ok(clusters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_figure_reads_the_leading_number() {
        assert_eq!(first_figure(Some(&"12.5 11.0 10.1".to_owned())), 12.5);
        assert_eq!(first_figure(Some(&"x".to_owned())), 0.0);
        assert_eq!(first_figure(None), 0.0);
    }
}
