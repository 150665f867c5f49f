//! Runs every case of `json_bodies.json`: fastjson output of real Java 4.9.7 beans (and real
//! name-server captures) must parse into our body types, in every form the vectors give
//! (fastjson default, standard JSON, name-server features, Java's re-encoding), and our
//! standard-JSON output must be the same document.

mod common;

use std::fmt::Debug;

use common::Outcome;
use rmq_protocol::body::{
    self, ClusterInfo, ConsumeMessageDirectlyResult, ConsumeStats, ConsumerConnection,
    ConsumerRunningInfo, GroupList, HeartbeatData, JsonBody, KvTable, LockBatchRequestBody,
    LockBatchResponseBody, MessageQueue, ProducerConnection, ResetOffsetBody, TopicList,
    TopicRouteData,
};
use serde_json::Value;

/// Cases whose `json_text` has no hash-ordered map, so our output must match it byte for byte.
const BYTE_EXACT: &[&str] = &[
    "heartbeat_consumer_only_sub_all",
    "consumer_connection",
    "producer_connection",
    "topic_list_with_broker_addr",
    "consume_stats_empty",
    "lock_batch_request",
    "lock_batch_response",
    "group_list",
    "consume_message_directly_result",
];

#[test]
fn json_bodies_vectors() {
    common::run_cases("json_bodies.json", |name, case| {
        let class = case["input"]["java_class"].as_str().unwrap_or_default();
        let short = class.rsplit('.').next().unwrap_or_default();
        match short {
            "TopicRouteData" => check_route(name, case),
            "ClusterInfo" => check_cluster(name, case),
            "HeartbeatData" => check_heartbeat(name, case),
            "ConsumerConnection" => check_consumer_connection(name, case),
            "ProducerConnection" => {
                let p = check::<ProducerConnection>(name, case);
                assert_eq!(p.connection_set[0].language, "RUST", "{name}");
            }
            "TopicList" => {
                let t = check::<TopicList>(name, case);
                assert_eq!(t.broker_addr.as_deref(), Some("127.0.0.1:10911"), "{name}");
                assert_eq!(t.topic_list, ["TestTopic"], "{name}");
            }
            "KVTable" => {
                let kv = check::<KvTable>(name, case);
                assert_eq!(
                    kv.table.get("brokerVersion").map(String::as_str),
                    Some("407")
                );
                assert_eq!(kv.table.get("键").map(String::as_str), Some("值"), "{name}");
            }
            "ConsumeStats" => {
                let stats = check::<ConsumeStats>(name, case);
                assert!(
                    stats.offset_table.is_empty() && stats.consume_tps == 0.0,
                    "{name}"
                );
            }
            "ResetOffsetBody" => check_reset_offset(name, case),
            "LockBatchRequestBody" => {
                let lock = check::<LockBatchRequestBody>(name, case);
                assert_eq!(lock.mq_set.len(), 2, "{name}");
                assert_eq!(
                    lock.mq_set[1],
                    MessageQueue::new("TestTopic", "broker-a", 1)
                );
                assert_eq!(lock.only_this_broker, None, "{name}");
            }
            "LockBatchResponseBody" => {
                let lock = check::<LockBatchResponseBody>(name, case);
                assert_eq!(
                    lock.lock_ok_mq_set,
                    [MessageQueue::new("TestTopic", "broker-a", 0)]
                );
            }
            "ConsumerRunningInfo" => check_running_info(name, case),
            "GroupList" => {
                let groups = check::<GroupList>(name, case);
                assert_eq!(groups.group_list.len(), 3, "{name}");
            }
            "ConsumeMessageDirectlyResult" => {
                let r = check::<ConsumeMessageDirectlyResult>(name, case);
                assert_eq!(
                    r.consume_result,
                    Some(body::ConsumeDirectlyOutcome::Success)
                );
                assert!(
                    r.auto_commit && !r.order && r.spent_time_mills == 12,
                    "{name}"
                );
            }
            _ => return Outcome::Unknown,
        }
        Outcome::Checked
    });
}

fn text<'a>(case: &'a Value, key: &str) -> Option<&'a str> {
    case["expected"][key].as_str()
}

fn value_of(json: &[u8], name: &str) -> Value {
    serde_json::from_slice(json).unwrap_or_else(|e| panic!("{name}: not standard JSON: {e}"))
}

