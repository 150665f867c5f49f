//! The consumer against a scripted broker that forgets the group (as a restarted broker does)
//! and long-polls: pulls refused for an unknown group lead to a heartbeat and a quick retry, and
//! a lite-pull seek during a long poll takes effect at once.
//!
//! The fake is name server and broker in one, with one queue per topic. It refuses pulls with
//! SUBSCRIPTION_NOT_EXIST until it receives a heartbeat after `forget()`, and holds a pull that
//! finds nothing for `long_poll` before answering PULL_NOT_FOUND (Java's long polling).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rmq_client_consumer::{
    ClientConfig, ConsumeFrom, ConsumeResult, Filter, MessageQueue, PullConsumer, PushConsumer,
    PushConsumerBuilder, ReceivedMessage,
};
use rmq_client_core::TaskSchedule;
use rmq_protocol::body::{
    BrokerData, ConsumerListBody, HeartbeatData, JsonBody, QueueData, TopicRouteData,
};
use rmq_protocol::header::*;
use rmq_protocol::{Command, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::testing::{MockServer, Reply};

struct Fake {
    server: MockServer,
    msgs: Arc<Mutex<HashMap<String, Vec<StoredMessage>>>>,
    knows_group: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
    /// Pulls still to refuse with SYSTEM_BUSY.
    busy: Arc<AtomicUsize>,
}

fn ok() -> Command {
    Command::response(ResponseCode::SUCCESS, None)
}

fn route(addr: &str) -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: [(0, addr.to_owned())].into(),
            broker_name: "fake".into(),
            cluster: "c".into(),
            ..BrokerData::default()
        }],
        queue_datas: vec![QueueData {
            broker_name: "fake".into(),
            perm: 6,
            read_queue_nums: 1,
            write_queue_nums: 1,
            topic_sys_flag: 0,
        }],
        ..TopicRouteData::default()
    }
}

impl Fake {
    async fn start(long_poll: Duration) -> Fake {
        let msgs: Arc<Mutex<HashMap<String, Vec<StoredMessage>>>> = Arc::default();
        let knows_group = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let busy = Arc::new(AtomicUsize::new(0));
        let b = busy.clone();
        let clients: Arc<Mutex<Vec<String>>> = Arc::default();
        let addr: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let (m, k, r, a) = (
            msgs.clone(),
            knows_group.clone(),
            refused.clone(),
            addr.clone(),
        );
        let server = MockServer::start(move |req: &Command| {
            let me = a.get().map_or("", String::as_str);
            let cmd = match req.request_code() {
                RequestCode::GET_ROUTEINFO_BY_TOPIC => {
                    ok().with_body(route(me).to_json().expect("route"))
                }
                RequestCode::HEART_BEAT => {
                    let hb = HeartbeatData::from_json(&req.body).expect("heartbeat");
                    if !hb.consumer_data_set.is_empty() {
                        k.store(true, SeqCst);
                        let mut c = clients.lock().expect("clients");
                        if !c.contains(&hb.client_id) {
                            c.push(hb.client_id);
                        }
                    }
                    ok()
                }
                RequestCode::GET_CONSUMER_LIST_BY_GROUP => {
                    let body = ConsumerListBody {
                        consumer_id_list: clients.lock().expect("clients").clone(),
                    };
                    ok().with_body(body.to_json().expect("list"))
                }
                RequestCode::QUERY_CONSUMER_OFFSET => {
                    Command::response(ResponseCode::QUERY_NOT_FOUND, None)
                }
                RequestCode::GET_MAX_OFFSET => {
                    let h: GetMaxOffsetRequestHeader = req.decode_header().expect("header");
                    let n = m.lock().expect("msgs").get(&h.topic).map_or(0, Vec::len) as i64;
                    ok().with_header(&GetMaxOffsetResponseHeader { offset: n })
                }
                RequestCode::PULL_MESSAGE => {
                    if b.fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1)).is_ok() {
                        return Reply::Respond(Command::response(
                            ResponseCode::SYSTEM_BUSY,
                            Some("[PCBUSY_CLEAN_QUEUE]broker busy".into()),
                        ));
                    }
                    if !k.load(SeqCst) {
                        r.fetch_add(1, SeqCst);
                        return Reply::Respond(Command::response(
                            ResponseCode::SUBSCRIPTION_NOT_EXIST,
                            Some("the consumer's group info not exist".into()),
                        ));
                    }
                    let h: PullMessageRequestHeader = req.decode_header().expect("header");
                    let queue = m
                        .lock()
                        .expect("msgs")
                        .get(&h.topic)
                        .cloned()
                        .unwrap_or_default();
                    let start = h.queue_offset.max(0) as usize;
                    let end = (start + h.max_msg_nums as usize).min(queue.len());
                    let header = |next: usize| PullMessageResponseHeader {
                        next_begin_offset: next as i64,
                        max_offset: queue.len() as i64,
                        ..PullMessageResponseHeader::default()
                    };
                    if start >= queue.len() {
                        let r = Command::response(ResponseCode::PULL_NOT_FOUND, None)
                            .with_header(&header(start));
                        return Reply::Delayed(long_poll, r);
                    }
                    let mut body = BytesMut::new();
                    for msg in &queue[start..end] {
                        msg.encode(&mut body).expect("encode");
                    }
                    ok().with_header(&header(end)).with_body(body.freeze())
                }
                _ => ok(),
            };
            Reply::Respond(cmd)
        })
        .await
        .expect("mock server");
        let _ = addr.set(server.addr());
        Fake {
            server,
            msgs,
            knows_group,
            refused,
            busy,
        }
    }

    fn put(&self, topic: &str, n: usize) {
        let mut msgs = self.msgs.lock().expect("msgs");
        let q = msgs.entry(topic.to_owned()).or_default();
        for _ in 0..n {
            let offset = q.len() as i64;
            q.push(StoredMessage {
                topic: topic.to_owned(),
                queue_offset: offset,
                commit_log_offset: 1000 + offset,
                body: format!("m{offset}").into(),
                ..StoredMessage::default()
            });
        }
    }

    /// How many requests with this code the fake has received.
    fn count(&self, code: RequestCode) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.request_code() == code)
            .count()
    }

    fn heartbeats(&self) -> usize {
        self.count(RequestCode::HEART_BEAT)
    }

    /// What a broker restart does to the client's registration.
    fn forget(&self) {
        self.knows_group.store(false, SeqCst);
    }

    /// A config whose periodic heartbeat is far away and whose rebalance is not.
    fn config(&self) -> ClientConfig {
        ClientConfig::builder()
            .namesrv(self.server.addr())
            .schedule(TaskSchedule {
                rebalance_period: Duration::from_millis(500),
                heartbeat_delay: Duration::from_secs(60),
                ..TaskSchedule::default()
            })
            .build()
            .expect("config")
    }
}

