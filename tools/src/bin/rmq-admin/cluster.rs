//! Cluster and broker commands: `clusterList`, `brokerStatus`, `getBrokerConfig`,
//! `updateBrokerConfig`, `cleanExpiredCQ`, `cleanUnusedTopic`, `wipeWritePerm`, `addWritePerm`.

use std::time::Duration;

use clap::{Args, Subcommand};
use rmq_client_admin::{Admin, BrokerSummary, Target};

use crate::{bad_arg, CliResult, Output};

/// `-b brokerAddr` / `-c clusterName`, one of them required.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Broker address, host:port.
    #[arg(short = 'b', long = "brokerAddr")]
    pub broker: Option<String>,
    /// Cluster name (every master of it).
    #[arg(short = 'c', long = "clusterName")]
    pub cluster: Option<String>,
}

impl TargetArgs {
    /// The target; `-b` wins when both are given, as in mqadmin.
    pub fn target(&self) -> CliResult<Target> {
        match (&self.broker, &self.cluster) {
            (Some(b), _) => Ok(Target::Broker(b.clone())),
            (None, Some(c)) => Ok(Target::Cluster(c.clone())),
            (None, None) => Err(bad_arg("give -b <brokerAddr> or -c <clusterName>")),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List all of clusters.
    #[command(name = "clusterList")]
    ClusterList {
        /// Print more stats.
        #[arg(short = 'm', long = "moreStats")]
        more: bool,
        /// Repeat every this many seconds.
        #[arg(short = 'i', long = "interval")]
        interval: Option<u64>,
        /// Only this cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
    },
    /// Fetch broker runtime status data.
    #[command(name = "brokerStatus")]
    BrokerStatus(TargetArgs),
    /// Get broker config by cluster or special broker.
    #[command(name = "getBrokerConfig")]
    GetBrokerConfig(TargetArgs),
    /// Update broker's config.
    #[command(name = "updateBrokerConfig")]
    UpdateBrokerConfig {
        #[command(flatten)]
        target: TargetArgs,
        /// Config key.
        #[arg(short = 'k', long = "key")]
        key: String,
        /// Config value.
        #[arg(short = 'v', long = "value")]
        value: String,
    },
    /// Clean expired ConsumeQueue on broker.
    #[command(name = "cleanExpiredCQ")]
    CleanExpiredCq(TargetArgs),
    /// Clean unused topic on broker.
    #[command(name = "cleanUnusedTopic")]
    CleanUnusedTopic(TargetArgs),
    /// Wipe write perm of broker in all name server.
    #[command(name = "wipeWritePerm")]
    WipeWritePerm {
        /// Broker name.
        #[arg(short = 'b', long = "brokerName")]
        broker_name: String,
    },
    /// Add write perm of broker in all name server.
    #[command(name = "addWritePerm")]
    AddWritePerm {
        /// Broker name.
        #[arg(short = 'b', long = "brokerName")]
        broker_name: String,
    },
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::ClusterList {
                more,
                interval,
                cluster,
            } => {
                let Some(secs) = interval else {
                    return cluster_list(admin, out, more, cluster.as_deref()).await;
                };
                loop {
                    let mut once = Output::default();
                    cluster_list(admin, &mut once, more, cluster.as_deref()).await?;
                    print!("{}", once.text);
                    tokio::time::sleep(Duration::from_secs(secs.max(1))).await;
                }
            }
            Cmd::BrokerStatus(t) => {
                let target = t.target()?;
                let addrs = admin_targets(admin, &target).await?;
                let mut all = std::collections::BTreeMap::new();
                for addr in addrs {
                    let stats = admin.broker_runtime_stats(&addr).await?;
                    for (k, v) in &stats {
                        match &target {
                            Target::Broker(_) => out.line(format!("{k:<32}: {v}")),
                            Target::Cluster(_) => out.line(format!("{addr:<24} {k:<32}: {v}")),
                        }
                    }
                    all.insert(addr, stats);
                }
                out.json(&all)
            }
            Cmd::GetBrokerConfig(t) => {
                let configs = admin.broker_config(&t.target()?).await?;
                for (addr, config) in &configs {
                    out.line(format!("============{addr}============"));
                    for (k, v) in config {
                        out.line(format!("{k:<50}=  {v}"));
                    }
                }
                out.json(&configs)
            }
            Cmd::UpdateBrokerConfig { target, key, value } => {
                let addrs = admin
                    .update_broker_config(&target.target()?, &key, &value)
                    .await?;
                for addr in &addrs {
                    out.line(format!("update broker config success, {addr}"));
                }
                out.json(&serde_json::json!({ "updated": addrs, "key": key, "value": value }))
            }
            Cmd::CleanExpiredCq(t) => {
                let result = admin.clean_expired_cq(&t.target()?).await?;
                clean_report(out, &result, "cleanExpiredCQ")
            }
            Cmd::CleanUnusedTopic(t) => {
                let result = admin.clean_unused_topic(&t.target()?).await?;
                clean_report(out, &result, "cleanUnusedTopic")
            }
            Cmd::WipeWritePerm { broker_name } => {
                let counts = admin.wipe_write_perm(&broker_name).await?;
                for (ns, n) in &counts {
                    out.line(format!(
                        "wipe write perm of broker[{broker_name}] in name server[{ns}] OK, {n}"
                    ));
                }
                out.json(&counts)
            }
            Cmd::AddWritePerm { broker_name } => {
                let counts = admin.add_write_perm(&broker_name).await?;
                for (ns, n) in &counts {
                    out.line(format!(
                        "add write perm of broker[{broker_name}] in name server[{ns}] OK, {n}"
                    ));
                }
                out.json(&counts)
            }
        }
    }
}

