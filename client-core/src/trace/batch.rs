//! One trace message in the making: records encoded into one body, with the keys to index it
//! under. The dispatcher fills batches; the sender sends them.

use std::collections::BTreeSet;

use rmq_protocol::trace::TraceRecord;
use tokio::time::Instant;

use super::Settings;

/// Records encoded into one trace message body, with the keys to index it under.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) body: String,
    pub(super) keys: BTreeSet<String>,
    pub(super) records: usize,
    /// When its first record arrived.
    pub(super) started: Option<Instant>,
}

impl Batch {
    pub(super) fn push(&mut self, record: &TraceRecord) {
        record.encode_into(&mut self.body);
        self.keys.extend(record.index_keys().map(str::to_owned));
        self.records += 1;
        self.started.get_or_insert_with(Instant::now);
    }

    pub(super) fn is_full(&self, settings: &Settings) -> bool {
        self.records >= settings.batch_records || self.body.len() >= settings.batch_bytes
    }

    pub(super) fn take(&mut self) -> Batch {
        std::mem::take(self)
    }
}
