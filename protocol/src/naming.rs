//! Names the protocol derives from other names (Java `MixAll`, `NamespaceUtil`,
//! `TopicValidator`'s system-topic sets and `ClientConfig.buildMQClientId`): retry, DLQ and reply
//! topics, system topics and groups, LMQ, namespaces, client ids and the VIP channel address.
//!
//! Pure string functions; validation of user input is in [`crate::validate`].

use crate::error::{Error, Result};

/// Prefix of a consumer group's retry topic: `%RETRY%<group>`.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of a consumer group's dead-letter topic: `%DLQ%<group>`.
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";
/// Prefix of light message queue (LMQ) topics.
pub const LMQ_PREFIX: &str = "%LMQ%";
/// Suffix of a cluster's request-reply topic: `<cluster>_REPLY_TOPIC`.
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";
/// Separator between a namespace and a resource: `ns%TopicA`.
pub const NAMESPACE_SEPARATOR: char = '%';
/// Broker id of a master in `brokerAddrs`.
pub const MASTER_ID: i64 = 0;
/// Prefix of system consumer groups.
pub const CID_RMQ_SYS_PREFIX: &str = "CID_RMQ_SYS_";
/// Default producer group.
pub const DEFAULT_PRODUCER_GROUP: &str = "DEFAULT_PRODUCER";
/// Default consumer group.
pub const DEFAULT_CONSUMER_GROUP: &str = "DEFAULT_CONSUMER";
/// Group of the producer every client instance registers for sending messages back.
pub const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";
/// Group the admin tools consume with.
pub const TOOLS_CONSUMER_GROUP: &str = "TOOLS_CONSUMER";

/// The auto-create template topic (`TBW102`).
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";
/// Delayed messages wait here.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// The benchmark tool's topic.
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// Half (prepared) transactional messages.
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Operations on half messages.
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages checked too often.
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// The default message-trace topic.
pub const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
/// The broker's self-test topic.
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
/// Offset-moved events.
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
/// Any topic with this prefix is a system topic.
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";

/// Java 4.9.7 `TopicValidator.SYSTEM_TOPIC_SET`.
pub const SYSTEM_TOPICS: [&str; 9] = [
    AUTO_CREATE_TOPIC_KEY_TOPIC,
    SCHEDULE_TOPIC,
    BENCHMARK_TOPIC,
    TRANS_HALF_TOPIC,
    TRACE_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// Java 4.9.7 `TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`: producers may not send here.
pub const NOT_ALLOWED_SEND_TOPICS: [&str; 6] = [
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// `%RETRY%<group>` (Java `MixAll.getRetryTopic`).
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// `%DLQ%<group>` (Java `MixAll.getDLQTopic`).
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

/// `<cluster>_REPLY_TOPIC` (Java `MixAll.getReplyTopic`).
pub fn reply_topic(cluster: &str) -> String {
    format!("{cluster}_{REPLY_TOPIC_POSTFIX}")
}

/// Whether `topic` is a retry topic (Java `NamespaceUtil.isRetryTopic`: not blank, prefixed).
pub fn is_retry_topic(topic: &str) -> bool {
    topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
}

/// Whether `topic` is a dead-letter topic.
pub fn is_dlq_topic(topic: &str) -> bool {
    topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
}

/// Whether `topic` is a light message queue (Java `MixAll.isLmq`).
pub fn is_lmq(topic: &str) -> bool {
    topic.starts_with(LMQ_PREFIX)
}

/// Whether `group` is a system consumer group (`CID_RMQ_SYS_*`).
pub fn is_sys_consumer_group(group: &str) -> bool {
    group.starts_with(CID_RMQ_SYS_PREFIX)
}

/// Whether `topic` is a system topic (Java `TopicValidator.isSystemTopic`): one of
/// [`SYSTEM_TOPICS`] or prefixed `rmq_sys_` (case-sensitive).
pub fn is_system_topic(topic: &str) -> bool {
    SYSTEM_TOPICS.contains(&topic) || topic.starts_with(SYSTEM_TOPIC_PREFIX)
}

/// Whether producers are forbidden to send to `topic` (Java
/// `TopicValidator.isNotAllowedSendTopic`).
pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    NOT_ALLOWED_SEND_TOPICS.contains(&topic)
}

/// The VIP channel of a broker address: the same host, port − 2 (Java
/// `MixAll.brokerVIPChannel(true, addr)`; 10911 becomes 10909).
///
/// # Errors
/// [`Error::Invalid`] when `addr` has no `:port` or the port is not a number above 1.
pub fn vip_channel_addr(addr: &str) -> Result<String> {
    let invalid = || Error::invalid(format!("broker address {addr:?} has no usable port"));
    let (host, port) = addr.rsplit_once(':').ok_or_else(invalid)?;
    let port: i32 = port.parse().map_err(|_| invalid())?;
    if port < 2 {
        return Err(invalid());
    }
    Ok(format!("{host}:{}", port - 2))
}

/// Java `ClientConfig.buildMQClientId`: `ip@instanceName`, then `@unitName` unless the unit
/// name is absent or blank, then `@STREAM` when the stream request type is enabled.
///
/// ```
/// use rmq_protocol::naming::build_client_id;
/// assert_eq!(build_client_id("10.0.0.1", "42#7", Some("unitA"), false), "10.0.0.1@42#7@unitA");
/// ```
pub fn build_client_id(
    client_ip: &str,
    instance_name: &str,
    unit_name: Option<&str>,
    stream_request_type: bool,
) -> String {
    let mut id = format!("{client_ip}@{instance_name}");
    if let Some(unit) = unit_name.filter(|u| !is_blank(u)) {
        id.push('@');
        id.push_str(unit);
    }
    if stream_request_type {
        id.push_str("@STREAM");
    }
    id
}

/// The instance name Java picks for the default name `DEFAULT` at start
/// (`changeInstanceNameToPID`): `pid#nanotime`.
pub fn instance_name_for_pid(pid: u32, nano_time: u64) -> String {
    format!("{pid}#{nano_time}")
}

/// Java's `UtilAll.isBlank`: empty or only whitespace as `Character.isWhitespace` sees it.
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(is_java_whitespace)
}

