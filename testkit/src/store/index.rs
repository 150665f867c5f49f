//! The key index (Java's `IndexService`): `topic#key` to the physical offsets of the records
//! carrying that key in `KEYS` or as their `UNIQ_KEY`. Entries leave with their records, so
//! the index is bounded by the store's byte budget.

use std::collections::{HashMap, VecDeque};

use rmq_protocol::message::{property, sysflag};
use rmq_protocol::StoredMessage;

/// Java: `MessageConst.KEY_SEPARATOR`.
const KEY_SEPARATOR: char = ' ';

/// `topic#key` to physical offsets, oldest first.
#[derive(Debug, Default)]
pub(crate) struct KeyIndex {
    offsets: HashMap<String, VecDeque<i64>>,
    /// Store time and physical offset of the last record indexed (Java's index file end
    /// timestamp and end physical offset, answered with every query).
    last_update: (i64, i64),
}

/// Java: `IndexService#buildKey`.
pub(crate) fn index_key(topic: &str, key: &str) -> String {
    format!("{topic}#{key}")
}

impl KeyIndex {
    /// The keys `msg` is indexed under: its unique key and each of its keys, none for a
    /// rolled-back transaction record (Java `IndexService#buildIndex`).
    pub fn keys_of(msg: &StoredMessage) -> Vec<String> {
        if sysflag::transaction_type(msg.sys_flag) == sysflag::TRANSACTION_ROLLBACK_TYPE {
            return Vec::new();
        }
        let uniq = msg.property(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
        let keys = msg
            .property(property::KEYS)
            .unwrap_or_default()
            .split(KEY_SEPARATOR);
        let mut out: Vec<String> = Vec::new();
        for key in uniq.into_iter().chain(keys).filter(|k| !k.is_empty()) {
            let key = index_key(&msg.topic, key);
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }

    /// Indexes the record at `offset` under `keys`.
    pub fn add(&mut self, keys: &[String], offset: i64, store_timestamp: i64) {
        for key in keys {
            self.offsets
                .entry(key.clone())
                .or_default()
                .push_back(offset);
        }
        if !keys.is_empty() {
            self.last_update = (store_timestamp, offset);
        }
    }

    /// Forgets the evicted record at `offset` (always the oldest under each of its keys).
    pub fn remove(&mut self, keys: &[String], offset: i64) {
        for key in keys {
            if let Some(list) = self.offsets.get_mut(key) {
                while list.front().is_some_and(|&o| o <= offset) {
                    list.pop_front();
                }
                if list.is_empty() {
                    self.offsets.remove(key);
                }
            }
        }
    }

    /// Offsets under `key`, newest first.
    pub fn newest_first(&self, key: &str) -> impl Iterator<Item = i64> + '_ {
        self.offsets
            .get(key)
            .into_iter()
            .flat_map(|l| l.iter().rev().copied())
    }

    /// Store time and physical offset of the last record indexed.
    pub fn last_update(&self) -> (i64, i64) {
        self.last_update
    }
}
