//! The fault suite (RELIABILITY.md): the clients under a killed, frozen and restarted broker, a
//! lost name server, a crashed consumer, a burst of sends on a fresh producer, and start/stop
//! cycles, each asserting its figures and printing them (`-- --nocapture`).
//!
//! Embedded testkit only, whatever the run's backend: the crates.io servers cannot freeze, add
//! latency or count requests by code.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmq_client_admin::Admin;
use rmq_client_consumer::{ConsumeResult, Filter, PushConsumer, ReceivedMessage};
use rmq_client_core::{ClientConfig, TaskSchedule};
use rmq_client_producer::{Message, Producer};
use rmq_protocol::{MessageQueue, RequestCode};
use rmq_tests::embedded::Embedded;
use rmq_tests::names;

/// A cluster of `brokers` brokers with a topic named for `case` on each (4 queues); returns
/// it with its name server's address and the topic.
fn cluster_for(brokers: usize, case: &str) -> (Embedded, String, String) {
    let topic = names::topic(case);
    let embedded = Embedded::start(brokers, "FaultCluster").expect("testkit");
    embedded.cluster().create_topic(&topic, 4);
    let namesrv = embedded.cluster().namesrv_addr();
    (embedded, namesrv, topic)
}

/// Prints one of the suite's figures, for `-- --nocapture`.
fn figure(case: &str, text: String) {
    println!("FIGURE {case}: {text}");
}

/// A client config with short consumer periods, on `namesrv`.
fn config(namesrv: &str, instance: &str) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .instance_name(instance)
        .persist_consumer_offset_interval(Duration::from_secs(1))
        .schedule(TaskSchedule {
            rebalance_period: Duration::from_secs(2),
            persist_offset_delay: Duration::from_secs(1),
            ..TaskSchedule::default()
        })
        .build()
        .expect("client config")
}

/// A producer on `namesrv` for `case`, with a 3 s send timeout.
async fn producer(namesrv: &str, case: &str) -> Producer {
    Producer::builder()
        .client_config(config(namesrv, &names::name("p", case)))
        .group(names::group(case))
        .send_timeout(Duration::from_secs(3))
        .build()
        .await
        .expect("producer")
}

/// Reads the message at `offset` of `queue` back through the admin API.
async fn read_back(admin: &Admin, queue: &MessageQueue, offset: i64) -> Option<String> {
    let batch = admin.pull(queue, offset, 1).await.ok()?;
    batch
        .messages
        .first()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
}

/// Broker kill -9 in the middle of a send stream: every acknowledged message is stored, and
/// the sends after the kill land on the surviving broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_killed_during_a_send_stream_loses_no_acknowledged_message() {
    let (embedded, namesrv, topic) = cluster_for(2, "fault_kill");
    let p = producer(&namesrv, "fault_kill").await;
    let mut acked = Vec::new();
    let mut failed = 0;
    for i in 0..300 {
        if i == 100 {
            embedded.broker("broker-b").kill();
        }
        let body = format!("kill-{i}");
        match p.send(&Message::new(&topic, body.clone())).await {
            Ok(r) => acked.push((i, r, body)),
            Err(e) => {
                failed += 1;
                eprintln!("send {i} failed: {e}");
            }
        }
    }
    let after_kill_on_b = acked
        .iter()
        .filter(|(i, r, _)| *i >= 110 && r.queue().broker_name == "broker-b")
        .count();
    let broker = embedded.broker("broker-b");
    embedded.block_on(broker.restart()).expect("restart");
    let admin = Admin::builder()
        .namesrv(&namesrv)
        .build()
        .await
        .expect("admin");
    let mut lost = 0;
    for (_, r, body) in &acked {
        if read_back(&admin, r.queue(), r.queue_offset())
            .await
            .as_deref()
            != Some(body)
        {
            lost += 1;
        }
    }
    figure(
        "kill",
        format!("{} acked, {failed} failed sends, {lost} acknowledged lost, {after_kill_on_b} sends on the dead broker after the kill", acked.len()),
    );
    assert_eq!(lost, 0, "acknowledged messages lost");
    assert_eq!(failed, 0, "sends failed although broker-a was up");
    assert_eq!(
        after_kill_on_b, 0,
        "sends still acknowledged by a dead broker"
    );
    admin.shutdown().await;
    p.shutdown().await;
}

