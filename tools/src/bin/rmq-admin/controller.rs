//! Controller-mode and replication commands (5.x): `getControllerMetaData`,
//! `getSyncStateSet`, `electMaster`, `getControllerConfig`, `updateControllerConfig`,
//! `cleanBrokerMetadata`, `getBrokerEpoch`, `haStatus`, printed as mqadmin prints them.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Subcommand;
use rmq_client_admin::Admin;
use rmq_protocol::body::{HaRuntimeInfo, ReplicaIdentity};

use crate::cluster::TargetArgs;
use crate::table::human_time;
use crate::{bad_arg, CliResult, Output};

#[derive(Debug, Clone, Subcommand)]
pub enum Cmd {
    /// Get controller cluster's metadata.
    #[command(name = "getControllerMetaData")]
    GetControllerMetaData {
        /// The address of controller.
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
    },
    /// Fetch syncStateSet for target brokers.
    #[command(name = "getSyncStateSet")]
    GetSyncStateSet {
        /// The address of controller.
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
        /// Which broker(s) to fetch, comma separated.
        #[arg(short = 'b', long = "brokerName")]
        broker_name: Option<String>,
        /// Which cluster (every broker group of it).
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
        /// Repeat every this many seconds.
        #[arg(short = 'i', long = "interval")]
        interval: Option<u64>,
    },
    /// Re-elect the specified broker as master.
    #[command(name = "electMaster")]
    ElectMaster {
        /// The address of controller.
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
        /// The id of the broker which requires to become master.
        #[arg(short = 'b', long = "brokerId")]
        broker_id: i64,
        /// The broker name of the replicas (mqadmin's -bn).
        #[arg(long = "brokerName", alias = "bn")]
        broker_name: String,
        /// The clusterName of broker.
        #[arg(short = 'c', long = "clusterName")]
        cluster: String,
    },
    /// Get controller config.
    #[command(name = "getControllerConfig")]
    GetControllerConfig {
        /// Controller address list, e.g. 192.168.0.1:9878;192.168.0.2:9878.
        #[arg(short = 'a', long = "controllerAddress")]
        controllers: String,
    },
    /// Update controller config.
    #[command(name = "updateControllerConfig")]
    UpdateControllerConfig {
        /// Controller address list, e.g. 192.168.0.1:9878;192.168.0.2:9878.
        #[arg(short = 'a', long = "controllerAddress")]
        controllers: String,
        /// Config key.
        #[arg(short = 'k', long = "key")]
        key: String,
        /// Config value.
        #[arg(short = 'v', long = "value")]
        value: String,
    },
    /// Clean metadata of broker on controller.
    #[command(name = "cleanBrokerMetadata")]
    CleanBrokerMetadata {
        /// The address of controller.
        #[arg(short = 'a', long = "controllerAddress")]
        controller: String,
        /// The brokerController ids to clean, e.g. 1;2;3.
        #[arg(short = 'b', long = "brokerControllerIdsToClean")]
        ids: Option<String>,
        /// The broker name of the replicas (mqadmin's -bn).
        #[arg(long = "brokerName", alias = "bn")]
        broker_name: String,
        /// The clusterName of broker.
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
        /// Whether to clean up living brokers too.
        #[arg(short = 'l', long = "cleanLivingBroker")]
        clean_living: bool,
    },
    /// Fetch broker epoch entries.
    #[command(name = "getBrokerEpoch")]
    GetBrokerEpoch {
        /// Which broker group to fetch (every replica of it).
        #[arg(short = 'b', long = "brokerName")]
        broker_name: Option<String>,
        /// Which cluster (every replica of every broker group).
        #[arg(short = 'c', long = "clusterName")]
        cluster: Option<String>,
        /// Repeat every this many seconds.
        #[arg(short = 'i', long = "interval")]
        interval: Option<u64>,
    },
    /// Fetch ha runtime status data.
    #[command(name = "haStatus")]
    HaStatus {
        #[command(flatten)]
        target: TargetArgs,
        /// Repeat every this many seconds.
        #[arg(short = 'i', long = "interval")]
        interval: Option<u64>,
    },
}

