//! The receipt handle of a popped message (Java `ExtraInfoUtil`, the `POP_CK` property) and the
//! offset lists of a pop answer that a client turns into one handle per message.
//!
//! ```text
//! handle:  "ckOffset popTime invisibleTime reviveQid retry brokerName queueId queueOffset"
//!           e.g. "10 1700000000000 30000 3 0 broker-a 1 11"
//! retry:   0 = the topic itself, 1 = its POP retry topic %RETRY%{group}_{topic},
//!          2 = the V2 retry topic %RETRY%{group}+{topic}
//! startOffsetInfo: "retry queueId startOffset;..."      msgOffsetInfo: "retry queueId o1,o2;..."
//! ```
//! Parsing never panics: a malformed handle or list is [`Error::Invalid`] naming the field.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::pop::{
    pop_retry_topic, pop_retry_topic_v2, PopMessageResponseHeader, ORDER_REVIVE_QUEUE,
};
use crate::error::{Error, Result};
use crate::naming::RETRY_GROUP_TOPIC_PREFIX;

/// Longest handle accepted: eight fields, a broker name of at most 127 bytes.
const MAX_HANDLE_LEN: usize = 512;
/// Longest offset list accepted in a pop answer (32 messages over a few queues fit well inside).
const MAX_INFO_LEN: usize = 64 * 1024;

/// Which topic a popped message was read from (the handle's `retry` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PopTopicKind {
    /// `0`: the subscribed topic.
    Normal,
    /// `1`: the POP retry topic `%RETRY%{group}_{topic}`.
    Retry,
    /// `2`: the V2 POP retry topic `%RETRY%{group}+{topic}`.
    RetryV2,
}

impl PopTopicKind {
    /// The kind of a topic as a broker reads it (Java `ExtraInfoUtil#getRetry`).
    pub fn of_topic(topic: &str) -> PopTopicKind {
        if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
            if topic.contains('+') {
                PopTopicKind::RetryV2
            } else {
                PopTopicKind::Retry
            }
        } else {
            PopTopicKind::Normal
        }
    }

    /// The wire mark: `"0"`, `"1"` or `"2"`.
    pub fn mark(self) -> &'static str {
        match self {
            PopTopicKind::Normal => "0",
            PopTopicKind::Retry => "1",
            PopTopicKind::RetryV2 => "2",
        }
    }

    /// Parses a wire mark.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `field` for anything but `0`, `1` or `2`.
    pub fn from_mark(mark: &str, field: &str) -> Result<PopTopicKind> {
        match mark {
            "0" => Ok(PopTopicKind::Normal),
            "1" => Ok(PopTopicKind::Retry),
            "2" => Ok(PopTopicKind::RetryV2),
            other => Err(Error::invalid(format!(
                "{field} is invalid: retry mark {other:?} is not 0, 1 or 2"
            ))),
        }
    }

    /// The topic to ack on for a message of `topic` popped by `group` (Java
    /// `ExtraInfoUtil#getRealTopic`).
    pub fn real_topic(self, topic: &str, group: &str) -> String {
        match self {
            PopTopicKind::Normal => topic.to_owned(),
            PopTopicKind::Retry => pop_retry_topic(topic, group),
            PopTopicKind::RetryV2 => pop_retry_topic_v2(topic, group),
        }
    }
}

/// A popped message's receipt handle: where its checkpoint lives and until when it is
/// invisible. Sent back as `extraInfo` with ACK_MESSAGE and CHANGE_MESSAGE_INVISIBLETIME.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PopHandle {
    /// First offset of the checkpoint (the pop's start offset in the queue).
    pub ck_offset: i64,
    /// Broker time of the pop, ms since the epoch.
    pub pop_time: i64,
    /// Invisible time granted, ms.
    pub invisible_time: i64,
    /// Revive queue of the checkpoint ([`ORDER_REVIVE_QUEUE`] for an order pop).
    pub revive_qid: i32,
    /// Which topic the message was read from.
    pub kind: PopTopicKind,
    /// The broker that popped it.
    pub broker_name: String,
    /// Queue id in the topic it was read from.
    pub queue_id: i32,
    /// The message's offset in that queue.
    pub queue_offset: i64,
}

