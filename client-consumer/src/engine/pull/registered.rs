//! The pull engine as the client instance sees it: the [`ConsumerInner`] face that the
//! instance's rebalance, heartbeat and broker-request services call.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::future::BoxFuture;
use rmq_client_core::ConsumerInner;
use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo, MessageModel,
    SubscriptionData,
};
use rmq_protocol::{MessageQueue, StoredMessage};

use crate::state::core::Core;

/// The consumer as the client instance sees it.
pub(crate) struct Registered(pub(crate) Arc<Core>);

impl ConsumerInner for Registered {
    fn group(&self) -> &str {
        self.0.group()
    }

    fn message_model(&self) -> MessageModel {
        self.0.opts.model
    }

    fn consume_type(&self) -> ConsumeType {
        self.0.consume_type
    }

    fn consume_from_where(&self) -> ConsumeFromWhere {
        self.0.opts.consume_from.to_wire()
    }

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.0.subscriptions()
    }

    fn update_topic_subscribe_info(&self, topic: &str, queues: &BTreeSet<MessageQueue>) {
        let subscribed = self.0.subs.read().is_ok_and(|s| s.contains_key(topic))
            || self.0.assigned.read().is_ok_and(|a| {
                a.as_ref()
                    .is_some_and(|a| a.iter().any(|q| q.topic == topic))
            });
        if subscribed {
            if let Ok(mut t) = self.0.topic_queues.write() {
                t.insert(topic.to_owned(), queues.clone());
            }
        }
    }

    fn is_subscribe_topic_need_update(&self, topic: &str) -> bool {
        self.0.subs.read().is_ok_and(|s| s.contains_key(topic)) && self.0.queues_of(topic).is_none()
    }

    fn do_rebalance(&self) -> BoxFuture<'_, ()> {
        Box::pin(super::rebalance::rebalance(&self.0))
    }

    fn persist_consumer_offset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let queues: BTreeSet<MessageQueue> = {
                let t = self.0.table();
                for pq in t.values() {
                    if self.0.consume_type == ConsumeType::Passively {
                        self.0.commit_progress(pq, pq.commit_offset());
                    }
                }
                t.keys().cloned().collect()
            };
            self.0.store.persist_all(&queues).await;
        })
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        self.0.running_info()
    }

    fn reset_offset(&self, topic: &str, offsets: BTreeMap<MessageQueue, i64>) -> BoxFuture<'_, ()> {
        let topic = topic.to_owned();
        Box::pin(async move { self.0.reset_offset(&topic, offsets).await })
    }

    fn consumer_status(&self, topic: &str) -> BTreeMap<MessageQueue, i64> {
        self.0.store.table_of(topic)
    }

    fn consume_message_directly(
        &self,
        message: StoredMessage,
        broker_name: Option<String>,
    ) -> BoxFuture<'_, ConsumeMessageDirectlyResult> {
        Box::pin(self.0.consume_directly(message, broker_name))
    }
}
