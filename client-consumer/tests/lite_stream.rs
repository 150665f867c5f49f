//! The lite pull consumer's `stream()`, on the testkit because it long-polls and keeps the
//! group's offsets as Java's broker does, so a commit can be read back from the broker.

mod cluster;

use std::collections::BTreeSet;
use std::time::Duration;

use cluster::{broker, Sender};
use futures::StreamExt;
use rmq_client_consumer::ReceivedMessage;

const TOPIC: &str = "LiteTopic";
const GROUP: &str = "lite_group";

/// `stream()` yields every stored message of both queues exactly once, including one sent
/// while the stream waits on drained queues; `commit()` stores the offsets past them on the
/// broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_stream_yields_every_message_and_commits() {
    let cluster = cluster::start(TOPIC, 2).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    sender.send_n(TOPIC, 0, 3).await;
    sender.send_n(TOPIC, 1, 3).await;
    let c = cluster::pull_from_first(&cluster, "lite", GROUP, TOPIC)
        .build()
        .await
        .expect("build");
    let got: Vec<ReceivedMessage> = tokio::time::timeout(cluster::TIMEOUT, async {
        let mut stream = Box::pin(c.stream());
        let mut got: Vec<ReceivedMessage> = stream.by_ref().take(6).collect().await;
        // The queues are drained: the next message is stored while the stream waits.
        let late = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            sender.send(TOPIC, 1, "late", &[]).await;
        };
        let (next, ()) = tokio::join!(stream.next(), late);
        got.extend(next);
        got
    })
    .await
    .expect("seven messages within the bound");
    let ids: BTreeSet<(i32, i64)> = got
        .iter()
        .map(|m| (m.queue().queue_id, m.queue_offset()))
        .collect();
    let expected: BTreeSet<(i32, i64)> = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (1, 3)]
        .into_iter()
        .collect();
    assert_eq!(ids, expected, "each message once");
    assert_eq!(got.len(), 7);
    assert_eq!(got[6].body().as_ref(), b"late");

    c.commit().await;
    assert_eq!(broker.committed_offset(GROUP, TOPIC, 0), Some(3));
    assert_eq!(broker.committed_offset(GROUP, TOPIC, 1), Some(4));
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}
