//! JSON bodies through the public API: fastjson forms the servers send, the CI broker's
//! string-keyed stats, Java's tag hashes, and what we send back.

use rmq_protocol::body::*;
use rmq_protocol::{from_fastjson, Error};

#[test]
fn route_with_bare_keys_and_5x_fields_parses() {
    let text = br#"{"brokerDatas":[{"brokerAddrs":{0:"a:1",1:"b:1"},"brokerName":"bk","cluster":"c","enableActingMaster":true,"zoneName":"z"}],"queueDatas":[{"brokerName":"bk","perm":6,"readQueueNums":2,"writeQueueNums":2,"topicSysFlag":0}],"topicQueueMappingByBroker":{"bk":{"bname":"bk"}},"somethingNew":1}"#;
    let route = TopicRouteData::from_json(text).expect("route");
    let broker = &route.broker_datas[0];
    assert_eq!(broker.master_addr(), Some("a:1"));
    assert_eq!(broker.enable_acting_master, Some(true));
    assert_eq!(broker.zone_name.as_deref(), Some("z"));
    assert!(route.topic_queue_mapping_by_broker.is_some());
    assert!(
        route.filter_server_table.is_empty(),
        "absent table defaults"
    );
}

#[test]
fn route_to_json_omits_absent_optional_fields() {
    let route = TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: [(0, "a:1".to_owned())].into_iter().collect(),
            broker_name: "bk".into(),
            cluster: "c".into(),
            ..BrokerData::default()
        }],
        ..TopicRouteData::default()
    };
    let json = String::from_utf8(route.to_json().expect("json")).expect("utf8");
    assert_eq!(
        json,
        r#"{"brokerDatas":[{"brokerAddrs":{"0":"a:1"},"brokerName":"bk","cluster":"c"}],"filterServerTable":{},"queueDatas":[]}"#
    );
}

#[test]
fn ci_broker_topic_stats_with_string_keys_parse() {
    // CI-BROKER.md: the per-queue map is keyed by strings holding escaped JSON.
    let text = br#"{"offsetTable":{"{\"topic\":\"T\",\"brokerName\":\"b\",\"queueId\":1}":{"minOffset":0,"maxOffset":5,"lastUpdateTimestamp":7}}}"#;
    let stats = TopicStatsTable::from_json(text).expect("stats");
    let offset = &stats.offset_table[&MessageQueue::new("T", "b", 1)];
    assert_eq!(
        (
            offset.min_offset,
            offset.max_offset,
            offset.last_update_timestamp
        ),
        (0, 5, 7)
    );
}

#[test]
fn java_consume_stats_with_object_keys_parse() {
    let text = br#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000},{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"brokerOffset":10,"consumerOffset":10,"lastTimestamp":0,"pullOffset":10}}}"#;
    let stats = ConsumeStats::from_json(text).expect("stats");
    assert_eq!(stats.consume_tps, 1.5);
    assert_eq!(stats.total_diff(), 10);
    let q1 = &stats.offset_table[&MessageQueue::new("TopicTest", "broker-a", 1)];
    assert_eq!(q1.pull_offset, Some(10));
}

