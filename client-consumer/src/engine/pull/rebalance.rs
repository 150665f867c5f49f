//! Rebalance (Java's `RebalanceImpl`): which queues this consumer owns, and the process queues
//! that follow from it. Called by the instance's rebalance service (every 20 s and when a
//! broker says the group changed), so one rebalance of a consumer runs at a time.
//!
//! A dropped queue stops pulling, its offset (the low-water mark of its unfinished messages) is
//! written through to the broker, then it is forgotten; an orderly queue is also unlocked once
//! its running batch is done.
//!
//! Per topic it first asks the POP engine whether a broker serves the topic to the group in
//! POP mode (QUERY_ASSIGNMENT); such a topic is popped ([`crate::engine::pop`]), not pulled.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use rmq_protocol::body::{ConsumeType, LockBatchRequestBody, MASTER_ID};
use rmq_protocol::{naming, MessageQueue};
use tracing::{debug, info, warn};

use crate::state::core::{Core, Sink};
use crate::state::process_queue::ProcessQueue;

/// Rebalances every subscribed topic (nothing in lite pull assign mode). When the owned
/// queues changed, heartbeats every broker at once (Java's `messageQueueChanged`), so brokers
/// learn the new state now rather than at the next periodic heartbeat.
pub(crate) async fn rebalance(core: &Arc<Core>) {
    if rebalance_topics(core).await {
        debug!(group = %core.group(), "owned queues changed; heartbeating every broker");
        if let Err(e) = core.instance.send_heartbeat_to_all_brokers().await {
            debug!(group = %core.group(), error = %e, "heartbeat after a rebalance change failed");
        }
    }
}

/// The rebalance proper; returns whether the owned queues changed.
async fn rebalance_topics(core: &Arc<Core>) -> bool {
    if core.pull_token.is_cancelled() || core.sink.get().is_none() {
        return false;
    }
    let mut changed = false;
    if let Some(assigned) = core.assigned.read().ok().and_then(|a| a.clone()) {
        let topics: BTreeSet<String> = assigned.iter().map(|q| q.topic.clone()).collect();
        for topic in topics {
            let mine = assigned
                .iter()
                .filter(|q| q.topic == topic)
                .cloned()
                .collect();
            changed |= update_table(core, &topic, mine).await;
        }
        return changed;
    }
    if core.is_orderly() && core.is_clustering() {
        lock_all(core).await;
    }
    for sub in core.subscriptions() {
        let topic = sub.topic;
        if core.queues_of(&topic).is_none() {
            // A topic created after the consumer started: ask now rather than waiting for the
            // periodic route refresh (the route update fills the queue table).
            if core.instance.update_topic_route(&topic).await.is_ok() {
                // Register the subscription with the topic's brokers before asking who else
                // consumes it (Java heartbeats when the queues of a consumer change).
                let _ = core.instance.send_heartbeat_to_all_brokers().await;
            }
        }
        let Some(all) = core.queues_of(&topic) else {
            debug!(group = %core.group(), %topic, "no queues known yet for the topic");
            continue;
        };
        if may_pop(core, &topic) {
            // A topic the broker serves this group in POP mode is popped, not pulled.
            let popped = crate::engine::pop::assignment(core, &topic).await;
            let pop = popped.clone().unwrap_or_default();
            changed |= crate::engine::pop::assign(core, &topic, &pop);
            if popped.is_some() {
                changed |= update_table(core, &topic, BTreeSet::new()).await;
                continue;
            }
        }
        let mine: BTreeSet<MessageQueue> = if core.is_clustering() {
            let mut ids = match core
                .instance
                .find_consumer_id_list(&topic, core.group())
                .await
            {
                Ok(ids) if !ids.is_empty() => ids,
                Ok(_) => continue,
                Err(e) => {
                    debug!(group = %core.group(), %topic, error = %rmq_remoting::Error::chain(&e), "consumer ids unknown");
                    continue;
                }
            };
            ids.sort();
            let all: Vec<MessageQueue> = all.into_iter().collect();
            core.opts
                .allocate
                .allocate(core.instance.client_id(), &all, &ids)
                .into_iter()
                .collect()
        } else {
            all
        };
        changed |= update_table(core, &topic, mine).await;
    }
    // Queues of topics no longer subscribed. An `assign` that happened during this round owns
    // the table now: its queues are not stale.
    if core.assigned.read().is_ok_and(|a| a.is_some()) {
        return changed;
    }
    let subscribed: BTreeSet<String> = core.subscriptions().into_iter().map(|s| s.topic).collect();
    changed |= crate::engine::pop::retain_topics(core, &subscribed);
    let stale: Vec<(MessageQueue, Arc<ProcessQueue>)> = core
        .table()
        .iter()
        .filter(|(q, _)| !subscribed.contains(&q.topic))
        .map(|(q, p)| (q.clone(), p.clone()))
        .collect();
    for (q, pq) in stale {
        drop_queue(core, &q, &pq).await;
        changed = true;
    }
    changed
}

