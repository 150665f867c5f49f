//! The traits through which producers, consumers and admins register into a
//! [`ClientInstance`](crate::ClientInstance) (Java's `MQProducerInner`, `MQConsumerInner`,
//! `MQAdminExtInner`). The user-facing crates implement them; the instance calls them from its
//! scheduled tasks and from the processor of broker-initiated requests.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumeType, ConsumerRunningInfo, MessageModel,
    MessageQueue, SubscriptionData,
};
use rmq_protocol::header::CheckTransactionStateRequestHeader;
use rmq_protocol::message::StoredMessage;
pub use rmq_remoting::BoxFuture;

use crate::route::PublishInfo;

/// A producer group registered in an instance.
pub trait ProducerInner: Send + Sync + 'static {
    /// The producer group.
    fn group(&self) -> &str;

    /// Topics this producer publishes to; their routes are refreshed periodically.
    fn publish_topics(&self) -> Vec<String>;

    /// Whether the producer lacks usable publish info for `topic`.
    fn is_publish_topic_need_update(&self, topic: &str) -> bool;

    /// New publish info for `topic` after a route change.
    fn update_topic_publish_info(&self, topic: &str, info: Arc<PublishInfo>);

    /// Whether the producer runs in unit mode.
    fn is_unit_mode(&self) -> bool {
        false
    }

    /// A broker asks for the state of a half message (CHECK_TRANSACTION_STATE). The producer
    /// answers later with END_TRANSACTION to `broker_addr`.
    fn check_transaction_state(
        &self,
        broker_addr: String,
        message: StoredMessage,
        header: CheckTransactionStateRequestHeader,
    ) -> BoxFuture<'_, ()>;
}

/// A consumer group registered in an instance.
pub trait ConsumerInner: Send + Sync + 'static {
    /// The consumer group.
    fn group(&self) -> &str;

    /// Clustering or broadcasting.
    fn message_model(&self) -> MessageModel;

    /// Push (`CONSUME_PASSIVELY`) or pull (`CONSUME_ACTIVELY`).
    fn consume_type(&self) -> ConsumeType;

    /// Where a brand-new group starts.
    fn consume_from_where(&self) -> ConsumeFromWhere;

    /// Current subscriptions (topics and filter expressions), sent in heartbeats.
    fn subscriptions(&self) -> Vec<SubscriptionData>;

    /// Whether the consumer runs in unit mode.
    fn is_unit_mode(&self) -> bool {
        false
    }

    /// The readable queues of `topic` changed.
    fn update_topic_subscribe_info(&self, topic: &str, queues: &BTreeSet<MessageQueue>);

    /// Whether the consumer lacks queue info for `topic`.
    fn is_subscribe_topic_need_update(&self, topic: &str) -> bool;

    /// Rebalance now (every 20 s, and when the broker says the group changed).
    fn do_rebalance(&self) -> BoxFuture<'_, ()>;

    /// Persist consumed offsets (every `persist_consumer_offset_interval`, and at shutdown).
    fn persist_consumer_offset(&self) -> BoxFuture<'_, ()>;

    /// Adjust consume concurrency (every minute). Does nothing by default.
    fn adjust_concurrency(&self) {}

    /// The running info reported to GET_CONSUMER_RUNNING_INFO.
    fn running_info(&self) -> ConsumerRunningInfo;

    /// Reset the offsets of `topic`'s queues (RESET_CONSUMER_CLIENT_OFFSET).
    fn reset_offset(&self, topic: &str, offsets: BTreeMap<MessageQueue, i64>) -> BoxFuture<'_, ()>;

    /// The consumer's offsets for `topic` (GET_CONSUMER_STATUS_FROM_CLIENT).
    fn consumer_status(&self, topic: &str) -> BTreeMap<MessageQueue, i64>;

    /// Consume one message on request (CONSUME_MESSAGE_DIRECTLY).
    fn consume_message_directly(
        &self,
        message: StoredMessage,
        broker_name: Option<String>,
    ) -> BoxFuture<'_, ConsumeMessageDirectlyResult>;
}

/// An admin registered in an instance (it needs the instance's routes and connections, not its
/// heartbeats).
pub trait AdminInner: Send + Sync + 'static {
    /// The admin's group name.
    fn group(&self) -> &str;
}