#[test]
fn bad_queue_key_is_an_error() {
    let parsed = ResetOffsetBody::from_json(br#"{"offsetTable":{"not json":1}}"#);
    assert!(matches!(parsed, Err(Error::Json { .. })), "{parsed:?}");
}

#[test]
fn ref_back_references_are_refused() {
    let parsed: Result<ConsumeStats, _> = from_fastjson(
        br#"{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":1},{"brokerName":"b","queueId":1,"topic":"t"}:{"$ref":"$.offsetTable[0]"}}}"#,
    );
    assert!(matches!(parsed, Err(Error::Invalid(_))), "{parsed:?}");
}

#[test]
fn message_queues_order_like_java() {
    let mut queues = [
        MessageQueue::new("B", "a", 0),
        MessageQueue::new("A", "b", 0),
        MessageQueue::new("A", "a", 10),
        MessageQueue::new("A", "a", 2),
    ];
    queues.sort();
    let keys: Vec<_> = queues
        .iter()
        .map(|q| (q.topic.as_str(), q.broker_name.as_str(), q.queue_id))
        .collect();
    assert_eq!(
        keys,
        [("A", "a", 2), ("A", "a", 10), ("A", "b", 0), ("B", "a", 0)]
    );
}

#[test]
fn tag_expressions_split_like_java() {
    let sub = SubscriptionData::from_tag_expression("T", " TagA ||TagB|| ||TagA", 1);
    assert_eq!(sub.tags_set, ["TagA", "TagB"]);
    assert_eq!(sub.code_set, [2_598_919, 2_598_920]);
    assert_eq!(sub.sub_string, " TagA ||TagB|| ||TagA");
    let all = SubscriptionData::from_tag_expression("T", "*", 1);
    assert!(all.is_subscribe_all() && all.tags_set.is_empty() && all.code_set.is_empty());
    let empty = SubscriptionData::from_tag_expression("T", "", 1);
    assert!(empty.is_subscribe_all());
    let sql = SubscriptionData::sql92("T", "a > 1", 1);
    assert_eq!(sql.expression_type, EXPRESSION_SQL92);
}

#[test]
fn java_string_hash_uses_utf16_units() {
    assert_eq!(java_string_hash(""), 0);
    assert_eq!(java_string_hash("TagA"), 2_598_919);
    // "标签" = U+6807 U+7B7E: 0x6807 * 31 + 0x7B7E.
    assert_eq!(java_string_hash("标签"), 0x6807 * 31 + 0x7B7E);
    // A supplementary character hashes as its two surrogates.
    assert_eq!(java_string_hash("😀"), 0xD83D * 31 + 0xDE00);
    // Long strings wrap like Java's int arithmetic.
    assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
}

#[test]
fn lock_body_carries_only_this_broker_for_5x_brokers() {
    let body = LockBatchRequestBody {
        client_id: "c".into(),
        consumer_group: "g".into(),
        mq_set: vec![MessageQueue::new("T", "b", 0)],
        only_this_broker: Some(false),
    };
    let json = String::from_utf8(body.to_json().expect("json")).expect("utf8");
    assert_eq!(
        json,
        r#"{"clientId":"c","consumerGroup":"g","mqSet":[{"brokerName":"b","queueId":0,"topic":"T"}],"onlyThisBroker":false}"#
    );
}

#[test]
fn consumer_status_is_sent_with_string_or_object_keys() {
    let mut body = GetConsumerStatusBody::default();
    body.message_queue_table
        .insert(MessageQueue::new("T", "b", 0), 42);
    let standard = String::from_utf8(body.to_json().expect("json")).expect("utf8");
    assert_eq!(
        standard,
        r#"{"messageQueueTable":{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}":42}}"#
    );
    let fast = String::from_utf8(body.to_fastjson().expect("fastjson")).expect("utf8");
    assert_eq!(
        fast,
        r#"{"messageQueueTable":{{"brokerName":"b","queueId":0,"topic":"T"}:42}}"#
    );
    assert_eq!(
        GetConsumerStatusBody::from_json(fast.as_bytes()).expect("back"),
        body
    );
}

#[test]
fn fastjson_form_keeps_ordinary_keys_that_look_like_json() {
    let mut info = ConsumerRunningInfo::default();
    info.properties.insert("{\"a\":1}".into(), "v".into());
    let fast = String::from_utf8(info.to_fastjson().expect("fastjson")).expect("utf8");
    assert!(fast.contains(r#""{\"a\":1}":"v""#), "{fast}");
}

#[test]
fn heartbeat_serializes_like_java() {
    let hb = HeartbeatData {
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
    };
    // PROTOCOL.md §5.6 [verified] Java 4.9.7 body.
    let java = r#"{"clientID":"192.168.0.2@12345#1234567890","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]}"#;
    assert_eq!(
        String::from_utf8(hb.to_json().expect("json")).expect("utf8"),
        java
    );
}

#[test]
fn subscription_group_defaults_are_javas() {
    let cfg = SubscriptionGroupConfig::from_json(br#"{"groupName":"G"}"#).expect("cfg");
    assert_eq!((cfg.retry_queue_nums, cfg.retry_max_times), (1, 16));
    assert!(cfg.consume_enable && cfg.notify_consumer_ids_changed_enable);
    assert_eq!(cfg.which_broker_when_consume_slowly, 1);
}

#[test]
fn small_admin_bodies_parse() {
    let span = QueryConsumeTimeSpanBody::from_json(
        br#"{"consumeTimeSpanSet":[{"consumeTimeStamp":3,"delayTime":1,"maxTimeStamp":4,"messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"minTimeStamp":2}]}"#,
    )
    .expect("span");
    assert_eq!(span.consume_time_span_set[0].message_queue.topic, "T");
    let stats = BrokerStatsData::from_json(
        br#"{"statsDay":{"avgpt":0.5,"sum":10,"tps":1.0},"statsHour":{"sum":1},"statsMinute":{}}"#,
    )
    .expect("stats");
    assert_eq!(stats.stats_day.sum, 10);
    let result = ConsumeMessageDirectlyResult::from_json(
        br#"{"autoCommit":true,"consumeResult":"CR_THROW_EXCEPTION","order":false,"remark":"boom","spentTimeMills":3}"#,
    )
    .expect("result");
    assert_eq!(
        result.consume_result,
        Some(ConsumeDirectlyOutcome::ThrowException)
    );
}
