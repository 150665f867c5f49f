//! One long-polling pull task per process queue (Java's `PullMessageService` +
//! `DefaultMQPushConsumerImpl#pullMessage`): flow control, the pull, and what each answer
//! means. The task ends when the queue is dropped or the consumer stops pulling.
//!
//! A seek, pause, resume or drop of the queue abandons the pull in flight (and any back-off)
//! at once; a broker that refuses a pull because it does not know the group (it restarted) is
//! sent a heartbeat and pulled again shortly, not after the next periodic heartbeat.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client_core::api::{PullResponse, PullStatus};
use rmq_protocol::body::{ConsumeType, SubscriptionData};
use rmq_protocol::header::PullMessageRequestHeader;
use rmq_protocol::message::{property, DecodeOptions, PullSysFlag, StoredMessages};
use tracing::{debug, info, warn, Instrument};

use crate::dispatch;
use crate::filter;
use crate::message::ReceivedMessage;
use crate::state::core::Core;
use crate::state::process_queue::ProcessQueue;

/// Back-off when the cache is over a threshold (Java: 50 ms).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Back-off when an orderly queue is not locked yet (Java: 3 s; shorter here, a lock may come
/// with the next rebalance round at any time).
const NOT_LOCKED_DELAY: Duration = Duration::from_millis(500);
/// Wait before pulling again after a refusal for an unknown group and the heartbeat it
/// triggered (the first in a row; later ones wait the usual exception delay).
const REFUSED_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Spawns the pull task of `pq`.
pub(crate) fn spawn(core: &Arc<Core>, pq: Arc<ProcessQueue>) {
    let span = tracing::debug_span!("pull_task", group = %core.group(), queue = %pq.queue());
    let core = core.clone();
    core.tracker
        .clone()
        .spawn(pull_task(core, pq).instrument(span));
}

/// Sleeps, or returns false when the consumer stops meanwhile. A seek, pause, resume or drop
/// of the queue ends the sleep early.
async fn pause(core: &Core, pq: &ProcessQueue, d: Duration) -> bool {
    let mut interrupts = pq.interrupts();
    tokio::select! {
        () = core.pull_token.cancelled() => false,
        () = tokio::time::sleep(d) => true,
        _ = interrupts.changed() => true,
    }
}

/// Whether a pull failed because the broker sheds load (SYSTEM_BUSY, FLOW_CONTROL, busy).
fn is_back_pressure(e: &crate::Error) -> bool {
    matches!(e, crate::Error::Client(c) if c.is_back_pressure())
}

/// The broker address of a pull refused because the broker does not know the group or its
/// subscription (Java's SUBSCRIPTION_NOT_EXIST / _NOT_LATEST / _GROUP_NOT_EXIST): a broker
/// that restarted and has not had a heartbeat yet.
fn refused_for_unknown_group(e: &crate::Error) -> Option<&str> {
    use rmq_protocol::ResponseCode as C;
    match e {
        crate::Error::Client(rmq_client_core::Error::Broker { addr, code, .. })
            if matches!(
                *code,
                C::SUBSCRIPTION_NOT_EXIST
                    | C::SUBSCRIPTION_NOT_LATEST
                    | C::SUBSCRIPTION_GROUP_NOT_EXIST
            ) =>
        {
            Some(addr)
        }
        _ => None,
    }
}

/// What a failed pull means and how long to wait before the next one. A refusal for an
/// unknown group heartbeats that broker and retries soon (`refusals` counts them in a row);
/// back-pressure is counted and waits the exception delay, as does anything else.
async fn delay_after_error(
    core: &Core,
    e: &crate::Error,
    refusals: &mut u32,
    error_delay: Duration,
) -> Duration {
    if let Some(addr) = refused_for_unknown_group(e) {
        *refusals = refusals.saturating_add(1);
        info!(broker = %addr, error = %e, "pull refused for an unknown group; sending a heartbeat");
        if let Err(hb) = core.instance.heartbeat_broker(addr).await {
            warn!(broker = %addr, error = %hb, "heartbeat after a refused pull failed");
        }
        return if *refusals == 1 {
            REFUSED_RETRY_DELAY
        } else {
            error_delay
        };
    }
    if is_back_pressure(e) {
        // Java: a busy broker is pulled again after the exception delay.
        core.instance.record_busy_pull();
        info!(error = %e, delay = ?error_delay, "broker busy; pulling later");
    } else {
        warn!(error = %rmq_remoting::Error::chain(e), "pull failed");
    }
    error_delay
}

