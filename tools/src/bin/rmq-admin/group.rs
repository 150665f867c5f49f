//! Group commands: `updateSubGroup`, `deleteSubGroup`, `consumerProgress`,
//! `consumerConnection`, `producerConnection`, `consumerStatus`, `resetOffsetByTime`,
//! `cloneGroupOffset`, `setConsumeMode`.

use std::collections::BTreeMap;

use clap::Subcommand;
use rmq_client_admin::{Admin, Target};
use rmq_protocol::body::{
    ConsumerRunningInfo, MessageRequestMode, SetMessageRequestModeRequestBody,
    SubscriptionGroupConfig,
};
use rmq_protocol::{naming, MessageQueue, Version};
use serde::Serialize;

use crate::cluster::TargetArgs;
use crate::table::{human_time, parse_bool, parse_time};
use crate::{CliResult, Output};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Update or create subscription group.
    #[command(name = "updateSubGroup")]
    UpdateSubGroup {
        #[command(flatten)]
        target: TargetArgs,
        /// Consumer group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
        /// Consume enable (true|false).
        #[arg(short = 's', long = "consumeEnable", value_parser = parse_bool)]
        consume_enable: Option<bool>,
        /// Consume from min offset enable (true|false).
        #[arg(short = 'm', long = "consumeFromMinEnable", value_parser = parse_bool)]
        from_min: Option<bool>,
        /// Broadcast consumption enable (true|false).
        #[arg(short = 'd', long = "consumeBroadcastEnable", value_parser = parse_bool)]
        broadcast: Option<bool>,
        /// Retry queue nums.
        #[arg(short = 'q', long = "retryQueueNums")]
        retry_queue_nums: Option<i32>,
        /// Retry max times.
        #[arg(short = 'r', long = "retryMaxTimes")]
        retry_max_times: Option<i32>,
        /// Consumer from which broker id.
        #[arg(short = 'i', long = "brokerId")]
        broker_id: Option<i64>,
        /// Which broker id when consume slowly.
        #[arg(short = 'w', long = "whichBrokerWhenConsumeSlowly")]
        slowly: Option<i64>,
        /// Notify consumer ids changed enable (true|false).
        #[arg(short = 'a', long = "notifyConsumerIdsChanged", value_parser = parse_bool)]
        notify: Option<bool>,
    },
    /// Delete subscription group from broker.
    #[command(name = "deleteSubGroup")]
    DeleteSubGroup {
        #[command(flatten)]
        target: TargetArgs,
        /// Subscription group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
        /// Remove the group's offsets too (true|false).
        #[arg(short = 'r', long = "removeOffset", value_parser = parse_bool)]
        remove_offset: Option<bool>,
    },
    /// Query consumer's progress, speed.
    #[command(name = "consumerProgress")]
    ConsumerProgress {
        /// Consumer group name (all groups when absent).
        #[arg(short = 'g', long = "groupName")]
        group: Option<String>,
        /// Only this topic.
        #[arg(short = 't', long = "topicName")]
        topic: Option<String>,
        /// Show the client IP of each queue (true|false).
        #[arg(short = 's', long = "showClientIP", value_parser = parse_bool)]
        show_client_ip: Option<bool>,
    },
    /// Query consumer's socket connection, client version and subscription.
    #[command(name = "consumerConnection")]
    ConsumerConnection {
        /// Consumer group name.
        #[arg(short = 'g', long = "consumerGroup")]
        group: String,
    },
    /// Query producer's socket connection and client version.
    #[command(name = "producerConnection")]
    ProducerConnection {
        /// Producer group name.
        #[arg(short = 'g', long = "producerGroup")]
        group: String,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
    },
    /// Query consumer's internal data structure.
    #[command(name = "consumerStatus")]
    ConsumerStatus {
        /// Consumer group name.
        #[arg(short = 'g', long = "consumerGroup")]
        group: String,
        /// The consumer's client id.
        #[arg(short = 'i', long = "clientId")]
        client_id: Option<String>,
        /// Ask for the client's thread stack.
        #[arg(short = 's', long = "jstack")]
        jstack: bool,
    },
    /// Reset consumer offset by timestamp (without client restart).
    #[command(name = "resetOffsetByTime")]
    ResetOffsetByTime {
        /// Consumer group name.
        #[arg(short = 'g', long = "group")]
        group: String,
        /// Topic name.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// Timestamp: now, milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS.
        #[arg(short = 's', long = "timestamp")]
        timestamp: String,
        /// Move offsets forward too (true|false, default true).
        #[arg(short = 'f', long = "force", value_parser = parse_bool)]
        force: Option<bool>,
        /// Reset the offsets stored by the clients (old style; same effect here).
        #[arg(short = 'c', long = "cplus")]
        cplus: bool,
    },
    /// Clone offset from other group.
    #[command(name = "cloneGroupOffset")]
    CloneGroupOffset {
        /// Source group.
        #[arg(short = 's', long = "srcGroup")]
        src: String,
        /// Destination group.
        #[arg(short = 'd', long = "destGroup")]
        dest: String,
        /// Topic.
        #[arg(short = 't', long = "topic")]
        topic: String,
        /// The source group is offline (true|false).
        #[arg(short = 'o', long = "offline", value_parser = parse_bool)]
        offline: Option<bool>,
    },
    /// Set consume message mode. pull/pop etc.
    #[command(name = "setConsumeMode")]
    SetConsumeMode {
        #[command(flatten)]
        target: TargetArgs,
        /// Topic name.
        #[arg(short = 't', long = "topicName")]
        topic: String,
        /// Consumer group name.
        #[arg(short = 'g', long = "groupName")]
        group: String,
        /// Consume mode: PULL or POP.
        #[arg(short = 'm', long = "mode", value_parser = parse_mode)]
        mode: MessageRequestMode,
        /// Number of other members' queues each POP client also pops (0: every queue).
        #[arg(short = 'q', long = "popShareQueueNum")]
        pop_share_queue_num: Option<i32>,
    },
}