impl PopHandle {
    /// Parses a handle of eight space-separated fields.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming `extraInfo` when the handle is too long, has another number of
    /// fields, or a field does not parse.
    pub fn parse(text: &str) -> Result<PopHandle> {
        let invalid = |why: String| Error::invalid(format!("extraInfo {text:?} is invalid: {why}"));
        if text.len() > MAX_HANDLE_LEN {
            return Err(Error::invalid(format!(
                "extraInfo is invalid: longer than {MAX_HANDLE_LEN} bytes"
            )));
        }
        let fields: Vec<&str> = text.split(' ').collect();
        let [ck, pop, invisible, revive, retry, broker, queue, offset] = fields.as_slice() else {
            return Err(invalid(format!("{} fields, 8 expected", fields.len())));
        };
        let num = |name: &str, value: &str| -> Result<i64> {
            value
                .parse::<i64>()
                .map_err(|_| invalid(format!("{name} {value:?} is not a number")))
        };
        let small = |name: &str, value: &str| -> Result<i32> {
            value
                .parse::<i32>()
                .map_err(|_| invalid(format!("{name} {value:?} is not a number")))
        };
        if broker.is_empty() {
            return Err(invalid("the broker name is empty".to_owned()));
        }
        Ok(PopHandle {
            ck_offset: num("ckOffset", ck)?,
            pop_time: num("popTime", pop)?,
            invisible_time: num("invisibleTime", invisible)?,
            revive_qid: small("reviveQid", revive)?,
            kind: PopTopicKind::from_mark(retry, "extraInfo")?,
            broker_name: (*broker).to_owned(),
            queue_id: small("queueId", queue)?,
            queue_offset: num("queueOffset", offset)?,
        })
    }

    /// Whether the message came from an order (FIFO) pop.
    pub fn is_order(&self) -> bool {
        self.revive_qid == ORDER_REVIVE_QUEUE
    }

    /// When the message becomes visible again unless acked: pop time plus invisible time.
    pub fn visible_again_at(&self) -> SystemTime {
        let ms = self.pop_time.saturating_add(self.invisible_time).max(0);
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    }

    /// Whether the invisible time has run out at `now` (the broker may then have handed the
    /// message to another consumer).
    pub fn is_expired_at(&self, now: SystemTime) -> bool {
        now >= self.visible_again_at()
    }

    /// The topic to ack on for a message of `topic` popped by `group`.
    pub fn real_topic(&self, topic: &str, group: &str) -> String {
        self.kind.real_topic(topic, group)
    }
}

impl fmt::Display for PopHandle {
    /// The wire form Java's `ExtraInfoUtil#buildExtraInfo` writes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} {} {}",
            self.ck_offset,
            self.pop_time,
            self.invisible_time,
            self.revive_qid,
            self.kind.mark(),
            self.broker_name,
            self.queue_id,
            self.queue_offset
        )
    }
}

/// A queue in a pop answer's offset lists: which topic and which queue id.
pub type PopQueueKey = (PopTopicKind, i32);

/// The offset lists of a pop answer, parsed (Java `ExtraInfoUtil#parse*Info`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PopOffsetInfo {
    /// Start offset (checkpoint offset) per queue read.
    pub start_offsets: BTreeMap<PopQueueKey, i64>,
    /// Offsets of the messages returned, per queue read.
    pub msg_offsets: BTreeMap<PopQueueKey, Vec<i64>>,
    /// Order pop: how often a queue's (or a message's) messages were delivered before, keyed
    /// by the raw key (`queueId` or `qo{queueId}%{offset}`) per topic kind.
    pub order_counts: BTreeMap<(PopTopicKind, String), i32>,
}

impl PopOffsetInfo {
    /// Parses the three lists of a pop answer; absent or empty lists are empty maps.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the list for an entry that is not three parts, a number that
    /// does not parse, a duplicate queue, or a list over 64 KiB.
    pub fn parse(header: &PopMessageResponseHeader) -> Result<PopOffsetInfo> {
        Ok(PopOffsetInfo {
            start_offsets: parse_start_offset_info(header.start_offset_info.as_deref())?,
            msg_offsets: parse_msg_offset_info(header.msg_offset_info.as_deref())?,
            order_counts: parse_order_count_info(header.order_count_info.as_deref())?,
        })
    }