// Over 60 lines: one loop owns the queue's whole cycle (wait, pull, act on the answer) so
// that every branch can `continue` or `break` it; the steps themselves are helpers.
async fn pull_task(core: Arc<Core>, pq: Arc<ProcessQueue>) {
    let error_delay = core.instance.config().pull_time_delay_when_exception();
    let mut refusals = 0u32;
    loop {
        if core.pull_token.is_cancelled() || pq.is_dropped() {
            break;
        }
        if let Some(delay) = must_wait(&core, &pq) {
            if !pause(&core, &pq, delay).await {
                break;
            }
            continue;
        }
        let topic = &pq.queue().topic;
        let Some(sub) = subscription_for(&core, topic) else {
            if !pause(&core, &pq, error_delay).await {
                break;
            }
            continue;
        };
        // Subscribe before reading the generation: a seek in between is then seen both ways.
        let mut interrupts = pq.interrupts();
        let generation = pq.generation();
        let started = Instant::now();
        let pulled = tokio::select! {
            () = core.pull_token.cancelled() => break,
            // Seek, pause, resume or drop: the pull in flight is out of date; dropping it
            // cancels the request (its late answer is discarded by the transport).
            _ = interrupts.changed() => continue,
            r = pull_once(&core, &pq, &sub) => r,
        };
        pq.touch_pull();
        let response = match pulled {
            Ok(r) => {
                refusals = 0;
                r
            }
            Err(e) => {
                let delay = delay_after_error(&core, &e, &mut refusals, error_delay).await;
                if !pause(&core, &pq, delay).await {
                    break;
                }
                continue;
            }
        };
        pq.set_suggested_broker(response.suggest_which_broker_id);
        match response.status {
            PullStatus::Found => {
                let msgs = decode(&core, &pq, &sub, &response);
                core.instance.stats().record_pull(
                    core.group(),
                    topic,
                    msgs.len() as u64,
                    started.elapsed(),
                );
                if !pq.advance(generation, response.next_begin_offset) {
                    continue;
                }
                if !msgs.is_empty() && !dispatch::deliver(&core, &pq, generation, msgs).await {
                    break;
                }
                if !core.opts.pull_interval.is_zero()
                    && !pause(&core, &pq, core.opts.pull_interval).await
                {
                    break;
                }
            }
            PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
                if pq.advance(generation, response.next_begin_offset) && pq.count() == 0 {
                    // Java's correctTagsOffset: nothing cached, the offset may move past
                    // filtered-out messages.
                    core.commit_progress(&pq, Some(response.next_begin_offset));
                }
            }
            PullStatus::OffsetIllegal => {
                warn!(
                    next = response.next_begin_offset,
                    "offset illegal; restarting the queue from the broker's offset"
                );
                // Java: drop the queue, write the broker's offset through, let the next
                // rebalance create it again from there.
                pq.set_dropped();
                core.store
                    .update(pq.queue(), response.next_begin_offset, false);
                core.store.persist(pq.queue()).await;
                core.store.remove(pq.queue());
                core.table().remove(pq.queue());
                core.instance.rebalance_immediately();
                break;
            }
        }
    }
    debug!("pull task stopped");
}

