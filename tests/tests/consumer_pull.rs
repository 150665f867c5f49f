//! The lite pull consumer against the shared cluster: subscribe and assign modes, poll and
//! stream, seek, pause/resume, and commits that a restarted consumer resumes from. (`stream()` is tested in
//! `client-consumer/tests/fake_broker.rs`; this crate does not depend on `futures`.)

#[path = "consumer_util.rs"]
mod util;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rmq_client_consumer::{ConsumeFrom, Filter, PullConsumer, ReceivedMessage};
use util::{config, create_topic, producer, send};

/// Polls until `want` distinct ids came (or panics after 60 s); returns everything polled.
async fn poll_until(c: &PullConsumer, want: &BTreeSet<String>) -> Vec<ReceivedMessage> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = Vec::new();
    loop {
        let ids: BTreeSet<String> = got.iter().map(ReceivedMessage::msg_id).collect();
        if want.is_subset(&ids) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} polled",
            ids.len(),
            want.len()
        );
        got.extend(c.poll(Duration::from_millis(500)).await.expect("poll"));
    }
}

fn builder(group: &str) -> rmq_client_consumer::PullConsumerBuilder {
    PullConsumer::builder()
        .client_config(config())
        .group(group)
        .consume_from(ConsumeFrom::FirstOffset)
}

/// Subscribe mode polls every message exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_subscribe_polls_every_message_once() {
    let (topic, group) = (
        rmq_tests::names::topic("lite_sub"),
        rmq_tests::names::group("lite_sub"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 4).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 60).await.into_iter().collect();
    let c = builder(&group)
        .subscribe(&topic, Filter::all())
        .build()
        .await
        .expect("build");
    let got = poll_until(&c, &sent).await;
    assert_eq!(got.len(), 60, "no duplicates");
    c.commit().await;
    c.shutdown().await;
    p.shutdown().await;
}

/// Assign mode with seek: back to 0 replays a queue, seek to end shows nothing old, pause
/// holds a queue back until resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_assign_seek_pause_and_resume() {
    let (topic, group) = (
        rmq_tests::names::topic("lite_assign"),
        rmq_tests::names::group("lite_as"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let sent: BTreeSet<String> = send(&p, &topic, "A", 20).await.into_iter().collect();
    let c = builder(&group).build().await.expect("build");
    let queues = c.fetch_queues(&topic).await.expect("queues");
    assert_eq!(queues.len(), 2);
    c.assign(queues.clone()).await.expect("assign");
    let got = poll_until(&c, &sent).await;
    let q0 = queues[0].clone();
    let in_q0: BTreeSet<String> = got
        .iter()
        .filter(|m| *m.queue() == q0)
        .map(ReceivedMessage::msg_id)
        .collect();
    assert!(!in_q0.is_empty());
    c.seek(&q0, 0).await.expect("seek");
    let again = poll_until(&c, &in_q0).await;
    assert!(
        again.iter().all(|m| *m.queue() == q0),
        "only the sought queue replays"
    );
    c.seek_to_end(&q0).await.expect("seek to end");
    c.seek_to_begin(&queues[1]).await.expect("seek to begin");
    let t = c
        .offset_for_timestamp(&q0, std::time::SystemTime::now())
        .await
        .expect("by time");
    assert!(t >= 0);
    c.pause(&queues);
    tokio::time::sleep(Duration::from_millis(300)).await;
    while !c
        .poll(Duration::from_millis(300))
        .await
        .expect("poll")
        .is_empty()
    {}
    let late: BTreeSet<String> = send(&p, &topic, "B", 6).await.into_iter().collect();
    let held = c.poll(Duration::from_secs(2)).await.expect("poll");
    assert!(
        held.iter().all(|m| !late.contains(&m.msg_id())),
        "paused queues pulled"
    );
    c.resume(&queues);
    poll_until(&c, &late).await;
    c.shutdown().await;
    p.shutdown().await;
}

/// Manual commit: a restarted consumer starts after what was committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_restart_resumes_after_the_manual_commit() {
    let (topic, group) = (
        rmq_tests::names::topic("lite_commit"),
        rmq_tests::names::group("lite_cm"),
    );
    let p = producer().await;
    create_topic(&p, &topic, 2).await;
    let first: BTreeSet<String> = send(&p, &topic, "A", 30).await.into_iter().collect();
    let c = builder(&group)
        .subscribe(&topic, Filter::all())
        .auto_commit(false)
        .build()
        .await
        .expect("build");
    poll_until(&c, &first).await;
    c.commit().await;
    c.shutdown().await;
    let second: BTreeSet<String> = send(&p, &topic, "A", 30).await.into_iter().collect();
    let c = builder(&group)
        .subscribe(&topic, Filter::all())
        .auto_commit(false)
        .build()
        .await
        .expect("rebuild");
    let got = poll_until(&c, &second).await;
    let dups = got.iter().filter(|m| first.contains(&m.msg_id())).count();
    assert_eq!(dups, 0, "resumed after the commit");
    c.shutdown().await;
    p.shutdown().await;
}
