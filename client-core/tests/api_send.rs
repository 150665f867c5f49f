//! `ClientApi` sends and transactions against a scripted broker: the header form each code
//! calls for, the stored statuses and the error mapping.

mod api_support;

use api_support::*;
use bytes::Bytes;
use rmq_client_core::api::{SendResponse, SendStatus};
use rmq_client_core::error::{ErrorKind, Result};
use rmq_protocol::header::{
    EndTransactionRequestHeader, SendMessageRequestHeader, TRANSACTION_COMMIT,
};
use rmq_protocol::{RequestCode, ResponseCode};

fn header() -> SendMessageRequestHeader {
    SendMessageRequestHeader {
        producer_group: "PG".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        flag: 0,
        properties: Some(
            "UNIQ_KEY\u{1}7F00000100002A9F0000000000000000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"
                .into(),
        ),
        reconsume_times: Some(0),
        unit_mode: false,
        batch: false,
        max_reconsume_times: None,
        broker_name: None,
    }
}

fn stored(code: ResponseCode) -> rmq_protocol::Command {
    let mut cmd = respond(code, None);
    for (k, v) in [
        ("msgId", "7F00000100002A9F0000000000000064"),
        ("queueId", "0"),
        ("queueOffset", "12"),
        ("MSG_REGION", "DefaultRegion"),
        ("TRACE_ON", "true"),
    ] {
        cmd.ext_fields.insert(k, v);
    }
    cmd
}

/// Sends `body` under `header` with `code` to the fixture's peer, named `broker`.
async fn send(
    fx: &Fixture,
    broker: &str,
    code: RequestCode,
    header: SendMessageRequestHeader,
    body: Bytes,
) -> Result<SendResponse> {
    fx.api
        .send_message(&fx.addr, broker, code, header, body, TIMEOUT)
        .await
}

/// A plain V2 send of `x` to broker `b`, for the tests about how the answer is read.
async fn send_x(fx: &Fixture) -> Result<SendResponse> {
    send(
        fx,
        "b",
        RequestCode::SEND_MESSAGE_V2,
        header(),
        Bytes::from_static(b"x"),
    )
    .await
}

#[tokio::test]
async fn send_v2_uses_single_letter_fields_like_java() {
    let fx = Fixture::answering(stored(ResponseCode::SUCCESS)).await;
    let body = Bytes::from_static(b"Hello RocketMQ");
    let response = send(
        &fx,
        "broker-a",
        RequestCode::SEND_MESSAGE_V2,
        header(),
        body.clone(),
    )
    .await
    .expect("send");
    assert_eq!(
        response,
        SendResponse {
            status: SendStatus::Ok,
            offset_msg_id: "7F00000100002A9F0000000000000064".into(),
            queue_id: 0,
            queue_offset: 12,
            transaction_id: None,
            region_id: "DefaultRegion".into(),
            trace_on: true,
        }
    );
    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::SEND_MESSAGE_V2);
    assert_eq!(request.body, body);
    // The verified Java 4.9.7 V2 header (PROTOCOL.md §5.3).
    assert_eq!(
        ext(&request),
        fields(&[
            ("a", "PG"),
            ("b", "TopicTest"),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "0"),
            ("f", "0"),
            ("g", "1700000000000"),
            ("h", "0"),
            (
                "i",
                "UNIQ_KEY\u{1}7F00000100002A9F0000000000000000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA"
            ),
            ("j", "0"),
            ("k", "false"),
            ("m", "false"),
            ("n", "broker-a"),
        ])
    );
}

#[tokio::test]
async fn send_v1_uses_java_field_names_and_bname() {
    let fx = Fixture::answering(stored(ResponseCode::SUCCESS)).await;
    send(
        &fx,
        "broker-a",
        RequestCode::SEND_MESSAGE,
        header(),
        Bytes::from_static(b"x"),
    )
    .await
    .expect("send");
    let sent = ext(&fx.request());
    assert_eq!(sent["producerGroup"], "PG");
    assert_eq!(sent["topic"], "TopicTest");
    assert_eq!(sent["bname"], "broker-a");
    assert_eq!(sent["unitMode"], "false");
    assert!(!sent.contains_key("a"));
}

