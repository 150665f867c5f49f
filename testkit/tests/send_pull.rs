//! Brokers over TCP: sends (v1, v2, batch) with the stored-message fields, pulls with long
//! polling, offsets, topic auto-create, and the store budget.

mod common;

use std::time::{Duration, Instant};

use common::{call, connect, messages, pull, send_header, send_v2};
use rmq_protocol::header::{
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, PullMessageResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    SendMessageRequestHeaderV2, SendMessageResponseHeader, UpdateConsumerOffsetRequestHeader,
};
use rmq_protocol::message::{encode_batch, Message};
use rmq_protocol::{ids, Command, Properties, RequestCode, ResponseCode};
use rmq_testkit::MockCluster;

/// A sent message comes back from a pull with every stored field the broker sets.
#[tokio::test]
async fn send_then_pull_returns_the_stored_fields() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("broker-a");
    let conn = connect(broker.addr()).await;
    let before = rmq_testkit_now();
    let answer = call(&conn, send_v2("T", 1, "TagA", b"hello")).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUCCESS,
        "{:?}",
        answer.remark
    );
    let sent: SendMessageResponseHeader = answer.decode_header().expect("send header");
    assert_eq!((sent.queue_id, sent.queue_offset), (1, 0));
    let id = ids::decode_offset_msg_id(&sent.msg_id).expect("offset msg id");
    assert_eq!(id.store_host, broker.addr());

    let answer = call(&conn, pull("G", "T", 1, 0, 0)).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    let header: PullMessageResponseHeader = answer.decode_header().expect("pull header");
    assert_eq!(
        (
            header.next_begin_offset,
            header.min_offset,
            header.max_offset
        ),
        (1, 0, 1)
    );
    let got = messages(&answer);
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(&m.body[..], b"hello");
    assert_eq!(
        (m.topic.as_str(), m.queue_id, m.queue_offset, m.flag),
        ("T", 1, 0, 7)
    );
    assert_eq!(m.tags(), Some("TagA"));
    assert_eq!(m.property("CLUSTER"), Some("DefaultCluster"));
    assert_eq!(m.born_timestamp, 1_700_000_000_000);
    assert_eq!(m.store_host, broker.addr());
    assert_eq!(m.born_host.ip(), broker.addr().ip());
    assert_eq!(m.offset_msg_id(), sent.msg_id);
    assert_eq!(m.commit_log_offset, id.commit_log_offset);
    assert!(m.store_timestamp >= before);
}

fn rmq_testkit_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// V1 sends and batches land at consecutive queue offsets; a batch answers every msg id.
#[tokio::test]
async fn v1_and_batch_sends_take_consecutive_offsets() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let v1 = Command::request(RequestCode::SEND_MESSAGE)
        .with_header(&send_header("B", 0, &Properties::new()))
        .with_body(&b"one"[..]);
    let answer = call(&conn, v1).await;
    assert!(answer.response_code().is_success(), "{:?}", answer.remark);
    let batch = encode_batch(&[
        Message::new("B", &b"two"[..]),
        Message::new("B", &b"three"[..]),
    ])
    .expect("batch");
    let header: SendMessageRequestHeaderV2 = send_header("B", 0, &Properties::new()).into();
    let request = Command::request(RequestCode::SEND_BATCH_MESSAGE)
        .with_header(&SendMessageRequestHeaderV2 {
            batch: true,
            ..header
        })
        .with_body(batch);
    let answer = call(&conn, request).await;
    let sent: SendMessageResponseHeader = answer.decode_header().expect("send header");
    assert_eq!(sent.queue_offset, 1);
    assert_eq!(sent.msg_id.split(',').count(), 2);
    let got = messages(&call(&conn, pull("G", "B", 0, 0, 0)).await);
    let bodies: Vec<_> = got.iter().map(|m| &m.body[..]).collect();
    assert_eq!(bodies, [&b"one"[..], b"two", b"three"]);
    assert_eq!(
        got.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

/// With auto-create off, a send to an unknown topic is TOPIC_NOT_EXIST.
#[tokio::test]
async fn send_to_unknown_topic_without_auto_create_is_refused() {
    let cluster = MockCluster::builder()
        .auto_create_topics(false)
        .start()
        .await
        .expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let answer = call(&conn, send_v2("Unknown", 0, "t", b"x")).await;
    assert_eq!(answer.response_code(), ResponseCode::TOPIC_NOT_EXIST);
    assert!(answer
        .remark
        .unwrap_or_default()
        .starts_with("topic[Unknown] not exist"));
    cluster.create_topic("Unknown", 2);
    let answer = call(&conn, send_v2("Unknown", 1, "t", b"x")).await;
    assert!(answer.response_code().is_success());
    let answer = call(&conn, send_v2("Unknown", 2, "t", b"x")).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SYSTEM_ERROR,
        "queue id out of range"
    );
}

