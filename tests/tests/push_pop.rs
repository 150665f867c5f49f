//! Push consumption in POP mode against the shared cluster (the embedded testkit, or the
//! crates.io broker under `cargo xtask it --real`): a push consumer pulls a topic until its
//! group is switched to POP (SET_MESSAGE_REQUEST_MODE, as `rmq-admin setConsumeMode` does),
//! then pops it (the broker's assignment replaces the pulled queues) and consumes every message
//! sent from then on exactly once.
//!
//! Redelivery of a failed message through the POP retry topic is tested on the testkit only
//! (`client-consumer/tests/push_pop.rs`): the crates.io broker 1.0.0 refuses
//! CHANGE_MESSAGE_INVISIBLETIME and never redelivers (`docs/ci-broker.md`).

#[path = "consumer_util.rs"]
mod util;

use std::time::Duration;

use rmq_client_consumer::{ConsumeFrom, ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_protocol::body::{MessageRequestMode, SetMessageRequestModeRequestBody};
use util::{config, create_topic, producer, send, until, Seen};

const WAIT: Duration = Duration::from_secs(60);

/// Sent after the switch, every message is consumed once, by popping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_consumer_switched_to_pop_consumes_every_message_once() {
    let (topic, group) = (
        rmq_tests::names::topic("push_pop"),
        rmq_tests::names::group("push_pop"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let c = PushConsumer::builder()
        .client_config(config())
        .group(&group)
        .subscribe(&topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    let seen = Seen::default();
    let s = seen.clone();
    c.start(move |msgs: Vec<ReceivedMessage>| {
        s.push(&msgs);
        async { ConsumeResult::Success }
    })
    .await
    .expect("start");
    until(WAIT, "the topic's queues pulled", || {
        c.assigned_queues().len() == 4
    })
    .await;
    let mode = SetMessageRequestModeRequestBody {
        consumer_group: group.clone(),
        mode: MessageRequestMode::Pop,
        pop_share_queue_num: 0,
        topic: topic.clone(),
    };
    p.api()
        .set_message_request_mode(&rmq_tests::broker_addr(), &mode, Duration::from_secs(5))
        .await
        .expect("the group is switched to POP");
    until(WAIT, "the topic popped instead of pulled", || {
        c.assigned_queues().is_empty()
    })
    .await;
    let sent = send(&p, &topic, "A", 20).await;
    seen.wait(WAIT, "every message consumed", |msgs| {
        msgs.len() >= sent.len()
    })
    .await;
    // A second pop round delivers nothing again: every message was acked.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(seen.len(), sent.len(), "each message once");
    assert_eq!(
        seen.ids(),
        sent.into_iter().collect(),
        "the messages sent, nothing else"
    );
    c.shutdown().await;
    p.shutdown().await;
}
