//! Delayed delivery. Delay levels as Java 4.9.7 (`CommitLog` parks a message with `DELAY` in
//! `SCHEDULE_TOPIC_XXXX`, queue level - 1, with REAL_TOPIC / REAL_QID; `ScheduleMessageService`
//! moves it back once store time + the level's delay has passed) and the 5.x timer
//! (`TIMER_DELIVER_MS`, `TIMER_DELAY_MS`, `TIMER_DELAY_SEC`, and the legacy
//! `__STARTDELIVERTIME` read as an absolute time: parked in `rmq_sys_wheel_timer` with
//! `TIMER_OUT_MS`, delivered at that time with `TIMER_ENQUEUE_MS` / `TIMER_DEQUEUE_MS`).
//! Delivered messages keep DELAY, REAL_TOPIC and REAL_QID, as Java's stored properties do.
//!
//! The ladder is the broker config `messageDelayLevel` (Java's format, plus `ms` for tests),
//! the timer precision `timerPrecisionMs` (default 1000): both can be changed with
//! UPDATE_BROKER_CONFIG, as on a Java broker. Delivery runs in the broker's background task.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration;

use rmq_protocol::message::{property, sysflag};
use rmq_protocol::{naming, Command, ResponseCode, StoredMessage};

use super::{inner, now_ms, Broker, DELAY_LEVELS};
use crate::reply;
use crate::store::{PutRequest, PutResult, StoreError};

/// Java `TimerMessageStore.TIMER_TOPIC`.
pub(crate) const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
/// Java `MessageConst.PROPERTY_TIMER_OUT_MS`: when a timer message is due.
const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
/// Java `MessageConst.PROPERTY_TIMER_ENQUEUE_MS`.
const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
/// Java `MessageConst.PROPERTY_TIMER_DEQUEUE_MS`.
const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
/// Java `messageStoreConfig.timerPrecisionMs` default.
const DEFAULT_TIMER_PRECISION_MS: i64 = 1000;
/// Java `MessageStoreConfig#timerMaxDelaySec` default: 3 days.
const DEFAULT_TIMER_MAX_DELAY_SEC: i64 = 3 * 24 * 3600;
/// Most records a queue delivers per tick (keeps a tick short).
const MAX_PER_TICK: usize = 1024;
/// Most timer messages waiting; more are delivered late rather than tracked.
const MAX_TIMERS: usize = 1 << 20;

/// The delay of each level (index 0 = level 1), from the broker config `messageDelayLevel`.
pub(crate) fn ladder(broker: &Broker) -> Vec<Duration> {
    let entries = broker.config_entries();
    let text = entries
        .get("messageDelayLevel")
        .map_or(DELAY_LEVELS, String::as_str);
    let parsed = parse_ladder(text);
    if parsed.is_empty() {
        parse_ladder(DELAY_LEVELS)
    } else {
        parsed
    }
}

/// Java `ScheduleMessageService#parseDelayLevel`: space-separated `<n><unit>` with units
/// `s`, `m`, `h`, `d` (and `ms` here); a bad entry ends the list.
fn parse_ladder(text: &str) -> Vec<Duration> {
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        let (num, unit_ms) = if let Some(n) = item.strip_suffix("ms") {
            (n, 1)
        } else {
            let unit = match item.chars().last() {
                Some('s') => 1_000,
                Some('m') => 60_000,
                Some('h') => 3_600_000,
                Some('d') => 86_400_000,
                _ => break,
            };
            (&item[..item.len() - 1], unit)
        };
        match num.parse::<u64>() {
            Ok(n) => out.push(Duration::from_millis(n.saturating_mul(unit_ms))),
            Err(_) => break,
        }
    }
    out
}

/// Java's commit-log rule for every put: a message with a delay level (and no prepared or
/// rolled-back transaction bits) is parked in the schedule topic; one with a 5.x delivery time
/// in the future is parked in the timer topic.
pub(crate) fn rewrite_delayed(broker: &Broker, put: &mut PutRequest) {
    let kind = sysflag::transaction_type(put.sys_flag);
    if kind != sysflag::TRANSACTION_NOT_TYPE && kind != sysflag::TRANSACTION_COMMIT_TYPE {
        return;
    }
    if put.topic == TIMER_TOPIC || put.topic == naming::SCHEDULE_TOPIC {
        return;
    }
    let level: i32 = put
        .properties
        .get(property::DELAY_TIME_LEVEL)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    if level > 0 {
        // Java 5.x HookUtils#checkIfTimerMessage: a delay level wins over timer properties.
        for name in [
            property::TIMER_DELIVER_MS,
            property::TIMER_DELAY_SEC,
            property::TIMER_DELAY_MS,
        ] {
            put.properties.remove(name);
        }
        let max = i32::try_from(ladder(broker).len()).unwrap_or(i32::MAX);
        let level = level.min(max);
        put.properties
            .insert(property::DELAY_TIME_LEVEL, level.to_string());
        park(put, naming::SCHEDULE_TOPIC, level - 1);
        return;
    }
    if put.properties.contains(TIMER_OUT_MS) {
        return;
    }
    let Some(deliver_ms) = timer_deliver_ms(put) else {
        return;
    };
    let now = now_ms();
    if deliver_ms <= now {
        return;
    }
    // Java: HookUtils#transformTimerMessage rounds down to the timer's precision.
    let precision = broker
        .config_entries()
        .get("timerPrecisionMs")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|&p| p > 0)
        .unwrap_or(DEFAULT_TIMER_PRECISION_MS);
    let due = if deliver_ms % precision == 0 {
        deliver_ms - precision
    } else {
        deliver_ms / precision * precision
    };
    put.properties.insert(TIMER_OUT_MS, due.to_string());
    park(put, TIMER_TOPIC, 0);
}

