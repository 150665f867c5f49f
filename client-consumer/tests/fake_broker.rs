//! The consumer against an in-process fake name server + broker (`rmq_remoting::testing::
//! MockServer`) for what the CI broker gets wrong (CI-BROKER.md): orderly consumption with
//! LOCK/UNLOCK_BATCH_MQ, SQL92 subscriptions and a live RESET_CONSUMER_CLIENT_OFFSET; plus
//! broker-initiated running info and consume-directly, and the lite pull `stream()`.
//!
//! The fake answers as Java 4.9.7 does: routes for any topic (two queues), heartbeats and
//! consumer lists, committed offsets, locks granted to the asking client, pulls from an
//! in-memory queue (a short delay stands in for long polling).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures::StreamExt;
use rmq_client_consumer::{
    ClientConfig, ConsumeFrom, ConsumeResult, Filter, MessageQueue, OrderlyResult, PullConsumer,
    PushConsumer, ReceivedMessage,
};
use rmq_client_core::TaskSchedule;
use rmq_protocol::body::{
    BrokerData, ConsumeDirectlyOutcome, ConsumeMessageDirectlyResult, ConsumerListBody,
    ConsumerRunningInfo, HeartbeatData, JsonBody, LockBatchRequestBody, LockBatchResponseBody,
    QueueData, ResetOffsetBody, TopicRouteData,
};
use rmq_protocol::header::*;
use rmq_protocol::message::property;
use rmq_protocol::{Command, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::testing::{MockServer, Reply};

const QUEUES: i32 = 2;

#[derive(Default)]
struct State {
    /// (topic, queue id) → messages.
    msgs: HashMap<(String, i32), Vec<StoredMessage>>,
    offsets: HashMap<(String, i32), i64>,
    clients: Vec<String>,
    heartbeats: Vec<HeartbeatData>,
    locks: Vec<LockBatchRequestBody>,
    unlocks: usize,
    check_client: usize,
}

struct Fake {
    server: MockServer,
    state: Arc<Mutex<State>>,
}

fn ok() -> Command {
    Command::response(ResponseCode::SUCCESS, None)
}

fn handle(state: &Mutex<State>, addr: &str, req: &Command) -> Reply {
    let mut s = state.lock().expect("state");
    let code = req.request_code();
    let cmd = match code {
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            let route = TopicRouteData {
                broker_datas: vec![BrokerData {
                    broker_addrs: [(0, addr.to_owned())].into(),
                    broker_name: "fake".into(),
                    cluster: "c".into(),
                    ..BrokerData::default()
                }],
                queue_datas: vec![QueueData {
                    broker_name: "fake".into(),
                    perm: 6,
                    read_queue_nums: QUEUES,
                    write_queue_nums: QUEUES,
                    topic_sys_flag: 0,
                }],
                ..TopicRouteData::default()
            };
            ok().with_body(route.to_json().expect("route"))
        }
        RequestCode::HEART_BEAT => {
            let hb = HeartbeatData::from_json(&req.body).expect("heartbeat");
            if !hb.consumer_data_set.is_empty() && !s.clients.contains(&hb.client_id) {
                s.clients.push(hb.client_id.clone());
            }
            s.heartbeats.push(hb);
            ok()
        }
        RequestCode::UNREGISTER_CLIENT => {
            let h: UnregisterClientRequestHeader = req.decode_header().expect("header");
            s.clients.retain(|c| *c != h.client_id);
            ok()
        }
        RequestCode::GET_CONSUMER_LIST_BY_GROUP => {
            let body = ConsumerListBody {
                consumer_id_list: s.clients.clone(),
            };
            ok().with_body(body.to_json().expect("list"))
        }
        RequestCode::QUERY_CONSUMER_OFFSET => {
            let h: QueryConsumerOffsetRequestHeader = req.decode_header().expect("header");
            match s.offsets.get(&(h.topic, h.queue_id)) {
                Some(o) => ok().with_header(&QueryConsumerOffsetResponseHeader { offset: *o }),
                None => Command::response(ResponseCode::QUERY_NOT_FOUND, None),
            }
        }
        RequestCode::UPDATE_CONSUMER_OFFSET => {
            let h: UpdateConsumerOffsetRequestHeader = req.decode_header().expect("header");
            s.offsets.insert((h.topic, h.queue_id), h.commit_offset);
            ok()
        }
        RequestCode::GET_MAX_OFFSET => {
            let h: GetMaxOffsetRequestHeader = req.decode_header().expect("header");
            let n = s.msgs.get(&(h.topic, h.queue_id)).map_or(0, Vec::len) as i64;
            ok().with_header(&GetMaxOffsetResponseHeader { offset: n })
        }
        RequestCode::GET_MIN_OFFSET => ok().with_header(&GetMinOffsetResponseHeader { offset: 0 }),
        RequestCode::LOCK_BATCH_MQ => {
            let body = LockBatchRequestBody::from_json(&req.body).expect("lock body");
            let granted = LockBatchResponseBody {
                lock_ok_mq_set: body.mq_set.clone(),
            };
            s.locks.push(body);
            ok().with_body(granted.to_json().expect("lock reply"))
        }
        RequestCode::UNLOCK_BATCH_MQ => {
            s.unlocks += 1;
            ok()
        }
        RequestCode::CHECK_CLIENT_CONFIG => {
            s.check_client += 1;
            ok()
        }
        RequestCode::PULL_MESSAGE => {
            let h: PullMessageRequestHeader = req.decode_header().expect("header");
            let queue = s
                .msgs
                .get(&(h.topic, h.queue_id))
                .cloned()
                .unwrap_or_default();
            let start = h.queue_offset.max(0) as usize;
            let end = (start + h.max_msg_nums as usize).min(queue.len());
            let header = |next: usize| PullMessageResponseHeader {
                suggest_which_broker_id: 0,
                next_begin_offset: next as i64,
                min_offset: 0,
                max_offset: queue.len() as i64,
                ..PullMessageResponseHeader::default()
            };
            if start >= queue.len() {
                let r = Command::response(ResponseCode::PULL_NOT_FOUND, None)
                    .with_header(&header(start));
                return Reply::Delayed(Duration::from_millis(100), r);
            }
            let mut body = BytesMut::new();
            for m in &queue[start..end] {
                m.encode(&mut body).expect("encode");
            }
            ok().with_header(&header(end)).with_body(body.freeze())
        }
        _ => ok(),
    };
    Reply::Respond(cmd)
}