/// Checks every form of one case against `T` and returns the value parsed from `json_text`.
fn check<T: JsonBody + PartialEq + Debug>(name: &str, case: &Value) -> T {
    let json_text = text(case, "json_text").unwrap_or_else(|| panic!("{name}: no json_text"));
    let json_hex = text(case, "json_hex").unwrap_or_else(|| panic!("{name}: no json_hex"));
    assert_eq!(
        hex::encode(json_text.as_bytes()),
        json_hex,
        "{name}: json_hex"
    );

    let is_standard = serde_json::from_str::<Value>(json_text).is_ok();
    assert_eq!(
        Some(is_standard),
        case["expected"]["json_text_is_standard_json"].as_bool(),
        "{name}: json_text_is_standard_json"
    );
    assert_eq!(
        case["expected"]["java_decode_of_json_text"]["ok"], true,
        "{name}"
    );

    let parsed = T::from_json(json_text.as_bytes())
        .unwrap_or_else(|e| panic!("{name}: json_text does not parse: {e:?}"));

    // The same document in standard form (given, or the json_text itself when standard).
    let standard = match text(case, "standard_json_text") {
        Some(std_text) => {
            let from_std = T::from_json(std_text.as_bytes())
                .unwrap_or_else(|e| panic!("{name}: standard_json_text: {e:?}"));
            assert_eq!(
                from_std, parsed,
                "{name}: standard form parses to the same value"
            );
            Some(std_text.to_owned())
        }
        None if is_standard => Some(json_text.to_owned()),
        None => None,
    };
    let ours = parsed
        .to_json()
        .unwrap_or_else(|e| panic!("{name}: to_json: {e:?}"));
    let expected_doc = match &standard {
        Some(std_text) => value_of(std_text.as_bytes(), name),
        None => {
            let rewritten = body::to_standard_json(json_text.as_bytes())
                .unwrap_or_else(|e| panic!("{name}: rewrite: {e:?}"));
            value_of(&rewritten, name)
        }
    };
    assert_eq!(
        value_of(&ours, name),
        expected_doc,
        "{name}: to_json is Java's document"
    );
    let again = T::from_json(&ours).unwrap_or_else(|e| panic!("{name}: reparse: {e:?}"));
    assert_eq!(again, parsed, "{name}: to_json round trip");

    if BYTE_EXACT.contains(&name) {
        assert_eq!(
            String::from_utf8_lossy(&ours),
            json_text,
            "{name}: byte-exact"
        );
    }

    // What Java writes back after decoding (fastjson default form) parses the same too.
    if let Some(reencoded) =
        case["expected"]["java_decode_of_json_text"]["reencoded_json_text"].as_str()
    {
        let from_java = T::from_json(reencoded.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: reencoded_json_text: {e:?}"));
        assert_eq!(from_java, parsed, "{name}: Java's re-encoding");
    }
    if let Some(ns) = text(case, "namesrv_features_json_text") {
        let ns_hex = text(case, "namesrv_features_json_hex").unwrap_or_default();
        assert_eq!(hex::encode(ns.as_bytes()), ns_hex, "{name}: namesrv hex");
        let from_ns = T::from_json(ns.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: namesrv_features_json_text: {e:?}"));
        assert_eq!(from_ns, parsed, "{name}: name-server feature form");
    }
    if let Some(logical) = case["input"].get("logical") {
        let ours = normalized(&value_of(&ours, name));
        assert_eq!(ours, normalized(logical), "{name}: logical");
    }
    parsed
}

/// `logical` lists absent fields as `null` (our output omits them) and Java sets in no
/// particular order: drop nulls and sort arrays before comparing.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalized).collect();
            items.sort_by_key(|v| v.to_string());
            Value::Array(items)
        }
        other => other.clone(),
    }
}

fn check_route(name: &str, case: &Value) {
    let route = check::<TopicRouteData>(name, case);
    assert!(!route.broker_datas.is_empty(), "{name}");
    for broker in &route.broker_datas {
        assert!(
            broker.master_addr().is_some(),
            "{name}: master of {}",
            broker.broker_name
        );
    }
    match name {
        "topic_route_two_brokers_master_slave" => {
            assert_eq!(
                route.order_topic_conf.as_deref(),
                Some("broker-a:8;broker-b:4")
            );
            assert_eq!(
                route.broker_datas[1]
                    .broker_addrs
                    .get(&1)
                    .map(String::as_str),
                Some("10.0.0.4:10911")
            );
            assert_eq!(route.queue_datas[1].perm, 4);
        }
        "topic_route_non_ascii_and_key_sorting" => {
            let b = &route.broker_datas[0];
            assert_eq!(b.broker_name, "broker-ü");
            assert_eq!(b.cluster, "集群-1");
            assert_eq!(
                b.broker_addrs.keys().copied().collect::<Vec<_>>(),
                [0, 2, 10]
            );
        }
        _ => {
            // One broker, id 0 only, 4 queues: the other route cases and the real captures.
            let b = &route.broker_datas[0];
            assert_eq!(b.broker_name, "broker-a", "{name}");
            assert_eq!(b.broker_addrs.len(), 1, "{name}");
            assert_eq!(route.queue_datas[0].read_queue_nums, 4, "{name}");
            assert_eq!(route.queue_datas[0].write_queue_nums, 4, "{name}");
            assert_eq!(route.queue_datas[0].perm, 6, "{name}");
        }
    }
}