/// `PULL` or `POP`, as Java's `MessageRequestMode.valueOf`.
fn parse_mode(text: &str) -> Result<MessageRequestMode, String> {
    match text.trim() {
        "PULL" => Ok(MessageRequestMode::Pull),
        "POP" => Ok(MessageRequestMode::Pop),
        other => Err(format!("consume mode {other:?} is neither PULL nor POP")),
    }
}

/// The name serde gives an enum value (Java's enum name).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn version_desc(v: i32) -> String {
    Version(v).name().unwrap_or_else(|| v.to_string())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressRow {
    topic: String,
    broker_name: String,
    queue_id: i32,
    broker_offset: i64,
    consumer_offset: i64,
    diff: i64,
    last_timestamp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ip: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupRow {
    group: String,
    count: usize,
    version: String,
    consume_type: String,
    message_model: String,
    consume_tps: f64,
    diff_total: i64,
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        match self {
            Cmd::UpdateSubGroup {
                target,
                group,
                consume_enable,
                from_min,
                broadcast,
                retry_queue_nums,
                retry_max_times,
                broker_id,
                slowly,
                notify,
            } => {
                let d = SubscriptionGroupConfig::default();
                let config = SubscriptionGroupConfig {
                    group_name: group,
                    consume_enable: consume_enable.unwrap_or(d.consume_enable),
                    consume_from_min_enable: from_min.unwrap_or(d.consume_from_min_enable),
                    consume_broadcast_enable: broadcast.unwrap_or(d.consume_broadcast_enable),
                    retry_queue_nums: retry_queue_nums.unwrap_or(d.retry_queue_nums),
                    retry_max_times: retry_max_times.unwrap_or(d.retry_max_times),
                    broker_id: broker_id.unwrap_or(d.broker_id),
                    which_broker_when_consume_slowly: slowly
                        .unwrap_or(d.which_broker_when_consume_slowly),
                    notify_consumer_ids_changed_enable: notify
                        .unwrap_or(d.notify_consumer_ids_changed_enable),
                };
                let addrs = admin
                    .create_or_update_group(&target.target()?, &config)
                    .await?;
                for addr in &addrs {
                    out.line(format!("create subscription group to {addr} success."));
                }
                out.line(format!(
                    "SubscriptionGroupConfig [groupName={}, consumeEnable={}, consumeFromMinEnable={}, consumeBroadcastEnable={}, retryQueueNums={}, retryMaxTimes={}, brokerId={}, whichBrokerWhenConsumeSlowly={}, notifyConsumerIdsChangedEnable={}]",
                    config.group_name, config.consume_enable, config.consume_from_min_enable, config.consume_broadcast_enable,
                    config.retry_queue_nums, config.retry_max_times, config.broker_id, config.which_broker_when_consume_slowly,
                    config.notify_consumer_ids_changed_enable
                ));
                out.json(&serde_json::json!({ "brokers": addrs, "groupConfig": config }))
            }
            Cmd::DeleteSubGroup {
                target,
                group,
                remove_offset,
            } => {
                let target = target.target()?;
                let addrs = admin
                    .delete_group(&target, &group, remove_offset.unwrap_or(false))
                    .await?;
                match &target {
                    Target::Broker(b) => out.line(format!(
                        "delete subscription group [{group}] from broker [{b}] success."
                    )),
                    Target::Cluster(c) => {
                        out.line(format!(
                            "delete subscription group [{group}] from cluster [{c}] success."
                        ));
                        // Java also drops the group's retry and DLQ topics, ignoring failures.
                        for topic in [naming::retry_topic(&group), naming::dlq_topic(&group)] {
                            if admin.delete_topic(&topic, c).await.is_ok() {
                                out.line(format!(
                                    "delete topic [{topic}] from cluster [{c}] success."
                                ));
                            }
                        }
                    }
                }
                out.json(&serde_json::json!({ "group": group, "brokers": addrs }))
            }
            Cmd::ConsumerProgress {
                group: Some(group),
                topic,
                show_client_ip,
            } => {
                progress_of_group(
                    admin,
                    out,
                    &group,
                    topic.as_deref(),
                    show_client_ip == Some(true),
                )
                .await
            }
            Cmd::ConsumerProgress { group: None, .. } => progress_of_all(admin, out).await,
            Cmd::ConsumerConnection { group } => {
                let cc = admin.consumer_connection(&group).await?;
                for (i, c) in cc.connection_set.iter().enumerate() {
                    out.line(format!(
                        "{:03}  {:<36} {:<22} {:<10} {}",
                        i + 1,
                        c.client_id,
                        c.client_addr,
                        c.language,
                        version_desc(c.version)
                    ));
                }
                out.line("");
                out.line("Below is subscription:");
                for (i, (topic, sub)) in cc.subscription_table.iter().enumerate() {
                    out.line(format!(
                        "{:03}  Topic: {topic:<40} SubExpression: {}",
                        i + 1,
                        sub.sub_string
                    ));
                }
                out.line("");
                out.line(format!(
                    "ConsumeType: {}",
                    cc.consume_type.as_ref().map(wire_name).unwrap_or_default()
                ));
                out.line(format!(
                    "MessageModel: {}",
                    cc.message_model.as_ref().map(wire_name).unwrap_or_default()
                ));
                out.line(format!(
                    "ConsumeFromWhere: {}",
                    cc.consume_from_where
                        .as_ref()
                        .map(wire_name)
                        .unwrap_or_default()
                ));
                out.json(&cc)
            }
            Cmd::ProducerConnection { group, topic } => {
                let pc = admin.producer_connection(&group, &topic).await?;
                for (i, c) in pc.connection_set.iter().enumerate() {
                    out.line(format!(
                        "{:04}  {:<32} {:<22} {:<8} {}",
                        i + 1,
                        c.client_id,
                        c.client_addr,
                        c.language,
                        version_desc(c.version)
                    ));
                }
                out.json(&pc)
            }
            Cmd::ConsumerStatus {
                group,
                client_id,
                jstack,
            } => consumer_status(admin, out, &group, client_id, jstack).await,
            Cmd::ResetOffsetByTime {
                group,
                topic,
                timestamp,
                force,
                cplus: _,
            } => {
                let ts = parse_time("-s timestamp", &timestamp)?;
                let force = force.unwrap_or(true);
                let outcome = admin
                    .reset_offset_by_time(&group, &topic, ts, force)
                    .await?;
                out.line(format!(
                    "rollback consumer offset by specified group[{group}], topic[{topic}], force[{force}], timestamp(string)[{timestamp}], timestamp(long)[{ts}]"
                ));
                out.line(format!(
                    "{:<40}  {:<40}  {:<40}",
                    "#brokerName", "#queueId", "#offset"
                ));
                for (mq, offset) in &outcome.offsets {
                    out.line(format!(
                        "{:<40}  {:<40}  {:<40}",
                        mq.broker_name, mq.queue_id, offset
                    ));
                }
                out.json(&outcome)
            }
            Cmd::CloneGroupOffset {
                src,
                dest,
                topic,
                offline,
            } => {
                admin
                    .clone_group_offset(&src, &dest, &topic, offline.unwrap_or(true))
                    .await?;
                out.line(format!("clone group offset success. srcGroup[{src}], destGroup=[{dest}], topic[{topic}]"));
                out.json(&serde_json::json!({ "srcGroup": src, "destGroup": dest, "topic": topic }))
            }
            Cmd::SetConsumeMode {
                target,
                topic,
                group,
                mode,
                pop_share_queue_num,
            } => {
                let body = SetMessageRequestModeRequestBody {
                    consumer_group: group,
                    mode,
                    pop_share_queue_num: pop_share_queue_num.unwrap_or(0),
                    topic,
                };
                set_consume_mode(admin, out, &target.target()?, &body).await
            }
        }
    }
}