/// Whether `topic` may be popped: a concurrent push consumer in clustering mode, and not the
/// group's `%RETRY%` topic (brokers serve retry topics in PULL mode only).
fn may_pop(core: &Core, topic: &str) -> bool {
    matches!(core.sink.get(), Some(Sink::Concurrent(_)))
        && core.is_clustering()
        && !naming::is_retry_topic(topic)
}

/// Makes `topic`'s process queues match `mine`; returns whether anything changed.
async fn update_table(core: &Arc<Core>, topic: &str, mine: BTreeSet<MessageQueue>) -> bool {
    let current: BTreeMap<MessageQueue, Arc<ProcessQueue>> = core
        .table()
        .iter()
        .filter(|(q, _)| q.topic == topic)
        .map(|(q, p)| (q.clone(), p.clone()))
        .collect();
    let mut changed = false;
    for (q, pq) in &current {
        // A queue dropped earlier but kept (an orderly batch was running) is finished off
        // here, and re-created below when it is ours again.
        if !mine.contains(q) || pq.is_dropped() {
            changed |= drop_queue(core, q, pq).await;
        }
    }
    let present: BTreeSet<MessageQueue> = core.table().keys().cloned().collect();
    for q in mine.iter().filter(|q| !present.contains(*q)) {
        if core.pull_token.is_cancelled() {
            return changed;
        }
        let orderly_lock = core.is_orderly() && core.is_clustering();
        if orderly_lock && !lock(core, q).await {
            debug!(queue = %q, "queue not locked; will try at the next rebalance");
            continue;
        }
        core.store.remove(q);
        let Some(offset) = core.initial_offset(q).await else {
            continue;
        };
        let pq = Arc::new(ProcessQueue::new(q.clone(), offset));
        pq.set_locked(orderly_lock);
        {
            // A lite-pull `assign` rebalances next to the rebalance service: whoever inserts
            // first owns the queue, the other must not start a second pull task for it.
            let mut table = core.table();
            if table.contains_key(q) {
                continue;
            }
            table.insert(q.clone(), pq.clone());
        }
        info!(group = %core.group(), queue = %q, offset, "queue assigned");
        super::pull_loop::spawn(core, pq);
        changed = true;
    }
    if changed && core.consume_type == ConsumeType::Passively {
        debug!(group = %core.group(), %topic, queues = mine.len(), "assignment changed");
    }
    changed
}

/// Stops and forgets one queue after persisting its offset. Returns false when an orderly
/// batch is still running (the queue is dropped but kept until the next round).
pub(crate) async fn drop_queue(core: &Arc<Core>, q: &MessageQueue, pq: &Arc<ProcessQueue>) -> bool {
    pq.set_dropped();
    let orderly = core.is_orderly() && core.is_clustering();
    let guard = if orderly {
        match tokio::time::timeout(Duration::from_secs(1), pq.consume_lock.lock()).await {
            Ok(g) => Some(g),
            Err(_) => {
                debug!(queue = %q, "an orderly batch is running; dropping it later");
                return false;
            }
        }
    } else {
        None
    };
    // Written through before the queue is released, so its next owner starts from it.
    if let Some(o) = pq.commit_offset() {
        core.store.update(q, o, true);
    }
    core.store.persist(q).await;
    core.store.remove(q);
    core.table().remove(q);
    if orderly {
        unlock(core, std::slice::from_ref(q), false).await;
    }
    drop(guard);
    info!(group = %core.group(), queue = %q, "queue released");
    true
}

