//! `ClientApi` pull, offset and message-lookup RPCs against a scripted broker: ext fields sent,
//! statuses that are normal outcomes, and decoded store-format bodies.

mod api_support;

use api_support::*;
use bytes::Bytes;
use rmq_client_core::api::{PullResponse, PullStatus};
use rmq_client_core::error::{Error, ErrorKind, Result};
use rmq_protocol::compression::compress_zlib;
use rmq_protocol::header::{PullMessageRequestHeader, QueryMessageRequestHeader};
use rmq_protocol::message::sysflag;
use rmq_protocol::{Command, Properties, RequestCode, ResponseCode, StoredMessage};

fn record(topic: &str, body: &[u8], offset: i64) -> StoredMessage {
    StoredMessage {
        topic: topic.into(),
        body: Bytes::copy_from_slice(body),
        queue_offset: offset,
        commit_log_offset: 1000 + offset,
        store_host: "127.0.0.1:10911".parse().expect("addr"),
        properties: Properties::from_iter([("TAGS", "TagA"), ("KEYS", "order-1")]),
        ..StoredMessage::default()
    }
}

fn pull_header() -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        consumer_group: "CG".into(),
        topic: "TopicTest".into(),
        queue_id: 1,
        queue_offset: 10,
        max_msg_nums: 32,
        sys_flag: 0x2,
        commit_offset: 0,
        suspend_timeout_millis: 15_000,
        subscription: Some("*".into()),
        sub_version: 0,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
        broker_name: Some("broker-a".into()),
    }
}