/// A broker frozen for 20 s while another is up: no send with a 3 s deadline fails, and no
/// call takes longer than its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_frozen_for_20s_fails_no_send_with_a_3s_deadline() {
    let (embedded, namesrv, topic) = cluster_for(2, "fault_freeze");
    let p = producer(&namesrv, "fault_freeze").await;
    // Warm up: routes and connections to both brokers.
    for i in 0..20 {
        p.send(&Message::new(&topic, format!("warm-{i}")))
            .await
            .expect("warm-up send");
    }
    let frozen = embedded.broker("broker-b");
    let sends_to_b_before = frozen.requests(RequestCode::SEND_MESSAGE_V2);
    frozen.freeze();
    let started = Instant::now();
    let (mut ok, mut failed, mut slowest) = (0u32, 0u32, Duration::ZERO);
    while started.elapsed() < Duration::from_secs(20) {
        let t = Instant::now();
        match p.send(&Message::new(&topic, "during freeze")).await {
            Ok(_) => ok += 1,
            Err(e) => {
                failed += 1;
                eprintln!("send failed during freeze: {e}");
            }
        }
        slowest = slowest.max(t.elapsed());
    }
    let tries_on_b = frozen.requests(RequestCode::SEND_MESSAGE_V2) - sends_to_b_before;
    frozen.thaw();
    figure(
        "freeze",
        format!("{ok} ok, {failed} failed in 20 s, slowest call {slowest:.2?}, {tries_on_b} attempts sent to the frozen broker"),
    );
    assert_eq!(failed, 0, "sends failed while another broker was up");
    assert!(
        slowest <= Duration::from_millis(3_500),
        "a send overran its 3 s deadline: {slowest:?}"
    );
    p.shutdown().await;
}

/// A push consumer resumes within 3 s once a restarted broker is back (the broker has forgotten
/// the group, as a restarted Java broker does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_consumer_resumes_within_3s_after_a_broker_restart() {
    let (embedded, namesrv, topic) = cluster_for(1, "fault_restart");
    let p = producer(&namesrv, "fault_restart").await;
    let (c, seen) = timed_consumer(&namesrv, "fault_restart", &topic).await;
    p.send(&Message::new(&topic, "before")).await.expect("send");
    assert!(
        wait_for(&seen, "before", Duration::from_secs(20)).await,
        "the consumer never consumed before the restart"
    );
    let broker = embedded.broker("broker-a");
    broker.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    embedded.block_on(broker.restart()).expect("restart");
    let back = Instant::now();
    let mut sent = None;
    while back.elapsed() < Duration::from_secs(10) && sent.is_none() {
        sent = p.send(&Message::new(&topic, "after")).await.ok();
    }
    assert!(sent.is_some(), "no send succeeded after the restart");
    let resumed = wait_for(&seen, "after", Duration::from_secs(30)).await;
    let took = seen
        .lock()
        .expect("seen")
        .get("after")
        .map(|t| t.duration_since(back));
    figure(
        "restart",
        format!("consumed again {took:?} after the broker was back"),
    );
    assert!(resumed, "the consumer did not resume within 30 s");
    assert!(
        took.is_some_and(|t| t <= Duration::from_secs(3)),
        "resumed after {took:?}, not within 3 s"
    );
    c.shutdown().await;
    p.shutdown().await;
}

