//! `misc.json`: versions, language codes, permissions, request and response codes, sys flags,
//! validators and naming helpers, each checked against the crate's API.
//!
//! The message sys flags and `UtilAll.crc32` are checked against literal values here until
//! the message module's constants land (see `check_sys_flags`).

mod common;

use std::path::Path;

use common::{unknown, Outcome};
use rmq_protocol::message::sysflag::{self, PullSysFlag};
use rmq_protocol::version::Version;
use rmq_protocol::{naming, perm, validate};
use rmq_protocol::{LanguageCode, RequestCode, ResponseCode, SerializeType, CURRENT_VERSION};
use serde_json::{json, Value};

#[test]
fn misc_vectors_match_the_crate() {
    common::expect_pass("misc.json", run);
}

#[test]
fn renamed_misc_cases_follow_their_fields() {
    // Other values in known shapes: CRC-32s (one with the top bit set, which UtilAll.crc32
    // clears), a few request codes, a group verdict.
    let variants = vec![
        json!({"name": "v_crc32", "input": {}, "expected": {"values": {
            "rmq-1": {"UtilAll.crc32": 683_357_150, "plain_crc32_u32": 2_830_840_798_u32},
            "消息": {"UtilAll.crc32": 254_509_373, "plain_crc32_u32": 254_509_373}
        }}}),
        json!({"name": "v_codes", "input": {}, "expected": {"codes": {
            "GET_BROKER_CONFIG": 26, "GET_BROKER_RUNTIME_INFO": 28
        }}}),
        json!({"name": "v_groups", "input": {}, "expected": {"verdicts": [{
            "group": "GID_other-1", "group_length": 11, "client_checkGroup": "OK", "ok": true,
            "isSysConsumerGroup": false
        }]}}),
    ];
    common::assert_renamed_and_extended(
        "misc.json",
        variants,
        "/cases/8/expected/getDLQTopic(GID_test)",
        run,
    );
}

