//! One consume queue: the logical offsets of a (topic, queue id) mapped to commit-log entries,
//! with the lookups a broker makes on it (by offset, by store time). It holds positions only;
//! the records themselves stay in the commit log.

use std::collections::VecDeque;

/// One entry, as Java's 20-byte consume-queue unit (physical offset, size) plus the store
/// time Java reads back from the commit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Physical offset of the record.
    pub commit_log_offset: i64,
    /// Size of the record in bytes.
    pub size: usize,
    /// Store timestamp of the record, ms.
    pub store_timestamp: i64,
}

/// The entries of one queue, oldest first; `min_offset` is the logical offset of the first.
#[derive(Debug, Default)]
pub(crate) struct ConsumeQueue {
    min_offset: i64,
    entries: VecDeque<Entry>,
}

impl ConsumeQueue {
    /// Logical offset of the oldest entry still held.
    pub fn min_offset(&self) -> i64 {
        self.min_offset
    }

    /// Logical offset the next entry gets (Java's `getMaxOffsetInQueue`).
    pub fn max_offset(&self) -> i64 {
        self.min_offset + self.entries.len() as i64
    }

    /// Appends an entry; returns its logical offset.
    pub fn push(&mut self, entry: Entry) -> i64 {
        let offset = self.max_offset();
        self.entries.push_back(entry);
        offset
    }

    /// Drops the oldest entry if it points at a record at or before `commit_log_offset`
    /// (the record was evicted); the minimum offset advances.
    pub fn evict_through(&mut self, commit_log_offset: i64) {
        while self
            .entries
            .front()
            .is_some_and(|e| e.commit_log_offset <= commit_log_offset)
        {
            self.entries.pop_front();
            self.min_offset += 1;
        }
    }

    /// The entries from logical offset `offset` on (empty when out of range).
    pub fn from(&self, offset: i64) -> impl Iterator<Item = &Entry> {
        let skip = usize::try_from(offset.saturating_sub(self.min_offset)).unwrap_or(usize::MAX);
        self.entries.iter().skip(skip)
    }

    /// The entry at logical offset `offset`.
    pub fn at(&self, offset: i64) -> Option<&Entry> {
        let index = usize::try_from(offset.checked_sub(self.min_offset)?).ok()?;
        self.entries.get(index)
    }

    /// The logical offset for a store time, by Java's `ConsumeQueue#getOffsetInQueueByTime`:
    /// a binary search that returns an entry stored exactly then, else the nearer of the two
    /// neighbours (the earlier on a tie), the first entry for a time before all and the last
    /// entry (not the max offset) for a time after all. An empty queue answers its min offset.
    pub fn offset_by_time(&self, timestamp: i64) -> i64 {
        if self.entries.is_empty() {
            return self.min_offset;
        }
        let (mut low, mut high) = (0i64, self.entries.len() as i64 - 1);
        let (mut left, mut right) = (None::<(i64, i64)>, None::<(i64, i64)>);
        while high >= low {
            let mid = (low + high) / 2;
            let Some(time) = self.entries.get(mid as usize).map(|e| e.store_timestamp) else {
                break;
            };
            if time == timestamp {
                return self.min_offset + mid;
            } else if time > timestamp {
                high = mid - 1;
                right = Some((mid, time));
            } else {
                low = mid + 1;
                left = Some((mid, time));
            }
        }
        let index = match (left, right) {
            (None, Some((r, _))) => r,
            (Some((l, _)), None) => l,
            (Some((l, lt)), Some((r, rt))) => {
                if timestamp.abs_diff(lt) > timestamp.abs_diff(rt) {
                    r
                } else {
                    l
                }
            }
            // Unreachable with at least one entry; the first entry is a safe answer.
            (None, None) => 0,
        };
        self.min_offset + index
    }
}
