//! Fakes for client-core's instance tests: a producer and a consumer that record what the
//! instance asks of them, and a scripted peer acting as name server and broker at once.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmq_client_core::inner::BoxFuture;
use rmq_client_core::{ClientConfig, ConsumerInner, ProducerInner, PublishInfo, TaskSchedule};
use rmq_protocol::body::{
    BrokerData, ConsumeDirectlyOutcome, ConsumeFromWhere, ConsumeMessageDirectlyResult,
    ConsumeType, ConsumerRunningInfo, JsonBody, MessageModel, MessageQueue, QueueData,
    SubscriptionData, TopicRouteData,
};
use rmq_protocol::header::CheckTransactionStateRequestHeader;
use rmq_protocol::message::StoredMessage;
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::{MockServer, Reply};

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

/// The route `MockCluster` serves for every topic: one broker `broker-a` at its own address.
pub fn route_to(addr: &str) -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: [(0, addr.to_owned())].into(),
            broker_name: "broker-a".into(),
            cluster: "c".into(),
            ..Default::default()
        }],
        queue_datas: vec![QueueData {
            broker_name: "broker-a".into(),
            perm: 6,
            read_queue_nums: 4,
            write_queue_nums: 4,
            topic_sys_flag: 0,
        }],
        ..Default::default()
    }
}

/// A scripted peer that is both the name server (routes for every topic but `missing`) and
/// the broker `broker-a` (heartbeat and unregister answer SUCCESS with version 407).
pub async fn mock_cluster() -> MockServer {
    let server = MockServer::start(|_| Reply::success())
        .await
        .expect("mock server");
    let addr = server.addr();
    server.set_handler(move |req: &Command| match req.request_code() {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            if req.ext_fields.get("topic") == Some("missing") {
                return Reply::Respond(Command::response(
                    ResponseCode::TOPIC_NOT_EXIST,
                    Some("no route".into()),
                ));
            }
            let body = route_to(&addr).to_json().expect("route json");
            Reply::Respond(Command::response(ResponseCode::SUCCESS, None).with_body(body))
        }
        _ => Reply::success(),
    });
    server
}

/// A config for `namesrv` with short task periods.
pub fn config(namesrv: &str, instance: &str) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .client_ip("127.0.0.1")
        .instance_name(instance)
        .shutdown_timeout(Duration::from_secs(3))
        .schedule(TaskSchedule {
            heartbeat_delay: Duration::from_millis(20),
            rebalance_period: Duration::from_millis(200),
            ..TaskSchedule::default()
        })
        .build()
        .expect("config")
}

/// Requests the peer received with `code`.
pub fn received(server: &MockServer, code: RequestCode) -> Vec<Command> {
    server
        .requests()
        .into_iter()
        .filter(|c| c.request_code() == code)
        .collect()
}

/// Polls `cond` every 10 ms for up to `within`.
pub async fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}