impl Fake {
    async fn start() -> Fake {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let state = Arc::new(Mutex::new(State::default()));
        let addr: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
        let (st, a) = (state.clone(), addr.clone());
        let server =
            MockServer::start(move |req| handle(&st, a.get().map_or("", String::as_str), req))
                .await
                .expect("mock server");
        let _ = addr.set(server.addr());
        Fake { server, state }
    }

    fn put(&self, topic: &str, queue_id: i32, n: usize) {
        let mut s = self.state.lock().expect("state");
        let q = s.msgs.entry((topic.to_owned(), queue_id)).or_default();
        for _ in 0..n {
            let offset = q.len() as i64;
            let mut m = StoredMessage {
                topic: topic.to_owned(),
                queue_id,
                queue_offset: offset,
                commit_log_offset: 1000 + offset,
                body: format!("q{queue_id}-{offset}").into(),
                ..StoredMessage::default()
            };
            m.properties.insert(property::TAGS, "A");
            q.push(m);
        }
    }

    fn config(&self) -> ClientConfig {
        ClientConfig::builder()
            .namesrv(self.server.addr())
            .persist_consumer_offset_interval(Duration::from_millis(300))
            .schedule(TaskSchedule {
                rebalance_period: Duration::from_millis(500),
                persist_offset_delay: Duration::from_millis(300),
                ..TaskSchedule::default()
            })
            .build()
            .expect("config")
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("state")
    }
}

async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

type Log = Arc<Mutex<Vec<(i32, i64, i32)>>>;

/// Orderly: queues are locked with the 5.x body (`onlyThisBroker: false`), each queue's
/// messages arrive in offset order one batch at a time, a suspended batch comes back (same
/// offsets, reconsume times + 1) before anything after it, offsets are committed, and
/// shutdown unlocks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orderly_locks_queues_and_preserves_per_queue_order() {
    let fake = Fake::start().await;
    fake.put("T", 0, 20);
    fake.put("T", 1, 20);
    let log: Log = Arc::default();
    let l = log.clone();
    let c = PushConsumer::builder()
        .client_config(fake.config())
        .group("orderly_group")
        .subscribe("T", Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
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
        let s = fake.state();
        s.offsets.get(&("T".to_owned(), 0)) == Some(&20)
            && s.offsets.get(&("T".to_owned(), 1)) == Some(&20)
    })
    .await;
    {
        let s = fake.state();
        assert!(s.locks.iter().all(|b| b.only_this_broker == Some(false)));
        assert!(s
            .locks
            .iter()
            .any(|b| b.mq_set.iter().any(|q| q.topic == "T")));
    }
    let log = log.lock().expect("log").clone();
    for q in 0..QUEUES {
        let offsets: Vec<i64> = log
            .iter()
            .filter(|(qid, _, r)| *qid == q && *r == 0)
            .map(|(_, o, _)| *o)
            .collect();
        let mut sorted = offsets.clone();
        sorted.sort_unstable();
        assert_eq!(offsets, sorted, "queue {q} out of order");
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
    assert!(fake.state().unlocks >= 1, "queues unlocked at shutdown");
}

