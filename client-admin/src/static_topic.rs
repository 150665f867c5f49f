//! Static topics (5.x): a fixed number of logic queues spread over brokers, each broker
//! hosting some of them in its own physical queues (mqadmin's `updateStaticTopic`), and
//! GET_TOPIC_CONFIG, which reads a broker's part.
//!
//! [`plan_static_topic`] is Java's `TopicQueueMappingUtils.createTopicConfigMapping` as a pure
//! function: it keeps every existing logic queue where it is and gives each new one to the
//! target broker hosting the fewest (ties by name, so a plan is reproducible). Remapping
//! existing queues to other brokers is not offered.

use std::collections::{BTreeMap, BTreeSet};

use rmq_protocol::body::{
    LogicQueueMappingItem, TopicConfig, TopicConfigAndQueueMapping, TopicQueueMappingDetail,
};
use rmq_protocol::header::CreateStaticTopicRequestHeader;
use rmq_protocol::ResponseCode;

use crate::admin::{now_ms, Admin};
use crate::error::{Error, Result};
use crate::support::Role;

/// Java's template topic for topic creation (`TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC`).
const DEFAULT_TOPIC: &str = "TBW102";

impl Admin {
    /// The topic's config and static-topic mapping on one broker; `None` when the broker does
    /// not have the topic (GET_TOPIC_CONFIG).
    ///
    /// # Errors
    /// [`Error::Unsupported`] from a broker without the request; other failures, named.
    pub async fn topic_config(
        &self,
        addr: &str,
        topic: &str,
    ) -> Result<Option<TopicConfigAndQueueMapping>> {
        let r = self.api().topic_config(addr, topic, self.timeout()).await;
        match r {
            Err(e) if e.response_code() == Some(ResponseCode::TOPIC_NOT_EXIST) => Ok(None),
            r => self
                .v5(
                    Role::Broker,
                    addr,
                    "getTopicConfig (GET_TOPIC_CONFIG)",
                    r,
                    || format!("get the config of topic {topic} from broker {addr}"),
                )
                .await
                .map(Some),
        }
    }

    /// The topic's config on every broker group that has it, by broker name (Java
    /// `MQAdminUtils.examineTopicConfigAll`).
    ///
    /// # Errors
    /// The first broker that fails, named.
    pub async fn topic_config_all(
        &self,
        topic: &str,
    ) -> Result<BTreeMap<String, TopicConfigAndQueueMapping>> {
        let info = self.cluster().await?;
        let mut out = BTreeMap::new();
        for (name, broker) in &info.broker_addr_table {
            let Some(addr) = broker.master_addr() else {
                continue;
            };
            if let Some(config) = self.topic_config(addr, topic).await? {
                out.insert(name.clone(), config);
            }
        }
        Ok(out)
    }