/// The name server down for 60 s: sends and consumption go on with the cached routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_routes_keep_working_while_the_name_server_is_down_60s() {
    let (embedded, namesrv, topic) = cluster_for(1, "fault_namesrv");
    let p = producer(&namesrv, "fault_namesrv").await;
    let (c, seen) = timed_consumer(&namesrv, "fault_namesrv", &topic).await;
    p.send(&Message::new(&topic, "warm")).await.expect("send");
    assert!(wait_for(&seen, "warm", Duration::from_secs(20)).await);
    embedded.cluster().namesrv().kill();
    let down = Instant::now();
    let (mut sent, mut failed) = (0u32, 0u32);
    while down.elapsed() < Duration::from_secs(60) {
        match p.send(&Message::new(&topic, format!("down-{sent}"))).await {
            Ok(_) => sent += 1,
            Err(e) => {
                failed += 1;
                eprintln!("send failed with the name server down: {e}");
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last = format!("down-{}", sent.saturating_sub(1));
    let consumed = wait_for(&seen, &last, Duration::from_secs(10)).await;
    let consumed_count = seen
        .lock()
        .expect("seen")
        .keys()
        .filter(|k| k.starts_with("down-"))
        .count();
    let namesrv_handle = embedded.cluster().namesrv();
    embedded
        .block_on(namesrv_handle.restart())
        .expect("namesrv restart");
    figure(
        "namesrv",
        format!("{sent} sent, {failed} failed, {consumed_count} consumed during 60 s without a name server"),
    );
    assert_eq!(failed, 0, "sends failed with cached routes");
    assert!(consumed, "consumption stopped with the name server down");
    c.shutdown().await;
    p.shutdown().await;
}

/// A consumer that crashes (no shutdown, no offset persisted, connections gone) and a second one
/// that takes over: nothing is lost, and at most one pull batch per queue is consumed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_crash_loses_nothing_and_duplicates_at_most_a_batch_per_queue() {
    const TOTAL: usize = 400;
    const BATCH: i32 = 32;
    let (_embedded, namesrv, topic) = cluster_for(1, "fault_crash");
    let group = names::group("fault_crash_c");
    let deliveries = Arc::new(Mutex::new(Vec::<String>::new()));

    // The first consumer lives on a runtime of its own, so that dropping that runtime ends it
    // the way a crash does: no shutdown, no final offset commit, no unregistration.
    let crashing = {
        let (namesrv, topic, group, sink) = (
            namesrv.clone(),
            topic.clone(),
            group.clone(),
            deliveries.clone(),
        );
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let c = recording_consumer(&namesrv, "fault_crash_a", &group, &topic, BATCH, sink)
                    .await;
                std::mem::forget(c);
            });
            rt
        })
        .join()
        .expect("consumer a thread")
    };
    let p = producer(&namesrv, "fault_crash").await;
    send_numbered(&p, &topic, "crash", 0..TOTAL / 2).await;
    let half = TOTAL / 2;
    let got_half = rmq_tests::eventually(Duration::from_secs(30), || async {
        unique(&deliveries) >= half
    })
    .await;
    assert!(
        got_half,
        "consumer a consumed {} of {half}",
        unique(&deliveries)
    );
    // Crash: every task of consumer a is dropped where it stands.
    std::thread::spawn(move || crashing.shutdown_background())
        .join()
        .expect("crash");
    send_numbered(&p, &topic, "crash", TOTAL / 2..TOTAL).await;
    let b = recording_consumer(
        &namesrv,
        "fault_crash_b",
        &group,
        &topic,
        BATCH,
        deliveries.clone(),
    )
    .await;
    let all = rmq_tests::eventually(Duration::from_secs(60), || async {
        unique(&deliveries) >= TOTAL
    })
    .await;
    b.shutdown().await;
    let total = deliveries.lock().expect("deliveries").len();
    let duplicates = total - unique(&deliveries);
    figure(
        "crash",
        format!(
            "{} of {TOTAL} consumed, {duplicates} duplicates (bound {})",
            unique(&deliveries),
            4 * BATCH
        ),
    );
    assert!(all, "messages lost after the crash");
    assert!(
        duplicates <= 4 * BATCH as usize,
        "{duplicates} duplicates, more than one batch per queue"
    );
    p.shutdown().await;
}