/// Java 5.x `HookUtils#transformTimerMessage`'s refusals, for a message the commit log would
/// treat as a timer message: a delivery time that does not parse, or one further out than the
/// broker config `timerMaxDelaySec` (default 3 days), is MESSAGE_ILLEGAL with Java's remark.
///
/// # Errors
/// The refusal.
pub(crate) fn check_timer(broker: &Broker, put: &PutRequest) -> Result<(), Command> {
    let kind = sysflag::transaction_type(put.sys_flag);
    let delayed_by_level = put
        .properties
        .get(property::DELAY_TIME_LEVEL)
        .and_then(|l| l.parse::<i32>().ok())
        .is_some_and(|l| l > 0);
    if (kind != sysflag::TRANSACTION_NOT_TYPE && kind != sysflag::TRANSACTION_COMMIT_TYPE)
        || put.topic == TIMER_TOPIC
        || put.topic == naming::SCHEDULE_TOPIC
        || put.properties.contains(TIMER_OUT_MS)
        || delayed_by_level
    {
        return Ok(());
    }
    let get = |name: &str| put.properties.get(name);
    let now = now_ms();
    let deliver_ms = if let Some(sec) = get(property::TIMER_DELAY_SEC) {
        sec.parse::<i64>()
            .map(|s| now.saturating_add(s.saturating_mul(1000)))
    } else if let Some(ms) = get(property::TIMER_DELAY_MS) {
        ms.parse::<i64>().map(|ms| now.saturating_add(ms))
    } else if let Some(at) = get(property::TIMER_DELIVER_MS) {
        at.parse::<i64>()
    } else {
        return Ok(());
    };
    let max_delay_ms = broker
        .config_entries()
        .get("timerMaxDelaySec")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_TIMER_MAX_DELAY_SEC)
        .saturating_mul(1000);
    match deliver_ms {
        Ok(at) if at.saturating_sub(now) <= max_delay_ms => Ok(()),
        _ => Err(reply::error(
            ResponseCode::MESSAGE_ILLEGAL,
            format!("timer message illegal, the delay time should not be bigger than the max delay {max_delay_ms}ms; or if set del msg, the delay time should be bigger than the current time"),
        )),
    }
}

/// The absolute delivery time a 5.x timer message asks for, if any.
fn timer_deliver_ms(put: &PutRequest) -> Option<i64> {
    let get = |name: &str| put.properties.get(name).and_then(|v| v.parse::<i64>().ok());
    if let Some(sec) = get(property::TIMER_DELAY_SEC) {
        return Some(now_ms().saturating_add(sec.saturating_mul(1000)));
    }
    if let Some(ms) = get(property::TIMER_DELAY_MS) {
        return Some(now_ms().saturating_add(ms));
    }
    get(property::TIMER_DELIVER_MS).or_else(|| get(property::START_DELIVER_TIME))
}

/// Moves `put` to a system topic, keeping where it really goes in REAL_TOPIC / REAL_QID.
fn park(put: &mut PutRequest, topic: &str, queue_id: i32) {
    put.properties
        .insert(property::REAL_TOPIC, put.topic.as_str());
    put.properties
        .insert(property::REAL_QUEUE_ID, put.queue_id.to_string());
    put.topic = topic.to_owned();
    put.queue_id = queue_id;
}

/// Delivery progress, owned by the broker's background task (Java persists the same as
/// `delayOffset.json`).
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// Next schedule-topic offset to look at, per level queue.
    levels: BTreeMap<i32, i64>,
    /// Next timer-topic offset to read into `timers`.
    timer_offset: i64,
    /// Parked timer messages: (due ms, commit-log offset), earliest first.
    timers: BinaryHeap<Reverse<(i64, i64)>>,
    /// Timer messages recalled before their time (RECALL_MESSAGE's delete markers).
    recalled: super::recalled::Recalled,
}