/// Runs every case of `file` in `dir`; the check is chosen from the fields of `expected`
/// (and, for lists of verdicts or examples, from the fields of their entries).
fn run(dir: &Path, file: &str) -> Result<usize, String> {
    common::check_file(dir, file, |_, case| {
        let e = &case["expected"];
        let has = |key: &str| e.get(key).is_some();
        let first_has = |list: &str, key: &str| e[list][0].get(key).is_some();
        if has("all_names_by_ordinal") && has("current_version") {
            check_versions(e);
        } else if has("language_codes") {
            check_languages(e);
        } else if has("constants") && has("table") {
            check_perms(e);
        } else if has("codes") {
            check_request_codes(e);
        } else if has("response_code_declared") {
            check_response_codes(e);
        } else if has("message_sys_flag") || has("pull_sys_flag_build") {
            check_sys_flags(e);
        } else if first_has("verdicts", "topic") {
            check_topics(e);
        } else if first_has("verdicts", "group") {
            check_groups(e);
        } else if first_has("examples", "namespace") {
            check_namespaces(e);
        } else if first_has("examples", "clientIP") {
            check_client_ids(e);
        } else if has("values") {
            check_crc32(e);
        } else if e
            .as_object()
            .is_some_and(|m| !m.is_empty() && m.keys().any(|k| k.contains('(')))
        {
            check_mixall(e);
        } else {
            return unknown(case);
        }
        Outcome::Checked
    })
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn obj(v: &Value) -> &serde_json::Map<String, Value> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn i32_of(v: &Value) -> i32 {
    i32::try_from(int(v)).unwrap_or_else(|_| panic!("not an i32: {v}"))
}

fn check_versions(e: &Value) {
    assert_eq!(i64::from(CURRENT_VERSION), int(&e["current_version"]));
    assert_eq!(Version::CURRENT.0, CURRENT_VERSION);
    let names = arr(&e["all_names_by_ordinal"]);
    assert_eq!(names.len() as i64, int(&e["count"]));
    for (ordinal, name) in names.iter().enumerate() {
        let v = Version(i32::try_from(ordinal).unwrap_or(i32::MAX));
        assert_eq!(v.name().as_deref(), Some(text(name)), "ordinal {ordinal}");
        assert_eq!(Version::from_name(text(name)), Some(v), "{name}");
    }
    assert_eq!(
        Some(Version::HIGHER_VERSION),
        Version::from_name("HIGHER_VERSION")
    );
    for (name, ordinal) in obj(&e["selected_ordinals"]) {
        assert_eq!(
            Version::from_name(name),
            Some(Version(i32_of(ordinal))),
            "{name}"
        );
    }
    for (ordinal, name) in obj(&e["get_version_desc"]) {
        let v: i32 = ordinal.parse().expect("ordinal key");
        assert_eq!(Version(v).name().as_deref(), Some(text(name)), "desc({v})");
    }
    let named = [
        (Version::V4_0_0, "V4_0_0"),
        (Version::V4_5_2, "V4_5_2"),
        (Version::V4_9_3, "V4_9_3"),
        (Version::V4_9_4, "V4_9_4"),
        (Version::V4_9_7, "V4_9_7"),
        (Version::V5_0_0, "V5_0_0"),
        (Version::V5_3_1, "V5_3_1"),
        (Version::V5_3_3, "V5_3_3"),
        (Version::V3_4_9, "V3_4_9"),
    ];
    for (v, name) in named {
        assert_eq!(v.name().as_deref(), Some(name));
        if let Some(java) = names.get(v.0 as usize) {
            assert_eq!(text(java), name, "ordinal {}", v.0);
        }
    }
}

fn check_languages(e: &Value) {
    for lang in arr(&e["language_codes"]) {
        let code = u8::try_from(int(&lang["code"])).expect("u8 code");
        assert_eq!(int(&lang["code"]), int(&lang["ordinal"]));
        let name = text(&lang["name"]);
        assert_eq!(LanguageCode(code).name(), Some(name));
        assert_eq!(LanguageCode::from_name(name), Some(LanguageCode(code)));
    }
    // Java's valueOf(99) is null; ours keeps the unknown byte and has no name.
    if let Some(java) = e.get("valueOf_byte_99") {
        assert_eq!(text(java) == "null", LanguageCode(99).name().is_none());
    }
    for ser in arr(&e["serialize_types"]) {
        let code = u8::try_from(int(&ser["code"])).expect("u8 code");
        let t = SerializeType::from_code(code).expect("known type");
        assert_eq!(t.name(), text(&ser["name"]));
        assert_eq!(t.code(), code);
    }
    assert_eq!(SerializeType::from_code(2), None);
}

fn check_perms(e: &Value) {
    let c = obj(&e["constants"]);
    let constants = [
        ("PERM_PRIORITY", perm::PRIORITY),
        ("PERM_READ", perm::READ),
        ("PERM_WRITE", perm::WRITE),
        ("PERM_INHERIT", perm::INHERIT),
    ];
    assert_eq!(c.len(), constants.len());
    for (name, value) in constants {
        assert_eq!(c.get(name).map(i32_of), Some(value), "{name}");
    }
    for (p, row) in obj(&e["table"]) {
        let p: i32 = p.parse().expect("perm key");
        assert_eq!(perm::to_display(p), text(&row["perm2String"]), "perm {p}");
        assert_eq!(Some(perm::is_readable(p)), row["isReadable"].as_bool());
        assert_eq!(Some(perm::is_writeable(p)), row["isWriteable"].as_bool());
        assert_eq!(Some(perm::is_inherited(p)), row["isInherited"].as_bool());
        assert_eq!(perm::is_priority(p), p & 8 != 0);
    }
}

fn check_request_codes(e: &Value) {
    let codes = obj(&e["codes"]);
    assert!(!codes.is_empty());
    for (name, code) in codes {
        let ours = RequestCode::ALL.iter().find(|(n, _)| n == name);
        assert_eq!(
            ours.map(|(_, c)| c.0),
            Some(i32_of(code)),
            "RequestCode::{name}"
        );
        assert_eq!(RequestCode(i32_of(code)).name(), Some(name.as_str()));
    }
}

fn check_response_codes(e: &Value) {
    let declared = obj(&e["response_code_declared"]);
    let sys = obj(&e["remoting_sys_response_code"]);
    assert!(!declared.is_empty() && !sys.is_empty());
    for (name, code) in declared.iter().chain(sys) {
        let ours = ResponseCode::ALL.iter().find(|(n, _)| n == name);
        assert_eq!(
            ours.map(|(_, c)| c.0),
            Some(i32_of(code)),
            "ResponseCode::{name}"
        );
        assert_eq!(ResponseCode(i32_of(code)).name(), Some(name.as_str()));
    }
}

/// Every `MessageSysFlag` constant the case lists is the crate's, and every
/// `PullSysFlag.buildSysFlag(..)` call it lists builds the same bits with ours.
fn check_sys_flags(e: &Value) {
    let ours = [
        ("COMPRESSED_FLAG", sysflag::COMPRESSED),
        ("MULTI_TAGS_FLAG", sysflag::MULTI_TAGS),
        ("TRANSACTION_NOT_TYPE", sysflag::TRANSACTION_NOT_TYPE),
        (
            "TRANSACTION_PREPARED_TYPE",
            sysflag::TRANSACTION_PREPARED_TYPE,
        ),
        ("TRANSACTION_COMMIT_TYPE", sysflag::TRANSACTION_COMMIT_TYPE),
        (
            "TRANSACTION_ROLLBACK_TYPE",
            sysflag::TRANSACTION_ROLLBACK_TYPE,
        ),
        ("BORNHOST_V6_FLAG", sysflag::BORN_HOST_V6),
        ("STOREHOSTADDRESS_V6_FLAG", sysflag::STORE_HOST_V6),
        ("NEED_UNWRAP_FLAG", sysflag::NEED_UNWRAP),
        ("INNER_BATCH_FLAG", sysflag::INNER_BATCH),
        ("COMPRESSION_LZ4_TYPE", sysflag::COMPRESSION_LZ4),
        ("COMPRESSION_ZSTD_TYPE", sysflag::COMPRESSION_ZSTD),
        ("COMPRESSION_ZLIB_TYPE", sysflag::COMPRESSION_ZLIB),
        (
            "COMPRESSION_TYPE_COMPARATOR",
            sysflag::COMPRESSION_TYPE_MASK,
        ),
    ];
    if let Some(flags) = e.get("message_sys_flag") {
        for (name, value) in obj(flags) {
            let mine = ours.iter().find(|(n, _)| n == name);
            assert_eq!(
                mine.map(|(_, v)| *v),
                Some(i32_of(value)),
                "MessageSysFlag.{name}"
            );
        }
    }
    if let Some(builds) = e.get("pull_sys_flag_build") {
        for (args, value) in obj(builds) {
            let on: Vec<bool> = args
                .split(',')
                .map(|part| match part.split_once('=').map(|(_, on)| on) {
                    Some("true") => true,
                    Some("false") => false,
                    _ => panic!("{args}: not name=bool"),
                })
                .collect();
            let [commit, suspend, subscription, class_filter, lite_pull] = on[..] else {
                panic!("{args}: five flags");
            };
            let flag = PullSysFlag::new()
                .with_commit_offset(commit)
                .with_suspend(suspend)
                .with_subscription(subscription)
                .with_class_filter(class_filter)
                .with_lite_pull(lite_pull);
            assert_eq!(
                i64::from(flag.bits()),
                int(value),
                "PullSysFlag.buildSysFlag({args})"
            );
        }
    }
}

/// `"'a' x 127"` stands for 127 `a`s.
fn expand(s: &str) -> String {
    match s.strip_prefix('\'').and_then(|r| r.split_once("' x ")) {
        Some((unit, n)) => unit.repeat(n.parse().expect("count")),
        None => s.to_owned(),
    }
}

fn verdict(r: Result<(), rmq_protocol::Error>) -> String {
    r.map_or_else(|e| e.to_string(), |()| "OK".to_owned())
}

fn check_topics(e: &Value) {
    for v in arr(&e["verdicts"]) {
        let topic = expand(text(&v["topic"]));
        let t = topic.as_str();
        assert_eq!(
            t.encode_utf16().count() as i64,
            int(&v["topic_length"]),
            "{t}"
        );
        let client = verdict(validate::check_topic(t));
        assert_eq!(client, text(&v["client_checkTopic"]), "checkTopic({t})");
        assert_eq!(Some(client == "OK"), v["client_checkTopic_ok"].as_bool());
        let illegal = validate::is_topic_or_group_illegal(t);
        assert_eq!(Some(illegal), v["isTopicOrGroupIllegal"].as_bool(), "{t}");
        let broker = validate::broker_check_topic(t);
        assert_eq!(
            Some(broker.is_ok()),
            v["broker_validateTopic_ok"].as_bool(),
            "{t}"
        );
        let remark = broker.err().map(|e| e.to_string());
        assert_eq!(
            remark.as_deref(),
            v["broker_validateTopic_remark"].as_str(),
            "{t}"
        );
        assert_eq!(
            Some(naming::is_system_topic(t)),
            v["isSystemTopic"].as_bool(),
            "{t}"
        );
        let forbidden = naming::is_not_allowed_send_topic(t);
        assert_eq!(Some(forbidden), v["isNotAllowedSendTopic"].as_bool(), "{t}");
        let send = verdict(validate::check_send_topic_allowed(t));
        assert_eq!(send, text(&v["client_isNotAllowedSendTopic"]), "{t}");
    }
}

fn check_groups(e: &Value) {
    for v in arr(&e["verdicts"]) {
        let group = expand(text(&v["group"]));
        let g = group.as_str();
        assert_eq!(
            g.encode_utf16().count() as i64,
            int(&v["group_length"]),
            "{g}"
        );
        let verdict = verdict(validate::check_group(g));
        assert_eq!(verdict, text(&v["client_checkGroup"]), "checkGroup({g})");
        assert_eq!(Some(verdict == "OK"), v["ok"].as_bool());
        let sys = naming::is_sys_consumer_group(g);
        assert_eq!(Some(sys), v["isSysConsumerGroup"].as_bool(), "{g}");
    }
}

/// Splits `"f(a,b)"` into `("f", ["a", "b"])`.
fn call(key: &str) -> Option<(&str, Vec<&str>)> {
    let (f, rest) = key.split_once('(')?;
    Some((f, rest.strip_suffix(')')?.split(',').collect()))
}

fn check_mixall(e: &Value) {
    for (key, want) in obj(e) {
        let got: Value = match call(key) {
            Some(("getRetryTopic", a)) => naming::retry_topic(a[0]).into(),
            Some(("getDLQTopic", a)) => naming::dlq_topic(a[0]).into(),
            Some(("getReplyTopic", a)) => naming::reply_topic(a[0]).into(),
            Some(("brokerVIPChannel", a)) => match a[0] {
                "true" => naming::vip_channel_addr(a[1]).expect("vip address").into(),
                _ => a[1].into(),
            },
            Some(("isSysConsumerGroup", a)) => naming::is_sys_consumer_group(a[0]).into(),
            Some(("isLmq", a)) => naming::is_lmq(a[0]).into(),
            Some(_) => panic!("mixall_helpers: unknown helper {key}"),
            None => match key.as_str() {
                "RETRY_GROUP_TOPIC_PREFIX" => naming::RETRY_GROUP_TOPIC_PREFIX.into(),
                "DLQ_GROUP_TOPIC_PREFIX" => naming::DLQ_GROUP_TOPIC_PREFIX.into(),
                "MASTER_ID" => naming::MASTER_ID.into(),
                "DEFAULT_PRODUCER_GROUP" => naming::DEFAULT_PRODUCER_GROUP.into(),
                "CLIENT_INNER_PRODUCER_GROUP" => naming::CLIENT_INNER_PRODUCER_GROUP.into(),
                "TOOLS_CONSUMER_GROUP" => naming::TOOLS_CONSUMER_GROUP.into(),
                "AUTO_CREATE_TOPIC_KEY_TOPIC" => naming::AUTO_CREATE_TOPIC_KEY_TOPIC.into(),
                _ => panic!("mixall_helpers: unknown constant {key}"),
            },
        };
        assert_eq!(&got, want, "{key}");
    }
}

fn check_namespaces(e: &Value) {
    const KEYS: &[&str] = &[
        "namespace",
        "resource",
        "wrapNamespace",
        "withoutNamespace(resource)",
        "withoutNamespace(resource,namespace)",
        "withoutNamespace(wrapped,namespace)",
        "isAlreadyWithNamespace",
        "getNamespaceFromResource",
        "wrapNamespaceAndRetry",
    ];
    for ex in arr(&e["examples"]) {
        let row = obj(ex);
        assert!(
            row.keys().all(|k| KEYS.contains(&k.as_str())),
            "unknown key in {ex}"
        );
        let ns = ex["namespace"].as_str();
        let res = text(&ex["resource"]);
        let wrapped = naming::wrap_namespace(ns, res);
        assert_eq!(wrapped, text(&ex["wrapNamespace"]), "wrap({ns:?}, {res})");
        assert_eq!(
            naming::without_namespace(res),
            text(&ex["withoutNamespace(resource)"])
        );
        let without = naming::without_namespace_in(res, ns);
        assert_eq!(
            without,
            text(&ex["withoutNamespace(resource,namespace)"]),
            "{res}"
        );
        let unwrapped = naming::without_namespace_in(&wrapped, ns);
        assert_eq!(unwrapped, text(&ex["withoutNamespace(wrapped,namespace)"]));
        let already = naming::is_already_with_namespace(res, ns.unwrap_or_default());
        assert_eq!(
            Some(already),
            ex["isAlreadyWithNamespace"].as_bool(),
            "{res}"
        );
        assert_eq!(
            naming::namespace_of(res),
            text(&ex["getNamespaceFromResource"])
        );
        let retry = naming::wrap_namespace_and_retry(ns, res);
        assert_eq!(
            retry.as_deref(),
            ex["wrapNamespaceAndRetry"].as_str(),
            "{res}"
        );
    }
}

fn check_client_ids(e: &Value) {
    for ex in arr(&e["examples"]) {
        let id = naming::build_client_id(
            text(&ex["clientIP"]),
            text(&ex["instanceName"]),
            ex["unitName"].as_str(),
            ex["enableStreamRequestType"].as_bool().expect("bool"),
        );
        assert_eq!(id, text(&ex["buildMQClientId"]));
    }
    let jvm = &e["this_jvm"];
    let pid = u32::try_from(int(&jvm["pid"])).expect("pid");
    let after = text(&jvm["after_changeInstanceNameToPID"]);
    let (_, nanos) = after.split_once('#').expect("pid#nanos");
    let name = naming::instance_name_for_pid(pid, nanos.parse().expect("nanos"));
    assert_eq!(name, after);
    assert_eq!(text(&jvm["default_instanceName"]), "DEFAULT");
    let id = naming::build_client_id(text(&jvm["default_clientIP"]), &name, None, false);
    assert_eq!(id, text(&jvm["buildMQClientId"]));
}

/// Literal rule for now (`crc32 & 0x7FFFFFFF`); the message module owns the body CRC.
fn check_crc32(e: &Value) {
    for (input, v) in obj(&e["values"]) {
        let plain = crc32fast::hash(input.as_bytes());
        common::assert_java_typed("plain_crc32_u32", &v["plain_crc32_u32"], u64::from(plain));
        assert_eq!(
            i64::from(plain & 0x7FFF_FFFF),
            int(&v["UtilAll.crc32"]),
            "{input:?}"
        );
    }
}
