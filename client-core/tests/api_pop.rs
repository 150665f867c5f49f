//! `ClientApi` POP and assignment RPCs against a scripted broker: ext fields and bodies sent,
//! the codes that are normal pop outcomes, and the receipt handle each popped message gets.

mod api_support;

use api_support::*;
use bytes::Bytes;
use rmq_client_core::api::{batch_acks, PopResponse, PopStatus};
use rmq_client_core::error::{Error, ErrorKind, Result};
use rmq_protocol::body::{
    MessageModel, MessageQueue, MessageRequestMode, QueryAssignmentRequestBody,
    SetMessageRequestModeRequestBody,
};
use rmq_protocol::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, PopHandle, PopMessageRequestHeader,
    INIT_MODE_MAX,
};
use rmq_protocol::{Command, Properties, RequestCode, ResponseCode, StoredMessage};

fn record(topic: &str, queue_id: i32, offset: i64, props: &[(&str, &str)]) -> StoredMessage {
    StoredMessage {
        topic: topic.into(),
        body: Bytes::from_static(b"payload"),
        queue_id,
        queue_offset: offset,
        store_host: "127.0.0.1:10911".parse().expect("addr"),
        properties: Properties::from_iter(props.iter().copied()),
        ..StoredMessage::default()
    }
}

fn pop_header() -> PopMessageRequestHeader {
    PopMessageRequestHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: -1,
        max_msg_nums: 8,
        invisible_time: 30_000,
        poll_time: 1_000,
        born_time: 1,
        init_mode: INIT_MODE_MAX,
        exp_type: Some("TAG".into()),
        exp: Some("*".into()),
        order: Some(false),
        attempt_id: None,
        broker_name: Some("broker-a".into()),
    }
}

fn pop_reply(code: ResponseCode, body: Bytes, ext: &[(&str, &str)]) -> Command {
    let mut cmd = respond(code, None).with_body(body);
    for (k, v) in [
        ("popTime", "5000"),
        ("invisibleTime", "30000"),
        ("reviveQid", "1"),
        ("restNum", "4"),
    ]
    .iter()
    .chain(ext)
    {
        cmd.ext_fields.insert(*k, *v);
    }
    cmd
}

/// Pops with [`pop_header`] from the fixture's peer as `broker-a`.
async fn pop(fx: &Fixture) -> Result<PopResponse> {
    fx.api
        .pop_message(&fx.addr, "broker-a", &pop_header(), TIMEOUT)
        .await
}

/// A found pop: every message gets a handle from the offset lists, a retried message keeps
/// the POP_CK the broker put on it, and every message reads as the popped topic.
#[tokio::test]
async fn pop_found_gives_each_message_its_handle() {
    let retried_ck = "7 4000 30000 1 1 broker-a 0 7";
    let body = encode_records(&[
        record("T", 2, 10, &[("TAGS", "A")]),
        record("T", 2, 11, &[]),
        record(
            "T",
            0,
            7,
            &[("POP_CK", retried_ck), ("1ST_POP_TIME", "100")],
        ),
    ]);
    let reply = pop_reply(
        ResponseCode::SUCCESS,
        body,
        &[
            ("startOffsetInfo", "0 2 10;1 0 7"),
            ("msgOffsetInfo", "0 2 10,11;1 0 7"),
        ],
    );
    let fx = Fixture::answering(reply).await;
    let popped = pop(&fx).await.expect("pop");
    assert_eq!(popped.status, PopStatus::Found);
    assert_eq!(popped.rest_num, 4);
    let handles: Vec<String> = popped
        .records
        .iter()
        .map(|r| r.handle.to_string())
        .collect();
    assert_eq!(
        handles,
        [
            "10 5000 30000 1 0 broker-a 2 10",
            "10 5000 30000 1 0 broker-a 2 11",
            retried_ck
        ]
    );
    let first = &popped.records[0].message;
    assert_eq!(first.property("POP_CK"), Some(handles[0].as_str()));
    assert_eq!(first.property("1ST_POP_TIME"), Some("5000"));
    assert_eq!(
        popped.records[2].message.property("1ST_POP_TIME"),
        Some("100")
    );
    assert!(popped.records.iter().all(|r| r.message.topic == "T"));

    let sent = fx.request();
    assert_eq!(sent.request_code(), RequestCode::POP_MESSAGE);
    let sent = ext(&sent);
    assert_eq!(sent["queueId"], "-1");
    assert_eq!(sent["invisibleTime"], "30000");
    assert_eq!(sent["bname"], "broker-a");
}