/// Delivers every delayed and timer message that is due.
pub(crate) fn tick(broker: &Broker, cursor: &mut Cursor) {
    let ladder = ladder(broker);
    for (index, delay) in ladder.iter().enumerate() {
        let Ok(queue_id) = i32::try_from(index) else {
            break;
        };
        deliver_level(broker, cursor, queue_id, *delay);
    }
    collect_timers(broker, cursor);
    let now = now_ms();
    cursor.recalled.prune(now);
    let mut delivered = 0;
    while let Some(&Reverse((due, offset))) = cursor.timers.peek() {
        if due > now || delivered >= MAX_PER_TICK {
            break;
        }
        cursor.timers.pop();
        delivered += 1;
        let Some(mut msg) = broker.store().by_commit_log_offset(offset) else {
            continue;
        };
        if cursor.recalled.covers(&msg) {
            continue;
        }
        msg.properties
            .insert(TIMER_ENQUEUE_MS, msg.store_timestamp.to_string());
        msg.properties.insert(TIMER_DEQUEUE_MS, now.to_string());
        let Some(put) = back_to_real_topic(&msg) else {
            continue;
        };
        // A failed store (say, the message no longer fits) drops it, as Java's PUT_NO_RETRY.
        let _ = inner::store_as_is(broker, put);
    }
}

/// Java `DeliverDelayedMessageTimerTask#executeOnTimeup` for one level: messages in order,
/// each due at store time + the level's delay, stopping at the first not yet due.
fn deliver_level(broker: &Broker, cursor: &mut Cursor, queue_id: i32, delay: Duration) {
    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let topic = naming::SCHEDULE_TOPIC;
    for _ in 0..MAX_PER_TICK {
        let next = cursor.levels.entry(queue_id).or_insert(0);
        let (min, max) = {
            let store = broker.store();
            (
                store.min_offset(topic, queue_id),
                store.max_offset(topic, queue_id),
            )
        };
        *next = (*next).max(min);
        if *next >= max {
            return;
        }
        let offset = *next;
        let Some(msg) = broker.store().message_in_queue(topic, queue_id, offset) else {
            *next = offset + 1;
            continue;
        };
        let now = now_ms();
        // Java: correctDeliverTimestamp delivers at once a message due further out than the
        // delay itself (the ladder was shortened, or the clock went back).
        let due = msg.store_timestamp.saturating_add(delay_ms);
        if due > now && due <= now.saturating_add(delay_ms) {
            return;
        }
        *next = offset + 1;
        if let Some(put) = back_to_real_topic(&msg) {
            let _ = inner::store_as_is(broker, put);
        }
    }
}

/// Reads newly parked timer messages into the heap.
fn collect_timers(broker: &Broker, cursor: &mut Cursor) {
    let store = broker.store();
    let max = store.max_offset(TIMER_TOPIC, 0);
    let mut offset = cursor.timer_offset.max(store.min_offset(TIMER_TOPIC, 0));
    while offset < max && cursor.timers.len() < MAX_TIMERS {
        let msg = store.message_in_queue(TIMER_TOPIC, 0, offset);
        if let Some(msg) = msg.filter(|m| !cursor.recalled.note(m)) {
            let due = msg
                .property(TIMER_OUT_MS)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            cursor.timers.push(Reverse((due, msg.commit_log_offset)));
        }
        offset += 1;
    }
    cursor.timer_offset = offset;
}

/// Java `messageTimeup` / `TimerMessageStore#convertMessage`: the message as it goes back to
/// its real topic and queue (`None` when those properties are missing or bad).
///
/// Its properties stay as parked, DELAY, REAL_TOPIC and REAL_QID included: Java clears those
/// only in the map it checks, after writing the properties string it stores, so consumers of
/// a Java broker see them.
fn back_to_real_topic(msg: &StoredMessage) -> Option<PutRequest> {
    let topic = msg.property(property::REAL_TOPIC)?;
    let queue_id: i32 = msg.property(property::REAL_QUEUE_ID)?.parse().ok()?;
    Some(inner::copy_of(msg, topic, queue_id))
}

/// Stores `put` after the commit log's delay rewrite, and wakes long polls.
///
/// # Errors
/// The store's refusal.
pub(crate) fn store_rewritten(
    broker: &Broker,
    mut put: PutRequest,
) -> Result<PutResult, StoreError> {
    rewrite_delayed(broker, &mut put);
    inner::store_as_is(broker, put)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_parses_java_units_and_ms() {
        let ladder = parse_ladder("1s 5m 2h 1d 50ms");
        assert_eq!(
            ladder,
            [
                Duration::from_secs(1),
                Duration::from_secs(300),
                Duration::from_secs(7200),
                Duration::from_secs(86_400),
                Duration::from_millis(50),
            ]
        );
        assert_eq!(parse_ladder("1s x 5s").len(), 1);
        assert_eq!(parse_ladder(DELAY_LEVELS).len(), 18);
    }
}