fn check_cluster(name: &str, case: &Value) {
    let cluster = check::<ClusterInfo>(name, case);
    let members = cluster
        .cluster_addr_table
        .get("DefaultCluster")
        .unwrap_or_else(|| panic!("{name}: DefaultCluster"));
    assert_eq!(members.len(), cluster.broker_addr_table.len(), "{name}");
    for broker in members {
        let data = &cluster.broker_addr_table[broker];
        assert_eq!(&data.broker_name, broker, "{name}");
        assert!(data.master_addr().is_some(), "{name}");
    }
}

fn check_heartbeat(name: &str, case: &Value) {
    let hb = check::<HeartbeatData>(name, case);
    assert_eq!(hb.client_id, "10.0.0.9@4242");
    assert!(hb.producer_data_set.is_empty());
    let consumer = &hb.consumer_data_set[0];
    assert_eq!(consumer.consume_type, body::ConsumeType::Actively);
    assert_eq!(consumer.message_model, body::MessageModel::Broadcasting);
    assert_eq!(
        consumer.consume_from_where,
        body::ConsumeFromWhere::ConsumeFromFirstOffset
    );
    for sub in &consumer.subscription_data_set {
        let built =
            body::SubscriptionData::from_tag_expression(sub.topic.clone(), "*", sub.sub_version);
        assert_eq!(&built, sub, "{name}: Java's build of `*`");
    }
}

fn check_consumer_connection(name: &str, case: &Value) {
    let conn = check::<ConsumerConnection>(name, case);
    let sub = &conn.subscription_table["TestTopic"];
    let built = body::SubscriptionData::from_tag_expression("TestTopic", "TagA", sub.sub_version);
    assert_eq!(&built, sub, "{name}: Java's build of `TagA`");
    assert_eq!(conn.connection_set[0].version, 407);
}

fn check_reset_offset(name: &str, case: &Value) {
    let body = check::<ResetOffsetBody>(name, case);
    let table: Vec<_> = body
        .offset_table
        .iter()
        .map(|(mq, off)| (mq.queue_id, *off))
        .collect();
    assert_eq!(table, [(0, 42), (3, 7)], "{name}");
    assert_fastjson_form_matches::<ResetOffsetBody>(name, case, &body);
}

fn check_running_info(name: &str, case: &Value) {
    let info = check::<ConsumerRunningInfo>(name, case);
    let mq = MessageQueue::new("TestTopic", "broker-a", 0);
    let pq = &info.mq_table[&mq];
    assert_eq!(
        (pq.cached_msg_count, pq.commit_offset, pq.dropped),
        (5, 90, false)
    );
    assert_eq!(info.status_table["TestTopic"].consume_ok_tps, 9.75);
    assert_eq!(info.properties["consumerGroup"], "GID_test");
    let sub = &info.subscription_set[0];
    let built =
        body::SubscriptionData::from_tag_expression("TestTopic", "TagA || TagB", sub.sub_version);
    assert_eq!(&built, sub, "{name}: Java's build of `TagA || TagB`");
    assert_fastjson_form_matches::<ConsumerRunningInfo>(name, case, &info);
}

/// Object-keyed maps: Java 1.2.48 rejects the string-key form (the vectors record it), so the
/// object-key form we can also write must carry the same keys as Java's `json_text`.
fn assert_fastjson_form_matches<T: JsonBody + PartialEq + Debug>(
    name: &str,
    case: &Value,
    value: &T,
) {
    assert_eq!(
        case["expected"]["standard_json_java_decode"]["ok"], false,
        "{name}"
    );
    let fast = value
        .to_fastjson()
        .unwrap_or_else(|e| panic!("{name}: to_fastjson: {e:?}"));
    let fast_text = String::from_utf8(fast.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        fast_text.contains(r#"{{"brokerName":"broker-a","queueId":0,"topic":"TestTopic"}:"#)
            || fast_text
                .contains(r#":{{"brokerName":"broker-a","queueId":0,"topic":"TestTopic"}:"#),
        "{name}: object keys written raw: {fast_text}"
    );
    assert!(
        serde_json::from_slice::<Value>(&fast).is_err(),
        "{name}: fastjson form is non-standard"
    );
    let back =
        T::from_json(&fast).unwrap_or_else(|e| panic!("{name}: reparse fastjson form: {e:?}"));
    assert_eq!(&back, value, "{name}: fastjson form round trip");
}
