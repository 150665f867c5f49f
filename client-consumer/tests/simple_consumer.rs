//! `SimpleConsumer` on the testkit: receive and ack, redelivery after the invisible duration,
//! changing it, the typed error for an expired handle, bounded receives, builder checks and
//! shutdown. The testkit serves POP as Java 5.3.3 does (its revive goes through the POP retry
//! topic), and it lets a test count the pops a broker received.

mod cluster;

use std::collections::BTreeSet;
use std::time::Duration;

use cluster::{broker, until, Sender, BROKER, TIMEOUT};
use rmq_client_consumer::{Error, ErrorKind, Filter, ReceivedMessage, SimpleConsumer};
use rmq_protocol::RequestCode;
use rmq_testkit::MockCluster;

const TOPIC: &str = "SimpleTopic";

async fn consumer(cluster: &MockCluster, group: &str, await_ms: u64) -> SimpleConsumer {
    SimpleConsumer::builder()
        .client_config(cluster::config(cluster, group))
        .group(group)
        .subscribe(TOPIC, Filter::all())
        .await_duration(Duration::from_millis(await_ms))
        .build()
        .await
        .expect("builds")
}

/// Receives until `n` messages arrived (each receive waits at most the await duration).
async fn receive_n(c: &SimpleConsumer, n: usize, invisible: Duration) -> Vec<ReceivedMessage> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while got.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {n}",
            got.len()
        );
        got.extend(c.receive(32, invisible).await.expect("receive"));
    }
    got
}