    /// Writes a list entry the way a broker does (`retry queueId value`), appending to `out`
    /// with `;` between entries.
    pub fn push_entry(out: &mut String, kind: PopTopicKind, queue_id: i32, value: &str) {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(kind.mark());
        out.push(' ');
        out.push_str(&queue_id.to_string());
        out.push(' ');
        out.push_str(value);
    }
}

/// Parses `startOffsetInfo`: the checkpoint's start offset per queue read.
///
/// # Errors
/// As [`PopOffsetInfo::parse`], for this list.
pub fn parse_start_offset_info(list: Option<&str>) -> Result<BTreeMap<PopQueueKey, i64>> {
    let mut map = BTreeMap::new();
    for (kind, key, value) in entries(list, "startOffsetInfo")? {
        let queue = queue_id(key, "startOffsetInfo")?;
        if map
            .insert((kind, queue), number(value, "startOffsetInfo")?)
            .is_some()
        {
            return Err(duplicate("startOffsetInfo", key));
        }
    }
    Ok(map)
}

/// Parses `msgOffsetInfo`: the offsets returned per queue read.
///
/// # Errors
/// As [`PopOffsetInfo::parse`], for this list.
pub fn parse_msg_offset_info(list: Option<&str>) -> Result<BTreeMap<PopQueueKey, Vec<i64>>> {
    let mut map = BTreeMap::new();
    for (kind, key, value) in entries(list, "msgOffsetInfo")? {
        let queue = queue_id(key, "msgOffsetInfo")?;
        let offsets = value
            .split(',')
            .map(|o| number(o, "msgOffsetInfo"))
            .collect::<Result<Vec<i64>>>()?;
        if map.insert((kind, queue), offsets).is_some() {
            return Err(duplicate("msgOffsetInfo", key));
        }
    }
    Ok(map)
}

/// Parses `orderCountInfo`: delivery counts of an order pop, by topic kind and raw key.
///
/// # Errors
/// As [`PopOffsetInfo::parse`], for this list.
pub fn parse_order_count_info(list: Option<&str>) -> Result<BTreeMap<(PopTopicKind, String), i32>> {
    let mut map = BTreeMap::new();
    for (kind, key, value) in entries(list, "orderCountInfo")? {
        let count = i32::try_from(number(value, "orderCountInfo")?)
            .map_err(|_| Error::invalid(format!("orderCountInfo count {value} is too large")))?;
        if map.insert((kind, key.to_owned()), count).is_some() {
            return Err(duplicate("orderCountInfo", key));
        }
    }
    Ok(map)
}

/// What a client knows about one popped message when it builds the handle.
#[derive(Debug, Clone, Copy)]
pub struct PoppedMessage<'a> {
    /// The topic in the stored record (a retry topic unless the broker rewrote it).
    pub topic: &'a str,
    /// Queue id in the stored record.
    pub queue_id: i32,
    /// Queue offset in the stored record.
    pub queue_offset: i64,
    /// The record's `POP_CK` property: a broker sets it on retried messages it re-encodes.
    pub pop_ck: Option<&'a str>,
}

