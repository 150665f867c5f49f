//! Requests a broker sends to the client, answered by the instance's processor and dispatched
//! to the registered producer and consumer. The peer is scripted; the real broker's
//! GET_CONSUMER_RUNNING_INFO is exercised in `tests/tests/client_core.rs`.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rmq_client_core::ClientInstance;
use rmq_protocol::body::{
    ConsumeDirectlyOutcome, ConsumeMessageDirectlyResult, ConsumerRunningInfo,
    GetConsumerStatusBody, JsonBody, MessageQueue, ResetOffsetBody,
};
use rmq_protocol::header::{
    CheckTransactionStateRequestHeader, ConsumeMessageDirectlyRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetConsumerStatusRequestHeader,
    NotifyConsumerIdsChangedRequestHeader, ReplyMessageRequestHeader, ResetOffsetRequestHeader,
};
use rmq_protocol::message::{property, Properties, StoredMessage};
use rmq_protocol::{Command, RequestCode, ResponseCode};
use rmq_remoting::testing::MockServer;
use support::*;

struct Setup {
    server: MockServer,
    instance: ClientInstance,
    producer: Arc<FakeProducer>,
    consumer: Arc<FakeConsumer>,
}

async fn setup(name: &str) -> Setup {
    let server = mock_cluster().await;
    let instance = ClientInstance::new(config(&server.addr(), name)).expect("instance");
    let producer = Arc::new(FakeProducer {
        group: "PG".into(),
        topics: vec!["T".into()],
        ..Default::default()
    });
    let consumer = Arc::new(FakeConsumer {
        group: "CG".into(),
        topic: "T".into(),
        ..Default::default()
    });
    instance
        .register_producer(producer.clone())
        .expect("producer");
    instance
        .register_consumer(consumer.clone())
        .expect("consumer");
    // Open the connection the broker will use to call us.
    instance
        .api()
        .remoting()
        .connection(&server.addr())
        .await
        .expect("connect");
    assert!(eventually(Duration::from_secs(2), || server.connections() == 1).await);
    Setup {
        server,
        instance,
        producer,
        consumer,
    }
}

fn stored(props: &[(&str, &str)]) -> bytes::Bytes {
    let mut properties = Properties::default();
    for (k, v) in props {
        properties.insert(*k, *v);
    }
    let msg = StoredMessage {
        topic: "T".into(),
        body: "hi".into(),
        properties,
        ..StoredMessage::default()
    };
    let mut buf = BytesMut::new();
    msg.encode(&mut buf).expect("encode");
    buf.freeze()
}

async fn ask(s: &Setup, req: Command) -> Command {
    s.server
        .request(req, Duration::from_secs(3))
        .await
        .expect("client answered")
}

fn oneway(mut cmd: Command) -> Command {
    cmd.mark_oneway();
    cmd
}

#[tokio::test]
async fn consumer_ids_changed_wakes_rebalance_at_once() {
    let s = setup("p-notify").await;
    s.instance.start().await.expect("start");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let before = s.consumer.rebalances.load(Ordering::SeqCst);
    let header = NotifyConsumerIdsChangedRequestHeader {
        consumer_group: "CG".into(),
    };
    s.server.send_request(oneway(
        Command::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED).with_header(&header),
    ));
    assert!(
        eventually(Duration::from_millis(150), || s
            .consumer
            .rebalances
            .load(Ordering::SeqCst)
            > before)
        .await,
        "rebalanced before the 200 ms period"
    );
    s.instance.shutdown().await;
}

