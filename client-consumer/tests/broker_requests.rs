//! Requests the broker sends to a running consumer on an admin's behalf (GET_CONSUMER_RUNNING_INFO
//! relayed, INVOKE_BROKER_TO_GET_CONSUMER_STATUS fanned out), on the testkit because it relays
//! them over the consumer's own connection as Java's broker does and counts what it sends.

mod cluster;

use cluster::{broker, until, Sender, BROKER, TIMEOUT};
use rmq_client_consumer::{ConsumeResult, MessageQueue, ReceivedMessage};
use rmq_protocol::ResponseCode;

const TOPIC: &str = "InfoTopic";
const GROUP: &str = "info_group";

/// The broker relays GET_CONSUMER_RUNNING_INFO to the consumer, which answers with its
/// subscription, its queues and the consume mode; and the consumer reports its offsets to
/// INVOKE_BROKER_TO_GET_CONSUMER_STATUS under its client id. An unknown client id is refused
/// by the broker with a typed error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_info_and_status_are_served_through_the_broker() {
    let cluster = cluster::start(TOPIC, 2).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    sender.send_n(TOPIC, 0, 4).await;
    let c = cluster::push_from_first(&cluster, "info", GROUP, TOPIC)
        .build()
        .await
        .expect("build");
    c.start(|_: Vec<ReceivedMessage>| async { ConsumeResult::Success })
        .await
        .expect("start");
    until("the queue consumed and committed", || {
        broker.committed_offset(GROUP, TOPIC, 0) == Some(4)
    })
    .await;

    let info = sender
        .api()
        .consumer_running_info(sender.addr(), GROUP, c.client_id(), false, TIMEOUT)
        .await
        .expect("running info relayed");
    assert!(
        info.subscription_set.iter().any(|s| s.topic == TOPIC),
        "{info:?}"
    );
    let queue0 = MessageQueue::new(TOPIC, BROKER, 0);
    assert!(info.mq_table.contains_key(&queue0), "{info:?}");
    assert_eq!(
        info.properties
            .get("PROP_CONSUMEORDERLY")
            .map(String::as_str),
        Some("false")
    );

    let status = sender
        .api()
        .consumer_status_via_broker(sender.addr(), TOPIC, GROUP, None, TIMEOUT)
        .await
        .expect("status fanned out");
    let offsets = status.get(c.client_id()).expect("this consumer answered");
    assert_eq!(offsets.get(&queue0), Some(&4), "{status:?}");

    let err = sender
        .api()
        .consumer_running_info(sender.addr(), GROUP, "127.0.0.1@nobody", false, TIMEOUT)
        .await
        .expect_err("no such client");
    assert_eq!(
        err.response_code(),
        Some(ResponseCode::SYSTEM_ERROR),
        "{err}"
    );
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}
