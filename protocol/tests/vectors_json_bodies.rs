//! Runs every case of `json_bodies.json`: fastjson output of real Java 4.9.7 beans (and real
//! name-server captures) must parse into our body types, in every form the vectors give
//! (fastjson default, standard JSON, name-server features, Java's re-encoding), and our
//! standard-JSON output must be the same document.

mod common;

use std::fmt::Debug;
use std::path::Path;

use common::{unknown, Outcome};
use rmq_protocol::body::{
    self, ClusterInfo, ConsumeMessageDirectlyResult, ConsumeStats, ConsumerConnection,
    ConsumerRunningInfo, GroupList, HeartbeatData, JsonBody, KvTable, LockBatchRequestBody,
    LockBatchResponseBody, ProducerConnection, ResetOffsetBody, TopicList, TopicRouteData,
};
use serde_json::{json, Value};

#[test]
fn json_bodies_vectors() {
    common::expect_pass("json_bodies.json", run);
}

#[test]
fn our_json_body_vectors() {
    common::expect_pass("rmq_json_bodies.json", run);
}

#[test]
fn renamed_and_extended_json_body_cases_follow_their_fields() {
    let mut variants = common::load(&common::own_dir(), "rmq_json_bodies.json")
        .expect("rmq_json_bodies.json")["cases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Other values in known shapes: a heartbeat of another client, a producer connection in
    // another language.
    let heartbeat = r#"{"clientID":"192.168.7.7@77","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"GID_other","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598944],"expressionType":"TAG","subString":"TagZ","subVersion":1700000000000,"tagsSet":["TagZ"],"topic":"OtherTopic"}],"unitMode":false}],"producerDataSet":[{"groupName":"PID_other"}]}"#;
    let producers = r#"{"connectionSet":[{"clientAddr":"10.9.9.9:50000","clientId":"10.9.9.9@1","language":"JAVA","version":413}]}"#;
    for (name, class, text) in [
        (
            "v_heartbeat",
            "org.apache.rocketmq.common.protocol.heartbeat.HeartbeatData",
            heartbeat,
        ),
        (
            "v_producers",
            "org.apache.rocketmq.common.protocol.body.ProducerConnection",
            producers,
        ),
    ] {
        variants.push(json!({
            "name": name,
            "input": {"java_class": class},
            "expected": {
                "json_text": text,
                "json_hex": hex::encode(text),
                "json_text_is_standard_json": true,
                "java_decode_of_json_text": {"ok": true}
            }
        }));
    }
    common::assert_renamed_and_extended(
        "json_bodies.json",
        variants,
        "/cases/4/expected/json_hex",
        run,
    );
}

/// Runs every case of `file` in `dir`: the body type comes from `input.java_class`, the checks
/// from the forms the case gives (see [`check`]).
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    common::check_file(dir, file, |name, case| {
        let class = case["input"]["java_class"].as_str().unwrap_or_default();
        let short = class.rsplit('.').next().unwrap_or_default();
        match short {
            "TopicRouteData" => {
                check::<TopicRouteData>(name, case);
            }
            "ClusterInfo" => check_cluster(name, case),
            "HeartbeatData" => check_heartbeat(name, case),
            "ConsumerConnection" => check_consumer_connection(name, case),
            "ProducerConnection" => {
                check::<ProducerConnection>(name, case);
            }
            "TopicList" => {
                check::<TopicList>(name, case);
            }
            "KVTable" => {
                check::<KvTable>(name, case);
            }
            "ConsumeStats" => {
                check::<ConsumeStats>(name, case);
            }
            "ResetOffsetBody" => {
                let body = check::<ResetOffsetBody>(name, case);
                assert_fastjson_form_matches(name, case, &body);
            }
            "LockBatchRequestBody" => {
                check::<LockBatchRequestBody>(name, case);
            }
            "LockBatchResponseBody" => {
                check::<LockBatchResponseBody>(name, case);
            }
            "ConsumerRunningInfo" => check_running_info(name, case),
            "GroupList" => {
                check::<GroupList>(name, case);
            }
            "ConsumeMessageDirectlyResult" => {
                check::<ConsumeMessageDirectlyResult>(name, case);
            }
            _ => return unknown(case),
        }
        Outcome::Checked
    })
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

    // fastjson sorts bean properties; a map (HashMap) shows up as an object whose keys are out
    // of order. Where every object is in sorted order, there is one way to write the document,
    // so ours must be Java's bytes.
    if is_standard && case["input"].get("source").is_none() && keys_sorted(json_text) {
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

/// Whether every object in the JSON `text` has its keys in sorted order, as written (a parsed
/// `Value` would have sorted them).
fn keys_sorted(text: &str) -> bool {
    // Per open container: is it an object, its last key, and whether a key comes next.
    let mut stack: Vec<(bool, Option<&str>, bool)> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push((true, None, true)),
            b'[' => stack.push((false, None, false)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    top.2 = top.0;
                }
            }
            b':' => {
                if let Some(top) = stack.last_mut() {
                    top.2 = false;
                }
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                let key = text.get(start..i.min(text.len())).unwrap_or_default();
                if let Some((true, last, true)) = stack.last_mut() {
                    if last.is_some_and(|last| last > key) {
                        return false;
                    }
                    *last = Some(key);
                }
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// Every subscription is what Java's `FilterAPI.buildSubscriptionData` makes of its expression.
fn assert_subscriptions_built_like_java<'a>(
    name: &str,
    subs: impl IntoIterator<Item = &'a body::SubscriptionData>,
) {
    for sub in subs {
        if sub.expression_type != "TAG" {
            continue;
        }
        let built = body::SubscriptionData::from_tag_expression(
            sub.topic.clone(),
            &sub.sub_string,
            sub.sub_version,
        );
        assert_eq!(&built, sub, "{name}: Java's build of {:?}", sub.sub_string);
    }
}

fn check_cluster(name: &str, case: &Value) {
    let cluster = check::<ClusterInfo>(name, case);
    // Every broker a cluster lists is described, under its own name.
    for broker in cluster.cluster_addr_table.values().flatten() {
        let data = cluster
            .broker_addr_table
            .get(broker)
            .unwrap_or_else(|| panic!("{name}: no data for {broker}"));
        assert_eq!(&data.broker_name, broker, "{name}");
    }
}

fn check_heartbeat(name: &str, case: &Value) {
    let hb = check::<HeartbeatData>(name, case);
    let subs = hb
        .consumer_data_set
        .iter()
        .flat_map(|c| &c.subscription_data_set);
    assert_subscriptions_built_like_java(name, subs);
}

fn check_consumer_connection(name: &str, case: &Value) {
    let conn = check::<ConsumerConnection>(name, case);
    assert_subscriptions_built_like_java(name, conn.subscription_table.values());
}

fn check_running_info(name: &str, case: &Value) {
    let info = check::<ConsumerRunningInfo>(name, case);
    assert_subscriptions_built_like_java(name, &info.subscription_set);
    assert_fastjson_form_matches(name, case, &info);
}

/// Object-keyed maps: where Java rejects the string-key form (the case says so), the form we
/// write for Java must not be standard JSON, and must read back to the same value.
fn assert_fastjson_form_matches<T: JsonBody + PartialEq + Debug>(
    name: &str,
    case: &Value,
    value: &T,
) {
    let fast = value
        .to_fastjson()
        .unwrap_or_else(|e| panic!("{name}: to_fastjson: {e:?}"));
    if case["expected"]["standard_json_java_decode"]["ok"] == false {
        let standard = value.to_json().expect("to_json");
        let has_queue_keys = fast != standard;
        assert!(
            !has_queue_keys || serde_json::from_slice::<Value>(&fast).is_err(),
            "{name}: queue keys are written raw"
        );
    }
    let back =
        T::from_json(&fast).unwrap_or_else(|e| panic!("{name}: reparse fastjson form: {e:?}"));
    assert_eq!(&back, value, "{name}: fastjson form round trip");
}