/// A suspended pull answers as soon as a message arrives for its queue.
#[tokio::test]
async fn long_poll_wakes_on_arrival() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let addr = cluster.broker("broker-a").expect("a").addr();
    let conn = connect(addr).await;
    call(&conn, send_v2("L", 0, "t", b"first")).await;
    let waiting = tokio::spawn({
        let conn = conn.clone();
        async move {
            let started = Instant::now();
            let answer = call(&conn, pull("G", "L", 0, 1, 10_000)).await;
            (answer, started.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "the pull must be held while nothing is there"
    );
    let other = connect(addr).await;
    call(&other, send_v2("L", 0, "t", b"second")).await;
    let (answer, elapsed) = waiting.await.expect("pull task");
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(&messages(&answer)[0].body[..], b"second");
    assert!(elapsed < Duration::from_secs(5), "woke after {elapsed:?}");
}

/// A suspended pull with nothing arriving answers PULL_NOT_FOUND after its timeout; without
/// the suspend flag it answers at once.
#[tokio::test]
async fn long_poll_times_out_with_pull_not_found() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    cluster.create_topic("E", 1);
    let started = Instant::now();
    let answer = call(&conn, pull("G", "E", 0, 0, 300)).await;
    assert_eq!(answer.response_code(), ResponseCode::PULL_NOT_FOUND);
    assert!(started.elapsed() >= Duration::from_millis(250));
    let answer = call(&conn, pull("G", "E", 0, 5, 0)).await;
    assert_eq!(answer.response_code(), ResponseCode::PULL_OFFSET_MOVED);
}

/// Offsets: query before any commit (0 while the queue starts at 0, QUERY_NOT_FOUND when
/// asked not to default), commit, query; min/max offsets and search by time.
#[tokio::test]
async fn consumer_and_queue_offsets() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let conn = connect(broker.addr()).await;
    for _ in 0..3 {
        call(&conn, send_v2("O", 0, "t", b"m")).await;
    }
    let query = |zero: Option<bool>| {
        Command::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(
            &QueryConsumerOffsetRequestHeader {
                consumer_group: "G".into(),
                topic: "O".into(),
                queue_id: 0,
                set_zero_if_not_found: zero,
                broker_name: None,
            },
        )
    };
    let answer = call(&conn, query(None)).await;
    let offset: QueryConsumerOffsetResponseHeader = answer.decode_header().expect("header");
    assert_eq!(offset.offset, 0);
    let answer = call(&conn, query(Some(false))).await;
    assert_eq!(answer.response_code(), ResponseCode::QUERY_NOT_FOUND);

    let update = UpdateConsumerOffsetRequestHeader {
        consumer_group: "G".into(),
        topic: "O".into(),
        queue_id: 0,
        commit_offset: 2,
        broker_name: None,
    };
    let request = Command::request(RequestCode::UPDATE_CONSUMER_OFFSET).with_header(&update);
    assert!(call(&conn, request).await.response_code().is_success());
    let offset: QueryConsumerOffsetResponseHeader = call(&conn, query(None))
        .await
        .decode_header()
        .expect("header");
    assert_eq!(offset.offset, 2);
    assert_eq!(broker.committed_offset("G", "O", 0), Some(2));

    let max =
        Command::request(RequestCode::GET_MAX_OFFSET).with_header(&GetMaxOffsetRequestHeader {
            topic: "O".into(),
            queue_id: 0,
            committed: None,
            broker_name: None,
        });
    let max: GetMaxOffsetResponseHeader = call(&conn, max).await.decode_header().expect("header");
    assert_eq!(max.offset, 3);
    let min =
        Command::request(RequestCode::GET_MIN_OFFSET).with_header(&GetMinOffsetRequestHeader {
            topic: "O".into(),
            queue_id: 0,
            broker_name: None,
        });
    let min: GetMinOffsetResponseHeader = call(&conn, min).await.decode_header().expect("header");
    assert_eq!(min.offset, 0);
    let search = Command::request(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP).with_header(
        &SearchOffsetRequestHeader {
            topic: "O".into(),
            queue_id: 0,
            timestamp: 0,
            boundary_type: None,
            broker_name: None,
        },
    );
    let found: SearchOffsetResponseHeader =
        call(&conn, search).await.decode_header().expect("header");
    assert_eq!(found.offset, 0);
}

