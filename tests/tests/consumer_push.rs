//! The push consumer against the shared cluster: every message consumed, filters, retry and
//! DLQ, broadcasting, rebalance on join and leave, resume after restart, flow control and
//! graceful shutdown. Orderly consumption, SQL92 expressions and live offset resets are tested
//! against an in-process fake broker in `client-consumer/tests/fake_broker.rs`, because the CI
//! broker gets them wrong (see CI-BROKER.md).

#[path = "consumer_util.rs"]
mod util;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rmq_client_consumer::{
    ConsumeFrom, ConsumeResult, Filter, MessageModel, PushConsumer, ReceivedMessage,
};
use rmq_protocol::naming;
use util::{config, create_topic, producer, send, send_sized, until, Seen};

const WAIT: Duration = Duration::from_secs(60);

async fn consumer(
    group: &str,
    topic: &str,
    filter: Filter,
) -> rmq_client_consumer::PushConsumerBuilder {
    PushConsumer::builder()
        .client_config(config())
        .group(group)
        .subscribe(topic, filter)
        .consume_from(ConsumeFrom::FirstOffset)
}

fn recorder(seen: &Seen) -> impl Fn(Vec<ReceivedMessage>) -> futures_ready::Ready + Clone {
    let seen = seen.clone();
    move |msgs: Vec<ReceivedMessage>| {
        seen.push(&msgs);
        futures_ready::Ready(Some(ConsumeResult::Success))
    }
}

/// A ready future without pulling in the `futures` crate.
mod futures_ready {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use rmq_client_consumer::ConsumeResult;

    pub struct Ready(pub Option<ConsumeResult>);

    impl Future for Ready {
        type Output = ConsumeResult;
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<ConsumeResult> {
            Poll::Ready(self.0.take().unwrap_or(ConsumeResult::Success))
        }
    }
}

/// Every message sent before the consumer starts is consumed, and none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_concurrent_consumes_every_message_exactly_once() {
    let (topic, group) = (
        rmq_tests::names::topic("push_all"),
        rmq_tests::names::group("push_all"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 100).await.into_iter().collect();
    let seen = Seen::default();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("build");
    c.start(recorder(&seen)).await.expect("start");
    seen.wait(WAIT, "100 messages", |m| m.len() >= 100).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(seen.ids(), sent);
    assert_eq!(seen.len(), 100, "duplicates without any failure");
    assert!(seen
        .all()
        .iter()
        .all(|m| m.topic() == topic && m.reconsume_times() == 0));
    c.shutdown().await;
    p.shutdown().await;
}

/// A tag filter delivers only the listed tags (the broker filters by hash, the client by
/// string); SQL92 `TRUE` (what the CI broker evaluates correctly) delivers everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_filter_delivers_only_listed_tags_and_sql92_true_delivers_all() {
    let topic = rmq_tests::names::topic("push_tags");
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let mut want: BTreeSet<String> = send(&p, &topic, "A", 10).await.into_iter().collect();
    want.extend(send(&p, &topic, "B", 10).await);
    let other = send(&p, &topic, "C", 10).await;
    let (tags, all) = (Seen::default(), Seen::default());
    let c1 = consumer(
        &rmq_tests::names::group("tags"),
        &topic,
        Filter::tags(["A", "B"]),
    )
    .await
    .build()
    .await
    .expect("build");
    c1.start(recorder(&tags)).await.expect("start");
    let c2 = consumer(
        &rmq_tests::names::group("sql"),
        &topic,
        Filter::sql92("TRUE"),
    )
    .await
    .build()
    .await
    .expect("build");
    c2.start(recorder(&all)).await.expect("start sql92");
    tags.wait(WAIT, "20 tagged", |m| m.len() >= 20).await;
    all.wait(WAIT, "30 by sql92", |m| m.len() >= 30).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(tags.ids(), want);
    assert!(tags.all().iter().all(|m| m.tags() != Some("C")));
    assert!(other.iter().all(|id| all.ids().contains(id)));
    c1.shutdown().await;
    c2.shutdown().await;
    p.shutdown().await;
}

