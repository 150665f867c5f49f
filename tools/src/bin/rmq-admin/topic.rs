//! Topic commands: `topicList`, `topicRoute`, `topicStatus`, `topicClusterList`, `updateTopic`,
//! `deleteTopic`.

use clap::Subcommand;
use rmq_client_admin::{Admin, Target};
use rmq_protocol::body::TopicConfig;
use rmq_protocol::{naming, perm};
use serde::Serialize;

use crate::cluster::TargetArgs;
use crate::table::{human_time, parse_bool};
use crate::{bad_arg, CliResult, Output};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Fetch all topic list from name server.
    #[command(name = "topicList")]
    TopicList {
        /// Show cluster and consumer groups of each topic.
        #[arg(short = 'c', long = "clusterModel")]
        cluster_model: bool,
    },
    /// Examine topic route info.
    #[command(name = "topicRoute")]
    TopicRoute {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Print the brokers as a table instead of JSON.
        #[arg(short = 'l', long = "list")]
        list: bool,
    },
    /// Examine topic Status info.
    #[command(name = "topicStatus")]
    TopicStatus {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Cluster name (accepted for compatibility; every broker of the topic is asked).
        #[arg(short = 'c', long = "cluster")]
        cluster: Option<String>,
    },
    /// Get cluster info for topic.
    #[command(name = "topicClusterList")]
    TopicClusterList {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// Update or create topic.
    #[command(name = "updateTopic")]
    UpdateTopic {
        #[command(flatten)]
        target: TargetArgs,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Set read queue nums.
        #[arg(short = 'r', long = "readQueueNums", default_value_t = 8)]
        read: i32,
        /// Set write queue nums.
        #[arg(short = 'w', long = "writeQueueNums", default_value_t = 8)]
        write: i32,
        /// Set topic's permission (2|4|6), intro[2:W 4:R; 6:RW].
        #[arg(short = 'p', long = "perm", default_value_t = 6)]
        perm: i32,
        /// Set topic's order (true|false).
        #[arg(short = 'o', long = "order", value_parser = parse_bool)]
        order: Option<bool>,
        /// Is unit topic (true|false).
        #[arg(short = 'u', long = "unit", value_parser = parse_bool)]
        unit: Option<bool>,
        /// Has unit sub (true|false).
        #[arg(short = 's', long = "hasUnitSub", value_parser = parse_bool)]
        has_unit_sub: Option<bool>,
    },
    /// Delete topic from broker and NameServer.
    #[command(name = "deleteTopic")]
    DeleteTopic {
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Delete topic from which cluster.
        #[arg(short = 'c', long = "clusterName")]
        cluster: String,
    },
}

