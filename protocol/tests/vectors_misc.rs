//! `misc.json`: versions, language codes, permissions, request and response codes, sys flags,
//! validators and naming helpers, each checked against the crate's API.
//!
//! The message sys flags and `UtilAll.crc32` are checked against literal values here until
//! the message module's constants land (see `check_sys_flags`).

mod common;

use std::collections::BTreeMap;

use common::{run_cases, Outcome};
use rmq_protocol::version::Version;
use rmq_protocol::{naming, perm, validate};
use rmq_protocol::{LanguageCode, RequestCode, ResponseCode, SerializeType, CURRENT_VERSION};
use serde_json::Value;

#[test]
fn misc_vectors_match_the_crate() {
    run_cases("misc.json", |name, case| {
        let e = &case["expected"];
        match name {
            "mq_version" => check_versions(e),
            "language_codes" => check_languages(e),
            "perm_name" => check_perms(e),
            "request_codes" => check_request_codes(e),
            "response_codes" => check_response_codes(e),
            "sys_flags" => check_sys_flags(e),
            "topic_validation" => check_topics(e),
            "group_validation" => check_groups(e),
            "mixall_helpers" => check_mixall(e),
            "namespace_util" => check_namespaces(e),
            "build_mq_client_id" => check_client_ids(e),
            "utilall_crc32" => check_crc32(e),
            _ => return Outcome::Unknown,
        }
        Outcome::Checked
    });
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
        assert_eq!(text(&names[v.0 as usize]), name);
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
    assert_eq!(text(&e["valueOf_byte_99"]), "null");
    assert_eq!(LanguageCode(99).name(), None);
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

/// Literal values for now: `rmq_protocol::message::sysflag` is being written in parallel.
fn check_sys_flags(e: &Value) {
    let want: BTreeMap<&str, i64> = [
        ("COMPRESSED_FLAG", 0x1),
        ("MULTI_TAGS_FLAG", 0x2),
        ("TRANSACTION_NOT_TYPE", 0x0),
        ("TRANSACTION_PREPARED_TYPE", 0x4),
        ("TRANSACTION_COMMIT_TYPE", 0x8),
        ("TRANSACTION_ROLLBACK_TYPE", 0xC),
        ("BORNHOST_V6_FLAG", 0x10),
        ("STOREHOSTADDRESS_V6_FLAG", 0x20),
        ("NEED_UNWRAP_FLAG", 0x40),
        ("INNER_BATCH_FLAG", 0x80),
        ("COMPRESSION_LZ4_TYPE", 0x100),
        ("COMPRESSION_ZSTD_TYPE", 0x200),
        ("COMPRESSION_ZLIB_TYPE", 0x300),
        ("COMPRESSION_TYPE_COMPARATOR", 0x700),
    ]
    .into_iter()
    .collect();
    let got: BTreeMap<&str, i64> = obj(&e["message_sys_flag"])
        .iter()
        .map(|(k, v)| (k.as_str(), int(v)))
        .collect();
    assert_eq!(got, want, "MessageSysFlag");
    let builds = obj(&e["pull_sys_flag_build"]);
    assert_eq!(builds.len(), 32);
    for (args, value) in builds {
        let mut flag = 0;
        for (bit, part) in args.split(',').enumerate() {
            let (_, on) = part.split_once('=').expect("name=bool");
            match on {
                "true" => flag |= 1 << bit,
                "false" => {}
                _ => panic!("{args}"),
            }
        }
        assert_eq!(flag, int(value), "PullSysFlag.buildSysFlag({args})");
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
        assert_eq!(i64::from(plain), int(&v["plain_crc32_u32"]), "{input:?}");
        assert_eq!(
            i64::from(plain & 0x7FFF_FFFF),
            int(&v["UtilAll.crc32"]),
            "{input:?}"
        );
    }
}
