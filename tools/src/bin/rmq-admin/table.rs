//! Shared output helpers: mqadmin's time formats, timestamp and boolean arguments, and the
//! message detail block the query commands print.

use chrono::{Local, LocalResult, NaiveDateTime, TimeZone};
use rmq_protocol::StoredMessage;
use serde::Serialize;

use crate::{bad_arg, CliResult, Output};

/// Java `UtilAll.timeMillisToHumanString2`: `yyyy-MM-dd HH:mm:ss,SSS`, local time.
pub fn human_time(ms: i64) -> String {
    match Local.timestamp_millis_opt(ms) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
        }
        LocalResult::None => ms.to_string(),
    }
}

/// A timestamp argument: `now`, milliseconds since the epoch, or mqadmin's
/// `yyyy-MM-dd#HH:mm:ss:SSS` (local time).
pub fn parse_time(what: &str, value: &str) -> CliResult<i64> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("now") {
        return Ok(chrono::Utc::now().timestamp_millis());
    }
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    let parsed = NaiveDateTime::parse_from_str(value, "%Y-%m-%d#%H:%M:%S:%3f").map_err(|e| {
        bad_arg(format!(
            "{what} {value:?} is neither 'now', milliseconds nor yyyy-MM-dd#HH:mm:ss:SSS ({e})"
        ))
    })?;
    match Local.from_local_datetime(&parsed) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp_millis()),
        LocalResult::None => Err(bad_arg(format!(
            "{what} {value:?} does not exist in the local time zone"
        ))),
    }
}

/// A boolean argument as mqadmin reads it (`Boolean.parseBoolean`, but strict: only `true` or
/// `false`, so typos fail instead of meaning false).
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(format!("expected true or false, got {other:?}")),
    }
}

/// A message as JSON.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    msg_id: String,
    offset_msg_id: String,
    topic: String,
    tags: Option<String>,
    keys: Vec<String>,
    queue_id: i32,
    queue_offset: i64,
    commit_log_offset: i64,
    reconsume_times: i32,
    born_timestamp: i64,
    store_timestamp: i64,
    born_host: String,
    store_host: String,
    sys_flag: i32,
    properties: std::collections::BTreeMap<String, String>,
    body: String,
}

impl MessageView {
    /// The JSON view of `m`; the body as UTF-8 (lossy).
    pub fn of(m: &StoredMessage) -> MessageView {
        MessageView {
            msg_id: m.msg_id(),
            offset_msg_id: m.offset_msg_id(),
            topic: m.topic.clone(),
            tags: m.tags().map(str::to_owned),
            keys: m.keys().map(str::to_owned).collect(),
            queue_id: m.queue_id,
            queue_offset: m.queue_offset,
            commit_log_offset: m.commit_log_offset,
            reconsume_times: m.reconsume_times,
            born_timestamp: m.born_timestamp,
            store_timestamp: m.store_timestamp,
            born_host: m.born_host.to_string(),
            store_host: m.store_host.to_string(),
            sys_flag: m.sys_flag,
            properties: m
                .properties
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            body: String::from_utf8_lossy(&m.body).into_owned(),
        }
    }
}

/// The detail block of mqadmin's `queryMsgById` (the body is printed inline instead of being
/// written to a file).
pub fn print_message(out: &mut Output, m: &StoredMessage) {
    let props: Vec<String> = m
        .properties
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let keys: Vec<&str> = m.keys().collect();
    let rows: [(&str, String); 16] = [
        ("OffsetID:", m.offset_msg_id()),
        ("Topic:", m.topic.clone()),
        ("Tags:", format!("[{}]", m.tags().unwrap_or("null"))),
        (
            "Keys:",
            format!(
                "[{}]",
                if keys.is_empty() {
                    "null".to_owned()
                } else {
                    keys.join(" ")
                }
            ),
        ),
        ("Queue ID:", m.queue_id.to_string()),
        ("Queue Offset:", m.queue_offset.to_string()),
        ("CommitLog Offset:", m.commit_log_offset.to_string()),
        ("Reconsume Times:", m.reconsume_times.to_string()),
        ("Born Timestamp:", human_time(m.born_timestamp)),
        ("Store Timestamp:", human_time(m.store_timestamp)),
        ("Born Host:", m.born_host.to_string()),
        ("Store Host:", m.store_host.to_string()),
        ("System Flag:", m.sys_flag.to_string()),
        ("Properties:", format!("{{{}}}", props.join(", "))),
        ("Message ID:", m.msg_id()),
        (
            "Message Body:",
            String::from_utf8_lossy(&m.body).into_owned(),
        ),
    ];
    for (label, value) in rows {
        out.line(format!("{label:<20} {value}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_millis_now_or_mqadmin_format() {
        assert_eq!(
            parse_time("-s", "1700000000000").ok(),
            Some(1_700_000_000_000)
        );
        assert!(parse_time("-s", "now").is_ok_and(|t| t > 1_700_000_000_000));
        let t = parse_time("-s", "2024-01-02#03:04:05:006");
        assert!(
            t.as_ref()
                .is_ok_and(|t| human_time(*t) == "2024-01-02 03:04:05,006"),
            "{t:?}"
        );
        assert!(parse_time("-s", "yesterday").is_err());
    }

    #[test]
    fn booleans_are_strict() {
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("false"), Ok(false));
        assert!(parse_bool("yes").is_err());
    }
}