fn controller_list(value: &str) -> Vec<String> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Cmd {
    /// Runs the command once, or with `-i` every that many seconds until interrupted,
    /// printing each round as it completes (as mqadmin does).
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        let interval = match &self {
            Cmd::GetSyncStateSet { interval, .. }
            | Cmd::GetBrokerEpoch { interval, .. }
            | Cmd::HaStatus { interval, .. } => *interval,
            _ => None,
        };
        let Some(secs) = interval else {
            return self.once(admin, out).await;
        };
        loop {
            let mut round = Output::default();
            self.clone().once(admin, &mut round).await?;
            print!("{}", round.text);
            tokio::time::sleep(Duration::from_secs(secs.max(1))).await;
        }
    }

    async fn once(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::GetControllerMetaData { controller } => {
                let m = admin.controller_metadata(&controller).await?;
                let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
                out.line(format!("#ControllerGroup\t{}", cell(&m.group)));
                out.line(format!(
                    "#ControllerLeaderId\t{}",
                    cell(&m.controller_leader_id)
                ));
                out.line(format!(
                    "#ControllerLeaderAddress\t{}",
                    cell(&m.controller_leader_address)
                ));
                let peers: Vec<&str> = m
                    .peers
                    .as_deref()
                    .unwrap_or_default()
                    .split(';')
                    .filter(|p| !p.is_empty())
                    .collect();
                for peer in &peers {
                    out.line(format!("#Peer:\t{peer}"));
                }
                out.json(&serde_json::json!({
                    "group": m.group,
                    "controllerLeaderId": m.controller_leader_id,
                    "controllerLeaderAddress": m.controller_leader_address,
                    "isLeader": m.is_leader,
                    "peers": peers,
                }))
            }
            Cmd::GetSyncStateSet {
                controller,
                broker_name,
                cluster,
                ..
            } => {
                let names: Vec<String> = match (broker_name, cluster) {
                    (Some(b), _) => b.split(',').map(|s| s.trim().to_owned()).collect(),
                    (None, Some(c)) => admin.cluster_broker_names(&c).await?,
                    (None, None) => {
                        return Err(bad_arg("give -b <brokerName> or -c <clusterName>"))
                    }
                };
                let info = admin.sync_state_set(&controller, &names).await?;
                for (name, r) in &info.replicas_info_table {
                    out.line(format!("#brokerName\t{name}"));
                    out.line(format!(
                        "#MasterBrokerId\t{}",
                        r.master_broker_id.unwrap_or(-1)
                    ));
                    out.line(format!(
                        "#MasterAddr\t{}",
                        r.master_address.as_deref().unwrap_or_default()
                    ));
                    out.line(format!("#MasterEpoch\t{}", r.master_epoch.unwrap_or(0)));
                    out.line(format!(
                        "#SyncStateSetEpoch\t{}",
                        r.sync_state_set_epoch.unwrap_or(0)
                    ));
                    out.line(format!("#SyncStateSetNums\t{}", r.in_sync_replicas.len()));
                    for m in &r.in_sync_replicas {
                        out.line(format!("InSyncReplica:\t{}", replica(m)));
                    }
                    for m in &r.not_in_sync_replicas {
                        out.line(format!("NotInSyncReplica:\t{}", replica(m)));
                    }
                }
                out.json(&info)
            }
            Cmd::ElectMaster {
                controller,
                broker_id,
                broker_name,
                cluster,
            } => {
                let (elected, members) = admin
                    .elect_master(&controller, &cluster, &broker_name, broker_id)
                    .await?;
                out.line(format!("#ClusterName\t{cluster}"));
                out.line(format!("#BrokerName\t{broker_name}"));
                out.line(format!(
                    "#BrokerMasterAddr\t{}",
                    elected.master_address.as_deref().unwrap_or_default()
                ));
                out.line(format!(
                    "#MasterEpoch\t{}",
                    elected.master_epoch.unwrap_or(0)
                ));
                out.line(format!(
                    "#SyncStateSetEpoch\t{}",
                    elected.sync_state_set_epoch.unwrap_or(0)
                ));
                for (id, addr) in &members.broker_addrs {
                    out.line(format!("\t#Broker\t{id}\t{addr}"));
                }
                out.json(&serde_json::json!({
                    "masterBrokerId": elected.master_broker_id,
                    "masterAddress": elected.master_address,
                    "masterEpoch": elected.master_epoch,
                    "syncStateSetEpoch": elected.sync_state_set_epoch,
                    "members": members,
                }))
            }
            Cmd::GetControllerConfig { controllers } => {
                let configs = admin
                    .controller_config(&controller_list(&controllers))
                    .await?;
                for (addr, config) in &configs {
                    out.line(format!("============{addr}============"));
                    for (k, v) in config {
                        out.line(format!("{k:<50}=  {v}"));
                    }
                }
                out.json(&configs)
            }
            Cmd::UpdateControllerConfig {
                controllers,
                key,
                value,
            } => {
                let list = controller_list(&controllers);
                admin.update_controller_config(&list, &key, &value).await?;
                out.line(format!("update controller config success!{list:?}"));
                out.json(&serde_json::json!({ "updated": list, "key": key, "value": value }))
            }
            Cmd::CleanBrokerMetadata {
                controller,
                ids,
                broker_name,
                cluster,
                clean_living,
            } => {
                admin
                    .clean_broker_metadata(
                        &controller,
                        cluster.as_deref(),
                        &broker_name,
                        ids.as_deref(),
                        clean_living,
                    )
                    .await?;
                out.line(format!(
                    "clear broker {broker_name} metadata from controller success!"
                ));
                out.json(&serde_json::json!({ "cleaned": broker_name }))
            }
            Cmd::GetBrokerEpoch {
                broker_name,
                cluster,
                ..
            } => {
                let mut addrs: Vec<String> = Vec::new();
                match (broker_name, cluster) {
                    (Some(b), _) => addrs.extend(admin.broker_addrs(&b).await?.into_values()),
                    (None, Some(c)) => addrs.extend(admin.cluster_replica_addrs(&c).await?),
                    (None, None) => {
                        return Err(bad_arg("give -b <brokerName> or -c <clusterName>"))
                    }
                }
                let mut all = BTreeMap::new();
                for addr in addrs {
                    let cache = admin.broker_epoch(&addr).await?;
                    out.line(format!(
                        "#clusterName\t{}",
                        cache.cluster_name.as_deref().unwrap_or_default()
                    ));
                    out.line(format!(
                        "#brokerName\t{}",
                        cache.broker_name.as_deref().unwrap_or_default()
                    ));
                    out.line(format!("#brokerAddr\t{addr}"));
                    out.line(format!("#brokerId\t{}", cache.broker_id));
                    for e in &cache.epoch_list {
                        out.line(format!(
                            "#Epoch: EpochEntry{{epoch={}, startOffset={}, endOffset={}}}",
                            e.epoch, e.start_offset, e.end_offset
                        ));
                    }
                    all.insert(addr, cache);
                }
                out.json(&all)
            }
            Cmd::HaStatus { target, .. } => {
                let addrs = admin.target_addrs(&target.target()?).await?;
                let mut all = BTreeMap::new();
                for addr in addrs {
                    let info = admin.ha_status(&addr).await?;
                    print_ha(out, &addr, &info);
                    all.insert(addr, info);
                }
                out.json(&all)
            }
        }
    }
}

