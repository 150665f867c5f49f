//! Offsets on the broker (Java's `RemoteBrokerOffsetStore`): QUERY_CONSUMER_OFFSET and
//! UPDATE_CONSUMER_OFFSET to the master of the queue's broker.

use rmq_client_core::ClientInstance;
use rmq_protocol::body::MASTER_ID;
use rmq_protocol::MessageQueue;
use tracing::{debug, warn};

use crate::error::Result;

/// The master of `queue`'s broker, refreshing the route once when unknown.
pub(crate) async fn master(instance: &ClientInstance, queue: &MessageQueue) -> Option<String> {
    if let Some(found) = instance
        .brokers()
        .find_in_subscribe(&queue.broker_name, MASTER_ID, true)
    {
        return Some(found.addr);
    }
    let _ = instance.update_topic_route(&queue.topic).await;
    instance
        .brokers()
        .find_in_subscribe(&queue.broker_name, MASTER_ID, true)
        .map(|f| f.addr)
}

/// The group's committed offset, `None` when the broker has none (QUERY_NOT_FOUND).
pub(crate) async fn query(
    instance: &ClientInstance,
    group: &str,
    queue: &MessageQueue,
) -> Result<Option<i64>> {
    let addr =
        master(instance, queue)
            .await
            .ok_or_else(|| rmq_client_core::Error::BrokerNotFound {
                broker_name: queue.broker_name.clone(),
            })?;
    let timeout = instance.config().api_timeout();
    Ok(instance
        .api()
        .query_consumer_offset(&addr, group, &queue.topic, queue.queue_id, timeout)
        .await?)
}

/// Commits `offset`; failures are logged (the next persist round tries again).
pub(crate) async fn commit(
    instance: &ClientInstance,
    group: &str,
    queue: &MessageQueue,
    offset: i64,
    oneway: bool,
) {
    let Some(addr) = master(instance, queue).await else {
        warn!(%queue, "no master to commit the offset to");
        return;
    };
    let timeout = instance.config().api_timeout();
    let api = instance.api();
    let r = if oneway {
        api.update_consumer_offset_oneway(
            &addr,
            group,
            &queue.topic,
            queue.queue_id,
            offset,
            timeout,
        )
        .await
    } else {
        api.update_consumer_offset(&addr, group, &queue.topic, queue.queue_id, offset, timeout)
            .await
    };
    match r {
        Ok(()) => debug!(%queue, offset, "offset committed"),
        Err(e) => {
            warn!(%queue, offset, error = %rmq_remoting::Error::chain(&e), "offset commit failed")
        }
    }
}