/// An SQL92 subscription is announced as SQL92 in heartbeats, checked with the broker
/// (CHECK_CLIENT_CONFIG) and not re-filtered by tag on the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_subscription_is_registered_checked_and_delivered() {
    let fake = Fake::start().await;
    fake.put("S", 0, 5);
    let seen = Arc::new(Mutex::new(0usize));
    let s2 = seen.clone();
    let c = PushConsumer::builder()
        .client_config(fake.config())
        .group("sql_group")
        .subscribe("S", Filter::sql92("a > 1"))
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    c.start(move |m: Vec<ReceivedMessage>| {
        *s2.lock().expect("seen") += m.len();
        async { ConsumeResult::Success }
    })
    .await
    .expect("start");
    until("5 delivered", || *seen.lock().expect("seen") >= 5).await;
    {
        let s = fake.state();
        assert!(s.check_client >= 1);
        let sub = s
            .heartbeats
            .iter()
            .flat_map(|h| h.consumer_data_set.iter())
            .flat_map(|d| d.subscription_data_set.iter())
            .find(|d| d.topic == "S")
            .expect("subscription in heartbeat");
        assert_eq!(
            (sub.expression_type.as_str(), sub.sub_string.as_str()),
            ("SQL92", "a > 1")
        );
    }
    c.shutdown().await;
}

/// A live RESET_CONSUMER_CLIENT_OFFSET sent by the broker makes the consumer consume the
/// queue again from the given offset (what Java 4.9.7 does; the CI broker never sends it).
/// Also: GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY served to the broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reset_offset_replays_and_running_info_is_served() {
    let fake = Fake::start().await;
    fake.put("R", 0, 10);
    let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
    let s2 = seen.clone();
    let c = PushConsumer::builder()
        .client_config(fake.config())
        .group("reset_group")
        .subscribe("R", Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    c.start(move |m: Vec<ReceivedMessage>| {
        let s2 = s2.clone();
        async move {
            s2.lock()
                .expect("seen")
                .extend(m.iter().map(|m| m.queue_offset()));
            ConsumeResult::Success
        }
    })
    .await
    .expect("start");
    until("first pass", || seen.lock().expect("seen").len() >= 10).await;
    let header = ResetOffsetRequestHeader {
        topic: "R".into(),
        group: "reset_group".into(),
        timestamp: 0,
        is_force: true,
    };
    let body = ResetOffsetBody {
        offset_table: BTreeMap::from([(MessageQueue::new("R", "fake", 0), 3)]),
    };
    let req = Command::request(RequestCode::RESET_CONSUMER_CLIENT_OFFSET)
        .with_header(&header)
        .with_body(body.to_fastjson().expect("body"));
    assert!(fake.server.send_request(req) >= 1);
    until("replay from 3", || seen.lock().expect("seen").len() >= 17).await;
    // Concurrent listeners: the replayed batch arrives in any order.
    let mut replay: Vec<i64> = seen.lock().expect("seen")[10..17].to_vec();
    replay.sort_unstable();
    assert_eq!(replay, (3..10).collect::<Vec<_>>());

    let info_req = Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_header(
        &GetConsumerRunningInfoRequestHeader {
            consumer_group: "reset_group".into(),
            client_id: c.client_id().to_owned(),
            jstack_enable: false,
        },
    );
    let info = fake
        .server
        .request(info_req, Duration::from_secs(5))
        .await
        .expect("info");
    assert_eq!(info.response_code(), ResponseCode::SUCCESS);
    let info = ConsumerRunningInfo::from_json(&info.body).expect("running info");
    assert!(info.mq_table.keys().any(|q| q.topic == "R"), "{info:?}");
    assert_eq!(
        info.properties
            .get("PROP_CONSUMEORDERLY")
            .map(String::as_str),
        Some("false")
    );

    let mut one = BytesMut::new();
    StoredMessage {
        topic: "R".into(),
        body: "direct".into(),
        ..StoredMessage::default()
    }
    .encode(&mut one)
    .expect("encode");
    let direct = Command::request(RequestCode::CONSUME_MESSAGE_DIRECTLY)
        .with_header(&ConsumeMessageDirectlyRequestHeader {
            consumer_group: "reset_group".into(),
            client_id: None,
            msg_id: None,
            broker_name: Some("fake".into()),
        })
        .with_body(one.freeze());
    let r = fake
        .server
        .request(direct, Duration::from_secs(5))
        .await
        .expect("direct");
    let r = ConsumeMessageDirectlyResult::from_json(&r.body).expect("result");
    assert_eq!(r.consume_result, Some(ConsumeDirectlyOutcome::Success));
    c.shutdown().await;
}

/// The lite pull consumer's `stream()` yields pulled messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lite_pull_stream_yields_messages() {
    let fake = Fake::start().await;
    fake.put("L", 0, 3);
    fake.put("L", 1, 3);
    let c = PullConsumer::builder()
        .client_config(fake.config())
        .group("lite_group")
        .subscribe("L", Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .build()
        .await
        .expect("build");
    let got: Vec<ReceivedMessage> = tokio::time::timeout(
        Duration::from_secs(30),
        c.stream().take(6).collect::<Vec<_>>(),
    )
    .await
    .expect("six messages");
    assert_eq!(got.len(), 6);
    c.shutdown().await;
}