/// POLLING_FULL, POLLING_TIMEOUT and PULL_NOT_FOUND are outcomes, not errors.
#[tokio::test]
async fn polling_codes_are_statuses() {
    for (code, want) in [
        (ResponseCode::POLLING_FULL, PopStatus::PollingFull),
        (ResponseCode::POLLING_TIMEOUT, PopStatus::NoNewMsg),
        (ResponseCode::PULL_NOT_FOUND, PopStatus::NoNewMsg),
    ] {
        let fx = Fixture::answering(pop_reply(code, Bytes::new(), &[])).await;
        let popped = pop(&fx).await.expect("a status");
        assert_eq!(popped.status, want, "{code:?}");
        assert!(popped.records.is_empty());
    }
}

/// A not-found answer without header fields (the crates.io broker 1.0.0 sends none) is still
/// a status.
#[tokio::test]
async fn a_bare_polling_timeout_is_a_status() {
    let fx = Fixture::answering(respond(
        ResponseCode::POLLING_TIMEOUT,
        Some("NO_MESSAGE_IN_QUEUE"),
    ))
    .await;
    let popped = pop(&fx).await.expect("a status");
    assert_eq!(popped.status, PopStatus::NoNewMsg);
    assert_eq!(popped.rest_num, 0);
}

/// Any other code is a broker error naming the address, code and remark.
#[tokio::test]
async fn a_refused_pop_is_a_broker_error() {
    let fx = Fixture::answering(respond(
        ResponseCode::INVALID_PARAMETER,
        Some("pop message's num is greater than 32"),
    ))
    .await;
    let e = pop(&fx).await.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Broker(ResponseCode::INVALID_PARAMETER));
    let text = e.to_string();
    assert!(
        text.contains(&fx.addr) && text.contains("greater than 32"),
        "{text}"
    );
}

/// A found pop whose offset lists do not cover a message is a protocol error, not a panic.
#[tokio::test]
async fn a_pop_answer_with_a_bad_offset_list_is_a_protocol_error() {
    let body = encode_records(&[record("T", 3, 10, &[])]);
    let reply = pop_reply(
        ResponseCode::SUCCESS,
        body,
        &[("startOffsetInfo", "0 2 10")],
    );
    let fx = Fixture::answering(reply).await;
    let e = pop(&fx).await.expect_err("malformed");
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
}

/// Ack sends Java's header; NO_MESSAGE comes back as a broker error.
#[tokio::test]
async fn ack_sends_the_handle_and_reports_no_message() {
    let fx = Fixture::answering(respond(ResponseCode::NO_MESSAGE, Some("offset is illegal"))).await;
    let header = AckMessageRequestHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 2,
        extra_info: "10 5000 30000 1 0 broker-a 2 11".into(),
        offset: 11,
        broker_name: Some("broker-a".into()),
    };
    let e = fx
        .api
        .ack_message(&fx.addr, &header, TIMEOUT)
        .await
        .expect_err("no message");
    assert_eq!(e.kind(), ErrorKind::Broker(ResponseCode::NO_MESSAGE));
    assert_request(
        &fx.request(),
        RequestCode::ACK_MESSAGE,
        &[
            ("consumerGroup", "CG"),
            ("topic", "T"),
            ("queueId", "2"),
            ("extraInfo", "10 5000 30000 1 0 broker-a 2 11"),
            ("offset", "11"),
            ("bname", "broker-a"),
        ],
    );
}