async fn until(within: Duration, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !f() {
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A push consumer of `topic` from its first offset, not started yet.
fn push_builder(fake: &Fake, group: &str, topic: &str) -> PushConsumerBuilder {
    PushConsumer::builder()
        .client_config(fake.config())
        .group(group)
        .subscribe(topic, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
}

/// A started push consumer of `topic` that counts what it consumes, returned once it has
/// consumed its first message.
async fn counting_push_consumer(
    fake: &Fake,
    group: &str,
    topic: &str,
) -> (PushConsumer, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    let c = push_builder(fake, group, topic)
        .build()
        .await
        .expect("build");
    c.start(move |m: Vec<ReceivedMessage>| {
        s.fetch_add(m.len(), SeqCst);
        async { ConsumeResult::Success }
    })
    .await
    .expect("start");
    until(Duration::from_secs(10), "first message", || {
        seen.load(SeqCst) >= 1
    })
    .await;
    (c, seen)
}

/// A lite-pull consumer from the first offset, assigned `queue`.
async fn assigned_pull_consumer(fake: &Fake, group: &str, queue: &MessageQueue) -> PullConsumer {
    let c = PullConsumer::builder()
        .client_config(fake.config())
        .group(group)
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    c.assign(vec![queue.clone()]).await.expect("assign");
    c
}

/// Polls until `n` messages came or 10 s passed, whichever is first.
async fn poll_up_to(c: &PullConsumer, n: usize) -> Vec<ReceivedMessage> {
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while got.len() < n && Instant::now() < deadline {
        got.extend(c.poll(Duration::from_millis(500)).await.expect("poll"));
    }
    got
}

fn offsets(msgs: &[ReceivedMessage]) -> Vec<i64> {
    msgs.iter().map(ReceivedMessage::queue_offset).collect()
}

/// A push consumer whose broker forgot the group (it restarted) resumes within seconds: the
/// refused pull sends a heartbeat and is retried shortly, not after the 30 s heartbeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_consumer_resumes_at_once_when_the_broker_forgot_the_group() {
    let fake = Fake::start(Duration::from_millis(200)).await;
    fake.put("R", 1);
    let (c, seen) = counting_push_consumer(&fake, "resume_group", "R").await;
    // Let the assignment settle (a changed assignment heartbeats every broker).
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let heartbeats = fake.heartbeats();
    fake.forget();
    fake.put("R", 1);
    until(
        Duration::from_secs(3),
        "the message after the broker forgot the group",
        || seen.load(SeqCst) >= 2,
    )
    .await;
    assert!(fake.refused.load(SeqCst) >= 1, "the fake did refuse a pull");
    assert!(
        fake.heartbeats() > heartbeats,
        "the refusal was answered with a heartbeat"
    );
    c.shutdown().await;
    fake.server.shutdown().await;
}

/// A seek while a pull is long-polling takes effect at once: messages at the new offset come
/// within a second (the long poll lasts 20 s), and nothing from before the seek follows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lite_pull_seek_during_a_long_poll_takes_effect_at_once() {
    let fake = Fake::start(Duration::from_secs(20)).await;
    fake.put("S", 5);
    let queue = MessageQueue::new("S", "fake", 0);
    let c = assigned_pull_consumer(&fake, "seek_group", &queue).await;
    assert_eq!(offsets(&poll_up_to(&c, 5).await), [0, 1, 2, 3, 4]);
    // The pull task is now long-polling at offset 5.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sought = Instant::now();
    c.seek(&queue, 2).await.expect("seek");
    let again = c.poll(Duration::from_secs(3)).await.expect("poll");
    let took = sought.elapsed();
    assert_eq!(offsets(&again), [2, 3, 4], "from the new offset, in order");
    assert!(
        took < Duration::from_secs(1),
        "messages after the seek took {took:?}"
    );
    c.shutdown().await;
    fake.server.shutdown().await;
}

/// A broker shedding load (SYSTEM_BUSY) delays the pull instead of failing the consumer; the
/// busy answers are counted and the messages arrive once the broker accepts pulls again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_broker_delays_pulls_and_is_counted() {
    let fake = Fake::start(Duration::from_millis(200)).await;
    fake.busy.store(2, SeqCst);
    fake.put("B", 3);
    let c = assigned_pull_consumer(&fake, "busy_group", &MessageQueue::new("B", "fake", 0)).await;
    assert_eq!(offsets(&poll_up_to(&c, 3).await), [0, 1, 2]);
    assert_eq!(fake.busy.load(SeqCst), 0, "both busy answers were given");
    assert_eq!(c.instance().back_pressure().pulls, 2);
    c.shutdown().await;
    fake.server.shutdown().await;
}