/// `Later` and a panic both fail the batch: the message comes back through the retry topic
/// with its original topic and `reconsume_times` incremented, and is consumed in the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_and_panic_redeliver_with_reconsume_times_incremented() {
    let (topic, group) = (
        rmq_tests::names::topic("push_later"),
        rmq_tests::names::group("later"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let ids = send(&p, &topic, "A", 2).await;
    let seen = Seen::default();
    let s = seen.clone();
    let panicky = ids[1].clone();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("build");
    c.start(move |msgs: Vec<ReceivedMessage>| {
        let (s, panicky) = (s.clone(), panicky.clone());
        async move {
            s.push(&msgs);
            let m = &msgs[0];
            if m.reconsume_times() == 0 {
                if m.msg_id() == panicky {
                    panic!("listener bug");
                }
                return ConsumeResult::Later(1);
            }
            ConsumeResult::Success
        }
    })
    .await
    .expect("start");
    seen.wait(WAIT, "both redelivered", |m| {
        m.iter().filter(|m| m.reconsume_times() == 1).count() >= 2
    })
    .await;
    for m in seen.all().iter().filter(|m| m.reconsume_times() == 1) {
        assert_eq!(m.topic(), topic, "original topic restored");
        assert!(ids.contains(&m.msg_id()));
        assert_eq!(m.queue().topic, naming::retry_topic(&group));
    }
    c.shutdown().await;
    p.shutdown().await;
}

/// A message that keeps failing lands in `%DLQ%group` after `max_reconsume_times` retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_failing_max_reconsume_times_goes_to_the_dlq() {
    let (topic, group) = (
        rmq_tests::names::topic("push_dlq"),
        rmq_tests::names::group("dlq"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 1).await;
    send(&p, &topic, "A", 1).await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let a = attempts.clone();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .max_reconsume_times(2)
        .build()
        .await
        .expect("build");
    c.start(move |_msgs: Vec<ReceivedMessage>| {
        a.fetch_add(1, Ordering::SeqCst);
        async { ConsumeResult::Later(1) }
    })
    .await
    .expect("start");
    until(WAIT, "three attempts", || {
        attempts.load(Ordering::SeqCst) >= 3
    })
    .await;
    let dlq = naming::dlq_topic(&group);
    let deadline = Instant::now() + WAIT;
    loop {
        let _ = p.update_topic_route(&dlq).await;
        let max = p
            .api()
            .max_offset(&rmq_tests::broker_addr(), &dlq, 0, Duration::from_secs(3))
            .await
            .unwrap_or(0);
        if max >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "nothing in {dlq}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "no delivery after the DLQ"
    );
    c.shutdown().await;
    p.shutdown().await;
}

/// Broadcasting: each of two consumers of one group gets every message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasting_delivers_every_message_to_each_consumer() {
    let (topic, group) = (
        rmq_tests::names::topic("push_bcast"),
        rmq_tests::names::group("bcast"),
    );
    let dir = std::env::temp_dir().join(rmq_tests::names::name("offsets", "bcast"));
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let (s1, s2) = (Seen::default(), Seen::default());
    let mut consumers = Vec::new();
    for s in [&s1, &s2] {
        let c = consumer(&group, &topic, Filter::all())
            .await
            .message_model(MessageModel::Broadcasting)
            .offset_store_dir(&dir)
            .build()
            .await
            .expect("build");
        c.start(recorder(s)).await.expect("start");
        consumers.push(c);
    }
    until(WAIT, "both own every queue", || {
        consumers.iter().all(|c| c.assigned_queues().len() == 4)
    })
    .await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 40).await.into_iter().collect();
    s1.wait(WAIT, "c1 got all", |m| m.len() >= 40).await;
    s2.wait(WAIT, "c2 got all", |m| m.len() >= 40).await;
    assert_eq!(s1.ids(), sent);
    assert_eq!(s2.ids(), sent);
    for c in &consumers {
        c.shutdown().await;
    }
    assert!(dir.exists(), "offsets persisted locally");
    let _ = std::fs::remove_dir_all(&dir);
    p.shutdown().await;
}

