//! `ClientApi` client and group RPCs against a scripted broker: heartbeat, unregister, consumer
//! list, queue locks, send-back and client check.

mod api_support;

use api_support::*;
use bytes::Bytes;
use rmq_client_core::api::CheckClientRequestBody;
use rmq_client_core::error::ErrorKind;
use rmq_protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerData, HeartbeatData, LockBatchRequestBody, MessageModel,
    ProducerData, SubscriptionData,
};
use rmq_protocol::{MessageQueue, Properties, RequestCode, ResponseCode, StoredMessage};
use serde_json::json;

fn heartbeat_data() -> HeartbeatData {
    HeartbeatData {
        client_id: "192.168.0.2@12345#1234567890".into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_type: ConsumeType::Passively,
            group_name: "CG".into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::from_tag_expression(
                "TopicTest",
                "TagA || TagB",
                1_700_000_000_000,
            )],
            unit_mode: false,
        }],
        producer_data_set: vec![ProducerData {
            group_name: "PG".into(),
        }],
        ..HeartbeatData::default()
    }
}

fn lock_body() -> LockBatchRequestBody {
    LockBatchRequestBody {
        client_id: "cid".into(),
        consumer_group: "CG".into(),
        mq_set: vec![
            MessageQueue::new("TopicTest", "broker-a", 0),
            MessageQueue::new("TopicTest", "broker-a", 1),
        ],
        only_this_broker: None,
    }
}

#[tokio::test]
async fn heartbeat_sends_the_java_body_and_returns_the_broker_version() {
    let mut reply = respond(ResponseCode::SUCCESS, None);
    reply.version = 399;
    let fx = Fixture::answering(reply).await;
    let version = fx
        .api
        .heartbeat(&fx.addr, &heartbeat_data(), TIMEOUT)
        .await
        .expect("heartbeat");
    assert_eq!(version, 399);
    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::HEART_BEAT);
    assert!(request.ext_fields.is_empty());
    // The verified Java 4.9.7 body (PROTOCOL.md §5.6), compared as JSON values.
    assert_eq!(
        json(&request),
        json!({"clientID":"192.168.0.2@12345#1234567890","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000_i64,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]})
    );
}

#[tokio::test]
async fn heartbeat_refused_is_a_broker_error() {
    let fx = Fixture::answering(respond(
        ResponseCode::SYSTEM_ERROR,
        Some("Authentication credentials are invalid"),
    ))
    .await;
    let err = fx
        .api
        .heartbeat(&fx.addr, &heartbeat_data(), TIMEOUT)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Broker(ResponseCode::SYSTEM_ERROR));
}

#[tokio::test]
async fn unregister_client_sends_client_id_and_groups() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    fx.api
        .unregister_client(&fx.addr, "cid", Some("PG"), None, TIMEOUT)
        .await
        .expect("unregister");
    assert_request(
        &fx.request(),
        RequestCode::UNREGISTER_CLIENT,
        &[("clientID", "cid"), ("producerGroup", "PG")],
    );
}