#[tokio::test]
async fn running_info_is_the_consumers_with_instance_properties() {
    let s = setup("p-running").await;
    let header = GetConsumerRunningInfoRequestHeader {
        consumer_group: "CG".into(),
        client_id: s.instance.client_id().into(),
        jstack_enable: false,
    };
    let resp = ask(
        &s,
        Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_header(&header),
    )
    .await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let info = ConsumerRunningInfo::from_json(&resp.body).expect("running info");
    assert_eq!(info.subscription_set[0].topic, "T");
    assert_eq!(info.properties["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");
    assert_eq!(info.properties["PROP_NAMESERVER_ADDR"], s.server.addr());
    assert!(info.status_table.contains_key("T"));

    let unknown = GetConsumerRunningInfoRequestHeader {
        consumer_group: "nope".into(),
        ..header
    };
    let resp = ask(
        &s,
        Command::request(RequestCode::GET_CONSUMER_RUNNING_INFO).with_header(&unknown),
    )
    .await;
    assert_eq!(resp.response_code(), ResponseCode::SYSTEM_ERROR);
    assert!(resp.remark.unwrap_or_default().contains("nope"));
    s.instance.shutdown().await;
}

#[tokio::test]
async fn consumer_status_reports_offsets_with_queue_keys() {
    let s = setup("p-status").await;
    let header = GetConsumerStatusRequestHeader {
        topic: "T".into(),
        group: "CG".into(),
        client_addr: None,
    };
    let resp = ask(
        &s,
        Command::request(RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT).with_header(&header),
    )
    .await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let text = String::from_utf8_lossy(&resp.body).into_owned();
    assert!(
        text.contains("{{\"brokerName\""),
        "fastjson object keys, as Java writes them: {text}"
    );
    let body = GetConsumerStatusBody::from_json(&resp.body).expect("status body");
    assert_eq!(
        body.message_queue_table[&MessageQueue::new("T", "broker-a", 0)],
        42
    );
    s.instance.shutdown().await;
}

#[tokio::test]
async fn reset_offset_reaches_the_consumer() {
    let s = setup("p-reset").await;
    let header = ResetOffsetRequestHeader {
        topic: "T".into(),
        group: "CG".into(),
        timestamp: 1,
        is_force: true,
    };
    let body = ResetOffsetBody {
        offset_table: [(MessageQueue::new("T", "broker-a", 1), 7)].into(),
    };
    let req = Command::request(RequestCode::RESET_CONSUMER_CLIENT_OFFSET)
        .with_header(&header)
        .with_body(body.to_fastjson().expect("json"));
    s.server.send_request(oneway(req));
    assert!(
        eventually(Duration::from_secs(2), || !s
            .consumer
            .resets
            .lock()
            .expect("lock")
            .is_empty())
        .await
    );
    let resets = s.consumer.resets.lock().expect("lock").clone();
    assert_eq!(resets[0].0, "T");
    assert_eq!(resets[0].1[&MessageQueue::new("T", "broker-a", 1)], 7);
    s.instance.shutdown().await;
}

#[tokio::test]
async fn consume_directly_returns_the_listener_outcome() {
    let s = setup("p-direct").await;
    let header = ConsumeMessageDirectlyRequestHeader {
        consumer_group: "CG".into(),
        client_id: Some(s.instance.client_id().into()),
        msg_id: Some("X".into()),
        broker_name: Some("broker-a".into()),
    };
    let req = Command::request(RequestCode::CONSUME_MESSAGE_DIRECTLY)
        .with_header(&header)
        .with_body(stored(&[]));
    let resp = ask(&s, req).await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let result = ConsumeMessageDirectlyResult::from_json(&resp.body).expect("result");
    assert_eq!(result.consume_result, Some(ConsumeDirectlyOutcome::Success));
    s.instance.shutdown().await;
}

#[tokio::test]
async fn transaction_check_goes_to_the_producer_of_the_pgroup_property() {
    let s = setup("p-check").await;
    let header = CheckTransactionStateRequestHeader {
        tran_state_table_offset: 3,
        commit_log_offset: 100,
        msg_id: Some("UNIQ1".into()),
        transaction_id: Some("UNIQ1".into()),
        offset_msg_id: None,
        ..Default::default()
    };
    let body = stored(&[
        (property::PRODUCER_GROUP, "PG"),
        (property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "UNIQ1"),
    ]);
    let req = Command::request(RequestCode::CHECK_TRANSACTION_STATE)
        .with_header(&header)
        .with_body(body);
    s.server.send_request(oneway(req));
    assert!(
        eventually(Duration::from_secs(2), || !s
            .producer
            .checks
            .lock()
            .expect("lock")
            .is_empty())
        .await
    );
    let checks = s.producer.checks.lock().expect("lock").clone();
    assert_eq!(checks[0].1, "UNIQ1");
    assert!(
        s.server.responses().is_empty(),
        "oneway requests get no answer"
    );
    s.instance.shutdown().await;
}

#[tokio::test]
async fn pushed_reply_reaches_the_waiting_request() {
    let s = setup("p-reply").await;
    let pending = s.instance.replies().register("corr-1");
    let mut props = Properties::default();
    props.insert(property::CORRELATION_ID, "corr-1");
    let header = ReplyMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "T".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        born_host: "127.0.0.1:1000".into(),
        store_host: "127.0.0.1:10911".into(),
        properties: Some(props.encode()),
        ..Default::default()
    };
    let req = Command::request(RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT)
        .with_header(&header)
        .with_body("pong");
    let resp = ask(&s, req).await;
    assert_eq!(resp.response_code(), ResponseCode::SUCCESS);
    let reply = tokio::time::timeout(Duration::from_secs(2), pending.wait())
        .await
        .expect("in time")
        .expect("reply");
    assert_eq!(reply.body, "pong");
    assert_eq!(reply.store_host.to_string(), "127.0.0.1:10911");
    assert!(s.instance.replies().is_empty());
    s.instance.shutdown().await;
}

#[tokio::test]
async fn unknown_request_codes_get_request_code_not_supported() {
    let s = setup("p-unknown").await;
    let resp = ask(&s, Command::request(RequestCode(9999))).await;
    assert_eq!(
        resp.response_code(),
        ResponseCode::REQUEST_CODE_NOT_SUPPORTED
    );
    assert!(resp.remark.unwrap_or_default().contains("9999"));
    s.instance.shutdown().await;
}