#[tokio::test]
async fn batch_send_uses_the_v2_header_with_the_batch_flag() {
    let fx = Fixture::answering(stored(ResponseCode::SUCCESS)).await;
    let batch = SendMessageRequestHeader {
        batch: true,
        ..header()
    };
    send(
        &fx,
        "broker-a",
        RequestCode::SEND_BATCH_MESSAGE,
        batch,
        Bytes::from_static(b"batch"),
    )
    .await
    .expect("send");
    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::SEND_BATCH_MESSAGE);
    assert_eq!(ext(&request)["m"], "true");
}

#[tokio::test]
async fn flush_and_slave_codes_are_stored_statuses() {
    for (code, status) in [
        (
            ResponseCode::FLUSH_DISK_TIMEOUT,
            SendStatus::FlushDiskTimeout,
        ),
        (
            ResponseCode::FLUSH_SLAVE_TIMEOUT,
            SendStatus::FlushSlaveTimeout,
        ),
        (
            ResponseCode::SLAVE_NOT_AVAILABLE,
            SendStatus::SlaveNotAvailable,
        ),
    ] {
        let fx = Fixture::answering(stored(code)).await;
        let response = send_x(&fx).await.expect("stored");
        assert_eq!(response.status, status);
    }
}

#[tokio::test]
async fn missing_region_defaults_and_trace_off_is_read() {
    let fx = Fixture::answering(ok_with_ext(&[
        ("msgId", "ID"),
        ("queueId", "3"),
        ("queueOffset", "0"),
        ("TRACE_ON", "false"),
    ]))
    .await;
    let response = send_x(&fx).await.expect("send");
    assert_eq!(response.region_id, "DefaultRegion");
    assert!(!response.trace_on);
    assert_eq!(response.queue_id, 3);
}

#[tokio::test]
async fn refused_send_is_a_broker_error_with_code_and_remark() {
    let fx = Fixture::answering(respond(
        ResponseCode::TOPIC_NOT_EXIST,
        Some("topic[T] not exist, apply first please!"),
    ))
    .await;
    let err = send_x(&fx).await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::TOPIC_NOT_EXIST));
    assert!(err.to_string().contains("apply first please"), "{err}");
}

#[tokio::test]
async fn oneway_send_sets_the_oneway_flag() {
    let fx = Fixture::answering(stored(ResponseCode::SUCCESS)).await;
    fx.api
        .send_message_oneway(
            &fx.addr,
            "broker-a",
            RequestCode::SEND_MESSAGE_V2,
            header(),
            Bytes::from_static(b"x"),
            TIMEOUT,
        )
        .await
        .expect("oneway");
    let requests = fx.wait_requests(1).await;
    assert!(requests[0].is_oneway());
    assert_eq!(ext(&requests[0])["n"], "broker-a");
}

#[tokio::test]
async fn end_transaction_is_oneway_with_remark() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let header = EndTransactionRequestHeader {
        producer_group: "PG".into(),
        tran_state_table_offset: 5,
        commit_log_offset: 1024,
        commit_or_rollback: TRANSACTION_COMMIT,
        from_transaction_check: Some(false),
        msg_id: "7F00000100002A9F0000000000000000".into(),
        transaction_id: Some("7F00000100002A9F0000000000000000".into()),
        broker_name: Some("broker-a".into()),
    };
    fx.api
        .end_transaction_oneway(&fx.addr, &header, Some("local tx failed".into()), TIMEOUT)
        .await
        .expect("sent");
    let requests = fx.wait_requests(1).await;
    let request = &requests[0];
    assert!(request.is_oneway());
    assert_eq!(request.request_code(), RequestCode::END_TRANSACTION);
    assert_eq!(request.remark.as_deref(), Some("local tx failed"));
    assert_eq!(
        ext(request),
        fields(&[
            ("producerGroup", "PG"),
            ("tranStateTableOffset", "5"),
            ("commitLogOffset", "1024"),
            ("commitOrRollback", "8"),
            ("fromTransactionCheck", "false"),
            ("msgId", "7F00000100002A9F0000000000000000"),
            ("transactionId", "7F00000100002A9F0000000000000000"),
            ("bname", "broker-a"),
        ])
    );
}