/// A push consumer dropped without `shutdown()` stops: it unregisters its group and pulls no
/// more (before, its tasks ran until the client instance shut down).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_push_consumer_stops_pulling_and_unregisters() {
    let fake = Fake::start(Duration::from_millis(100)).await;
    fake.put("D", 1);
    let (c, _seen) = counting_push_consumer(&fake, "drop_group", "D").await;
    drop(c);
    until(
        Duration::from_secs(5),
        "UNREGISTER_CLIENT after the drop",
        || fake.count(RequestCode::UNREGISTER_CLIENT) >= 1,
    )
    .await;
    let pulls = fake.count(RequestCode::PULL_MESSAGE);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        fake.count(RequestCode::PULL_MESSAGE),
        pulls,
        "no pull after the drop"
    );
    fake.server.shutdown().await;
}

/// A listener past the consume timeout is not cancelled: its batch is sent back at delay level
/// 3 and the offset moves past it while the listener still runs (Java's `cleanExpireMsg`);
/// the listener then finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_listener_is_left_to_finish_while_its_batch_is_sent_back() {
    let fake = Fake::start(Duration::from_millis(100)).await;
    fake.put("E", 1);
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let c = push_builder(&fake, "expire_group", "E")
        .consume_timeout(Duration::from_millis(300))
        .build()
        .await
        .expect("build");
    c.start(move |_m: Vec<ReceivedMessage>| {
        let f = f.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            f.store(true, SeqCst);
            ConsumeResult::Success
        }
    })
    .await
    .expect("start");
    let queue = MessageQueue::new("E", "fake", 0);
    until(
        Duration::from_secs(5),
        "the expired batch sent back",
        || {
            fake.server
                .requests()
                .iter()
                .any(|r| r.request_code() == RequestCode::CONSUMER_SEND_MSG_BACK)
        },
    )
    .await;
    let back = fake
        .server
        .requests()
        .into_iter()
        .find(|r| r.request_code() == RequestCode::CONSUMER_SEND_MSG_BACK)
        .expect("send back");
    assert_eq!(back.ext_fields.get("delayLevel"), Some("3"));
    until(
        Duration::from_secs(2),
        "the offset past the expired message",
        || c.committed_offset(&queue) == Some(1),
    )
    .await;
    assert!(!finished.load(SeqCst), "the listener is still running");
    until(
        Duration::from_secs(5),
        "the listener finished, not cancelled",
        || finished.load(SeqCst),
    )
    .await;
    c.shutdown().await;
    fake.server.shutdown().await;
}

/// Pause and resume during a long poll take effect at once: nothing is delivered while the
/// queue is paused, and after `resume` the messages stored meanwhile arrive within a second
/// (the long poll in flight at the pause lasts 20 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_pause_and_resume_take_effect_at_once() {
    let fake = Fake::start(Duration::from_secs(20)).await;
    fake.put("P", 2);
    let queue = MessageQueue::new("P", "fake", 0);
    let c = assigned_pull_consumer(&fake, "pause_group", &queue).await;
    assert_eq!(poll_up_to(&c, 2).await.len(), 2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.pause(std::slice::from_ref(&queue));
    fake.put("P", 3);
    assert!(
        c.poll(Duration::from_millis(500))
            .await
            .expect("poll")
            .is_empty(),
        "nothing while paused"
    );
    let resumed = Instant::now();
    c.resume(std::slice::from_ref(&queue));
    let got = c.poll(Duration::from_secs(3)).await.expect("poll");
    let took = resumed.elapsed();
    assert_eq!(offsets(&got), [2, 3, 4]);
    assert!(took < Duration::from_secs(1), "resume took {took:?}");
    c.shutdown().await;
    fake.server.shutdown().await;
}