#[derive(Serialize)]
struct ClusterTopic {
    cluster: String,
    topic: String,
    groups: Vec<String>,
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::TopicList {
                cluster_model: false,
            } => {
                let topics = admin.topic_list().await?;
                for t in &topics {
                    out.line(t);
                }
                out.json(&topics)
            }
            Cmd::TopicList {
                cluster_model: true,
            } => {
                out.line(format!(
                    "{:<20}  {:<48}  {:<48}",
                    "#Cluster Name", "#Topic", "#Consumer Group"
                ));
                let info = admin.cluster_info().await?;
                let mut rows = Vec::new();
                for cluster in info.cluster_addr_table.keys() {
                    for topic in admin.topics_of_cluster(cluster).await? {
                        if naming::is_retry_topic(&topic) || naming::is_dlq_topic(&topic) {
                            continue;
                        }
                        let groups: Vec<String> = admin
                            .topic_consumed_by(&topic)
                            .await
                            .map(|g| g.into_iter().collect())
                            .unwrap_or_default();
                        if groups.is_empty() {
                            out.line(format!("{cluster:<20}  {topic:<48}  {:<48}", ""));
                        }
                        for g in &groups {
                            out.line(format!("{cluster:<20}  {topic:<48}  {g:<48}"));
                        }
                        rows.push(ClusterTopic {
                            cluster: cluster.clone(),
                            topic,
                            groups,
                        });
                    }
                }
                out.json(&rows)
            }
            Cmd::TopicRoute { topic, list } => {
                let route = admin.topic_route(&topic).await?;
                if list {
                    out.line(format!(
                        "{:<45} {:<32} {:<50} {:<10} {:<11} {:<5}",
                        "#ClusterName",
                        "#BrokerName",
                        "#BrokerAddrs",
                        "#ReadQueue",
                        "#WriteQueue",
                        "#Perm"
                    ));
                    for b in &route.broker_datas {
                        let q = route
                            .queue_datas
                            .iter()
                            .find(|q| q.broker_name == b.broker_name);
                        out.line(format!(
                            "{:<45} {:<32} {:<50} {:<10} {:<11} {:<5}",
                            b.cluster,
                            b.broker_name,
                            format!("{:?}", b.broker_addrs),
                            q.map_or(0, |q| q.read_queue_nums),
                            q.map_or(0, |q| q.write_queue_nums),
                            q.map_or(0, |q| q.perm),
                        ));
                    }
                } else {
                    let text = serde_json::to_string_pretty(&route)
                        .map_err(|e| bad_arg(format!("cannot render the route: {e}")))?;
                    out.line(text);
                }
                out.json(&route)
            }
            Cmd::TopicStatus { topic, .. } => {
                let stats = admin.topic_status(&topic).await?;
                out.line(format!(
                    "{:<32}  {:<4}  {:<20}  {:<20}    {}",
                    "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated"
                ));
                for (mq, o) in &stats.offset_table {
                    let updated = if o.last_update_timestamp > 0 {
                        human_time(o.last_update_timestamp)
                    } else {
                        String::new()
                    };
                    out.line(format!(
                        "{:<32}  {:<4}  {:<20}  {:<20}    {updated}",
                        mq.broker_name, mq.queue_id, o.min_offset, o.max_offset
                    ));
                }
                let rows: Vec<serde_json::Value> = stats
                    .offset_table
                    .iter()
                    .map(|(mq, o)| {
                        serde_json::json!({
                            "brokerName": mq.broker_name, "queueId": mq.queue_id,
                            "minOffset": o.min_offset, "maxOffset": o.max_offset,
                            "lastUpdateTimestamp": o.last_update_timestamp,
                        })
                    })
                    .collect();
                out.json(&rows)
            }
            Cmd::TopicClusterList { topic } => {
                let clusters = admin.topic_clusters(&topic).await?;
                for c in &clusters {
                    out.line(c);
                }
                out.json(&clusters)
            }
            Cmd::UpdateTopic {
                target,
                topic,
                read,
                write,
                perm: p,
                order,
                unit,
                has_unit_sub,
            } => {
                let target = target.target()?;
                let mut sys_flag = 0;
                if unit == Some(true) {
                    sys_flag |= 0x1;
                }
                if has_unit_sub == Some(true) {
                    sys_flag |= 0x2;
                }
                let config = TopicConfig {
                    topic_name: topic.clone(),
                    read_queue_nums: read,
                    write_queue_nums: write,
                    perm: p,
                    order: order.unwrap_or(false),
                    topic_sys_flag: sys_flag,
                    ..TopicConfig::default()
                };
                let addrs = admin.create_or_update_topic(&target, &config).await?;
                if let (Target::Cluster(cluster), Some(true)) = (&target, order) {
                    let brokers = admin.cluster_info().await?;
                    let mut names = brokers
                        .cluster_addr_table
                        .get(cluster)
                        .cloned()
                        .unwrap_or_default();
                    names.sort();
                    let conf: Vec<String> = names.iter().map(|n| format!("{n}:{write}")).collect();
                    admin
                        .put_kv_config("ORDER_TOPIC_CONFIG", &topic, &conf.join(";"))
                        .await?;
                    out.line(format!(
                        "set cluster orderConf. isOrder={}, orderConf=[{}]",
                        true,
                        conf.join(";")
                    ));
                }
                for addr in &addrs {
                    out.line(format!("create topic to {addr} success."));
                }
                out.line(format!(
                    "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}]",
                    config.topic_name, config.read_queue_nums, config.write_queue_nums,
                    perm::to_display(config.perm), config.topic_filter_type, config.topic_sys_flag, config.order
                ));
                out.json(&serde_json::json!({ "brokers": addrs, "topicConfig": config }))
            }
            Cmd::DeleteTopic { topic, cluster } => {
                let addrs = admin.delete_topic(&topic, &cluster).await?;
                out.line(format!(
                    "delete topic [{topic}] from cluster [{cluster}] success."
                ));
                out.line(format!("delete topic [{topic}] from NameServer success."));
                out.json(
                    &serde_json::json!({ "topic": topic, "cluster": cluster, "brokers": addrs }),
                )
            }
        }
    }
}
