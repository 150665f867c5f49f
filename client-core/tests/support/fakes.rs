//! A producer and a consumer that record what a client instance asks of them: doubles of
//! client-core's `ProducerInner` and `ConsumerInner` traits, for the instance tests.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rmq_client_core::inner::BoxFuture;
use rmq_client_core::{ConsumerInner, ProducerInner, PublishInfo};
use rmq_protocol::body::{
    ConsumeDirectlyOutcome, ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumeType,
    ConsumerRunningInfo, MessageModel, MessageQueue, SubscriptionData,
};
use rmq_protocol::header::CheckTransactionStateRequestHeader;
use rmq_protocol::message::StoredMessage;

/// A producer that records publish-info updates and transaction checks.
#[derive(Default)]
pub struct FakeProducer {
    pub group: String,
    pub topics: Vec<String>,
    pub publish_updates: Mutex<Vec<(String, usize)>>,
    pub checks: Mutex<Vec<(String, String)>>,
}

impl ProducerInner for FakeProducer {
    fn group(&self) -> &str {
        &self.group
    }
    fn publish_topics(&self) -> Vec<String> {
        self.topics.clone()
    }
    fn is_publish_topic_need_update(&self, _topic: &str) -> bool {
        false
    }
    fn update_topic_publish_info(&self, topic: &str, info: Arc<PublishInfo>) {
        self.publish_updates
            .lock()
            .expect("lock")
            .push((topic.to_owned(), info.queues.len()));
    }
    fn check_transaction_state(
        &self,
        broker_addr: String,
        message: StoredMessage,
        header: CheckTransactionStateRequestHeader,
    ) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let id = header.msg_id.unwrap_or_else(|| message.msg_id());
            self.checks.lock().expect("lock").push((broker_addr, id));
        })
    }
}

/// A consumer that counts what the instance asks of it.
#[derive(Default)]
pub struct FakeConsumer {
    pub group: String,
    pub topic: String,
    pub rebalances: AtomicUsize,
    pub persists: AtomicUsize,
    pub resets: Mutex<Vec<(String, BTreeMap<MessageQueue, i64>)>>,
    pub queues: Mutex<BTreeMap<String, BTreeSet<MessageQueue>>>,
}

impl ConsumerInner for FakeConsumer {
    fn group(&self) -> &str {
        &self.group
    }
    fn message_model(&self) -> MessageModel {
        MessageModel::Clustering
    }
    fn consume_type(&self) -> ConsumeType {
        ConsumeType::Passively
    }
    fn consume_from_where(&self) -> ConsumeFromWhere {
        ConsumeFromWhere::ConsumeFromLastOffset
    }
    fn subscriptions(&self) -> Vec<SubscriptionData> {
        vec![SubscriptionData::from_tag_expression(
            &self.topic,
            "TagA || TagB",
            1,
        )]
    }
    fn update_topic_subscribe_info(&self, topic: &str, queues: &BTreeSet<MessageQueue>) {
        self.queues
            .lock()
            .expect("lock")
            .insert(topic.to_owned(), queues.clone());
    }
    fn is_subscribe_topic_need_update(&self, _topic: &str) -> bool {
        false
    }
    fn do_rebalance(&self) -> BoxFuture<'_, ()> {
        self.rebalances.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn persist_consumer_offset(&self) -> BoxFuture<'_, ()> {
        self.persists.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
    fn running_info(&self) -> ConsumerRunningInfo {
        ConsumerRunningInfo {
            subscription_set: self.subscriptions(),
            ..Default::default()
        }
    }
    fn reset_offset(&self, topic: &str, offsets: BTreeMap<MessageQueue, i64>) -> BoxFuture<'_, ()> {
        self.resets
            .lock()
            .expect("lock")
            .push((topic.to_owned(), offsets));
        Box::pin(async {})
    }
    fn consumer_status(&self, topic: &str) -> BTreeMap<MessageQueue, i64> {
        [(MessageQueue::new(topic, "broker-a", 0), 42)].into()
    }
    fn consume_message_directly(
        &self,
        _message: StoredMessage,
        _broker_name: Option<String>,
    ) -> BoxFuture<'_, ConsumeMessageDirectlyResult> {
        Box::pin(async {
            ConsumeMessageDirectlyResult {
                auto_commit: true,
                consume_result: Some(ConsumeDirectlyOutcome::Success),
                order: false,
                remark: None,
                spent_time_mills: 1,
            }
        })
    }
}