/// Why the queue must not pull right now, as a delay.
fn must_wait(core: &Core, pq: &ProcessQueue) -> Option<Duration> {
    if pq.is_paused() {
        return Some(FLOW_CONTROL_DELAY);
    }
    let o = &core.opts;
    let (count, bytes) = (pq.count(), pq.bytes());
    if count > o.queue_count_limit || bytes > o.queue_bytes_limit {
        return Some(FLOW_CONTROL_DELAY);
    }
    if o.topic_count_limit.is_some() || o.topic_bytes_limit.is_some() {
        let (tc, tb) = core.topic_cache(&pq.queue().topic);
        if o.topic_count_limit.is_some_and(|l| tc > l)
            || o.topic_bytes_limit.is_some_and(|l| tb > l)
        {
            return Some(FLOW_CONTROL_DELAY);
        }
    }
    let orderly = core.is_orderly();
    if !orderly && core.consume_type == ConsumeType::Passively && pq.span() > o.max_span {
        return Some(FLOW_CONTROL_DELAY);
    }
    if orderly && core.is_clustering() && !pq.is_locked() {
        return Some(NOT_LOCKED_DELAY);
    }
    None
}

/// The subscription of `topic`; lite pull in assign mode subscribes to everything.
fn subscription_for(core: &Core, topic: &str) -> Option<SubscriptionData> {
    core.subscription(topic).or_else(|| {
        let assigned = core.assigned.read().ok()?.is_some();
        assigned.then(|| SubscriptionData::from_tag_expression(topic, "*", 0))
    })
}

async fn pull_once(
    core: &Core,
    pq: &ProcessQueue,
    sub: &SubscriptionData,
) -> crate::Result<PullResponse> {
    let q = pq.queue();
    let brokers = core.instance.brokers();
    let found = match brokers.find_in_subscribe(&q.broker_name, pq.suggested_broker(), false) {
        Some(f) => f,
        None => {
            core.instance.update_topic_route(&q.topic).await?;
            brokers
                .find_in_subscribe(&q.broker_name, pq.suggested_broker(), false)
                .ok_or_else(|| rmq_client_core::Error::BrokerNotFound {
                    broker_name: q.broker_name.clone(),
                })?
        }
    };
    let lite = core.consume_type == ConsumeType::Actively;
    let commit_offset = if core.is_clustering() && !lite {
        core.store.read_memory(q).unwrap_or(0)
    } else {
        0
    };
    // Java: commit piggybacked only on the master; the subscription sent along by lite pull.
    let post_sub = lite || core.opts.post_subscription_when_pull;
    let sys_flag = PullSysFlag::new()
        .with_commit_offset(commit_offset > 0 && !found.slave)
        .with_suspend(true)
        .with_subscription(post_sub);
    let header = PullMessageRequestHeader {
        consumer_group: core.group().to_owned(),
        topic: q.topic.clone(),
        queue_id: q.queue_id,
        queue_offset: pq.next_offset(),
        max_msg_nums: core.opts.pull_batch_size,
        sys_flag: sys_flag.bits(),
        commit_offset,
        suspend_timeout_millis: core.opts.broker_suspend.as_millis() as i64,
        subscription: Some(sub.sub_string.clone()),
        sub_version: if post_sub { 0 } else { sub.sub_version },
        expression_type: Some(sub.expression_type.clone()),
        max_msg_bytes: None,
        broker_name: Some(q.broker_name.clone()),
    };
    Ok(core
        .instance
        .api()
        .pull_message(&found.addr, &header, core.opts.pull_timeout)
        .await?)
}

/// Decodes, re-filters by tag and annotates the pulled records. A corrupt record is skipped
/// with a warning (its offset is still passed: the broker cannot serve it any better).
fn decode(
    core: &Core,
    pq: &ProcessQueue,
    sub: &SubscriptionData,
    r: &PullResponse,
) -> Vec<ReceivedMessage> {
    let mut out = Vec::new();
    for rec in StoredMessages::new(r.body.clone(), DecodeOptions::new()) {
        match rec {
            Ok(mut m) => {
                if !filter::passes(sub, &m) {
                    continue;
                }
                m.properties
                    .insert(property::MIN_OFFSET, r.min_offset.to_string());
                m.properties
                    .insert(property::MAX_OFFSET, r.max_offset.to_string());
                out.push(ReceivedMessage::new(
                    m,
                    pq.queue().clone(),
                    core.group(),
                    core.namespace(),
                ));
            }
            Err(e) => {
                warn!(queue = %pq.queue(), error = %rmq_remoting::Error::chain(&e), "undecodable message skipped")
            }
        }
    }
    out
}