/// The receipt handle of each message of a pop answer, in order (Java
/// `MQClientAPIImpl#processPopResponse`).
///
/// A message that carries `POP_CK` keeps it. Otherwise its queue's entry in `startOffsetInfo`
/// gives the checkpoint offset; an answer without that list (older brokers) uses the first
/// offset returned for the queue. The message's own offset is the record's: `msgOffsetInfo`
/// only repeats it, and is not read (the crates.io broker 1.0.0 joins its offsets with `;`
/// instead of `,`, which no parser can split back).
///
/// # Errors
/// [`Error::Invalid`] when `startOffsetInfo` is malformed, a message's queue has no start
/// offset, or a carried `POP_CK` does not parse.
pub fn pop_handles(
    header: &PopMessageResponseHeader,
    broker_name: &str,
    messages: &[PoppedMessage<'_>],
) -> Result<Vec<PopHandle>> {
    let start_offsets = parse_start_offset_info(header.start_offset_info.as_deref())?;
    let legacy = header.start_offset_info.as_deref().unwrap_or("").is_empty();
    let mut first_offsets: BTreeMap<(String, i32), i64> = BTreeMap::new();
    messages
        .iter()
        .map(|m| {
            if let Some(ck) = m.pop_ck {
                return PopHandle::parse(ck);
            }
            let kind = PopTopicKind::of_topic(m.topic);
            let ck_offset = if legacy {
                *first_offsets
                    .entry((m.topic.to_owned(), m.queue_id))
                    .or_insert(m.queue_offset)
            } else {
                *start_offsets.get(&(kind, m.queue_id)).ok_or_else(|| {
                    Error::invalid(format!(
                        "startOffsetInfo has no entry for queue {} of {}",
                        m.queue_id, m.topic
                    ))
                })?
            };
            Ok(PopHandle {
                ck_offset,
                pop_time: header.pop_time,
                invisible_time: header.invisible_time,
                revive_qid: header.revive_qid,
                kind,
                broker_name: broker_name.to_owned(),
                queue_id: m.queue_id,
                queue_offset: m.queue_offset,
            })
        })
        .collect()
}

/// Splits a `;`-separated list into `(kind, key, value)` entries of three space-separated parts.
fn entries<'a>(
    list: Option<&'a str>,
    field: &'static str,
) -> Result<Vec<(PopTopicKind, &'a str, &'a str)>> {
    let list = list.unwrap_or("");
    if list.is_empty() {
        return Ok(Vec::new());
    }
    if list.len() > MAX_INFO_LEN {
        return Err(Error::invalid(format!(
            "{field} is invalid: longer than {MAX_INFO_LEN} bytes"
        )));
    }
    list.split(';')
        .map(|entry| {
            let parts: Vec<&str> = entry.split(' ').collect();
            match parts.as_slice() {
                [mark, key, value] => Ok((PopTopicKind::from_mark(mark, field)?, *key, *value)),
                _ => Err(Error::invalid(format!(
                    "{field} is invalid: entry {entry:?} is not three parts"
                ))),
            }
        })
        .collect()
}

fn number(text: &str, field: &'static str) -> Result<i64> {
    text.parse()
        .map_err(|_| Error::invalid(format!("{field} is invalid: {text:?} is not a number")))
}

fn queue_id(text: &str, field: &'static str) -> Result<i32> {
    text.parse()
        .map_err(|_| Error::invalid(format!("{field} is invalid: queue id {text:?}")))
}