/// `Character.isWhitespace`: Unicode space separators except the no-break ones, line and
/// paragraph separators, and the ASCII controls `\t \n \v \f \r` and `\x1C`-`\x1F`.
pub(crate) fn is_java_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{1680}'
            | '\u{2000}'..='\u{2006}'
            | '\u{2008}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

// ===== namespaces (Java NamespaceUtil) =====

/// Whether `resource` is a system topic or system group, which are never namespaced.
fn is_system_resource(resource: &str) -> bool {
    is_system_topic(resource) || is_sys_consumer_group(resource)
}

/// `(retry/DLQ prefix, rest)`: the prefix stays outside the namespace.
fn split_retry_dlq(resource: &str) -> (&'static str, &str) {
    if let Some(rest) = resource.strip_prefix(RETRY_GROUP_TOPIC_PREFIX) {
        (RETRY_GROUP_TOPIC_PREFIX, rest)
    } else if let Some(rest) = resource.strip_prefix(DLQ_GROUP_TOPIC_PREFIX) {
        (DLQ_GROUP_TOPIC_PREFIX, rest)
    } else {
        ("", resource)
    }
}

/// Java `NamespaceUtil.wrapNamespace`: `ns%resource`, keeping a `%RETRY%`/`%DLQ%` prefix in
/// front (`%RETRY%ns%group`). System resources, already wrapped ones, an empty resource and an
/// absent or empty namespace are returned unchanged.
///
/// ```
/// use rmq_protocol::naming::wrap_namespace;
/// assert_eq!(wrap_namespace(Some("ns1"), "%RETRY%GID_a"), "%RETRY%ns1%GID_a");
/// assert_eq!(wrap_namespace(Some("ns1"), "TBW102"), "TBW102");
/// ```
pub fn wrap_namespace(namespace: Option<&str>, resource: &str) -> String {
    let Some(ns) = namespace.filter(|ns| !ns.is_empty()) else {
        return resource.to_owned();
    };
    if resource.is_empty()
        || is_system_resource(resource)
        || is_already_with_namespace(resource, ns)
    {
        return resource.to_owned();
    }
    let (prefix, rest) = split_retry_dlq(resource);
    format!("{prefix}{ns}{NAMESPACE_SEPARATOR}{rest}")
}

/// Java `NamespaceUtil.isAlreadyWithNamespace`: whether `resource` (after a retry/DLQ prefix)
/// starts with `namespace%`.
pub fn is_already_with_namespace(resource: &str, namespace: &str) -> bool {
    if namespace.is_empty() || resource.is_empty() || is_system_resource(resource) {
        return false;
    }
    let (_, rest) = split_retry_dlq(resource);
    rest.strip_prefix(namespace)
        .is_some_and(|r| r.starts_with(NAMESPACE_SEPARATOR))
}

/// Java `NamespaceUtil.withoutNamespace(resource)`: drops whatever precedes the first `%`
/// after a retry/DLQ prefix (`%RETRY%ns%g` becomes `%RETRY%g`). System resources and names
/// without a namespace are returned unchanged.
pub fn without_namespace(resource: &str) -> String {
    if resource.is_empty() || is_system_resource(resource) {
        return resource.to_owned();
    }
    let (prefix, rest) = split_retry_dlq(resource);
    match rest.find(NAMESPACE_SEPARATOR) {
        Some(at) if at > 0 => format!("{prefix}{}", &rest[at + 1..]),
        _ => resource.to_owned(),
    }
}

/// Java `NamespaceUtil.withoutNamespace(resource, namespace)`: unwraps only when `resource`
/// is wrapped in this `namespace`.
pub fn without_namespace_in(resource: &str, namespace: Option<&str>) -> String {
    let Some(ns) = namespace.filter(|ns| !ns.is_empty()) else {
        return resource.to_owned();
    };
    let (_, rest) = split_retry_dlq(resource);
    let wrapped = rest
        .strip_prefix(ns)
        .is_some_and(|r| r.starts_with(NAMESPACE_SEPARATOR));
    if resource.is_empty() || !wrapped {
        return resource.to_owned();
    }
    without_namespace(resource)
}

/// Java `NamespaceUtil.getNamespaceFromResource`: the namespace `resource` is wrapped in, or
/// `""`.
pub fn namespace_of(resource: &str) -> &str {
    if resource.is_empty() || is_system_resource(resource) {
        return "";
    }
    let (_, rest) = split_retry_dlq(resource);
    match rest.find(NAMESPACE_SEPARATOR) {
        Some(at) if at > 0 => &rest[..at],
        _ => "",
    }
}

/// Java `NamespaceUtil.wrapNamespaceAndRetry`: the retry topic of the wrapped group, or `None`
/// for an empty group.
pub fn wrap_namespace_and_retry(namespace: Option<&str>, group: &str) -> Option<String> {
    if group.is_empty() {
        return None;
    }
    Some(retry_topic(&wrap_namespace(namespace, group)))
}
