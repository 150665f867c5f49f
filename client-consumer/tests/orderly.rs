//! Orderly consumption with LOCK_BATCH_MQ / UNLOCK_BATCH_MQ, on the testkit because the
//! crates.io broker rejects the 4.x lock body and the testkit keeps Java's lock table.

mod cluster;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cluster::{broker, until, Sender};
use rmq_client_consumer::{OrderlyResult, PushConsumer, ReceivedMessage};
use rmq_protocol::RequestCode;

const TOPIC: &str = "OrderlyTopic";
const GROUP: &str = "orderly_group";
const QUEUES: i32 = 2;
const PER_QUEUE: usize = 20;

/// (queue id, queue offset, reconsume times) of every message handed to the listener.
type Log = Arc<Mutex<Vec<(i32, i64, i32)>>>;

/// Queues are locked on the broker by this client while it consumes, each queue's messages
/// arrive in offset order one batch at a time, a suspended batch comes back (same offsets,
/// reconsume times + 1) before anything after it, offsets are committed, and shutdown
/// releases the locks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_locks_queues_and_preserves_per_queue_order() {
    let cluster = cluster::start(TOPIC, QUEUES).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    for q in 0..QUEUES {
        sender.send_n(TOPIC, q, PER_QUEUE).await;
    }
    let log: Log = Arc::default();
    let l = log.clone();
    let c = cluster::push_from_first(&cluster, "orderly", GROUP, TOPIC)
        .consume_batch_size(2)
        .suspend_current_queue_time(Duration::from_millis(100))
        .build()
        .await
        .expect("build");
    c.start_orderly(move |msgs: Vec<ReceivedMessage>| {
        let l = l.clone();
        async move {
            let mut log = l.lock().expect("log");
            for m in &msgs {
                log.push((m.queue().queue_id, m.queue_offset(), m.reconsume_times()));
            }
            let suspend = msgs.iter().any(|m| {
                m.queue().queue_id == 0 && m.queue_offset() == 6 && m.reconsume_times() == 0
            });
            if suspend {
                OrderlyResult::SuspendCurrentQueue
            } else {
                OrderlyResult::Success
            }
        }
    })
    .await
    .expect("start");
    until("all consumed and committed", || {
        (0..QUEUES).all(|q| broker.committed_offset(GROUP, TOPIC, q) == Some(PER_QUEUE as i64))
    })
    .await;
    assert!(broker.requests(RequestCode::LOCK_BATCH_MQ) >= 1);
    for q in 0..QUEUES {
        assert_eq!(
            broker.lock_holder(GROUP, TOPIC, q).as_deref(),
            Some(c.client_id()),
            "queue {q} is locked by the consumer"
        );
    }

    let log = log.lock().expect("log").clone();
    for q in 0..QUEUES {
        let offsets: Vec<i64> = log
            .iter()
            .filter(|(qid, _, r)| *qid == q && *r == 0)
            .map(|(_, o, _)| *o)
            .collect();
        assert_eq!(
            offsets,
            (0..PER_QUEUE as i64).collect::<Vec<_>>(),
            "queue {q}: every message once, in order"
        );
    }
    let q0: Vec<(i64, i32)> = log
        .iter()
        .filter(|e| e.0 == 0)
        .map(|e| (e.1, e.2))
        .collect();
    let at = q0
        .iter()
        .position(|e| *e == (6, 0))
        .expect("offset 6 consumed");
    assert_eq!(
        &q0[at..at + 4],
        &[(6, 0), (7, 0), (6, 1), (7, 1)],
        "suspended batch retried first"
    );

    c.shutdown().await;
    assert!(broker.requests(RequestCode::UNLOCK_BATCH_MQ) >= 1);
    for q in 0..QUEUES {
        assert_eq!(
            broker.lock_holder(GROUP, TOPIC, q),
            None,
            "queue {q} unlocked at shutdown"
        );
    }
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// A second orderly consumer of the group gets no queue another member holds the lock of:
/// after it joins, every queue is locked by exactly the member the rebalance gave it to, and
/// messages sent afterwards are still consumed in order per queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joining_member_only_consumes_queues_it_has_locked() {
    const GROUP2: &str = "orderly_join_group";
    let cluster = cluster::start(TOPIC, QUEUES).await;
    let broker = broker(&cluster);
    let sender = Sender::new(&cluster);
    let logs: [Log; 2] = Default::default();
    let mut consumers = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let c = cluster::push_from_first(&cluster, &format!("member{i}"), GROUP2, TOPIC)
            .build()
            .await
            .expect("build");
        let l = log.clone();
        c.start_orderly(move |msgs: Vec<ReceivedMessage>| {
            let l = l.clone();
            async move {
                let mut log = l.lock().expect("log");
                log.extend(
                    msgs.iter()
                        .map(|m| (m.queue().queue_id, m.queue_offset(), 0)),
                );
                OrderlyResult::Success
            }
        })
        .await
        .expect("start");
        consumers.push(c);
    }
    // Each member ends up with one queue of the topic (the group's retry topic has one queue
    // too, which is not looked at here), and holds its lock.
    until("each member owns and locks one queue", || {
        consumers.iter().all(|c| {
            let owned = owned_queues(c);
            owned.len() == 1
                && broker.lock_holder(GROUP2, TOPIC, owned[0]).as_deref() == Some(c.client_id())
        })
    })
    .await;
    for q in 0..QUEUES {
        sender.send_n(TOPIC, q, 5).await;
    }
    until("all consumed", || {
        logs.iter()
            .map(|l| l.lock().expect("log").len())
            .sum::<usize>()
            >= 10
    })
    .await;
    for (c, log) in consumers.iter().zip(&logs) {
        let owned = owned_queues(c)[0];
        let log = log.lock().expect("log").clone();
        assert!(
            log.iter().all(|(q, _, _)| *q == owned),
            "{} consumed only its own queue {owned}: {log:?}",
            c.client_id()
        );
        let offsets: Vec<i64> = log.iter().map(|(_, o, _)| *o).collect();
        assert_eq!(offsets, (0..5).collect::<Vec<_>>());
    }
    for c in &consumers {
        c.shutdown().await;
    }
    sender.shutdown().await;
    cluster.shutdown().await;
}

/// The ids of the queues of [`TOPIC`] that `c` owns.
fn owned_queues(c: &PushConsumer) -> Vec<i32> {
    c.assigned_queues()
        .into_iter()
        .filter(|q| q.topic == TOPIC)
        .map(|q| q.queue_id)
        .collect()
}