/// Two consumers split the queues; when one shuts down the other takes every queue, and no
/// message is lost across the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_split_queues_and_the_survivor_takes_all() {
    let (topic, group) = (
        rmq_tests::names::topic("push_split"),
        rmq_tests::names::group("split"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let seen = Seen::default();
    let c1 = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("c1");
    c1.start(recorder(&seen)).await.expect("start c1");
    let c2 = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("c2");
    c2.start(recorder(&seen)).await.expect("start c2");
    let mine = |c: &PushConsumer| {
        c.assigned_queues()
            .into_iter()
            .filter(|q| q.topic == topic)
            .collect::<BTreeSet<_>>()
    };
    until(WAIT, "a 2/2 split", || {
        let (a, b) = (mine(&c1), mine(&c2));
        a.len() == 2 && b.len() == 2 && a.is_disjoint(&b)
    })
    .await;
    let mut sent: BTreeSet<String> = send(&p, &topic, "A", 50).await.into_iter().collect();
    seen.wait(WAIT, "first 50", |m| m.len() >= 50).await;
    c2.shutdown().await;
    // The CI broker does not notify on leave: c1 notices at its next rebalance round.
    until(WAIT, "c1 owns all four queues", || mine(&c1).len() == 4).await;
    sent.extend(send(&p, &topic, "A", 50).await);
    seen.wait(WAIT, "all 100", |_| seen.ids().len() >= 100)
        .await;
    assert_eq!(seen.ids(), sent);
    c1.shutdown().await;
    p.shutdown().await;
}

/// A restarted consumer resumes from the committed offset: no loss, and duplicates bounded by
/// one pull batch per queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_consumer_resumes_from_the_committed_offset() {
    let (topic, group) = (
        rmq_tests::names::topic("push_resume"),
        rmq_tests::names::group("resume"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let first: BTreeSet<String> = send(&p, &topic, "A", 40).await.into_iter().collect();
    let s1 = Seen::default();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("build");
    c.start(recorder(&s1)).await.expect("start");
    s1.wait(WAIT, "first 40", |m| m.len() >= 40).await;
    c.shutdown().await;
    let second: BTreeSet<String> = send(&p, &topic, "A", 40).await.into_iter().collect();
    let s2 = Seen::default();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("rebuild");
    c.start(recorder(&s2)).await.expect("restart");
    s2.wait(WAIT, "second 40", |_| second.is_subset(&s2.ids()))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let dups = s2.ids().intersection(&first).count();
    assert!(dups <= 2 * 32, "{dups} duplicates");
    assert_eq!(dups, 0, "offsets were committed at shutdown");
    c.shutdown().await;
    p.shutdown().await;
}

/// With a slow listener the cache stays under the per-queue count and byte thresholds (plus
/// at most one pull batch, checked before each pull as Java does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_control_keeps_the_cache_under_the_thresholds() {
    let (topic, group) = (
        rmq_tests::names::topic("push_flow"),
        rmq_tests::names::group("flow"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 1).await;
    send_sized(&p, &topic, "A", 300, 1024).await;
    let (count_limit, bytes_limit, batch) = (20usize, 30 * 1024u64, 8i32);
    let c = consumer(&group, &topic, Filter::all())
        .await
        .pull_threshold_for_queue(count_limit)
        .pull_threshold_size_for_queue(bytes_limit)
        .pull_batch_size(batch)
        .consume_concurrency(2)
        .build()
        .await
        .expect("build");
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    c.start(move |_m: Vec<ReceivedMessage>| {
        let d = d.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            d.fetch_add(1, Ordering::SeqCst);
            ConsumeResult::Success
        }
    })
    .await
    .expect("start");
    let (mut max_count, mut max_bytes) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let s = c.cache_stats();
        max_count = max_count.max(s.max_queue_count);
        max_bytes = max_bytes.max(s.max_queue_bytes);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("max cached per queue: {max_count} messages, {max_bytes} bytes");
    assert!(max_count > 0, "something was cached");
    assert!(
        max_count <= count_limit + batch as usize,
        "{max_count} cached"
    );
    assert!(
        max_bytes <= bytes_limit + batch as u64 * 1024,
        "{max_bytes} bytes cached"
    );
    assert!(
        done.load(Ordering::SeqCst) < 300,
        "the listener is the bottleneck"
    );
    c.shutdown().await;
    p.shutdown().await;
}

/// Shutdown lets running listeners finish, commits, and loses nothing: a new consumer of the
/// group gets every message the first one did not finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_listeners_and_loses_nothing() {
    let (topic, group) = (
        rmq_tests::names::topic("push_drain"),
        rmq_tests::names::group("drain"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 60).await.into_iter().collect();
    let (started, finished) = (Arc::new(AtomicUsize::new(0)), Seen::default());
    let (st, fin) = (started.clone(), finished.clone());
    let c = consumer(&group, &topic, Filter::all())
        .await
        .consume_concurrency(4)
        .build()
        .await
        .expect("build");
    c.start(move |m: Vec<ReceivedMessage>| {
        let (st, fin) = (st.clone(), fin.clone());
        async move {
            st.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(500)).await;
            fin.push(&m);
            ConsumeResult::Success
        }
    })
    .await
    .expect("start");
    until(WAIT, "some listeners running", || {
        started.load(Ordering::SeqCst) >= 6
    })
    .await;
    let t = Instant::now();
    c.shutdown().await;
    let took = t.elapsed();
    assert_eq!(
        started.load(Ordering::SeqCst),
        finished.len(),
        "every started listener finished"
    );
    assert!(took < Duration::from_secs(10), "drained in {took:?}");
    let rest = Seen::default();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("rebuild");
    c.start(recorder(&rest)).await.expect("restart");
    let done = finished.ids();
    rest.wait(WAIT, "the rest", |_| {
        sent.iter()
            .all(|id| done.contains(id) || rest.ids().contains(id))
    })
    .await;
    c.shutdown().await;
    p.shutdown().await;
}

/// Orderly consumption on the real broker: it accepts the 5.x lock body that client-core
/// sends, so queues are locked and each queue's messages arrive in offset order. (Lock
/// semantics beyond that are covered by `client-consumer/tests/fake_broker.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_orderly_preserves_per_queue_order() {
    let (topic, group) = (
        rmq_tests::names::topic("push_orderly"),
        rmq_tests::names::group("orderly"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 40).await.into_iter().collect();
    let seen = Seen::default();
    let s = seen.clone();
    let c = consumer(&group, &topic, Filter::all())
        .await
        .build()
        .await
        .expect("build");
    c.start_orderly(move |m: Vec<ReceivedMessage>| {
        s.push(&m);
        async { rmq_client_consumer::OrderlyResult::Success }
    })
    .await
    .expect("start");
    seen.wait(WAIT, "40 in order", |m| m.len() >= 40).await;
    assert_eq!(seen.ids(), sent);
    for q in c.assigned_queues().iter().filter(|q| q.topic == topic) {
        let offsets: Vec<i64> = seen
            .all()
            .iter()
            .filter(|m| m.queue() == q)
            .map(ReceivedMessage::queue_offset)
            .collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{q}: {offsets:?}");
    }
    c.shutdown().await;
    p.shutdown().await;
}