    /// Creates the static topic with `queue_num` logic queues, or grows it to that many, over
    /// `target_brokers` (broker names) and the brokers already hosting it
    /// (`updateStaticTopic`); returns what each broker was sent.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the plan is impossible (fewer queues than today, no
    /// broker, inconsistent existing mappings); a broker without a master; the first broker
    /// that refuses, named.
    pub async fn update_static_topic(
        &self,
        topic: &str,
        queue_num: i32,
        target_brokers: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, TopicConfigAndQueueMapping>> {
        let existing = self.topic_config_all(topic).await?;
        let plan = plan_static_topic(topic, queue_num, target_brokers, existing, now_ms())?;
        let info = self.cluster().await?;
        for (broker, config) in &plan {
            let addr = info
                .broker_addr_table
                .get(broker)
                .and_then(|b| b.master_addr())
                .ok_or_else(|| {
                    Error::not_found(
                        format!("master of broker {broker}"),
                        Some(self.namesrv_label()),
                    )
                })?;
            let c = &config.config.config;
            let header = CreateStaticTopicRequestHeader {
                topic: topic.to_owned(),
                default_topic: DEFAULT_TOPIC.to_owned(),
                read_queue_nums: c.read_queue_nums,
                write_queue_nums: c.write_queue_nums,
                perm: c.perm,
                topic_filter_type: c.topic_filter_type.clone(),
                topic_sys_flag: Some(c.topic_sys_flag),
                order: c.order,
                force: Some(false),
            };
            let mapping = config.mapping_detail.clone().unwrap_or_default();
            let r = self
                .api()
                .create_static_topic(addr, &header, &mapping, self.timeout())
                .await;
            self.v5(
                Role::Broker,
                addr,
                "updateStaticTopic (UPDATE_AND_CREATE_STATIC_TOPIC)",
                r,
                || format!("create static topic {topic} on broker {broker} ({addr})"),
            )
            .await?;
        }
        Ok(plan)
    }
}

/// The new per-broker configs of a static topic grown to `queue_num` logic queues (Java
/// `TopicQueueMappingUtils.createTopicConfigMapping`): existing logic queues stay, each new one
/// goes to the broker (of `targets` and those already hosting) with the fewest, as a new
/// physical queue; every mapping gets the new total and an epoch after all existing ones.
///
/// # Errors
/// [`Error::InvalidArgument`] when `queue_num` is not above today's count, there is no broker,
/// or existing mappings disagree on epoch or total, or host one logic queue twice.
pub fn plan_static_topic(
    topic: &str,
    queue_num: i32,
    targets: &BTreeSet<String>,
    mut existing: BTreeMap<String, TopicConfigAndQueueMapping>,
    now_ms: i64,
) -> Result<BTreeMap<String, TopicConfigAndQueueMapping>> {
    let bad = |m: String| Error::InvalidArgument(format!("static topic {topic}: {m}"));
    // Java: checkNameEpochNumConsistence and checkAndBuildMappingItems.
    let mut epoch_total: Option<(i64, i32)> = None;
    let mut leaders: BTreeMap<i32, String> = BTreeMap::new();
    for (broker, config) in &existing {
        let Some(detail) = &config.mapping_detail else {
            return Err(bad(format!(
                "broker {broker} has it as an ordinary topic, not a static one"
            )));
        };
        match epoch_total {
            None => epoch_total = Some((detail.epoch, detail.total_queues)),
            Some(seen) if seen != (detail.epoch, detail.total_queues) => {
                return Err(bad(format!(
                    "mappings disagree: epoch/total {}/{} on broker {broker}, {}/{} elsewhere",
                    detail.epoch, detail.total_queues, seen.0, seen.1
                )))
            }
            Some(_) => {}
        }
        for (global_id, items) in &detail.hosted_queues {
            let Some(last) = items.last() else { continue };
            if last.bname != *broker {
                continue;
            }
            if let Some(other) = leaders.insert(*global_id, broker.clone()) {
                return Err(bad(format!(
                    "logic queue {global_id} is hosted by both {other} and {broker}"
                )));
            }
        }
    }
    let current = i32::try_from(leaders.len()).unwrap_or(i32::MAX);
    if queue_num < current {
        return Err(bad(format!(
            "cannot decrease the queue num from {current} to {queue_num}"
        )));
    }
    if queue_num == current {
        return Err(bad(format!(
            "it already has {queue_num} queues, nothing to do"
        )));
    }
    let mut counts: BTreeMap<String, usize> = targets.iter().map(|b| (b.clone(), 0)).collect();
    for broker in existing.keys() {
        counts.entry(broker.clone()).or_insert(0);
    }
    for broker in leaders.values() {
        *counts.entry(broker.clone()).or_insert(0) += 1;
    }
    if counts.is_empty() {
        return Err(bad("no broker to host it".into()));
    }
    let new_epoch = epoch_total.map_or(now_ms, |(epoch, _)| (epoch + 1000).max(now_ms));
    for global_id in 0..queue_num {
        if leaders.contains_key(&global_id) {
            continue;
        }
        let Some(broker) = counts
            .iter()
            .min_by_key(|(name, n)| (**n, (*name).clone()))
            .map(|(name, _)| name.clone())
        else {
            break;
        };
        *counts.entry(broker.clone()).or_insert(0) += 1;
        let config = existing.entry(broker.clone()).or_insert_with(|| {
            let mut c = TopicConfigAndQueueMapping::default();
            c.config.config = TopicConfig {
                topic_name: topic.to_owned(),
                read_queue_nums: 0,
                write_queue_nums: 0,
                ..TopicConfig::default()
            };
            c.mapping_detail = Some(TopicQueueMappingDetail {
                topic: topic.to_owned(),
                bname: broker.clone(),
                ..TopicQueueMappingDetail::default()
            });
            c
        });
        config.config.config.read_queue_nums += 1;
        config.config.config.write_queue_nums += 1;
        let item = LogicQueueMappingItem {
            queue_id: config.config.config.write_queue_nums - 1,
            bname: broker.clone(),
            ..LogicQueueMappingItem::default()
        };
        if let Some(detail) = config.mapping_detail.as_mut() {
            detail.hosted_queues.insert(global_id, vec![item]);
        }
    }
    for config in existing.values_mut() {
        if let Some(detail) = config.mapping_detail.as_mut() {
            detail.epoch = new_epoch;
            detail.total_queues = queue_num;
        }
    }
    Ok(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn new_static_topic_spreads_queues_evenly_with_physical_ids_from_zero() {
        let plan =
            plan_static_topic("S", 5, &names(&["b", "a"]), BTreeMap::new(), 1_000).expect("plans");
        let a = plan["a"].mapping_detail.as_ref().expect("a hosts");
        let b = plan["b"].mapping_detail.as_ref().expect("b hosts");
        assert_eq!(
            a.hosted_queues.keys().copied().collect::<Vec<_>>(),
            [0, 2, 4]
        );
        assert_eq!(b.hosted_queues.keys().copied().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(a.hosted_queues[&4][0].queue_id, 2);
        assert_eq!(plan["a"].config.config.write_queue_nums, 3);
        assert_eq!((a.epoch, a.total_queues, b.total_queues), (1_000, 5, 5));
    }

    #[test]
    fn growing_keeps_existing_queues_and_moves_the_epoch_forward() {
        let first =
            plan_static_topic("S", 2, &names(&["a"]), BTreeMap::new(), 5_000).expect("plans");
        let grown = plan_static_topic("S", 3, &names(&["b"]), first.clone(), 5_100).expect("grows");
        let a = grown["a"].mapping_detail.as_ref().expect("a");
        let b = grown["b"].mapping_detail.as_ref().expect("b");
        assert_eq!(
            a.hosted_queues,
            first["a"].mapping_detail.as_ref().expect("a").hosted_queues
        );
        assert_eq!(b.hosted_queues.keys().copied().collect::<Vec<_>>(), [2]);
        assert_eq!((a.epoch, b.epoch), (6_000, 6_000));
    }

    #[test]
    fn shrinking_or_keeping_the_count_is_refused() {
        let first = plan_static_topic("S", 2, &names(&["a"]), BTreeMap::new(), 1).expect("plans");
        let err = plan_static_topic("S", 1, &names(&["a"]), first.clone(), 2).expect_err("shrink");
        assert!(err.to_string().contains("cannot decrease"), "{err}");
        let err = plan_static_topic("S", 2, &names(&["a"]), first, 2).expect_err("same");
        assert!(err.to_string().contains("nothing to do"), "{err}");
        let err =
            plan_static_topic("S", 2, &BTreeSet::new(), BTreeMap::new(), 2).expect_err("none");
        assert!(err.to_string().contains("no broker"), "{err}");
    }

    #[test]
    fn an_ordinary_topic_on_a_broker_blocks_the_plan() {
        let existing = BTreeMap::from([("a".to_owned(), TopicConfigAndQueueMapping::default())]);
        let err = plan_static_topic("S", 2, &names(&["a"]), existing, 1).expect_err("refused");
        assert!(err.to_string().contains("ordinary topic"), "{err}");
    }
}