fn pull_reply(code: ResponseCode, body: Bytes) -> Command {
    let mut cmd = respond(code, Some("FOUND")).with_body(body);
    for (k, v) in [
        ("suggestWhichBrokerId", "1"),
        ("nextBeginOffset", "12"),
        ("minOffset", "0"),
        ("maxOffset", "12"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    cmd
}

/// Pulls with [`pull_header`] from the fixture's peer.
async fn pull(fx: &Fixture) -> Result<PullResponse> {
    fx.api.pull_message(&fx.addr, &pull_header(), TIMEOUT).await
}

#[tokio::test]
async fn pull_found_returns_offsets_and_the_raw_body() {
    let body = encode_records(&[record("TopicTest", b"a", 10), record("TopicTest", b"b", 11)]);
    let fx = Fixture::answering(pull_reply(ResponseCode::SUCCESS, body.clone())).await;
    let pulled = pull(&fx).await.expect("pull");
    assert_eq!(pulled.status, PullStatus::Found);
    assert_eq!(
        (
            pulled.next_begin_offset,
            pulled.min_offset,
            pulled.max_offset
        ),
        (12, 0, 12)
    );
    assert_eq!(pulled.suggest_which_broker_id, 1);
    assert_eq!(pulled.body, body);

    assert_request(
        &fx.request(),
        RequestCode::PULL_MESSAGE,
        &[
            ("consumerGroup", "CG"),
            ("topic", "TopicTest"),
            ("queueId", "1"),
            ("queueOffset", "10"),
            ("maxMsgNums", "32"),
            ("sysFlag", "2"),
            ("commitOffset", "0"),
            ("suspendTimeoutMillis", "15000"),
            ("subscription", "*"),
            ("subVersion", "0"),
            ("expressionType", "TAG"),
            ("bname", "broker-a"),
        ],
    );
}

#[tokio::test]
async fn pull_codes_19_20_21_are_statuses_not_errors() {
    for (code, status) in [
        (ResponseCode::PULL_NOT_FOUND, PullStatus::NoNewMsg),
        (
            ResponseCode::PULL_RETRY_IMMEDIATELY,
            PullStatus::NoMatchedMsg,
        ),
        (ResponseCode::PULL_OFFSET_MOVED, PullStatus::OffsetIllegal),
    ] {
        let fx = Fixture::answering(pull_reply(code, Bytes::new())).await;
        let pulled = pull(&fx).await.expect("status");
        assert_eq!(pulled.status, status);
        assert_eq!(pulled.next_begin_offset, 12);
        assert!(pulled.body.is_empty());
    }
}

#[tokio::test]
async fn pull_subscription_errors_are_broker_errors() {
    let fx = Fixture::answering(respond(
        ResponseCode::SUBSCRIPTION_NOT_LATEST,
        Some("the consumer's subscription not latest"),
    ))
    .await;
    let err = pull(&fx).await.expect_err("error");
    assert_eq!(
        err.kind(),
        ErrorKind::Broker(ResponseCode::SUBSCRIPTION_NOT_LATEST)
    );
}

#[tokio::test]
async fn query_consumer_offset_reads_offset_and_maps_not_found_to_none() {
    let fx = Fixture::answering(ok_with_ext(&[("offset", "42")])).await;
    let offset = fx
        .api
        .query_consumer_offset(&fx.addr, "CG", "TopicTest", 3, TIMEOUT)
        .await
        .expect("query");
    assert_eq!(offset, Some(42));
    assert_request(
        &fx.request(),
        RequestCode::QUERY_CONSUMER_OFFSET,
        &[
            ("consumerGroup", "CG"),
            ("topic", "TopicTest"),
            ("queueId", "3"),
        ],
    );

    fx.answer_with(respond(ResponseCode::QUERY_NOT_FOUND, Some("Not found")));
    assert_eq!(
        fx.api
            .query_consumer_offset(&fx.addr, "CG", "T", 0, TIMEOUT)
            .await
            .expect("absent"),
        None
    );

    fx.answer_with(respond(ResponseCode::SYSTEM_ERROR, Some("boom")));
    let err = fx
        .api
        .query_consumer_offset(&fx.addr, "CG", "T", 0, TIMEOUT)
        .await
        .expect_err("error");
    assert_eq!(err.response_code(), Some(ResponseCode::SYSTEM_ERROR));
}

#[tokio::test]
async fn update_consumer_offset_sync_and_oneway_send_the_same_fields() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    fx.api
        .update_consumer_offset(&fx.addr, "CG", "TopicTest", 0, 100, TIMEOUT)
        .await
        .expect("sync");
    fx.api
        .update_consumer_offset_oneway(&fx.addr, "CG", "TopicTest", 0, 100, TIMEOUT)
        .await
        .expect("oneway");
    let requests = fx.wait_requests(2).await;
    let expected = fields(&[
        ("consumerGroup", "CG"),
        ("topic", "TopicTest"),
        ("queueId", "0"),
        ("commitOffset", "100"),
    ]);
    for request in &requests {
        assert_eq!(request.request_code(), RequestCode::UPDATE_CONSUMER_OFFSET);
        assert_eq!(ext(request), expected);
    }
    assert!(!requests[0].is_oneway());
    assert!(requests[1].is_oneway());
}

#[tokio::test]
async fn queue_offset_queries_send_topic_and_queue_and_read_the_answer() {
    let fx = Fixture::start(|request| {
        let field = if request.request_code() == RequestCode::GET_EARLIEST_MSG_STORETIME {
            "timestamp"
        } else {
            "offset"
        };
        let value = match request.request_code() {
            RequestCode::GET_MAX_OFFSET => "120",
            RequestCode::GET_MIN_OFFSET => "3",
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP => "57",
            _ => "1700000000000",
        };
        rmq_remoting::testing::Reply::Respond(ok_with_ext(&[(field, value)]))
    })
    .await;
    assert_eq!(
        fx.api
            .max_offset(&fx.addr, "T", 2, TIMEOUT)
            .await
            .expect("max"),
        120
    );
    assert_eq!(
        fx.api
            .min_offset(&fx.addr, "T", 2, TIMEOUT)
            .await
            .expect("min"),
        3
    );
    assert_eq!(
        fx.api
            .earliest_msg_store_time(&fx.addr, "T", 2, TIMEOUT)
            .await
            .expect("earliest"),
        1_700_000_000_000
    );
    assert_eq!(
        fx.api
            .search_offset(&fx.addr, "T", 2, 1_700_000_000_500, TIMEOUT)
            .await
            .expect("search"),
        57
    );
    let requests = fx.server.requests();
    let codes: Vec<_> = requests.iter().map(Command::request_code).collect();
    assert_eq!(
        codes,
        [
            RequestCode::GET_MAX_OFFSET,
            RequestCode::GET_MIN_OFFSET,
            RequestCode::GET_EARLIEST_MSG_STORETIME,
            RequestCode::SEARCH_OFFSET_BY_TIMESTAMP
        ]
    );
    for request in &requests[..3] {
        assert_eq!(ext(request), fields(&[("topic", "T"), ("queueId", "2")]));
    }
    assert_eq!(
        ext(&requests[3]),
        fields(&[
            ("topic", "T"),
            ("queueId", "2"),
            ("timestamp", "1700000000500")
        ])
    );
}

#[tokio::test]
async fn view_message_decodes_and_inflates_the_stored_record() {
    let mut compressed = record(
        "TopicTest",
        &compress_zlib(b"hello zlib", 5).expect("zlib"),
        7,
    );
    compressed.sys_flag = sysflag::COMPRESSED;
    let fx = Fixture::answering(ok_with_body("").with_body(encode_records(&[compressed]))).await;
    let msg = fx
        .api
        .view_message(&fx.addr, 1007, TIMEOUT)
        .await
        .expect("view");
    assert_eq!(&msg.body[..], b"hello zlib");
    assert_eq!(msg.commit_log_offset, 1007);
    assert_eq!(msg.tags(), Some("TagA"));
    assert_request(
        &fx.request(),
        RequestCode::VIEW_MESSAGE_BY_ID,
        &[("offset", "1007")],
    );
}

#[tokio::test]
async fn view_message_with_an_empty_body_is_a_bad_answer() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let err = fx
        .api
        .view_message(&fx.addr, 1, TIMEOUT)
        .await
        .expect_err("empty");
    assert!(matches!(err, Error::BadAnswer { .. }), "{err:?}");
}