fn duplicate(field: &'static str, key: &str) -> Error {
    Error::invalid(format!("{field} is invalid: queue {key} appears twice"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(start: Option<&str>, msgs: Option<&str>) -> PopMessageResponseHeader {
        PopMessageResponseHeader {
            pop_time: 1_000,
            invisible_time: 30_000,
            revive_qid: 2,
            rest_num: 0,
            start_offset_info: start.map(String::from),
            msg_offset_info: msgs.map(String::from),
            order_count_info: None,
        }
    }

    #[test]
    fn handles_round_trip_through_their_wire_form() {
        let text = "10 1700000000000 30000 3 1 broker-a 0 12";
        let handle = PopHandle::parse(text).expect("parses");
        assert_eq!(handle.ck_offset, 10);
        assert_eq!(handle.kind, PopTopicKind::Retry);
        assert_eq!(handle.broker_name, "broker-a");
        assert_eq!(handle.queue_offset, 12);
        assert_eq!(handle.to_string(), text);
        assert_eq!(handle.real_topic("T", "G"), "%RETRY%G_T");
        assert!(!handle.is_order());
    }

    #[test]
    fn malformed_handles_are_refused_naming_extra_info() {
        for bad in [
            "",
            "1 2 3",
            "1 2 3 4 0 b 0",
            "x 2 3 4 0 b 0 5",
            "1 2 3 4 7 b 0 5",
            "1 2 3 4 0  0 5",
            "1 2 3 4 0 b 0 5 6",
            &"9".repeat(600),
        ] {
            let e = PopHandle::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("extraInfo"), "{e}");
        }
    }

    #[test]
    fn a_handle_expires_at_pop_time_plus_invisible_time() {
        let handle = PopHandle::parse("0 1000 500 0 0 b 0 0").expect("parses");
        let at = |ms| UNIX_EPOCH + Duration::from_millis(ms);
        assert_eq!(handle.visible_again_at(), at(1_500));
        assert!(!handle.is_expired_at(at(1_499)));
        assert!(handle.is_expired_at(at(1_500)));
    }

    #[test]
    fn each_message_gets_its_queues_start_offset() {
        let h = header(Some("0 1 10;1 0 3"), Some("0 1 10,12;1 0 3"));
        let messages = [
            PoppedMessage {
                topic: "T",
                queue_id: 1,
                queue_offset: 10,
                pop_ck: None,
            },
            PoppedMessage {
                topic: "T",
                queue_id: 1,
                queue_offset: 12,
                pop_ck: None,
            },
            PoppedMessage {
                topic: "%RETRY%G_T",
                queue_id: 0,
                queue_offset: 3,
                pop_ck: None,
            },
        ];
        let handles = pop_handles(&h, "b", &messages).expect("assigns");
        let wire: Vec<String> = handles.iter().map(ToString::to_string).collect();
        assert_eq!(
            wire,
            [
                "10 1000 30000 2 0 b 1 10",
                "10 1000 30000 2 0 b 1 12",
                "3 1000 30000 2 1 b 0 3"
            ]
        );
    }

    #[test]
    fn a_carried_pop_ck_wins_and_old_brokers_use_the_first_offset() {
        let carried = "3 900 30000 2 1 b 0 3";
        let messages = [
            PoppedMessage {
                topic: "T",
                queue_id: 0,
                queue_offset: 3,
                pop_ck: Some(carried),
            },
            PoppedMessage {
                topic: "T",
                queue_id: 2,
                queue_offset: 7,
                pop_ck: None,
            },
            PoppedMessage {
                topic: "T",
                queue_id: 2,
                queue_offset: 8,
                pop_ck: None,
            },
        ];
        let handles = pop_handles(&header(None, None), "b", &messages).expect("assigns");
        assert_eq!(handles[0].to_string(), carried);
        assert_eq!(handles[1].ck_offset, 7);
        assert_eq!(handles[2].ck_offset, 7);
        assert_eq!(handles[2].queue_offset, 8);
    }

    #[test]
    fn malformed_offset_lists_are_refused_naming_the_list() {
        let cases = [
            (header(Some("0 1"), None), "startOffsetInfo"),
            (header(Some("0 1 x"), None), "startOffsetInfo"),
            (header(Some("0 1 2;0 1 3"), None), "startOffsetInfo"),
            (header(Some("5 1 2"), None), "startOffsetInfo"),
            (header(None, Some("0 1 2,y")), "msgOffsetInfo"),
        ];
        for (h, field) in cases {
            let e = PopOffsetInfo::parse(&h).expect_err(field);
            assert!(e.to_string().contains(field), "{e}");
        }
        let missing = [PoppedMessage {
            topic: "T",
            queue_id: 4,
            queue_offset: 1,
            pop_ck: None,
        }];
        let e = pop_handles(&header(Some("0 1 0"), None), "b", &missing).expect_err("no entry");
        assert!(e.to_string().contains("queue 4"), "{e}");
    }

    #[test]
    fn handles_do_not_depend_on_msg_offset_info() {
        // What the crates.io broker 1.0.0 writes for four messages of queue 0.
        let h = header(Some("0 0 1"), Some("0 0 1;2;3;4"));
        assert!(
            PopOffsetInfo::parse(&h).is_err(),
            "the list itself is malformed"
        );
        let messages: Vec<PoppedMessage<'_>> = (1..=4)
            .map(|o| PoppedMessage {
                topic: "T",
                queue_id: 0,
                queue_offset: o,
                pop_ck: None,
            })
            .collect();
        let handles = pop_handles(&h, "b", &messages).expect("assigns");
        assert_eq!(handles[3].to_string(), "1 1000 30000 2 0 b 0 4");
    }

    #[test]
    fn entries_are_written_as_a_broker_writes_them() {
        let mut out = String::new();
        PopOffsetInfo::push_entry(&mut out, PopTopicKind::Normal, 1, "10");
        PopOffsetInfo::push_entry(&mut out, PopTopicKind::Retry, 0, "3,4");
        assert_eq!(out, "0 1 10;1 0 3,4");
    }
}
