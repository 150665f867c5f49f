//! A live offset reset (INVOKE_BROKER_TO_RESET_OFFSET, then the broker's
//! RESET_CONSUMER_CLIENT_OFFSET to the running consumer), on the testkit because the crates.io
//! broker only answers "offset moved" on the next pull and never tells the client.

mod cluster;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cluster::{broker, until, Sender, BROKER, TIMEOUT};
use rmq_client_consumer::{ConsumeResult, MessageQueue, ReceivedMessage};
use rmq_protocol::ResponseCode;

const TOPIC: &str = "ResetTopic";
const GROUP: &str = "reset_group";

/// (queue offset, store timestamp) of every message handed to the listener.
type Seen = Arc<Mutex<Vec<(i64, i64)>>>;

/// Resetting a running group to a time between two sends makes the consumer consume the
/// queue again from the first message stored after that time, and commit up to the end again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_reset_by_time_replays_from_the_offset_at_that_time() {
    let cluster = cluster::start(TOPIC, 1).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    sender.send_n(TOPIC, 0, 3).await;
    // A gap in store times, so the time to reset to is nearest to offset 3 alone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 3..10 {
        sender.send(TOPIC, 0, &format!("m{i}"), &[]).await;
    }
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    let c = cluster::push_from_first(&cluster, "reset", GROUP, TOPIC)
        .build()
        .await
        .expect("build");
    c.start(move |msgs: Vec<ReceivedMessage>| {
        s2.lock().expect("seen").extend(
            msgs.iter()
                .map(|m| (m.queue_offset(), m.stored().store_timestamp)),
        );
        async { ConsumeResult::Success }
    })
    .await
    .expect("start");
    until("the first pass committed", || {
        broker.committed_offset(GROUP, TOPIC, 0) == Some(10)
    })
    .await;
    let first_pass = seen.lock().expect("seen").clone();
    assert_eq!(first_pass.len(), 10, "{first_pass:?}");
    let stored_at_3 = first_pass
        .iter()
        .find(|(offset, _)| *offset == 3)
        .map(|(_, at)| *at)
        .expect("offset 3 consumed");

    let table = sender
        .api()
        .reset_offset_via_broker(
            sender.addr(),
            TOPIC,
            GROUP,
            stored_at_3 - 100,
            true,
            TIMEOUT,
        )
        .await
        .expect("the broker resets the live group");
    assert_eq!(
        table.into_iter().collect::<Vec<_>>(),
        [(MessageQueue::new(TOPIC, BROKER, 0), 3)]
    );
    until("the replay from offset 3", || {
        seen.lock().expect("seen").len() >= 17
    })
    .await;
    // Concurrent listeners: the replayed batch may arrive in any order.
    let mut replay: Vec<i64> = seen.lock().expect("seen")[10..]
        .iter()
        .map(|(offset, _)| *offset)
        .collect();
    replay.sort_unstable();
    assert_eq!(replay, (3..10).collect::<Vec<_>>());
    until("the replay committed", || {
        broker.committed_offset(GROUP, TOPIC, 0) == Some(10)
    })
    .await;
    c.shutdown().await;
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A reset for a group with no consumer online is refused with CONSUMER_NOT_ONLINE (Java's
/// `Broker2Client#resetOffset`), and the error names that code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_without_a_live_consumer_is_refused() {
    let cluster = cluster::start(TOPIC, 1).await;
    let sender = Sender::new(&cluster);
    sender.send_n(TOPIC, 0, 2).await;
    sender
        .api()
        .update_consumer_offset(sender.addr(), "offline_group", TOPIC, 0, 2, TIMEOUT)
        .await
        .expect("commit an offset for the group");
    let err = sender
        .api()
        .reset_offset_via_broker(sender.addr(), TOPIC, "offline_group", 0, true, TIMEOUT)
        .await
        .expect_err("no consumer to tell");
    assert_eq!(
        err.response_code(),
        Some(ResponseCode::CONSUMER_NOT_ONLINE),
        "{err}"
    );
    sender.shutdown().await;
    cluster.shutdown().await;
}