#[tokio::test]
async fn query_message_sets_the_unique_key_flag_and_decodes_every_record() {
    let body = encode_records(&[record("TopicTest", b"a", 1), record("TopicTest", b"b", 2)]);
    let mut reply = ok_with_ext(&[
        ("indexLastUpdateTimestamp", "0"),
        ("indexLastUpdatePhyoffset", "0"),
    ]);
    reply.body = body;
    let fx = Fixture::answering(reply).await;
    let header = QueryMessageRequestHeader {
        topic: "TopicTest".into(),
        key: "order-1".into(),
        max_num: 32,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: None,
    };
    let found = fx
        .api
        .query_message(&fx.addr, &header, false, TIMEOUT)
        .await
        .expect("query");
    assert_eq!(found.len(), 2);
    assert_eq!(&found[1].body[..], b"b");
    assert_request(
        &fx.request(),
        RequestCode::QUERY_MESSAGE,
        &[
            ("topic", "TopicTest"),
            ("key", "order-1"),
            ("maxNum", "32"),
            ("beginTimestamp", "0"),
            ("endTimestamp", "9223372036854775807"),
            ("_UNIQUE_KEY_QUERY", "false"),
        ],
    );

    fx.answer_with(respond(
        ResponseCode::QUERY_NOT_FOUND,
        Some("can not find message"),
    ));
    let none = fx
        .api
        .query_message(&fx.addr, &header, true, TIMEOUT)
        .await
        .expect("not found");
    assert!(none.is_empty());
    assert_eq!(ext(&fx.server.requests()[1])["_UNIQUE_KEY_QUERY"], "true");
}