/// Received messages are acked once and not received again; the group's consumed offset
/// moves past them, and the group is registered at the broker as a consumer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_and_acked_messages_are_consumed_once() {
    let cluster = cluster::start(TOPIC, 2).await;
    let sender = Sender::new(&cluster);
    sender.send_n(TOPIC, 0, 3).await;
    sender.send_n(TOPIC, 1, 3).await;
    let c = consumer(&cluster, "simple_once", 500).await;
    let got = receive_n(&c, 6, Duration::from_secs(30)).await;
    let bodies: BTreeSet<String> = got
        .iter()
        .map(|m| String::from_utf8_lossy(m.body()).into_owned())
        .collect();
    assert_eq!(bodies.len(), 6, "each message once: {bodies:?}");
    for m in &got {
        assert_eq!(m.topic(), TOPIC);
        assert_eq!(m.queue().broker_name, BROKER);
        c.ack(m).await.expect("ack");
    }
    assert!(c
        .receive(32, Duration::from_secs(30))
        .await
        .expect("receive")
        .is_empty());
    let b = broker(&cluster);
    until("offsets past the acked messages", || {
        b.committed_offset("simple_once", TOPIC, 0) == Some(3)
            && b.committed_offset("simple_once", TOPIC, 1) == Some(3)
    })
    .await;
    let ids = sender
        .api()
        .consumer_id_list(sender.addr(), "simple_once", TIMEOUT)
        .await
        .expect("the group has a member");
    assert_eq!(ids.len(), 1);
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A message not acked within its invisible duration is received again, with one more
/// reconsume time, and its old handle is refused as expired, naming the broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unacked_message_comes_back_and_its_old_handle_expires() {
    let cluster = cluster::start(TOPIC, 1).await;
    let sender = Sender::new(&cluster);
    sender
        .send(
            TOPIC,
            0,
            "again",
            &[("UNIQ_KEY", "7F00000100002A9F0000000000000001")],
        )
        .await;
    let c = consumer(&cluster, "simple_again", 3_000).await;
    let first = receive_n(&c, 1, Duration::from_millis(300)).await;
    let again = receive_n(&c, 1, Duration::from_secs(30)).await;
    assert_eq!(again[0].msg_id(), first[0].msg_id());
    assert_eq!(again[0].reconsume_times(), 1);
    assert_eq!(again[0].topic(), TOPIC);

    let e = c.ack(&first[0]).await.expect_err("expired");
    assert!(matches!(e, Error::HandleExpired { .. }), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains(BROKER), "{e}");
    let e = c
        .change_invisible_duration(&first[0], Duration::from_secs(5))
        .await
        .expect_err("expired");
    assert!(matches!(e, Error::HandleExpired { .. }), "{e:?}");

    c.ack(&again[0]).await.expect("the new handle acks");
    assert!(c
        .receive(32, Duration::from_millis(300))
        .await
        .expect("receive")
        .is_empty());
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// Changing the invisible duration keeps the message hidden past its first deadline, and the
/// returned message's handle acks it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_invisible_duration_keeps_the_message_hidden() {
    let cluster = cluster::start(TOPIC, 1).await;
    let sender = Sender::new(&cluster);
    sender.send(TOPIC, 0, "later", &[]).await;
    let c = consumer(&cluster, "simple_change", 1_500).await;
    let got = receive_n(&c, 1, Duration::from_millis(500)).await;
    let renewed = c
        .change_invisible_duration(&got[0], Duration::from_secs(60))
        .await
        .expect("changed");
    assert_ne!(renewed.property("POP_CK"), got[0].property("POP_CK"));
    assert_eq!(renewed.msg_id(), got[0].msg_id());
    // Past the first deadline (500 ms) while this receive waits 1.5 s: nothing comes back.
    assert!(c
        .receive(32, Duration::from_secs(30))
        .await
        .expect("receive")
        .is_empty());
    c.ack(&renewed).await.expect("the renewed handle acks");
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// With one receive allowed in flight, a second waits: the broker sees one pop while both
/// are pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_in_flight_are_bounded() {
    let cluster = cluster::start(TOPIC, 1).await;
    let c = SimpleConsumer::builder()
        .client_config(cluster::config(&cluster, "simple_bounded"))
        .group("simple_bounded")
        .subscribe(TOPIC, Filter::all())
        .await_duration(Duration::from_secs(2))
        .max_in_flight_receives(1)
        .build()
        .await
        .expect("builds");
    let b = broker(&cluster);
    b.reset_requests();
    let (one, two) = (c.clone(), c.clone());
    let first = tokio::spawn(async move { one.receive(1, Duration::from_secs(30)).await });
    let second = tokio::spawn(async move { two.receive(1, Duration::from_secs(30)).await });
    until("the first pop reached the broker", || {
        b.requests(RequestCode::POP_MESSAGE) >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        b.requests(RequestCode::POP_MESSAGE),
        1,
        "the second receive waits"
    );
    assert!(first.await.expect("joined").expect("receive").is_empty());
    assert!(second.await.expect("joined").expect("receive").is_empty());
    assert_eq!(b.requests(RequestCode::POP_MESSAGE), 2);
    c.shutdown().await;
    let e = c
        .receive(1, Duration::from_secs(1))
        .await
        .expect_err("shut down");
    assert!(matches!(e, Error::State { .. }), "{e:?}");
    cluster.shutdown().await;
}

/// The builder and receive refuse what cannot work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused() {
    let cluster = cluster::start(TOPIC, 1).await;
    let base = || {
        SimpleConsumer::builder()
            .client_config(cluster::config(&cluster, "simple_bad"))
            .group("simple_bad")
    };
    let no_sub = base().build().await.expect_err("no subscription");
    assert!(matches!(no_sub, Error::Config(_)), "{no_sub:?}");
    let long = base()
        .subscribe(TOPIC, Filter::all())
        .await_duration(Duration::from_secs(61))
        .build()
        .await
        .expect_err("await too long");
    assert!(matches!(long, Error::Config(_)), "{long:?}");
    let no_group = SimpleConsumer::builder()
        .client_config(cluster::config(&cluster, "simple_bad"))
        .subscribe(TOPIC, Filter::all())
        .build()
        .await
        .expect_err("no group");
    assert!(matches!(no_group, Error::Config(_)), "{no_group:?}");
    let c = base()
        .subscribe(TOPIC, Filter::all())
        .build()
        .await
        .expect("builds");
    for max in [0, 33] {
        let e = c
            .receive(max, Duration::from_secs(1))
            .await
            .expect_err("max");
        assert!(matches!(e, Error::Config(_)), "{e:?}");
    }
    let e = c
        .receive(1, Duration::ZERO)
        .await
        .expect_err("zero invisible");
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    c.shutdown().await;
    cluster.shutdown().await;
}