/// A batch ack sends one entry per checkpoint with the acked bits.
#[tokio::test]
async fn batch_ack_sends_one_entry_per_checkpoint() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let handles: Vec<PopHandle> = [
        "10 5000 30000 1 0 broker-a 2 10",
        "10 5000 30000 1 0 broker-a 2 12",
    ]
    .iter()
    .map(|h| PopHandle::parse(h).expect("handle"))
    .collect();
    let (body, rest) = batch_acks("T", "CG", &handles);
    assert!(rest.is_empty());
    fx.api
        .batch_ack_message(&fx.addr, &body, TIMEOUT)
        .await
        .expect("acked");
    let sent = fx.request();
    assert_eq!(sent.request_code(), RequestCode::BATCH_ACK_MESSAGE);
    let json = json(&sent);
    assert_eq!(json["brokerName"], "broker-a");
    assert_eq!(json["acks"][0]["so"], 10);
    // Bits 0 and 2: one byte 0b101.
    assert_eq!(json["acks"][0]["b"], "BQ==");
}

/// Changing the invisible time returns the new handle: a checkpoint at the message's offset.
#[tokio::test]
async fn change_invisible_time_returns_the_new_handle() {
    let reply = ok_with_ext(&[
        ("popTime", "9000"),
        ("invisibleTime", "60000"),
        ("reviveQid", "3"),
    ]);
    let fx = Fixture::answering(reply).await;
    let header = ChangeInvisibleTimeRequestHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 2,
        extra_info: "10 5000 30000 1 0 broker-a 2 11".into(),
        offset: 11,
        invisible_time: 60_000,
        broker_name: Some("broker-a".into()),
    };
    let handle = fx
        .api
        .change_invisible_time(&fx.addr, &header, TIMEOUT)
        .await
        .expect("changed");
    assert_eq!(handle.to_string(), "11 9000 60000 3 0 broker-a 2 11");
    assert_eq!(ext(&fx.request())["invisibleTime"], "60000");
}

/// QUERY_ASSIGNMENT sends Java's body and reads the set; a missing set is `None`.
#[tokio::test]
async fn query_assignment_reads_the_assigned_queues() {
    let answer = r#"{"messageQueueAssignments":[{"messageQueue":{"brokerName":"b","queueId":-1,"topic":"T"},"mode":"POP"}]}"#;
    let fx = Fixture::answering(ok_with_body(answer)).await;
    let body = QueryAssignmentRequestBody {
        client_id: "c1".into(),
        consumer_group: "CG".into(),
        message_model: MessageModel::Clustering,
        strategy_name: "AVG".into(),
        topic: "T".into(),
    };
    let got = fx
        .api
        .query_assignment(&fx.addr, &body, TIMEOUT)
        .await
        .expect("answer")
        .expect("a set");
    assert_eq!(got[0].message_queue, MessageQueue::new("T", "b", -1));
    assert_eq!(got[0].mode, MessageRequestMode::Pop);
    let sent = fx.request();
    assert_eq!(sent.request_code(), RequestCode::QUERY_ASSIGNMENT);
    assert_eq!(json(&sent)["strategyName"], "AVG");

    let fx = Fixture::answering(ok_with_body("{}")).await;
    let none = fx
        .api
        .query_assignment(&fx.addr, &body, TIMEOUT)
        .await
        .expect("answer");
    assert_eq!(none, None);
}

/// SET_MESSAGE_REQUEST_MODE sends Java's body; a refusal names the code.
#[tokio::test]
async fn set_message_request_mode_sends_the_mode() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let body = SetMessageRequestModeRequestBody {
        consumer_group: "CG".into(),
        mode: MessageRequestMode::Pop,
        pop_share_queue_num: 0,
        topic: "T".into(),
    };
    fx.api
        .set_message_request_mode(&fx.addr, &body, TIMEOUT)
        .await
        .expect("set");
    let sent = fx.request();
    assert_eq!(sent.request_code(), RequestCode::SET_MESSAGE_REQUEST_MODE);
    assert_eq!(json(&sent)["mode"], "POP");

    let fx = Fixture::answering(respond(
        ResponseCode::TOPIC_NOT_EXIST,
        Some("topic[T] not exist"),
    ))
    .await;
    let e = fx
        .api
        .set_message_request_mode(&fx.addr, &body, TIMEOUT)
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Broker(ResponseCode::TOPIC_NOT_EXIST));
}
