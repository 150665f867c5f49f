//! Pulling from the broker the pull response suggests (Java's `suggestWhichBrokerId`, i.e. slave
//! reads), against two in-process fakes: a master (also the name server) that answers the first
//! pull with "read from broker 1 next", and that slave. The CI broker runs without slaves, so
//! this path can only be shown with fakes.
//!
//! Also checked: heartbeats reach the slave once a consumer is registered (Java sends them to
//! every address then), and pulls sent to a slave never piggy-back an offset commit.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rmq_client_consumer::{
    ClientConfig, ConsumeFrom, ConsumeResult, Filter, PushConsumer, ReceivedMessage,
};
use rmq_protocol::body::{
    BrokerData, ConsumerListBody, HeartbeatData, JsonBody, QueueData, TopicRouteData,
};
use rmq_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rmq_protocol::message::PullSysFlag;
use rmq_protocol::{Command, RequestCode, ResponseCode, StoredMessage};
use rmq_remoting::testing::{MockServer, Reply};

const TOPIC: &str = "SlaveReadTopic";
const MESSAGES: usize = 10;

fn stored() -> Vec<StoredMessage> {
    (0..MESSAGES as i64)
        .map(|offset| StoredMessage {
            topic: TOPIC.into(),
            queue_offset: offset,
            commit_log_offset: 100 + offset,
            body: format!("m{offset}").into(),
            ..StoredMessage::default()
        })
        .collect()
}

/// Answers pulls from `msgs`, suggesting `suggest` as the next broker id.
fn pull(req: &Command, msgs: &[StoredMessage], suggest: i64) -> Reply {
    let h: PullMessageRequestHeader = req.decode_header().expect("pull header");
    // Only the subscribed topic has messages; the auto-subscribed retry topic is empty.
    let msgs = if h.topic == TOPIC { msgs } else { &[] };
    let start = (h.queue_offset.max(0) as usize).min(msgs.len());
    let end = (start + h.max_msg_nums.max(1) as usize).min(msgs.len());
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: end as i64,
        min_offset: 0,
        max_offset: msgs.len() as i64,
        ..PullMessageResponseHeader::default()
    };
    if start == end {
        let r = Command::response(ResponseCode::PULL_NOT_FOUND, None).with_header(&header);
        return Reply::Delayed(Duration::from_millis(100), r);
    }
    let mut body = BytesMut::new();
    for m in &msgs[start..end] {
        m.encode(&mut body).expect("encode");
    }
    Reply::Respond(
        Command::response(ResponseCode::SUCCESS, None)
            .with_header(&header)
            .with_body(body.freeze()),
    )
}

#[tokio::test]
async fn pulls_follow_the_suggested_slave_without_committing_there() {
    let slave = MockServer::start(|req| match req.request_code() {
        RequestCode::PULL_MESSAGE => pull(req, &stored(), 1),
        _ => Reply::success(),
    })
    .await
    .expect("slave");
    let slave_addr = slave.addr();
    let master_addr: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let m = master_addr.clone();
    let client_id: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let c = client_id.clone();
    let master = MockServer::start(move |req| match req.request_code() {
        RequestCode::HEART_BEAT => {
            let hb = HeartbeatData::from_json(&req.body).expect("heartbeat");
            let _ = c.set(hb.client_id);
            Reply::success()
        }
        RequestCode::GET_CONSUMER_LIST_BY_GROUP => {
            let body = ConsumerListBody {
                consumer_id_list: c.get().cloned().into_iter().collect(),
            };
            Reply::Respond(
                Command::response(ResponseCode::SUCCESS, None)
                    .with_body(body.to_json().expect("list")),
            )
        }
        RequestCode::GET_ROUTEINFO_BY_TOPIC => {
            let route = TopicRouteData {
                broker_datas: vec![BrokerData {
                    broker_addrs: [
                        (0, m.get().cloned().unwrap_or_default()),
                        (1, slave_addr.clone()),
                    ]
                    .into(),
                    broker_name: "b".into(),
                    cluster: "c".into(),
                    ..BrokerData::default()
                }],
                queue_datas: vec![QueueData {
                    broker_name: "b".into(),
                    perm: 6,
                    read_queue_nums: 1,
                    write_queue_nums: 1,
                    topic_sys_flag: 0,
                }],
                ..TopicRouteData::default()
            };
            Reply::Respond(
                Command::response(ResponseCode::SUCCESS, None)
                    .with_body(route.to_json().expect("route")),
            )
        }
        RequestCode::QUERY_CONSUMER_OFFSET => {
            Reply::Respond(Command::response(ResponseCode::QUERY_NOT_FOUND, None))
        }
        RequestCode::PULL_MESSAGE => pull(req, &stored(), 1),
        _ => Reply::success(),
    })
    .await
    .expect("master");
    let _ = master_addr.set(master.addr());

    let seen = Arc::new(Mutex::new(Vec::<i64>::new()));
    let config = ClientConfig::builder()
        .namesrv(master.addr())
        .build()
        .expect("config");
    let consumer = PushConsumer::builder()
        .client_config(config)
        .group("slave_read_group")
        .subscribe(TOPIC, Filter::all())
        .consume_from(ConsumeFrom::FirstOffset)
        .pull_batch_size(2)
        .build()
        .await
        .expect("consumer");
    let s = seen.clone();
    consumer
        .start(move |msgs: Vec<ReceivedMessage>| {
            let s = s.clone();
            async move {
                s.lock()
                    .expect("seen")
                    .extend(msgs.iter().map(|m| m.queue_offset()));
                ConsumeResult::Success
            }
        })
        .await
        .expect("start");

    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().expect("seen").len() < MESSAGES && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    consumer.shutdown().await;

    let mut offsets = seen.lock().expect("seen").clone();
    offsets.sort_unstable();
    offsets.dedup();
    assert_eq!(
        offsets,
        (0..MESSAGES as i64).collect::<Vec<_>>(),
        "every message consumed"
    );
    let pulls = |server: &MockServer| -> Vec<Command> {
        server
            .requests()
            .into_iter()
            .filter(|c| {
                c.request_code() == RequestCode::PULL_MESSAGE
                    && c.ext_fields.get("topic") == Some(TOPIC)
            })
            .collect()
    };
    let (to_master, to_slave) = (pulls(&master), pulls(&slave));
    assert_eq!(
        to_master.len(),
        1,
        "only the first pull goes to the master; the suggestion is followed"
    );
    assert!(
        to_slave.len() >= MESSAGES / 2 - 1,
        "the rest come from the slave: {}",
        to_slave.len()
    );
    for p in &to_slave {
        let h: PullMessageRequestHeader = p.decode_header().expect("header");
        assert!(
            !PullSysFlag::from_bits(h.sys_flag).commit_offset(),
            "no commit piggy-backed on a slave pull"
        );
    }
    let beats = slave
        .requests()
        .into_iter()
        .filter(|c| c.request_code() == RequestCode::HEART_BEAT)
        .count();
    assert!(beats >= 1, "a registered consumer heartbeats the slave too");
    master.shutdown().await;
    slave.shutdown().await;
}
