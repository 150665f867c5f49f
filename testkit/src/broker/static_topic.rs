//! UPDATE_AND_CREATE_STATIC_TOPIC (Java 5.3.3 `AdminBrokerProcessor#updateAndCreateStaticTopic`
//! and `TopicQueueMappingManager#updateTopicQueueMapping`): the topic config is created or
//! replaced, then the broker's logic-queue mapping is stored; GET_TOPIC_CONFIG serves it back.
//!
//! A mapping replaces the stored one only with an epoch not older and the same scope; logic
//! queues the new mapping leaves out are kept from the old one (refused at an equal epoch),
//! and `force` replaces it whatever its epoch. The broker registers the mapping's info (without
//! the hosted queues) with the name server, whose route for the topic carries it by broker name.

use rmq_protocol::body::{JsonBody, TopicConfig, TopicQueueMappingDetail};
use rmq_protocol::header::CreateStaticTopicRequestHeader;
use rmq_protocol::{Command, ResponseCode};

use super::topic_checks::check_new_topic;
use super::Broker;
use crate::reply;

/// Most static topics a broker keeps a mapping for.
const MAX_MAPPINGS: usize = 10_000;
/// Most logic queues per mapping.
const MAX_QUEUES: usize = 4_096;

/// Serves UPDATE_AND_CREATE_STATIC_TOPIC.
pub(crate) fn create(broker: &Broker, request: &Command) -> Result<Command, Command> {
    let h = reply::header::<CreateStaticTopicRequestHeader>(request)?;
    let detail = TopicQueueMappingDetail::from_json(&request.body)
        .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, format!("bad body: {e}")))?;
    check_new_topic(&h.topic)?;
    if detail.hosted_queues.len() > MAX_QUEUES {
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            "too many logic queues",
        ));
    }
    let config = TopicConfig {
        topic_name: h.topic.clone(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: h.topic_filter_type,
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: false,
    };
    if !broker.put_topic(config) {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, "too many topics"));
    }
    let force = h.force.unwrap_or(false);
    let stored = broker
        .metadata()
        .with_admin5(|s| {
            let old = s.mappings.get(&detail.topic);
            if old.is_none() && s.mappings.len() >= MAX_MAPPINGS {
                return Err("too many static topics".to_owned());
            }
            let new = merge(old, detail, force)?;
            s.mappings.insert(new.topic.clone(), new.clone());
            Ok(new)
        })
        .map_err(|e| reply::error(ResponseCode::SYSTEM_ERROR, e))?;
    broker
        .namesrv
        .register_mapping(&stored.topic, &broker.config().name, mapping_info(&stored));
    Ok(reply::ok())
}

/// What a broker registers of a mapping (Java `TopicQueueMappingInfo`: the detail without its
/// hosted queues).
fn mapping_info(detail: &TopicQueueMappingDetail) -> serde_json::Value {
    serde_json::json!({
        "topic": detail.topic,
        "scope": detail.scope,
        "totalQueues": detail.total_queues,
        "bname": detail.bname,
        "epoch": detail.epoch,
        "dirty": detail.dirty,
        "currIdMap": detail.curr_id_map,
    })
}

/// The mapping to store in place of `old` (Java's messages on refusal).
fn merge(
    old: Option<&TopicQueueMappingDetail>,
    mut new: TopicQueueMappingDetail,
    force: bool,
) -> Result<TopicQueueMappingDetail, String> {
    let Some(old) = old else {
        return Ok(new);
    };
    if force {
        for (id, items) in &old.hosted_queues {
            new.hosted_queues
                .entry(*id)
                .or_insert_with(|| items.clone());
        }
        return Ok(new);
    }
    if new.epoch < old.epoch {
        return Err(format!(
            "Can't accept data with small epoch {} < {}",
            new.epoch, old.epoch
        ));
    }
    if new.scope != old.scope {
        return Err(format!(
            "Can't accept data with unmatched scope {} != {}",
            new.scope, old.scope
        ));
    }
    let epoch_equal = new.epoch == old.epoch;
    for (id, items) in &old.hosted_queues {
        if !new.hosted_queues.contains_key(id) {
            if epoch_equal {
                return Err("Cannot accept equal epoch with null data".to_owned());
            }
            new.hosted_queues.insert(*id, items.clone());
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::body::LogicQueueMappingItem;

    fn detail(epoch: i64, ids: &[i32]) -> TopicQueueMappingDetail {
        TopicQueueMappingDetail {
            topic: "S".into(),
            epoch,
            hosted_queues: ids
                .iter()
                .map(|id| (*id, vec![LogicQueueMappingItem::default()]))
                .collect(),
            ..TopicQueueMappingDetail::default()
        }
    }

    #[test]
    fn an_older_epoch_is_refused_unless_forced() {
        let old = detail(5, &[0]);
        let err = merge(Some(&old), detail(4, &[0]), false).expect_err("older");
        assert_eq!(err, "Can't accept data with small epoch 4 < 5");
        let forced = merge(Some(&old), detail(4, &[1]), true).expect("forced");
        assert_eq!(
            forced.hosted_queues.keys().copied().collect::<Vec<_>>(),
            [0, 1]
        );
    }

    #[test]
    fn left_out_queues_are_kept_from_a_newer_epoch_only() {
        let old = detail(5, &[0, 1]);
        let kept = merge(Some(&old), detail(6, &[2]), false).expect("newer");
        assert_eq!(kept.hosted_queues.len(), 3);
        let err = merge(Some(&old), detail(5, &[0]), false).expect_err("equal epoch");
        assert_eq!(err, "Cannot accept equal epoch with null data");
    }
}