/// `setConsumeMode`: every targeted broker in turn, as mqadmin does; a broker that refuses
/// does not stop the others, and the first refusal is the command's error.
async fn set_consume_mode(
    admin: &Admin,
    out: &mut Output,
    target: &Target,
    body: &SetMessageRequestModeRequestBody,
) -> CliResult<()> {
    let mut done = Vec::new();
    let mut first_error = None;
    for addr in admin.target_addrs(target).await? {
        let r = admin
            .instance()
            .api()
            .set_message_request_mode(&addr, body, admin.timeout())
            .await;
        match r {
            Ok(()) => {
                out.line(format!("set consume mode to {addr} success."));
                done.push(addr);
            }
            Err(source) => {
                first_error.get_or_insert(rmq_client_admin::Error::Client {
                    what: format!(
                        "set the consume mode of topic {} and group {} on broker {addr}",
                        body.topic, body.consumer_group
                    ),
                    source,
                });
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let mode = wire_name(&body.mode);
    out.line(format!(
        "topic[{}] group[{}] consume mode[{mode}] popShareQueueNum[{}]",
        body.topic, body.consumer_group, body.pop_share_queue_num
    ));
    out.json(&serde_json::json!({ "brokers": done, "mode": body }))
}

async fn progress_of_group(
    admin: &Admin,
    out: &mut Output,
    group: &str,
    topic: Option<&str>,
    show_ip: bool,
) -> CliResult<()> {
    let stats = admin.consume_stats(group, topic).await?;
    let clients: BTreeMap<MessageQueue, String> = if show_ip {
        queue_clients(admin, group).await
    } else {
        BTreeMap::new()
    };
    if show_ip {
        out.line(format!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {:<20}  {}",
            "#Topic",
            "#Broker Name",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Client IP",
            "#Diff",
            "#LastTime"
        ));
    } else {
        out.line(format!(
            "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {:<20} {}",
            "#Topic",
            "#Broker Name",
            "#QID",
            "#Broker Offset",
            "#Consumer Offset",
            "#Diff",
            "#LastTime"
        ));
    }
    let mut rows = Vec::new();
    for (mq, o) in &stats.offset_table {
        let diff = o.broker_offset - o.consumer_offset;
        let last = if o.last_timestamp > 0 {
            human_time(o.last_timestamp)
        } else {
            "N/A".to_owned()
        };
        let ip = clients.get(mq).cloned();
        if show_ip {
            let ip_text = ip.clone().unwrap_or_else(|| "N/A".to_owned());
            out.line(format!(
                "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {ip_text:<20} {diff:<20}  {last}",
                mq.topic, mq.broker_name, mq.queue_id, o.broker_offset, o.consumer_offset
            ));
        } else {
            out.line(format!(
                "{:<64}  {:<32}  {:<4}  {:<20}  {:<20}  {diff:<20} {last}",
                mq.topic, mq.broker_name, mq.queue_id, o.broker_offset, o.consumer_offset
            ));
        }
        rows.push(ProgressRow {
            topic: mq.topic.clone(),
            broker_name: mq.broker_name.clone(),
            queue_id: mq.queue_id,
            broker_offset: o.broker_offset,
            consumer_offset: o.consumer_offset,
            diff,
            last_timestamp: o.last_timestamp,
            client_ip: ip,
        });
    }
    out.line("");
    out.line(format!("Consume TPS: {:.2}", stats.consume_tps));
    out.line(format!("Diff Total: {}", stats.total_diff()));
    out.json(&serde_json::json!({ "group": group, "consumeTps": stats.consume_tps, "diffTotal": stats.total_diff(), "queues": rows }))
}

/// Which client holds each queue, from the running info of every connected consumer.
async fn queue_clients(admin: &Admin, group: &str) -> BTreeMap<MessageQueue, String> {
    let mut out = BTreeMap::new();
    let Ok(cc) = admin.consumer_connection(group).await else {
        return out;
    };
    for c in cc.connection_set {
        if let Ok(info) = admin
            .consumer_running_info(group, &c.client_id, false)
            .await
        {
            let ip = c.client_id.split('@').next().unwrap_or_default().to_owned();
            for mq in info.mq_table.keys() {
                out.insert(mq.clone(), ip.clone());
            }
        }
    }
    out
}

async fn progress_of_all(admin: &Admin, out: &mut Output) -> CliResult<()> {
    out.line(format!(
        "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  {}",
        "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total"
    ));
    let mut rows = Vec::new();
    for topic in admin.topic_list().await? {
        let Some(group) = topic.strip_prefix(naming::RETRY_GROUP_TOPIC_PREFIX) else {
            continue;
        };
        let Ok(stats) = admin.consume_stats(group, None).await else {
            continue;
        };
        let cc = admin.consumer_connection(group).await.ok();
        let (count, version, consume_type, model) = match &cc {
            Some(cc) => (
                cc.connection_set.len(),
                cc.connection_set
                    .iter()
                    .map(|c| c.version)
                    .min()
                    .map(version_desc)
                    .unwrap_or_default(),
                match cc.consume_type.as_ref().map(wire_name).as_deref() {
                    Some("CONSUME_ACTIVELY") => "PULL".to_owned(),
                    Some("CONSUME_PASSIVELY") => "PUSH".to_owned(),
                    Some(other) => other.to_owned(),
                    None => String::new(),
                },
                cc.message_model.as_ref().map(wire_name).unwrap_or_default(),
            ),
            None => (0, "OFFLINE".to_owned(), String::new(), String::new()),
        };
        let row = GroupRow {
            group: group.to_owned(),
            count,
            version,
            consume_type,
            message_model: model,
            consume_tps: stats.consume_tps,
            diff_total: stats.total_diff(),
        };
        out.line(format!(
            "{:<64}  {:<6}  {:<24} {:<5}  {:<14}  {:<7}  {}",
            row.group,
            row.count,
            row.version,
            row.consume_type,
            row.message_model,
            row.consume_tps as i64,
            row.diff_total
        ));
        rows.push(row);
    }
    out.json(&rows)
}

async fn consumer_status(
    admin: &Admin,
    out: &mut Output,
    group: &str,
    client_id: Option<String>,
    jstack: bool,
) -> CliResult<()> {
    let cc = admin.consumer_connection(group).await?;
    let ids: Vec<String> = match client_id {
        Some(id) => vec![id],
        None => cc
            .connection_set
            .iter()
            .map(|c| c.client_id.clone())
            .collect(),
    };
    for (i, c) in cc.connection_set.iter().enumerate() {
        out.line(format!(
            "{:03}  {:<40} {:<20} {}",
            i + 1,
            c.client_id,
            version_desc(c.version),
            c.client_addr
        ));
    }
    let mut infos: BTreeMap<String, ConsumerRunningInfo> = BTreeMap::new();
    for id in ids {
        let info = admin.consumer_running_info(group, &id, jstack).await?;
        out.line("");
        out.line(format!("#Consumer Running Info of {id}"));
        out.line("#Consumer Properties#");
        for (k, v) in &info.properties {
            out.line(format!("{k:<40}: {v}"));
        }
        out.line("#Consumer Subscription#");
        for (i, s) in info.subscription_set.iter().enumerate() {
            out.line(format!(
                "{:03} Topic: {:<40} ClassFilter: {:<8} SubExpression: {}",
                i + 1,
                s.topic,
                s.class_filter_mode,
                s.sub_string
            ));
        }
        out.line("#Consumer Offset#");
        out.line(format!(
            "{:<64}  {:<32}  {:<4}  {:<20}",
            "#Topic", "#Broker Name", "#QID", "#Consumer Offset"
        ));
        for (mq, pq) in &info.mq_table {
            out.line(format!(
                "{:<64}  {:<32}  {:<4}  {:<20}",
                mq.topic, mq.broker_name, mq.queue_id, pq.commit_offset
            ));
        }
        out.line("#Consumer RT&TPS#");
        for (topic, s) in &info.status_table {
            out.line(format!(
                "{topic:<64}  {:>14.2} {:>14.2} {:>14.2} {:>14.2} {:>18.2} {:>25}",
                s.pull_rt,
                s.pull_tps,
                s.consume_rt,
                s.consume_ok_tps,
                s.consume_failed_tps,
                s.consume_failed_msgs
            ));
        }
        if let Some(stack) = &info.jstack {
            out.line("#Consumer jstack#");
            out.line(stack);
        }
        infos.insert(id, info);
    }
    out.json(&serde_json::json!({ "connections": cc.connection_set, "runningInfo": infos }))
}