fn lock_body(core: &Core, queues: Vec<MessageQueue>) -> LockBatchRequestBody {
    LockBatchRequestBody {
        client_id: core.instance.client_id().to_owned(),
        consumer_group: core.group().to_owned(),
        mq_set: queues,
        only_this_broker: Some(false),
    }
}

async fn broker_master(core: &Core, broker_name: &str, topic: &str) -> Option<String> {
    let b = core.instance.brokers();
    if let Some(f) = b.find_in_subscribe(broker_name, MASTER_ID, true) {
        return Some(f.addr);
    }
    let _ = core.instance.update_topic_route(topic).await;
    b.find_in_subscribe(broker_name, MASTER_ID, true)
        .map(|f| f.addr)
}

/// Locks one queue on its broker (LOCK_BATCH_MQ).
pub(crate) async fn lock(core: &Core, q: &MessageQueue) -> bool {
    let Some(addr) = broker_master(core, &q.broker_name, &q.topic).await else {
        return false;
    };
    let body = lock_body(core, vec![q.clone()]);
    let timeout = core.instance.config().api_timeout();
    match core
        .instance
        .api()
        .lock_batch_mq(&addr, &body, timeout)
        .await
    {
        Ok(locked) => locked.contains(q),
        Err(e) => {
            warn!(queue = %q, error = %rmq_remoting::Error::chain(&e), "lock failed");
            false
        }
    }
}

/// Renews the locks of every process queue, broker by broker (Java's `lockAll`).
pub(crate) async fn lock_all(core: &Core) {
    let mut by_broker: BTreeMap<String, Vec<Arc<ProcessQueue>>> = BTreeMap::new();
    for pq in core.process_queues() {
        by_broker
            .entry(pq.queue().broker_name.clone())
            .or_default()
            .push(pq);
    }
    let timeout = core.instance.config().api_timeout();
    for (broker, pqs) in by_broker {
        let Some(topic) = pqs.first().map(|p| p.queue().topic.clone()) else {
            continue;
        };
        let Some(addr) = broker_master(core, &broker, &topic).await else {
            continue;
        };
        let body = lock_body(core, pqs.iter().map(|p| p.queue().clone()).collect());
        match core
            .instance
            .api()
            .lock_batch_mq(&addr, &body, timeout)
            .await
        {
            Ok(locked) => {
                for pq in &pqs {
                    pq.set_locked(locked.contains(pq.queue()));
                }
            }
            Err(e) => {
                warn!(%broker, error = %rmq_remoting::Error::chain(&e), "lock renewal failed")
            }
        }
    }
}

/// Unlocks queues on their brokers (UNLOCK_BATCH_MQ).
pub(crate) async fn unlock(core: &Core, queues: &[MessageQueue], oneway: bool) {
    let mut by_broker: BTreeMap<(String, String), Vec<MessageQueue>> = BTreeMap::new();
    for q in queues {
        by_broker
            .entry((q.broker_name.clone(), q.topic.clone()))
            .or_default()
            .push(q.clone());
    }
    let timeout = core.instance.config().api_timeout();
    for ((broker, topic), qs) in by_broker {
        let Some(addr) = broker_master(core, &broker, &topic).await else {
            continue;
        };
        let body = lock_body(core, qs);
        if let Err(e) = core
            .instance
            .api()
            .unlock_batch_mq(&addr, &body, timeout, oneway)
            .await
        {
            warn!(%broker, error = %rmq_remoting::Error::chain(&e), "unlock failed");
        }
    }
}
