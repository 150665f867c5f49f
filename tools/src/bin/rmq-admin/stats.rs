//! `statsAll`: per topic and consumer group, accumulation and today's traffic, from the
//! brokers' statistics (`VIEW_BROKER_STATS_DATA`) and consume stats.

use clap::Subcommand;
use rmq_client_admin::Admin;
use rmq_protocol::naming;
use serde::Serialize;

use crate::progress::Progress;
use crate::{CliResult, Output};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Topic and Consumer tps stats.
    #[command(name = "statsAll")]
    StatsAll {
        /// Print active topic only.
        #[arg(short = 'a', long = "activeTopic")]
        active: bool,
        /// Print select topic only.
        #[arg(short = 't', long = "topic")]
        topic: Option<String>,
    },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    topic: String,
    group: Option<String>,
    accumulation: i64,
    in_tps: f64,
    out_tps: f64,
    in_msg_24_hour: i64,
    out_msg_24_hour: i64,
}

impl Cmd {
    pub async fn run(self, admin: &Admin, out: &mut Output) -> CliResult<()> {
        let Cmd::StatsAll { active, topic } = self;
        let topics = match topic {
            Some(t) => vec![t],
            None => admin.topic_list().await?,
        };
        let topics: Vec<String> = topics
            .into_iter()
            .filter(|t| !naming::is_retry_topic(t) && !naming::is_dlq_topic(t))
            .collect();
        out.line(format!(
            "{:<64}  {:<64} {:>12} {:>11} {:>11} {:>14} {:>14}",
            "#Topic",
            "#Consumer Group",
            "#Accumulation",
            "#InTPS",
            "#OutTPS",
            "#InMsg24Hour",
            "#OutMsg24Hour"
        ));
        let mut progress = Progress::new("statsAll", topics.len() as u64);
        let mut rows = Vec::new();
        for t in &topics {
            rows.extend(topic_rows(admin, t).await?);
            progress.inc(1);
        }
        progress.finish();
        rows.retain(|r| {
            !active
                || r.in_msg_24_hour > 0
                || r.out_msg_24_hour > 0
                || r.in_tps > 0.0
                || r.out_tps > 0.0
        });
        for r in &rows {
            match &r.group {
                Some(g) => out.line(format!(
                    "{:<64}  {:<64} {:>12} {:>11.2} {:>11.2} {:>14} {:>14}",
                    r.topic,
                    g,
                    r.accumulation,
                    r.in_tps,
                    r.out_tps,
                    r.in_msg_24_hour,
                    r.out_msg_24_hour
                )),
                None => out.line(format!(
                    "{:<64}  {:<64} {:>12} {:>11.2} {:>11} {:>14} {:>14}",
                    r.topic, "", 0, r.in_tps, "", r.in_msg_24_hour, "NO_CONSUMER"
                )),
            }
        }
        out.json(&rows)
    }
}

/// The rows of one topic: one per consuming group, or one without a group.
async fn topic_rows(admin: &Admin, topic: &str) -> CliResult<Vec<Row>> {
    let route = match admin.topic_route(topic).await {
        Ok(r) => r,
        Err(_) => return Ok(Vec::new()),
    };
    let masters: Vec<String> = route
        .broker_datas
        .iter()
        .filter_map(|b| b.master_addr().map(str::to_owned))
        .collect();
    let (mut in_tps, mut in_day) = (0.0, 0);
    for addr in &masters {
        if let Ok(s) = admin.broker_stats(addr, "TOPIC_PUT_NUMS", topic).await {
            in_tps += s.stats_minute.tps;
            in_day += s.stats_day.sum;
        }
    }
    let groups = admin.topic_consumed_by(topic).await.unwrap_or_default();
    if groups.is_empty() {
        return Ok(vec![Row {
            topic: topic.to_owned(),
            group: None,
            accumulation: 0,
            in_tps,
            out_tps: 0.0,
            in_msg_24_hour: in_day,
            out_msg_24_hour: 0,
        }]);
    }
    let mut rows = Vec::new();
    for g in groups {
        let accumulation = admin
            .consume_stats(&g, Some(topic))
            .await
            .map_or(0, |s| s.total_diff());
        let (mut out_tps, mut out_day) = (0.0, 0);
        for addr in &masters {
            if let Ok(s) = admin
                .broker_stats(addr, "GROUP_GET_NUMS", &format!("{topic}@{g}"))
                .await
            {
                out_tps += s.stats_minute.tps;
                out_day += s.stats_day.sum;
            }
        }
        rows.push(Row {
            topic: topic.to_owned(),
            group: Some(g),
            accumulation,
            in_tps,
            out_tps,
            in_msg_24_hour: in_day,
            out_msg_24_hour: out_day,
        });
    }
    Ok(rows)
}
