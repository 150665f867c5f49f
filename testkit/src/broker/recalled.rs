//! The delete markers of recalled timer messages (RECALL_MESSAGE) as the timer keeps them:
//! Java's per-slot delete list. The recall processor writes markers; the timer's cursor reads
//! them and drops the messages they cover.

use std::collections::HashMap;

use rmq_protocol::message::property;
use rmq_protocol::StoredMessage;

/// Java `MessageConst.PROPERTY_TIMER_DEL_UNIQKEY`: marks a timer entry as a delete marker.
pub(super) const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
/// Java `MessageConst.PROPERTY_TIMER_OUT_MS`.
pub(super) const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
/// Most recalled keys remembered; beyond it a recall still answers but does not cancel.
const MAX_RECALLED: usize = 1 << 16;
/// How long past its time a recalled key is kept (a marker that lost the race to the timer).
const RECALLED_GRACE_MS: i64 = 60_000;

/// Java `TimerMessageStore#buildDeleteKey`.
pub(super) fn delete_key(topic: &str, unique_key: &str) -> String {
    format!("{topic}+{unique_key}")
}

/// The delete markers the timer has read: messages due with one of these keys are dropped
/// instead of delivered (Java's per-slot delete list). Owned by the timer's cursor.
#[derive(Debug, Default)]
pub(crate) struct Recalled {
    /// Delete key -> the marker's due time (ms), to forget it once long past.
    keys: HashMap<String, i64>,
}

impl Recalled {
    /// Remembers `msg`'s key if it is a delete marker; `true` for a marker (never delivered).
    pub(crate) fn note(&mut self, msg: &StoredMessage) -> bool {
        let Some(key) = msg.property(TIMER_DEL_UNIQKEY) else {
            return false;
        };
        if self.keys.len() < MAX_RECALLED || self.keys.contains_key(key) {
            let due = msg
                .property(TIMER_OUT_MS)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            self.keys.insert(key.to_owned(), due);
        }
        true
    }

    /// Whether the due timer message `msg` was recalled.
    pub(crate) fn covers(&self, msg: &StoredMessage) -> bool {
        if self.keys.is_empty() {
            return false;
        }
        let topic = msg.property(property::REAL_TOPIC);
        let id = msg.property(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
        match (topic, id) {
            (Some(topic), Some(id)) => self.keys.contains_key(&delete_key(topic, id)),
            _ => false,
        }
    }

    /// Forgets keys whose time is long past at `now` (ms).
    pub(crate) fn prune(&mut self, now: i64) {
        if !self.keys.is_empty() {
            self.keys
                .retain(|_, due| due.saturating_add(RECALLED_GRACE_MS) > now);
        }
    }
}
