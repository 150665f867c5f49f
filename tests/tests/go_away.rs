//! GO_AWAY (5.x, code 1500) from a broker that is shutting down: the producer's sends during
//! it all succeed, the told-off request is sent once more on a new connection, and the old
//! connection closes.
//!
//! Embedded testkit only, whatever the run's backend: the testkit's fault API answers GO_AWAY
//! on demand, and no real broker can be made to. The crates.io broker 1.0.0 has no graceful
//! shutdown to trigger from a test, and a Java 5.3.x server answers GO_AWAY only to requests
//! whose version is above `V5_3_1` (475), while this SDK sends 407 (`V4_9_7`): a Java broker
//! shutting down would serve our requests until it closes the connection instead.

use std::time::Duration;

use rmq_client_producer::{Message, Producer, SendStatus};
use rmq_protocol::{RequestCode, ResponseCode};
use rmq_tests::embedded::Embedded;
use rmq_tests::names;

const SEND: RequestCode = RequestCode::SEND_MESSAGE_V2;

async fn producer(namesrv: &str, case: &str) -> Producer {
    Producer::builder()
        .namesrv(namesrv)
        .group(names::group(case))
        .send_timeout(Duration::from_secs(5))
        .build()
        .await
        .expect("producer")
}

/// Sequential sends while the broker answers one of them GO_AWAY, then a burst of concurrent
/// ones while it answers the first of them GO_AWAY: every send is acknowledged, each GO_AWAY
/// costs exactly one more request, and the broker ends with one connection from the producer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_during_a_go_away_all_succeed() {
    let topic = names::topic("go_away");
    let embedded = Embedded::start(1, "GoAwayCluster").expect("testkit");
    embedded.cluster().create_topic(&topic, 4);
    let broker = embedded.broker("broker-a");
    let p = producer(&embedded.cluster().namesrv_addr(), "go_away").await;
    let warm_up = p.send(&Message::new(&topic, "warm-up")).await;
    assert_eq!(warm_up.expect("warm-up send").status(), SendStatus::Ok);
    assert_eq!(broker.connection_count(), 1);

    broker.reset_requests();
    broker.inject(SEND, ResponseCode::GO_AWAY, 1);
    for i in 0..20 {
        let receipt = p
            .send(&Message::new(&topic, format!("seq-{i}")))
            .await
            .unwrap_or_else(|e| panic!("send {i} during GO_AWAY: {e:?}"));
        assert_eq!(receipt.status(), SendStatus::Ok);
    }
    assert_eq!(broker.requests(SEND), 21, "20 sends, one of them twice");
    let settled = rmq_tests::eventually(Duration::from_secs(10), || async {
        broker.connection_count() == 1
    })
    .await;
    assert!(settled, "the told-off connection closes once drained");

    broker.reset_requests();
    broker.inject(SEND, ResponseCode::GO_AWAY, 1);
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (p, topic) = (p.clone(), topic.clone());
        burst.spawn(async move { p.send(&Message::new(&topic, format!("burst-{i}"))).await });
    }
    while let Some(sent) = burst.join_next().await {
        let receipt = sent
            .expect("joins")
            .unwrap_or_else(|e| panic!("burst send: {e:?}"));
        assert_eq!(receipt.status(), SendStatus::Ok);
    }
    assert_eq!(broker.requests(SEND), 17, "16 sends, one of them twice");
    let settled = rmq_tests::eventually(Duration::from_secs(10), || async {
        broker.connection_count() == 1
    })
    .await;
    assert!(settled, "the told-off connection closes once drained");

    let api = p.instance().api();
    let mut stored = 0;
    for queue in 0..4 {
        stored += api
            .max_offset(
                &broker.addr().to_string(),
                &topic,
                queue,
                Duration::from_secs(5),
            )
            .await
            .expect("max offset");
    }
    assert_eq!(
        stored,
        1 + 20 + 16,
        "every acknowledged send is stored once"
    );
    p.shutdown().await;
}
