//! Topic, group and store commands 5.x added: `updateStaticTopic`, `updateTopicList`,
//! `updateSubGroupList`, `getTopicConfig`, `getConsumerConfig`, `queryTopicsByConsumer`,
//! `querySubscriptionByConsumer`, `updateGroupForbidden`, `getColdDataFlowCtrInfo`,
//! `updateColdDataFlowCtrGroupConfig`, `removeColdDataFlowCtrGroupConfig`,
//! `setCommitLogReadAheadMode`, `checkRocksdbCqWriteProgress`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use clap::Subcommand;
use rmq_client_admin::{Admin, Target};
use rmq_protocol::body::{from_fastjson, TopicConfigAndQueueMapping};
use serde::de::DeserializeOwned;

use crate::cluster::TargetArgs;
use crate::table::parse_bool;
use crate::{bad_arg, CliResult, Output};

/// The largest `-f` file read (batch lists are small; this bounds a mistaken path).
const MAX_LIST_FILE: u64 = 16 << 20;

/// Java's default `checkFrom` of `checkRocksdbCqWriteProgress`: 30 days ago.
const DEFAULT_CHECK_SPAN_MS: i64 = 30 * 24 * 3600 * 1000;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Update or create static topic, which has fixed number of queues.
    #[command(name = "updateStaticTopic")]
    UpdateStaticTopic {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Total queue num (mqadmin's -qn).
        #[arg(long = "totalQueueNum", alias = "qn")]
        queue_num: i32,
        /// Broker names to host it, comma separated.
        #[arg(short = 'b', long = "brokers")]
        brokers: Option<String>,
        /// Clusters to host it, comma separated.
        #[arg(short = 'c', long = "clusters")]
        clusters: Option<String>,
    },
    /// Create or update topic in batch.
    #[command(name = "updateTopicList")]
    UpdateTopicList {
        #[command(flatten)]
        target: TargetArgs,
        /// Path to a file with a JSON list of TopicConfig.
        #[arg(short = 'f', long = "filename")]
        file: String,
    },
    /// Update or create subscription group in batch.
    #[command(name = "updateSubGroupList")]
    UpdateSubGroupList {
        #[command(flatten)]
        target: TargetArgs,
        /// Path to a file with a JSON list of SubscriptionGroupConfig.
        #[arg(short = 'f', long = "filename")]
        file: String,
    },
    /// Get topic config (and static-topic mapping) by broker or every broker.
    #[command(name = "getTopicConfig")]
    GetTopicConfig {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Only this broker address.
        #[arg(short = 'b', long = "brokerAddr")]
        broker: Option<String>,
    },
    /// Get consumer config by subscription group name.
    #[command(name = "getConsumerConfig")]
    GetConsumerConfig {
        /// Subscription group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
    },
    /// Query the topics a consumer group has offsets for.
    #[command(name = "queryTopicsByConsumer")]
    QueryTopicsByConsumer {
        /// Consumer group name.
        #[arg(short = 'g', long = "group")]
        group: String,
    },
    /// Query a consumer group's subscription to a topic.
    #[command(name = "querySubscriptionByConsumer")]
    QuerySubscriptionByConsumer {
        /// Consumer group name.
        #[arg(short = 'g', long = "group")]
        group: String,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// Forbid or allow a group to read a topic, and show the state.
    #[command(name = "updateGroupForbidden")]
    UpdateGroupForbidden {
        #[command(flatten)]
        target: TargetArgs,
        /// Consumer group name.
        #[arg(short = 'g', long = "group")]
        group: String,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// true or false; only shows the state when absent.
        #[arg(short = 'r', long = "readable", value_parser = parse_bool)]
        readable: Option<bool>,
    },
    /// Get cold data flow ctr info.
    #[command(name = "getColdDataFlowCtrInfo")]
    GetColdDataFlowCtrInfo(TargetArgs),
    /// Add or update cold data flow ctr group config.
    #[command(name = "updateColdDataFlowCtrGroupConfig")]
    UpdateColdDataFlowCtrGroupConfig {
        #[command(flatten)]
        target: TargetArgs,
        /// Specific consumerGroup.
        #[arg(short = 'g', long = "consumerGroup")]
        group: String,
        /// Cold read threshold value.
        #[arg(short = 'v', long = "threshold")]
        threshold: String,
    },
    /// Remove consumer from cold ctr config.
    #[command(name = "removeColdDataFlowCtrGroupConfig")]
    RemoveColdDataFlowCtrGroupConfig {
        #[command(flatten)]
        target: TargetArgs,
        /// The consumer group to remove from the config.
        #[arg(short = 'g', long = "consumerGroup")]
        group: String,
    },
    /// Set read ahead mode for all commitlog files.
    #[command(name = "setCommitLogReadAheadMode")]
    SetCommitLogReadAheadMode {
        #[command(flatten)]
        target: TargetArgs,
        /// The CommitLog read ahead mode; 0 is default, 1 random read.
        #[arg(short = 'm', long = "commitLogReadAheadMode")]
        mode: String,
    },
    /// Check if rocksdb cq is same as file cq.
    #[command(name = "checkRocksdbCqWriteProgress")]
    CheckRocksdbCqWriteProgress {
        /// Cluster name.
        #[arg(short = 'c', long = "cluster")]
        cluster: String,
        /// Topic name (every topic when absent).
        #[arg(short = 't', long = "topic")]
        topic: Option<String>,
        /// Check from this store time, ms (default 30 days ago; mqadmin's -cf).
        #[arg(long = "checkFrom", alias = "cf")]
        check_from: Option<i64>,
    },
}

/// A JSON list file (`-f`), read with the fastjson-tolerant reader.
fn read_list<T: DeserializeOwned>(path: &str) -> CliResult<Vec<T>> {
    let file = std::fs::File::open(path)
        .map_err(|e| bad_arg(format!("cannot open the file {path}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_LIST_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad_arg(format!("cannot read the file {path}: {e}")))?;
    if bytes.len() as u64 > MAX_LIST_FILE {
        return Err(bad_arg(format!(
            "the file {path} is larger than {MAX_LIST_FILE} bytes"
        )));
    }
    from_fastjson(&bytes).map_err(|e| bad_arg(format!("the file {path} is not a JSON list: {e}")))
}

fn split(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::UpdateStaticTopic {
                topic,
                queue_num,
                brokers,
                clusters,
            } => {
                let mut targets = BTreeSet::new();
                match (brokers, clusters) {
                    (Some(b), _) => targets.extend(split(&b)),
                    (None, Some(c)) => {
                        for cluster in split(&c) {
                            targets.extend(admin.cluster_broker_names(&cluster).await?);
                        }
                    }
                    (None, None) => return Err(bad_arg("give -b <brokers> or -c <clusters>")),
                }
                let plan = admin
                    .update_static_topic(&topic, queue_num, &targets)
                    .await?;
                print_mappings(out, &topic, &plan);
                out.json(&plan)
            }
            Cmd::UpdateTopicList { target, file } => {
                let topics = read_list(&file)?;
                let addrs = admin.create_topic_list(&target.target()?, &topics).await?;
                for addr in &addrs {
                    out.line(format!(
                        "submit batch of topic config to {addr} success, please check the result later."
                    ));
                }
                out.json(&serde_json::json!({ "updated": addrs, "topics": topics.len() }))
            }
            Cmd::UpdateSubGroupList { target, file } => {
                let groups = read_list(&file)?;
                let addrs = admin.create_group_list(&target.target()?, &groups).await?;
                for addr in &addrs {
                    out.line(format!(
                        "submit batch of group config to {addr} success, please check the result later."
                    ));
                }
                out.json(&serde_json::json!({ "updated": addrs, "groups": groups.len() }))
            }
            Cmd::GetTopicConfig { topic, broker } => {
                let configs: BTreeMap<String, TopicConfigAndQueueMapping> = match broker {
                    Some(addr) => admin
                        .topic_config(&addr, &topic)
                        .await?
                        .map(|c| (addr, c))
                        .into_iter()
                        .collect(),
                    None => admin.topic_config_all(&topic).await?,
                };
                if configs.is_empty() {
                    return Err(rmq_client_admin::Error::NotFound {
                        what: format!("topic {topic}"),
                        where_: Some("any broker".into()),
                    });
                }
                print_mappings(out, &topic, &configs);
                out.json(&configs)
            }
            Cmd::GetConsumerConfig { group } => {
                let configs = admin.group_config_all(&group).await?;
                let mut json = Vec::new();
                for c in &configs {
                    out.line(format!(
                        "============================={}:{}=============================",
                        c.cluster.as_deref().unwrap_or("null"),
                        c.broker_name
                    ));
                    let value = serde_json::to_value(&c.config).map_err(|e| {
                        bad_arg(format!("cannot render the config of {group}: {e}"))
                    })?;
                    if let serde_json::Value::Object(fields) = &value {
                        for (k, v) in fields {
                            let v = match v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            out.line(format!("{k:<40}=  {v}"));
                        }
                    }
                    json.push(serde_json::json!({
                        "cluster": c.cluster, "brokerName": c.broker_name,
                        "addr": c.addr, "config": value,
                    }));
                }
                out.json(&json)
            }
            Cmd::QueryTopicsByConsumer { group } => {
                let topics = admin.topics_by_consumer(&group).await?;
                for t in &topics {
                    out.line(t);
                }
                out.json(&topics)
            }
            Cmd::QuerySubscriptionByConsumer { group, topic } => {
                let body = admin.subscription_by_consumer(&group, &topic).await?;
                match &body.subscription_data {
                    Some(s) => {
                        out.line(format!(
                            "{:<24}  {:<32}  {}",
                            "#Topic", "#Group", "#Expression"
                        ));
                        out.line(format!(
                            "{:<24}  {:<32}  {} ({})",
                            s.topic, group, s.sub_string, s.expression_type
                        ));
                    }
                    None => out.line(format!("group {group} has no subscription to {topic}")),
                }
                out.json(&body)
            }
            Cmd::UpdateGroupForbidden {
                target,
                group,
                topic,
                readable,
            } => {
                let states = admin
                    .group_forbidden(&target.target()?, &group, &topic, readable)
                    .await?;
                out.line(format!(
                    "{:<24}  {:<24}  {:<24}  {}",
                    "#Broker", "#Group", "#Topic", "#Readable"
                ));
                for (addr, s) in &states {
                    out.line(format!(
                        "{addr:<24}  {:<24}  {:<24}  {}",
                        s.group.as_deref().unwrap_or(&group),
                        s.topic.as_deref().unwrap_or(&topic),
                        s.readable.map_or("null".to_owned(), |r| r.to_string())
                    ));
                }
                out.json(&states)
            }
            Cmd::GetColdDataFlowCtrInfo(t) => {
                let infos = admin.cold_data_flow_ctr_info(&t.target()?).await?;
                let mut json = BTreeMap::new();
                for (addr, info) in &infos {
                    out.line(format!("============{addr}============"));
                    match info {
                        None => {
                            out.line(format!("Broker[{addr}] has no cold ctr table !"));
                            json.insert(addr.clone(), serde_json::Value::Null);
                        }
                        Some(text) => {
                            let value: serde_json::Value = from_fastjson(text.as_bytes())
                                .unwrap_or_else(|_| serde_json::Value::String(text.clone()));
                            out.line(
                                serde_json::to_string_pretty(&value)
                                    .unwrap_or_else(|_| text.clone()),
                            );
                            json.insert(addr.clone(), value);
                        }
                    }
                }
                out.json(&json)
            }
            Cmd::UpdateColdDataFlowCtrGroupConfig {
                target,
                group,
                threshold,
            } => {
                let addrs = admin
                    .update_cold_data_flow_ctr(&target.target()?, &group, &threshold)
                    .await?;
                for addr in &addrs {
                    out.line(format!("updateColdDataFlowCtrGroupConfig success, {addr}"));
                }
                out.json(&serde_json::json!({ "updated": addrs }))
            }
            Cmd::RemoveColdDataFlowCtrGroupConfig { target, group } => {
                let addrs = admin
                    .remove_cold_data_flow_ctr(&target.target()?, &group)
                    .await?;
                for addr in &addrs {
                    out.line(format!("remove broker cold read threshold success, {addr}"));
                }
                out.json(&serde_json::json!({ "updated": addrs }))
            }
            Cmd::SetCommitLogReadAheadMode { target, mode } => {
                let answers = admin
                    .set_commit_log_read_mode(&target.target()?, mode.trim())
                    .await?;
                for (addr, remark) in &answers {
                    out.line(format!("============{addr}============"));
                    out.line(remark.as_deref().unwrap_or("set read ahead mode success"));
                }
                out.json(&answers)
            }
            Cmd::CheckRocksdbCqWriteProgress {
                cluster,
                topic,
                check_from,
            } => {
                let from = check_from.unwrap_or_else(|| {
                    chrono::Utc::now().timestamp_millis() - DEFAULT_CHECK_SPAN_MS
                });
                let results = admin
                    .check_rocksdb_cq(
                        &Target::Cluster(cluster),
                        topic.as_deref().unwrap_or_default(),
                        from,
                    )
                    .await?;
                for (addr, r) in &results {
                    if r.check_status == 3 {
                        out.line(format!(
                            "{addr} check error, please check log... errInfo: {}",
                            r.check_result.as_deref().unwrap_or_default()
                        ));
                    } else {
                        out.line(format!(
                            "{addr} {}: {}",
                            r.status_name(),
                            r.check_result.as_deref().unwrap_or(
                                "check doing, please wait and get the result from log..."
                            )
                        ));
                    }
                }
                out.json(&results)
            }
        }
    }
}

/// Each broker's part of a (static) topic: its config, then one line per logic queue it hosts.
fn print_mappings(
    out: &mut Output,
    topic: &str,
    configs: &BTreeMap<String, TopicConfigAndQueueMapping>,
) {
    for (broker, c) in configs {
        let t = &c.config.config;
        out.line(format!("============{broker}============"));
        out.line(format!(
            "topic={topic} readQueueNums={} writeQueueNums={} perm={}",
            t.read_queue_nums, t.write_queue_nums, t.perm
        ));
        let Some(detail) = &c.mapping_detail else {
            continue;
        };
        out.line(format!(
            "#Epoch {} #TotalQueues {} #Scope {}",
            detail.epoch, detail.total_queues, detail.scope
        ));
        out.line(format!(
            "{:<12}  {:<24}  {:<10}  {:<8}  {}",
            "#LogicQueue", "#Broker", "#QueueId", "#Gen", "#LogicOffset"
        ));
        for (global_id, items) in &detail.hosted_queues {
            if let Some(last) = items.last() {
                out.line(format!(
                    "{global_id:<12}  {:<24}  {:<10}  {:<8}  {}",
                    last.bname, last.queue_id, last.gen, last.logic_offset
                ));
            }
        }
    }
}
