//! QUERY_ASSIGNMENT for the rebalance of one topic (Java's `RebalanceImpl#queryAssignment`):
//! whether the group's broker serves the topic in POP mode, and which queues this client pops.
//!
//! A broker that answers REQUEST_CODE_NOT_SUPPORTED (4.x) is remembered and not asked again;
//! with no broker left to ask the topic is pulled. A failed or empty answer keeps what runs.

use std::collections::BTreeSet;

use rmq_client_core::Error as CoreError;
use rmq_protocol::body::{MessageRequestMode, QueryAssignmentRequestBody};
use rmq_protocol::{MessageQueue, ResponseCode};
use tracing::{debug, info};

use crate::state::core::Core;

/// The queues of `topic` to pop when the broker serves it to the group in POP mode, `None` to
/// pull it as before.
pub(crate) async fn assignment(core: &Core, topic: &str) -> Option<BTreeSet<MessageQueue>> {
    let keep = || Some(super::popped_queues(core, topic)).filter(|q| !q.is_empty());
    let brokers: BTreeSet<String> = core
        .queues_of(topic)?
        .into_iter()
        .map(|q| q.broker_name)
        .collect();
    let body = QueryAssignmentRequestBody {
        client_id: core.instance.client_id().to_owned(),
        consumer_group: core.group().to_owned(),
        message_model: core.opts.model,
        strategy_name: core.opts.allocate.name().to_owned(),
        topic: topic.to_owned(),
    };
    let timeout = core.instance.config().api_timeout();
    for broker in brokers {
        let Some(addr) = core.instance.brokers().master(&broker) else {
            continue;
        };
        if core.no_assignment_at(&addr) {
            continue;
        }
        match core
            .instance
            .api()
            .query_assignment(&addr, &body, timeout)
            .await
        {
            Ok(Some(assigned)) => {
                let pop: BTreeSet<MessageQueue> = assigned
                    .into_iter()
                    .filter(|a| a.mode == MessageRequestMode::Pop)
                    .map(|a| a.message_queue)
                    .filter(|q| q.topic == topic)
                    .collect();
                return Some(pop).filter(|p| !p.is_empty());
            }
            Ok(None) => {
                debug!(group = %core.group(), %topic, %addr, "broker made no assignment; keeping the current mode");
                return keep();
            }
            Err(CoreError::Broker {
                code: ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                ..
            }) => {
                info!(%addr, "broker does not serve QUERY_ASSIGNMENT; its topics are pulled");
                core.mark_no_assignment(addr);
            }
            Err(e) => {
                debug!(group = %core.group(), %topic, %addr, error = %rmq_remoting::Error::chain(&e), "QUERY_ASSIGNMENT failed; keeping the current mode");
                return keep();
            }
        }
    }
    keep()
}