/// The addresses of a target.
async fn admin_targets(admin: &Admin, target: &Target) -> CliResult<Vec<String>> {
    Ok(match target {
        Target::Broker(b) => vec![b.clone()],
        Target::Cluster(c) => {
            let list = admin.cluster_list(Some(c)).await?;
            list.into_iter()
                .filter(|b| b.broker_id == 0)
                .map(|b| b.addr)
                .collect()
        }
    })
}

fn clean_report(
    out: &mut Output,
    result: &std::collections::BTreeMap<String, bool>,
    what: &str,
) -> CliResult<()> {
    let ok = result.values().all(|ok| *ok);
    for (addr, ok) in result {
        out.line(format!(
            "{what} {addr}: {}",
            if *ok { "success" } else { "false" }
        ));
    }
    out.line(if ok { "success" } else { "false" });
    out.json(result)?;
    if ok {
        Ok(())
    } else {
        Err(bad_arg(format!(
            "{what} failed on some brokers: {result:?}"
        )))
    }
}

async fn cluster_list(
    admin: &Admin,
    out: &mut Output,
    more: bool,
    cluster: Option<&str>,
) -> CliResult<()> {
    let brokers = admin.cluster_list(cluster).await?;
    if more {
        out.line(format!(
            "{:<16}  {:<32} {:>14} {:>14} {:>14} {:>14}",
            "#Cluster Name",
            "#Broker Name",
            "#InTotalYest",
            "#OutTotalYest",
            "#InTotalToday",
            "#OutTotalToday"
        ));
        for b in &brokers {
            let n = |k: &str| b.stat(k).parse::<i64>().unwrap_or(0);
            out.line(format!(
                "{:<16}  {:<32} {:>14} {:>14} {:>14} {:>14}",
                b.cluster,
                b.broker_name,
                n("msgPutTotalTodayMorning") - n("msgPutTotalYesterdayMorning"),
                n("msgGetTotalTodayMorning") - n("msgGetTotalYesterdayMorning"),
                n("msgPutTotalTodayNow") - n("msgPutTotalTodayMorning"),
                n("msgGetTotalTodayNow") - n("msgGetTotalTodayMorning"),
            ));
        }
    } else {
        out.line(format!(
            "{:<16}  {:<22}  {:<4}  {:<22} {:<16} {:>19} {:>19} {:>10} {:>5} {:>6}",
            "#Cluster Name",
            "#Broker Name",
            "#BID",
            "#Addr",
            "#Version",
            "#InTPS(LOAD)",
            "#OutTPS(LOAD)",
            "#PCWait(ms)",
            "#Hour",
            "#SPACE"
        ));
        for b in &brokers {
            out.line(base_row(b));
        }
    }
    out.json(&brokers)
}

fn base_row(b: &BrokerSummary) -> String {
    let load = |tps: f64, size: &str, wait: &str| format!("{tps:>9.2}({size},{wait}ms)");
    format!(
        "{:<16}  {:<22}  {:<4}  {:<22} {:<16} {:>19} {:>19} {:>10} {:>5} {:>6}",
        b.cluster,
        b.broker_name,
        b.broker_id,
        b.addr,
        b.version,
        load(
            b.in_tps,
            b.stat("sendThreadPoolQueueSize"),
            b.stat("sendThreadPoolQueueHeadWaitTimeMills")
        ),
        load(
            b.out_tps,
            b.stat("pullThreadPoolQueueSize"),
            b.stat("pullThreadPoolQueueHeadWaitTimeMills")
        ),
        b.stat("pageCacheLockTimeMills"),
        format!("{:.2}", b.hours()),
        format!("{:.4}", b.space()),
    )
}