/// Java `ReplicaIdentity.toString`.
fn replica(m: &ReplicaIdentity) -> String {
    format!(
        "ReplicaIdentity{{brokerName='{}', brokerId={}, brokerAddress='{}', alive={}}}",
        m.broker_name.as_deref().unwrap_or_default(),
        m.broker_id.unwrap_or(-1),
        m.broker_address.as_deref().unwrap_or_default(),
        m.alive.unwrap_or(false)
    )
}

/// mqadmin's `haStatus` block (`HAStatusSubCommand.printStatus`).
fn print_ha(out: &mut Output, addr: &str, info: &HaRuntimeInfo) {
    if info.master {
        out.line(format!("#MasterAddr\t{addr}"));
        out.line(format!(
            "#MasterCommitLogMaxOffset\t{}",
            info.master_commit_log_max_offset
        ));
        out.line(format!("#SlaveNum\t{}", info.ha_connection_info.len()));
        out.line(format!("#InSyncSlaveNum\t{}", info.in_sync_slave_nums));
        out.line(format!(
            "{:<32}  {:<16} {:>16} {:>16} {:>16} {:>16}",
            "#SlaveAddr",
            "#SlaveAckOffset",
            "#Diff",
            "#TransferSpeed(KB/s)",
            "#Status",
            "#TransferFromWhere"
        ));
        for c in &info.ha_connection_info {
            out.line(format!(
                "{:<32}  {:<16} {:>16} {:>16.2} {:>16} {:>16}",
                c.addr,
                c.slave_ack_offset,
                c.diff,
                c.transferred_byte_in_second as f64 / 1024.0,
                if c.in_sync { "OK" } else { "Fall Behind" },
                c.transfer_from_where
            ));
        }
    } else {
        let c = &info.ha_client_runtime_info;
        out.line(format!(
            "#MasterAddr\t{}",
            c.master_addr.as_deref().unwrap_or_default()
        ));
        out.line(format!("#CommitLogMaxOffset\t{}", c.max_offset));
        out.line(format!(
            "#TransferSpeed(KB/s)\t{:.2}",
            c.transferred_byte_in_second as f64 / 1024.0
        ));
        out.line(format!(
            "#LastReadTime\t{}",
            human_time(c.last_read_timestamp)
        ));
        out.line(format!(
            "#LastWriteTime\t{}",
            human_time(c.last_write_timestamp)
        ));
        out.line(format!("#MasterFlushOffset\t{}", c.master_flush_offset));
    }
}
