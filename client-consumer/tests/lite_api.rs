//! The lite pull consumer's result types and per-queue commit, on the testkit (it keeps the
//! group's offsets as Java's broker does, so a commit can be read back from the broker).

mod cluster;

use std::time::{Duration, Instant};

use cluster::{broker, Sender};
use rmq_client_consumer::{ConsumeFrom, Error, ErrorKind, Filter, PullConsumer, ReceivedMessage};
use rmq_protocol::MessageQueue;

const TOPIC: &str = "LiteApiTopic";

/// Polls `c` until it returned `n` messages, failing after the cluster bound.
async fn poll_n(c: &PullConsumer, n: usize) -> Vec<ReceivedMessage> {
    let deadline = Instant::now() + cluster::TIMEOUT;
    let mut got = Vec::new();
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} messages",
            got.len()
        );
        got.extend(c.poll(Duration::from_millis(300)).await.expect("poll"));
    }
    got
}

/// `poll` answers `Ok(empty)` while nothing comes, and `Error::State` (kind `Shutdown`) once
/// the consumer is shut down: both for a poll that is waiting when shutdown happens and for
/// every later one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_tells_nothing_yet_from_shut_down() {
    let cluster = cluster::start(TOPIC, 1).await;
    let c = PullConsumer::builder()
        .client_config(cluster::config(&cluster, "lite-closed"))
        .group("lite_closed_group")
        .build()
        .await
        .expect("build");
    c.assign(vec![MessageQueue::new(TOPIC, cluster::BROKER, 0)])
        .await
        .expect("assign");
    let nothing = c.poll(Duration::from_millis(200)).await.expect("open");
    assert!(nothing.is_empty());

    let waiting = {
        let c = c.clone();
        tokio::spawn(async move { c.poll(Duration::from_secs(60)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.shutdown().await;
    let during = tokio::time::timeout(cluster::TIMEOUT, waiting)
        .await
        .expect("the waiting poll ends at shutdown")
        .expect("no panic");
    assert!(
        matches!(during, Err(Error::State { .. })),
        "waiting poll: {during:?}"
    );
    let after = c.poll(Duration::from_millis(10)).await;
    let err = after.expect_err("poll after shutdown");
    assert_eq!(err.kind(), ErrorKind::Shutdown);
    assert_eq!(
        err.to_string(),
        "consumer of group lite_closed_group is shut down"
    );
    cluster.shutdown().await;
}

/// `commit_queue` stores the given offset of one queue on the broker at once, leaving the
/// other queue alone; refuses a queue not assigned and a negative offset. `seek` (async now)
/// then replays from an offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_queue_commits_one_queue_and_seek_replays() {
    let cluster = cluster::start(TOPIC, 2).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    sender.send_n(TOPIC, 0, 5).await;
    sender.send_n(TOPIC, 1, 2).await;
    let group = "lite_commit_group";
    let c = PullConsumer::builder()
        .client_config(cluster::config(&cluster, "lite-commit"))
        .group(group)
        .auto_commit(false)
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    let q0 = MessageQueue::new(TOPIC, cluster::BROKER, 0);
    let q1 = MessageQueue::new(TOPIC, cluster::BROKER, 1);
    c.assign(vec![q0.clone(), q1.clone()])
        .await
        .expect("assign");
    let got = poll_n(&c, 7).await;
    assert_eq!(got.len(), 7);

    c.commit_queue(&q0, 3).await.expect("commit q0");
    assert_eq!(broker.committed_offset(group, TOPIC, 0), Some(3));
    assert_eq!(broker.committed_offset(group, TOPIC, 1), None);
    assert_eq!(c.committed(&q0), Some(3));

    let other = MessageQueue::new(TOPIC, cluster::BROKER, 7);
    let refused = c.commit_queue(&other, 1).await.expect_err("not assigned");
    assert_eq!(refused.kind(), ErrorKind::InvalidArgument);
    assert!(matches!(refused, Error::NotAssigned { .. }), "{refused:?}");
    let negative = c.commit_queue(&q0, -1).await.expect_err("negative");
    assert!(matches!(negative, Error::Config(_)), "{negative:?}");
    assert_eq!(broker.committed_offset(group, TOPIC, 0), Some(3));

    c.seek(&q0, 1).await.expect("seek");
    let again = poll_n(&c, 4).await;
    let offsets: Vec<i64> = again.iter().map(ReceivedMessage::queue_offset).collect();
    assert_eq!(offsets, [1, 2, 3, 4]);
    assert!(again.iter().all(|m| m.queue() == &q0));

    c.commit().await;
    assert_eq!(broker.committed_offset(group, TOPIC, 0), Some(5));
    assert_eq!(broker.committed_offset(group, TOPIC, 1), Some(2));
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A lite pull consumer with namespace `ns` takes and shows names without it: `subscribe`,
/// `fetch_queues`, `assigned_queues`, the polled messages' topic and queue, `seek` and
/// `commit_queue` all say `NsLite`, while the broker holds `ns%NsLite` for group `ns%g`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespaced_lite_consumer_names_queues_without_the_namespace() {
    let cluster = cluster::start("ns%NsLite", 1).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    sender.send_n("ns%NsLite", 0, 3).await;
    let config = cluster::config_builder(&cluster, "lite-ns")
        .namespace("ns")
        .build()
        .expect("config");
    let c = PullConsumer::builder()
        .client_config(config)
        .group("g")
        .auto_commit(false)
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    c.subscribe("NsLite", Filter::all())
        .await
        .expect("subscribe");
    let q = MessageQueue::new("NsLite", cluster::BROKER, 0);
    assert_eq!(
        c.fetch_queues("NsLite").await.expect("fetch"),
        vec![q.clone()]
    );
    let got = poll_n(&c, 3).await;
    assert!(got.iter().all(|m| m.topic() == "NsLite" && m.queue() == &q));
    assert_eq!(c.assigned_queues(), vec![q.clone()]);

    c.seek(&q, 1).await.expect("seek by the user's name");
    let again = poll_n(&c, 2).await;
    let offsets: Vec<i64> = again.iter().map(ReceivedMessage::queue_offset).collect();
    assert_eq!(offsets, [1, 2]);
    c.commit_queue(&q, 3).await.expect("commit");
    assert_eq!(c.committed(&q), Some(3));
    assert_eq!(broker.committed_offset("ns%g", "ns%NsLite", 0), Some(3));
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}