#[tokio::test]
async fn consumer_id_list_reads_the_body() {
    let fx = Fixture::answering(ok_with_body(r#"{"consumerIdList":["a@1","b@2"]}"#)).await;
    let ids = fx
        .api
        .consumer_id_list(&fx.addr, "CG", TIMEOUT)
        .await
        .expect("ids");
    assert_eq!(ids, ["a@1", "b@2"]);
    assert_request(
        &fx.request(),
        RequestCode::GET_CONSUMER_LIST_BY_GROUP,
        &[("consumerGroup", "CG")],
    );

    fx.answer_with(respond(
        ResponseCode::SYSTEM_ERROR,
        Some("no consumer for this group, CG"),
    ));
    let err = fx
        .api
        .consumer_id_list(&fx.addr, "CG", TIMEOUT)
        .await
        .expect_err("no consumer");
    assert_eq!(err.response_code(), Some(ResponseCode::SYSTEM_ERROR));
}

/// The CI broker rejects the 4.x lock body; the 5.x body with `onlyThisBroker:false` works on
/// both (CI-BROKER.md), so it is what must be sent.
#[tokio::test]
async fn lock_sends_the_5x_body_and_returns_the_locked_queues() {
    let fx = Fixture::answering(ok_with_body(
        r#"{"lockOKMQSet":[{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}]}"#,
    ))
    .await;
    let locked = fx
        .api
        .lock_batch_mq(&fx.addr, &lock_body(), TIMEOUT)
        .await
        .expect("lock");
    assert_eq!(
        locked.into_iter().collect::<Vec<_>>(),
        [MessageQueue::new("TopicTest", "broker-a", 1)]
    );
    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::LOCK_BATCH_MQ);
    assert_eq!(
        json(&request),
        json!({"clientId":"cid","consumerGroup":"CG","mqSet":[
            {"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},
            {"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}],"onlyThisBroker":false})
    );
}

#[tokio::test]
async fn unlock_can_be_oneway_or_acknowledged() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    fx.api
        .unlock_batch_mq(&fx.addr, &lock_body(), TIMEOUT, true)
        .await
        .expect("oneway");
    fx.api
        .unlock_batch_mq(&fx.addr, &lock_body(), TIMEOUT, false)
        .await
        .expect("sync");
    let requests = fx.wait_requests(2).await;
    assert!(requests[0].is_oneway());
    assert!(!requests[1].is_oneway());
    for request in &requests {
        assert_eq!(request.request_code(), RequestCode::UNLOCK_BATCH_MQ);
        assert_eq!(json(request)["onlyThisBroker"], json!(false));
    }
}

#[tokio::test]
async fn send_back_carries_offset_origin_id_and_topic() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let msg = StoredMessage {
        topic: "TopicTest".into(),
        commit_log_offset: 4096,
        body: Bytes::from_static(b"x"),
        properties: Properties::from_iter([("UNIQ_KEY", "7F00000100002A9F0000000000000000")]),
        ..StoredMessage::default()
    };
    fx.api
        .consumer_send_msg_back(&fx.addr, "broker-a", &msg, "CG", 0, 16, TIMEOUT)
        .await
        .expect("send back");
    assert_request(
        &fx.request(),
        RequestCode::CONSUMER_SEND_MSG_BACK,
        &[
            ("offset", "4096"),
            ("group", "CG"),
            ("delayLevel", "0"),
            ("originMsgId", "7F00000100002A9F0000000000000000"),
            ("originTopic", "TopicTest"),
            ("unitMode", "false"),
            ("maxReconsumeTimes", "16"),
            ("bname", "broker-a"),
        ],
    );
}

#[tokio::test]
async fn check_client_sends_the_subscription_and_surfaces_a_refusal() {
    let fx = Fixture::answering(respond(
        ResponseCode::SUBSCRIPTION_PARSE_FAILED,
        Some("The broker does not support consumer to filter message by SQL92"),
    ))
    .await;
    let body = CheckClientRequestBody {
        client_id: "cid".into(),
        group: "CG".into(),
        subscription_data: SubscriptionData::sql92("TopicTest", "a > 5", 1),
    };
    let err = fx
        .api
        .check_client_in_broker(&fx.addr, &body, TIMEOUT)
        .await
        .expect_err("refused");
    assert_eq!(
        err.response_code(),
        Some(ResponseCode::SUBSCRIPTION_PARSE_FAILED)
    );
    let request = fx.request();
    assert_eq!(request.request_code(), RequestCode::CHECK_CLIENT_CONFIG);
    let sent = json(&request);
    assert_eq!(sent["clientId"], "cid");
    assert_eq!(sent["group"], "CG");
    assert_eq!(sent["subscriptionData"]["expressionType"], "SQL92");
    assert_eq!(sent["subscriptionData"]["subString"], "a > 5");
}