/// 10,000 async sends issued at once on a fresh producer, with 5 ms of added name-server
/// latency: no error, and one route lookup for the topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_async_sends_at_start_make_one_route_lookup() {
    const SENDS: usize = 10_000;
    let (embedded, namesrv_addr, topic) = cluster_for(1, "fault_burst");
    let namesrv = embedded.cluster().namesrv();
    namesrv.set_latency(
        RequestCode::GET_ROUTEINFO_BY_TOPIC,
        Duration::from_millis(5),
    );
    // The periodic route refresh is pushed out of the way: the count is of the burst's lookups.
    let quiet = ClientConfig::builder()
        .namesrv(namesrv_addr)
        .instance_name(names::name("p", "fault_burst"))
        .schedule(TaskSchedule {
            route_refresh_delay: Duration::from_secs(600),
            ..TaskSchedule::default()
        })
        .build()
        .expect("client config");
    let p = Producer::builder()
        .client_config(quiet)
        .group(names::group("fault_burst"))
        // The burst is about route lookups; give a debug-build broker time to store 10k.
        .send_timeout(Duration::from_secs(30))
        .build()
        .await
        .expect("producer");
    let lookups_before = namesrv.requests(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    let msg = Message::new(&topic, "burst");
    let sends = (0..SENDS).map(|_| {
        let p = p.clone();
        let msg = msg.clone();
        tokio::spawn(async move { p.send_async(&msg).await?.await })
    });
    let results = futures_join(sends.collect()).await;
    let errors: Vec<String> = results.into_iter().filter_map(|r| r.err()).collect();
    let lookups = namesrv.requests(RequestCode::GET_ROUTEINFO_BY_TOPIC) - lookups_before;
    figure(
        "burst",
        format!(
            "{SENDS} sends, {} errors, {lookups} route lookups",
            errors.len()
        ),
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(lookups, 1, "route lookups for one topic during the burst");
    p.shutdown().await;
}

/// 200 producer and consumer start/shutdown cycles leave no connection, task or thread behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_start_shutdown_cycles_leave_nothing_behind() {
    let (embedded, namesrv, topic) = cluster_for(1, "fault_cycles");
    let broker = embedded.broker("broker-a");
    let tasks_before = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let threads_before = threads();
    for round in 0..200 {
        let p = producer(&namesrv, &format!("fault_cycles_{round}")).await;
        p.send(&Message::new(&topic, "cycle")).await.expect("send");
        let c = PushConsumer::builder()
            .client_config(config(&namesrv, &names::name("c", "fault_cycles")))
            .group(names::group("fault_cycles_c"))
            .subscribe(&topic, Filter::all())
            .build()
            .await
            .expect("consumer");
        c.start(|_: Vec<ReceivedMessage>| async { ConsumeResult::Success })
            .await
            .expect("start");
        c.shutdown().await;
        p.shutdown().await;
    }
    let closed = rmq_tests::eventually(Duration::from_secs(10), || async {
        broker.connection_count() == 0 && embedded.cluster().namesrv().connection_count() == 0
    })
    .await;
    // The server sees a connection close before the client's connection tasks have returned;
    // under load the last ones finish a moment later. A leak never gets back to the count.
    let alive = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    rmq_tests::eventually(Duration::from_secs(10), || async {
        alive() <= tasks_before
    })
    .await;
    let tasks_after = alive();
    let threads_after = threads();
    figure(
        "cycles",
        format!(
            "200 cycles: broker connections {}, tasks {tasks_before} -> {tasks_after}, threads {threads_before:?} -> {threads_after:?}",
            broker.connection_count()
        ),
    );
    assert!(closed, "connections left open after 200 cycles");
    assert!(
        tasks_after <= tasks_before,
        "tasks leaked: {tasks_before} -> {tasks_after}"
    );
    if let (Some(b), Some(a)) = (threads_before, threads_after) {
        // tokio's blocking pool may keep a few idle threads for a while; a leak grows with
        // the rounds, far past this.
        assert!(a <= b + 8, "threads leaked: {b} -> {a}");
    }
}