/// A pull with the commit-offset flag commits the offset it carries.
#[tokio::test]
async fn pull_commits_the_offset_it_carries() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let broker = cluster.broker("broker-a").expect("a");
    let conn = connect(broker.addr()).await;
    call(&conn, send_v2("C", 0, "t", b"m")).await;
    let mut request = pull("G", "C", 0, 1, 0);
    let flag = rmq_protocol::message::PullSysFlag::from_bits(
        request
            .ext_fields
            .get("sysFlag")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
    .with_commit_offset(true);
    request
        .ext_fields
        .insert("sysFlag", flag.bits().to_string());
    request.ext_fields.insert("commitOffset", "1");
    let answer = call(&conn, request).await;
    assert_eq!(answer.response_code(), ResponseCode::PULL_NOT_FOUND);
    assert_eq!(broker.committed_offset("G", "C", 0), Some(1));
}

/// Past the store budget the oldest messages go and the queue's min offset advances; a pull
/// below it is told where to go.
#[tokio::test]
async fn store_budget_drops_oldest_and_advances_min_offset() {
    let cluster = MockCluster::builder()
        .store_budget(4 * 1024)
        .start()
        .await
        .expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    static BODY: [u8; 500] = [b'x'; 500];
    for _ in 0..20 {
        let answer = call(&conn, send_v2("S", 0, "t", &BODY)).await;
        assert!(answer.response_code().is_success());
    }
    let answer = call(&conn, pull("G", "S", 0, 0, 0)).await;
    assert_eq!(answer.response_code(), ResponseCode::PULL_OFFSET_MOVED);
    let header: PullMessageResponseHeader = answer.decode_header().expect("header");
    assert!(header.min_offset > 0);
    assert_eq!(header.max_offset, 20);
    assert_eq!(header.next_begin_offset, header.min_offset);
}

/// A pull filters on the broker: by tag, and by an SQL92 expression over properties; a bad
/// expression in the request is SUBSCRIPTION_PARSE_FAILED with Java's remark.
#[tokio::test]
async fn pull_filters_by_tag_and_sql92() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    for (tag, a) in [("TagA", "1"), ("TagB", "2"), ("TagA", "3")] {
        let mut properties = Properties::new();
        properties.insert("TAGS", tag);
        properties.insert("a", a);
        let header: SendMessageRequestHeaderV2 = send_header("Fi", 0, &properties).into();
        let request = Command::request(RequestCode::SEND_MESSAGE_V2)
            .with_header(&header)
            .with_body(a.to_owned());
        assert!(call(&conn, request).await.response_code().is_success());
    }
    let filtered = |kind: &str, expression: &str| {
        let mut request = pull("G", "Fi", 0, 0, 0);
        request.ext_fields.insert("expressionType", kind);
        request.ext_fields.insert("subscription", expression);
        request
    };
    let bodies = |answer: &Command| -> Vec<String> {
        messages(answer)
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect()
    };
    let answer = call(&conn, filtered("TAG", "TagA")).await;
    assert_eq!(answer.response_code(), ResponseCode::SUCCESS);
    assert_eq!(bodies(&answer), ["1", "3"]);
    let answer = call(&conn, filtered("SQL92", "a >= 2")).await;
    assert_eq!(bodies(&answer), ["2", "3"]);
    let answer = call(&conn, filtered("SQL92", "a >")).await;
    assert_eq!(
        answer.response_code(),
        ResponseCode::SUBSCRIPTION_PARSE_FAILED
    );
    assert_eq!(
        answer.remark.as_deref(),
        Some("parse the consumer's subscription failed")
    );
}

/// Sends to a system topic producers may not use are refused with Java's NO_PERMISSION.
#[tokio::test]
async fn send_to_a_forbidden_system_topic_is_refused() {
    let cluster = MockCluster::builder().start().await.expect("starts");
    let conn = connect(cluster.broker("broker-a").expect("a").addr()).await;
    let answer = call(&conn, send_v2("SCHEDULE_TOPIC_XXXX", 0, "t", b"x")).await;
    assert_eq!(answer.response_code(), ResponseCode::NO_PERMISSION);
    assert_eq!(
        answer.remark.as_deref(),
        Some("Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.")
    );
}
