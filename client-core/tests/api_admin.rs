//! `ClientApi` admin RPCs against a scripted broker: headers, bodies (fastjson object keys and
//! the CI broker's string keys) and the broker's Java-properties config text.

mod api_support;

use std::collections::BTreeMap;

use api_support::*;
use rmq_protocol::body::{ConsumeDirectlyOutcome, SubscriptionGroupConfig, TopicConfig};
use rmq_protocol::header::ConsumeMessageDirectlyRequestHeader;
use rmq_protocol::{MessageQueue, RequestCode, ResponseCode};
use rmq_remoting::testing::Reply;

fn mq(queue_id: i32) -> MessageQueue {
    MessageQueue::new("TopicTest", "broker-a", queue_id)
}

#[tokio::test]
async fn create_topic_sends_the_topic_config_as_header_fields() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let config = TopicConfig {
        topic_name: "TopicTest".into(),
        read_queue_nums: 8,
        write_queue_nums: 8,
        ..TopicConfig::default()
    };
    fx.api
        .create_topic(&fx.addr, "TBW102", &config, TIMEOUT)
        .await
        .expect("create");
    assert_request(
        &fx.request(),
        RequestCode::UPDATE_AND_CREATE_TOPIC,
        &[
            ("topic", "TopicTest"),
            ("defaultTopic", "TBW102"),
            ("readQueueNums", "8"),
            ("writeQueueNums", "8"),
            ("perm", "6"),
            ("topicFilterType", "SINGLE_TAG"),
            ("topicSysFlag", "0"),
            ("order", "false"),
        ],
    );
}

#[tokio::test]
async fn topic_and_group_deletion_send_their_names() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    fx.api
        .delete_topic_in_broker(&fx.addr, "TopicTest", TIMEOUT)
        .await
        .expect("topic");
    fx.api
        .delete_subscription_group(&fx.addr, "CG", true, TIMEOUT)
        .await
        .expect("group");
    let requests = fx.server.requests();
    assert_request(
        &requests[0],
        RequestCode::DELETE_TOPIC_IN_BROKER,
        &[("topic", "TopicTest")],
    );
    assert_request(
        &requests[1],
        RequestCode::DELETE_SUBSCRIPTIONGROUP,
        &[("groupName", "CG"), ("removeOffset", "true")],
    );
}

#[tokio::test]
async fn create_subscription_group_sends_the_config_as_json_body() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    let config = SubscriptionGroupConfig {
        group_name: "CG".into(),
        retry_max_times: 3,
        ..SubscriptionGroupConfig::default()
    };
    fx.api
        .create_subscription_group(&fx.addr, &config, TIMEOUT)
        .await
        .expect("create");
    let request = fx.request();
    assert_eq!(
        request.request_code(),
        RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
    );
    let sent = json(&request);
    assert_eq!(sent["groupName"], "CG");
    assert_eq!(sent["retryMaxTimes"], 3);
    assert_eq!(sent["consumeEnable"], true);
}