/// A push consumer of `topic` that records when each body was consumed.
async fn timed_consumer(
    namesrv: &str,
    case: &str,
    topic: &str,
) -> (PushConsumer, Arc<Mutex<BTreeMap<String, Instant>>>) {
    let seen = Arc::new(Mutex::new(BTreeMap::<String, Instant>::new()));
    let c = PushConsumer::builder()
        .client_config(config(namesrv, &names::name("c", case)))
        .group(names::group(&format!("{case}_c")))
        .subscribe(topic, Filter::all())
        .build()
        .await
        .expect("consumer");
    let sink = seen.clone();
    c.start(move |msgs: Vec<ReceivedMessage>| {
        let sink = sink.clone();
        async move {
            let mut seen = sink.lock().expect("seen");
            for m in msgs {
                seen.insert(body(&m), Instant::now());
            }
            ConsumeResult::Success
        }
    })
    .await
    .expect("start");
    (c, seen)
}

/// A started push consumer of `topic` in `group` (instance named for `case`), pulling
/// `batch` messages at a time, that appends every body it consumes to `sink`.
async fn recording_consumer(
    namesrv: &str,
    case: &str,
    group: &str,
    topic: &str,
    batch: i32,
    sink: Arc<Mutex<Vec<String>>>,
) -> PushConsumer {
    let c = PushConsumer::builder()
        .client_config(config(namesrv, &names::name("c", case)))
        .group(group)
        .subscribe(topic, Filter::all())
        .pull_batch_size(batch)
        .build()
        .await
        .unwrap_or_else(|e| panic!("consumer {case}: {e}"));
    c.start(move |msgs: Vec<ReceivedMessage>| {
        let sink = sink.clone();
        async move {
            sink.lock()
                .expect("deliveries")
                .extend(msgs.iter().map(body));
            ConsumeResult::Success
        }
    })
    .await
    .unwrap_or_else(|e| panic!("start {case}: {e}"));
    c
}

/// Sends `<prefix>-<i>` for every `i` in `numbers`, each of which must be acknowledged.
async fn send_numbered(p: &Producer, topic: &str, prefix: &str, numbers: std::ops::Range<usize>) {
    for i in numbers {
        p.send(&Message::new(topic, format!("{prefix}-{i}")))
            .await
            .expect("send");
    }
}

/// Waits until `seen` holds `body`.
async fn wait_for(
    seen: &Arc<Mutex<BTreeMap<String, Instant>>>,
    body: &str,
    within: Duration,
) -> bool {
    rmq_tests::eventually(within, || async {
        seen.lock().expect("seen").contains_key(body)
    })
    .await
}

/// The body of `m` as text.
fn body(m: &ReceivedMessage) -> String {
    String::from_utf8_lossy(m.body()).into_owned()
}

/// How many distinct bodies `deliveries` holds.
fn unique(deliveries: &Arc<Mutex<Vec<String>>>) -> usize {
    deliveries
        .lock()
        .expect("deliveries")
        .iter()
        .collect::<BTreeSet<_>>()
        .len()
}

/// This process's thread count (Linux), if readable.
fn threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Awaits every handle, turning a failed send or a panicked task into its text.
async fn futures_join<T>(
    handles: Vec<tokio::task::JoinHandle<Result<T, rmq_client_producer::Error>>>,
) -> Vec<Result<T, String>> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(match h.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("task: {e}")),
        });
    }
    out
}
