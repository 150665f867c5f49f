//! A push consumer whose group a broker serves in POP mode (SET_MESSAGE_REQUEST_MODE, as
//! `rmq-admin setConsumeMode` does): it pops instead of pulling, acks what it consumed, gets a
//! failed message again through the POP retry topic, keeps pulling on a broker that does not
//! serve QUERY_ASSIGNMENT (4.x), and stops popping at shutdown. On the testkit, which serves
//! POP and its revival as Java 5.3.3 does.

mod cluster;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cluster::{broker, until, until_within, Sender};
use rmq_client_consumer::{ConsumeResult, PushConsumer, ReceivedMessage};
use rmq_protocol::body::{MessageRequestMode, SetMessageRequestModeRequestBody};
use rmq_protocol::{RequestCode, ResponseCode};
use rmq_testkit::MockCluster;

/// Bodies consumed, with how often each was delivered and its reconsume times at the last.
type Seen = Arc<Mutex<BTreeMap<String, (usize, i32)>>>;

/// Switches `group` to POP for `topic` on the cluster's broker.
async fn switch_to_pop(sender: &Sender, topic: &str, group: &str) {
    switch(sender, topic, group, MessageRequestMode::Pop).await;
}

/// Switches `group` to `mode` for `topic` on the cluster's broker.
async fn switch(sender: &Sender, topic: &str, group: &str, mode: MessageRequestMode) {
    let body = SetMessageRequestModeRequestBody {
        consumer_group: group.into(),
        mode,
        pop_share_queue_num: 0,
        topic: topic.into(),
    };
    sender
        .api()
        .set_message_request_mode(sender.addr(), &body, cluster::TIMEOUT)
        .await
        .expect("the broker switches the group's mode");
}

/// A started push consumer of `topic` whose listener records every delivery and fails the
/// first delivery of bodies in `fail_once`.
async fn consumer(
    cluster: &MockCluster,
    topic: &str,
    group: &str,
    fail_once: &'static [&'static str],
) -> (PushConsumer, Seen) {
    let c = cluster::push_from_first(cluster, group, group, topic)
        .build()
        .await
        .expect("build");
    let seen: Seen = Arc::default();
    let s = seen.clone();
    c.start(move |msgs: Vec<ReceivedMessage>| {
        let s = s.clone();
        async move {
            let mut result = ConsumeResult::Success;
            let mut seen = s.lock().expect("lock");
            for m in &msgs {
                let body = String::from_utf8_lossy(m.body()).into_owned();
                let e = seen.entry(body.clone()).or_insert((0, 0));
                e.0 += 1;
                e.1 = m.reconsume_times();
                if e.0 == 1 && fail_once.contains(&body.as_str()) {
                    result = ConsumeResult::RETRY;
                }
            }
            result
        }
    })
    .await
    .expect("start");
    (c, seen)
}

/// Waits until the consumer pops the topic and pulls none of its queues. A consumer that starts
/// before the broker has seen its heartbeat gets "no assignment" and pulls for one rebalance
/// round; the messages are sent once it pops.
async fn popping(b: &rmq_testkit::BrokerHandle, c: &PushConsumer) {
    until("the consumer pops and pulls nothing", || {
        b.requests(RequestCode::POP_MESSAGE) > 0 && c.assigned_queues().is_empty()
    })
    .await;
}