#[tokio::test]
async fn all_groups_and_topic_configs_read_the_java_wrappers() {
    let fx = Fixture::start(|request| {
        Reply::Respond(match request.request_code() {
            RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => ok_with_body(r#"{"dataVersion":{"counter":2,"timestamp":1700000000000},"subscriptionGroupTable":{"CG":{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"CG","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}}"#),
            _ => ok_with_body(r#"{"dataVersion":{"counter":5,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}"#),
        })
    })
    .await;
    let groups = fx
        .api
        .all_subscription_groups(&fx.addr, TIMEOUT)
        .await
        .expect("groups");
    assert_eq!(groups.subscription_group_table["CG"].retry_max_times, 16);
    let topics = fx
        .api
        .all_topic_configs(&fx.addr, TIMEOUT)
        .await
        .expect("topics");
    assert_eq!(topics.topic_config_table["TopicTest"].write_queue_nums, 4);
    assert_eq!(
        fx.codes(),
        [
            RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
            RequestCode::GET_ALL_TOPIC_CONFIG
        ]
    );
}

#[tokio::test]
async fn topic_stats_read_fastjson_object_keys_and_ci_string_keys_alike() {
    let java = r#"{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":10,"minOffset":0}}}"#;
    let ci = r#"{"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":{"lastUpdateTimestamp":1700000000000,"maxOffset":10,"minOffset":0}}}"#;
    let from_java = Fixture::answering(ok_with_body(java)).await;
    let from_ci = Fixture::answering(ok_with_body(ci)).await;
    let a = from_java
        .api
        .topic_stats(&from_java.addr, "TopicTest", TIMEOUT)
        .await
        .expect("java");
    let b = from_ci
        .api
        .topic_stats(&from_ci.addr, "TopicTest", TIMEOUT)
        .await
        .expect("ci");
    assert_eq!(a, b);
    assert_eq!(a.offset_table[&mq(0)].max_offset, 10);
    assert_request(
        &from_java.request(),
        RequestCode::GET_TOPIC_STATS_INFO,
        &[("topic", "TopicTest")],
    );
}

#[tokio::test]
async fn topic_stats_of_an_unknown_topic_is_a_broker_error() {
    let fx = Fixture::answering(respond(
        ResponseCode::TOPIC_NOT_EXIST,
        Some("topic[T] not exist"),
    ))
    .await;
    let err = fx
        .api
        .topic_stats(&fx.addr, "T", TIMEOUT)
        .await
        .expect_err("unknown");
    assert_eq!(err.response_code(), Some(ResponseCode::TOPIC_NOT_EXIST));
}

#[tokio::test]
async fn consume_stats_read_the_offset_table_and_rate() {
    let body = r#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000}}}"#;
    let fx = Fixture::answering(ok_with_body(body)).await;
    let stats = fx
        .api
        .consume_stats(&fx.addr, "CG", Some("TopicTest"), TIMEOUT)
        .await
        .expect("stats");
    assert_eq!(stats.consume_tps, 1.5);
    assert_eq!(stats.total_diff(), 10);
    assert_request(
        &fx.request(),
        RequestCode::GET_CONSUME_STATS,
        &[("consumerGroup", "CG"), ("topic", "TopicTest")],
    );
}

#[tokio::test]
async fn connection_lists_read_java_bodies() {
    let fx = Fixture::start(|request| {
        Reply::Respond(match request.request_code() {
            RequestCode::GET_CONSUMER_CONNECTION_LIST => ok_with_body(r#"{"connectionSet":[{"clientAddr":"127.0.0.1:54321","clientId":"127.0.0.1@12345","language":"JAVA","version":407}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"TestTopic":{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000005,"tagsSet":["TagA"],"topic":"TestTopic"}}}"#),
            _ => ok_with_body(r#"{"connectionSet":[{"clientAddr":"127.0.0.1:54322","clientId":"127.0.0.1@12345","language":"RUST","version":407}]}"#),
        })
    })
    .await;
    let consumers = fx
        .api
        .consumer_connection_list(&fx.addr, "CG", TIMEOUT)
        .await
        .expect("consumers");
    assert_eq!(consumers.connection_set[0].language, "JAVA");
    assert_eq!(consumers.subscription_table["TestTopic"].sub_string, "TagA");
    let producers = fx
        .api
        .producer_connection_list(&fx.addr, "PG", TIMEOUT)
        .await
        .expect("producers");
    assert_eq!(producers.connection_set[0].client_addr, "127.0.0.1:54322");
    let requests = fx.server.requests();
    assert_eq!(ext(&requests[0]), fields(&[("consumerGroup", "CG")]));
    assert_eq!(ext(&requests[1]), fields(&[("producerGroup", "PG")]));
}

#[tokio::test]
async fn running_info_via_broker_reads_object_keyed_queue_table() {
    let body = r#"{"mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"cachedMsgCount":5,"cachedMsgMaxOffset":95,"cachedMsgMinOffset":91,"cachedMsgSizeInMiB":0,"commitOffset":90,"droped":false,"lastConsumeTimestamp":1700000000200,"lastLockTimestamp":0,"lastPullTimestamp":1700000000100,"locked":false,"transactionMsgCount":0,"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0}},"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","consumerGroup":"GID_test"},"statusTable":{},"subscriptionSet":[]}"#;
    let fx = Fixture::answering(ok_with_body(body)).await;
    let info = fx
        .api
        .consumer_running_info(&fx.addr, "GID_test", "127.0.0.1@1", true, TIMEOUT)
        .await
        .expect("info");
    assert_eq!(info.mq_table[&mq(0)].cached_msg_count, 5);
    assert_eq!(info.properties["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");
    assert_request(
        &fx.request(),
        RequestCode::GET_CONSUMER_RUNNING_INFO,
        &[
            ("consumerGroup", "GID_test"),
            ("clientId", "127.0.0.1@1"),
            ("jstackEnable", "true"),
        ],
    );
}

#[tokio::test]
async fn reset_offset_via_broker_returns_the_new_offsets() {
    let body = r#"{"offsetTable":{{"brokerName":"broker-a","queueId":3,"topic":"TopicTest"}:7,{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:42}}"#;
    let fx = Fixture::answering(ok_with_body(body)).await;
    let offsets = fx
        .api
        .reset_offset_via_broker(
            &fx.addr,
            "TopicTest",
            "CG",
            1_700_000_000_000,
            true,
            TIMEOUT,
        )
        .await
        .expect("reset");
    assert_eq!(offsets, BTreeMap::from([(mq(0), 42), (mq(3), 7)]));
    assert_request(
        &fx.request(),
        RequestCode::INVOKE_BROKER_TO_RESET_OFFSET,
        &[
            ("topic", "TopicTest"),
            ("group", "CG"),
            ("timestamp", "1700000000000"),
            ("isForce", "true"),
        ],
    );

    fx.answer_with(respond(ResponseCode::SUCCESS, None));
    let none = fx
        .api
        .reset_offset_via_broker(&fx.addr, "TopicTest", "CG", 0, false, TIMEOUT)
        .await
        .expect("no body");
    assert!(none.is_empty());
}

#[tokio::test]
async fn consumer_status_via_broker_reads_each_clients_table() {
    let body = r#"{"consumerTable":{"127.0.0.1@1":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:11}},"messageQueueTable":{}}"#;
    let fx = Fixture::answering(ok_with_body(body)).await;
    let status = fx
        .api
        .consumer_status_via_broker(&fx.addr, "TopicTest", "CG", None, TIMEOUT)
        .await
        .expect("status");
    assert_eq!(status["127.0.0.1@1"][&mq(0)], 11);
    assert_request(
        &fx.request(),
        RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
        &[("topic", "TopicTest"), ("group", "CG")],
    );
}

#[tokio::test]
async fn clone_group_offset_sends_both_groups() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    fx.api
        .clone_group_offset(&fx.addr, "SRC", "DEST", Some("TopicTest"), false, TIMEOUT)
        .await
        .expect("clone");
    assert_request(
        &fx.request(),
        RequestCode::CLONE_GROUP_OFFSET,
        &[
            ("srcGroup", "SRC"),
            ("destGroup", "DEST"),
            ("topic", "TopicTest"),
            ("offline", "false"),
        ],
    );
}

/// The CI broker answers 26 here where Java succeeds (CI-BROKER.md); the code must survive.
#[tokio::test]
async fn clone_group_offset_to_an_unknown_group_keeps_the_code() {
    let fx = Fixture::answering(respond(
        ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
        Some("subscription group not exist"),
    ))
    .await;
    let err = fx
        .api
        .clone_group_offset(&fx.addr, "SRC", "NEW", None, true, TIMEOUT)
        .await
        .expect_err("26");
    assert_eq!(
        err.response_code(),
        Some(ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST)
    );
}

#[tokio::test]
async fn consumer_groups_and_time_spans_of_a_topic() {
    let fx = Fixture::start(|request| {
        Reply::Respond(match request.request_code() {
            RequestCode::QUERY_TOPIC_CONSUME_BY_WHO => ok_with_body(r#"{"groupList":["CID_ONSAPI_OWNER","GID_other","GID_test"]}"#),
            _ => ok_with_body(r#"{"consumeTimeSpanSet":[{"consumeTimeStamp":5,"delayTime":2,"maxTimeStamp":7,"messageQueue":{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},"minTimeStamp":1}]}"#),
        })
    })
    .await;
    let groups = fx
        .api
        .topic_consumed_by(&fx.addr, "TopicTest", TIMEOUT)
        .await
        .expect("groups");
    assert_eq!(groups, ["CID_ONSAPI_OWNER", "GID_other", "GID_test"]);
    let spans = fx
        .api
        .consume_time_span(&fx.addr, "TopicTest", "GID_test", TIMEOUT)
        .await
        .expect("spans");
    assert_eq!(spans[0].message_queue, mq(0));
    assert_eq!(spans[0].delay_time, 2);
    let requests = fx.server.requests();
    assert_eq!(ext(&requests[0]), fields(&[("topic", "TopicTest")]));
    assert_request(
        &requests[1],
        RequestCode::QUERY_CONSUME_TIME_SPAN,
        &[("topic", "TopicTest"), ("group", "GID_test")],
    );
}

#[tokio::test]
async fn broker_runtime_info_and_stats_data() {
    let fx = Fixture::start(|request| {
        Reply::Respond(match request.request_code() {
            RequestCode::GET_BROKER_RUNTIME_INFO => ok_with_body(r#"{"table":{"msgPutTotalTodayNow":"12","brokerVersion":"407"}}"#),
            _ => ok_with_body(r#"{"statsDay":{"avgpt":0.5,"sum":100,"tps":0.1},"statsHour":{"avgpt":0.0,"sum":10,"tps":0.0},"statsMinute":{"avgpt":0.0,"sum":1,"tps":0.0}}"#),
        })
    })
    .await;
    let info = fx
        .api
        .broker_runtime_info(&fx.addr, TIMEOUT)
        .await
        .expect("runtime");
    assert_eq!(info["brokerVersion"], "407");
    let stats = fx
        .api
        .broker_stats_data(&fx.addr, "TOPIC_PUT_NUMS", "TopicTest", TIMEOUT)
        .await
        .expect("stats");
    assert_eq!(stats.stats_day.sum, 100);
    let requests = fx.server.requests();
    assert!(requests[0].ext_fields.is_empty());
    assert_request(
        &requests[1],
        RequestCode::VIEW_BROKER_STATS_DATA,
        &[("statsName", "TOPIC_PUT_NUMS"), ("statsKey", "TopicTest")],
    );
}

#[tokio::test]
async fn broker_config_is_read_and_written_as_properties_text() {
    let mut reply =
        ok_with_body("brokerName=broker-a\nlistenPort=10911\nstorePathRootDir=/tmp/store\n");
    reply.ext_fields.insert("version", "dataVersion");
    let fx = Fixture::answering(reply).await;
    let config = fx
        .api
        .broker_config_get(&fx.addr, TIMEOUT)
        .await
        .expect("get");
    assert_eq!(config["listenPort"], "10911");
    assert_eq!(config.len(), 3);
    let update = BTreeMap::from([
        ("flushDiskType".to_owned(), "SYNC_FLUSH".to_owned()),
        ("brokerPermission".to_owned(), "6".to_owned()),
    ]);
    fx.api
        .broker_config_update(&fx.addr, &update, TIMEOUT)
        .await
        .expect("update");
    let requests = fx.server.requests();
    assert_eq!(requests[0].request_code(), RequestCode::GET_BROKER_CONFIG);
    assert_eq!(
        requests[1].request_code(),
        RequestCode::UPDATE_BROKER_CONFIG
    );
    assert_eq!(
        &requests[1].body[..],
        b"brokerPermission=6\nflushDiskType=SYNC_FLUSH\n"
    );
}

#[tokio::test]
async fn clean_ups_send_their_codes() {
    let fx = Fixture::answering(respond(ResponseCode::SUCCESS, None)).await;
    fx.api
        .clean_expired_consume_queue(&fx.addr, TIMEOUT)
        .await
        .expect("cq");
    fx.api
        .clean_unused_topic(&fx.addr, TIMEOUT)
        .await
        .expect("topic");
    assert_eq!(
        fx.codes(),
        [
            RequestCode::CLEAN_EXPIRED_CONSUMEQUEUE,
            RequestCode::CLEAN_UNUSED_TOPIC
        ]
    );
}

#[tokio::test]
async fn consume_directly_via_broker_reads_the_result() {
    let fx = Fixture::answering(ok_with_body(
        r#"{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":12}"#,
    ))
    .await;
    let header = ConsumeMessageDirectlyRequestHeader {
        consumer_group: "CG".into(),
        client_id: Some("127.0.0.1@1".into()),
        msg_id: Some("7F00000100002A9F0000000000000064".into()),
        broker_name: None,
    };
    let result = fx
        .api
        .consume_message_directly(&fx.addr, &header, TIMEOUT)
        .await
        .expect("consume");
    assert_eq!(result.consume_result, Some(ConsumeDirectlyOutcome::Success));
    assert_eq!(result.spent_time_mills, 12);
    assert_request(
        &fx.request(),
        RequestCode::CONSUME_MESSAGE_DIRECTLY,
        &[
            ("consumerGroup", "CG"),
            ("clientId", "127.0.0.1@1"),
            ("msgId", "7F00000100002A9F0000000000000064"),
        ],
    );
}