/// A group switched to POP consumes every message once by popping (no pull of the topic),
/// acks them (a later pop finds nothing), and after shutdown pops no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pop_group_consumes_every_message_once_and_stops_at_shutdown() {
    const TOPIC: &str = "PushPopTopic";
    const GROUP: &str = "push_pop_once";
    let cluster = cluster::start(TOPIC, 2).await;
    let sender = Sender::new(&cluster);
    switch_to_pop(&sender, TOPIC, GROUP).await;
    let (c, seen) = consumer(&cluster, TOPIC, GROUP, &[]).await;
    let b = broker(&cluster);
    popping(&b, &c).await;
    sender.send_n(TOPIC, 0, 5).await;
    sender.send_n(TOPIC, 1, 5).await;
    until("all 10 messages consumed", || {
        seen.lock().expect("lock").len() == 10
    })
    .await;
    assert!(
        c.assigned_queues().is_empty(),
        "no queue of the topic is pulled"
    );
    until("every message acked", || {
        b.requests(RequestCode::ACK_MESSAGE) >= 10
    })
    .await;
    // Past a second pop round, nothing was delivered twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        seen.lock().expect("lock").values().all(|(n, _)| *n == 1),
        "each message once: {:?}",
        seen.lock().expect("lock")
    );
    c.shutdown().await;
    let pops = b.requests(RequestCode::POP_MESSAGE);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        b.requests(RequestCode::POP_MESSAGE),
        pops,
        "no pop task left after shutdown"
    );
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A message whose first delivery fails stays invisible for the first POP retry delay (10 s),
/// then comes back through the group's POP retry topic with one reconsume time, and is acked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_message_comes_back_through_the_pop_retry_topic() {
    const TOPIC: &str = "PushPopRetryTopic";
    const GROUP: &str = "push_pop_retry";
    let cluster = cluster::start(TOPIC, 1).await;
    let sender = Sender::new(&cluster);
    switch_to_pop(&sender, TOPIC, GROUP).await;
    let (c, seen) = consumer(&cluster, TOPIC, GROUP, &["q0-1"]).await;
    popping(&broker(&cluster), &c).await;
    sender.send_n(TOPIC, 0, 2).await;
    // The retry is due 10 s after the failure; a pop that was already waiting may only see it
    // at its next poll (15 s each), so a loaded machine gets a few polls' worth of time.
    until_within(
        "the failed message delivered again",
        Duration::from_secs(90),
        || seen.lock().expect("lock").get("q0-1") == Some(&(2, 1)),
    )
    .await;
    let b = broker(&cluster);
    assert!(b.requests(RequestCode::CHANGE_MESSAGE_INVISIBLETIME) >= 1);
    until("both messages acked", || {
        b.requests(RequestCode::ACK_MESSAGE) >= 2
    })
    .await;
    assert_eq!(seen.lock().expect("lock").get("q0-0"), Some(&(1, 0)));
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A broker that does not serve QUERY_ASSIGNMENT (4.x) is asked once, and the consumer pulls
/// as before, even for a group switched to POP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_query_assignment_the_consumer_pulls() {
    const TOPIC: &str = "PushPop4xTopic";
    const GROUP: &str = "push_pop_4x";
    let cluster = cluster::start(TOPIC, 2).await;
    let b = broker(&cluster);
    b.inject(
        RequestCode::QUERY_ASSIGNMENT,
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
        1000,
    );
    let sender = Sender::new(&cluster);
    switch_to_pop(&sender, TOPIC, GROUP).await;
    sender.send_n(TOPIC, 0, 3).await;
    sender.send_n(TOPIC, 1, 3).await;
    let (c, seen) = consumer(&cluster, TOPIC, GROUP, &[]).await;
    until("all 6 messages consumed", || {
        seen.lock().expect("lock").len() == 6
    })
    .await;
    assert_eq!(c.assigned_queues().len(), 2, "both queues are pulled");
    assert_eq!(b.requests(RequestCode::POP_MESSAGE), 0, "nothing popped");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        b.requests(RequestCode::QUERY_ASSIGNMENT),
        1,
        "the answer is remembered"
    );
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// Switched back to PULL, the consumer stops its pop tasks at the next rebalance and pulls the
/// topic's queues again; a message sent then is consumed by pulling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switched_back_to_pull_the_consumer_stops_popping() {
    const TOPIC: &str = "PushPopBackTopic";
    const GROUP: &str = "push_pop_back";
    let cluster = cluster::start(TOPIC, 2).await;
    let b = broker(&cluster);
    let sender = Sender::new(&cluster);
    switch_to_pop(&sender, TOPIC, GROUP).await;
    let (c, seen) = consumer(&cluster, TOPIC, GROUP, &[]).await;
    until("the consumer pops", || {
        b.requests(RequestCode::POP_MESSAGE) > 0
    })
    .await;
    switch(&sender, TOPIC, GROUP, MessageRequestMode::Pull).await;
    until("both queues pulled again", || {
        c.assigned_queues().len() == 2
    })
    .await;
    let pops = b.requests(RequestCode::POP_MESSAGE);
    sender.send_n(TOPIC, 1, 1).await;
    until("the message consumed", || {
        seen.lock().expect("lock").contains_key("q1-0")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        b.requests(RequestCode::POP_MESSAGE),
        pops,
        "no pop after the switch back"
    );
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A listener that does not return holds its messages: one queue has at most 96 popped and
/// unsettled messages (three pops of 32), so the consumer stops popping it until they settle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn popped_and_unsettled_messages_are_bounded_per_queue() {
    const TOPIC: &str = "PushPopBoundTopic";
    const GROUP: &str = "push_pop_bound";
    let cluster = cluster::start(TOPIC, 1).await;
    let b = broker(&cluster);
    let sender = Sender::new(&cluster);
    switch_to_pop(&sender, TOPIC, GROUP).await;
    sender.send_n(TOPIC, 0, 200).await;
    let c = cluster::push_from_first(&cluster, GROUP, GROUP, TOPIC)
        .drain_timeout(Duration::from_millis(100))
        .build()
        .await
        .expect("build");
    let started = Arc::new(AtomicUsize::new(0));
    let s = started.clone();
    c.start(move |_: Vec<ReceivedMessage>| {
        s.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<ConsumeResult>()
    })
    .await
    .expect("start");
    until("listeners running", || started.load(Ordering::SeqCst) > 0).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pops = b.requests(RequestCode::POP_MESSAGE);
    assert!(
        (1..=3).contains(&pops),
        "{pops} pops: more than 96 messages popped and unsettled"
    );
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}
