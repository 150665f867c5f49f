//! Bit flags carried with messages: the store/send `sysFlag` (Java `MessageSysFlag`) as
//! constants and helpers, and the pull request's `sysFlag` as the [`PullSysFlag`] builder.
//!
//! ```text
//! bit  10 9 8 | 7           6           | 5          4         | 3 2          | 1          0
//!      type   | INNER_BATCH NEED_UNWRAP | STORE_V6   BORN_V6   | transaction  | MULTI_TAGS COMPRESSED
//! ```

/// Bit 0: the body is compressed (algorithm in [`COMPRESSION_TYPE_MASK`]).
pub const COMPRESSED: i32 = 0x1;
/// Bit 1: set by the broker for MULTI_TAG topics.
pub const MULTI_TAGS: i32 = 0x2;
/// Transaction bits 2..3: not a transactional message.
pub const TRANSACTION_NOT_TYPE: i32 = 0x0;
/// Transaction bits 2..3: a prepared (half) message.
pub const TRANSACTION_PREPARED_TYPE: i32 = 0x4;
/// Transaction bits 2..3: a committed transactional message.
pub const TRANSACTION_COMMIT_TYPE: i32 = 0x8;
/// Transaction bits 2..3: a rolled-back transactional message.
pub const TRANSACTION_ROLLBACK_TYPE: i32 = 0xC;
/// Mask of the transaction bits.
pub const TRANSACTION_MASK: i32 = 0xC;
/// Bit 4: the born host is IPv6 (16 address bytes in the store format).
pub const BORN_HOST_V6: i32 = 0x10;
/// Bit 5: the store host is IPv6 (16 address bytes in the store format).
pub const STORE_HOST_V6: i32 = 0x20;
/// Bit 6 (5.x): the body of an inner batch must be unwrapped.
pub const NEED_UNWRAP: i32 = 0x40;
/// Bit 7 (5.x): the record is an inner batch.
pub const INNER_BATCH: i32 = 0x80;
/// Compression type bits 8..10: LZ4 frame.
pub const COMPRESSION_LZ4: i32 = 0x100;
/// Compression type bits 8..10: zstd.
pub const COMPRESSION_ZSTD: i32 = 0x200;
/// Compression type bits 8..10: zlib (type `0` also means zlib).
pub const COMPRESSION_ZLIB: i32 = 0x300;
/// Mask of the compression type bits.
pub const COMPRESSION_TYPE_MASK: i32 = 0x700;

/// The transaction bits of `sys_flag` (one of the `TRANSACTION_*_TYPE` values).
pub const fn transaction_type(sys_flag: i32) -> i32 {
    sys_flag & TRANSACTION_MASK
}

/// `sys_flag` with its transaction bits replaced by `kind`.
pub const fn with_transaction_type(sys_flag: i32, kind: i32) -> i32 {
    (sys_flag & !TRANSACTION_MASK) | (kind & TRANSACTION_MASK)
}

/// Whether the body is compressed.
pub const fn is_compressed(sys_flag: i32) -> bool {
    sys_flag & COMPRESSED != 0
}

/// The pull request's `sysFlag` (Java `PullSysFlag`), built by chaining.
///
/// ```
/// use rmq_protocol::message::PullSysFlag;
/// let flag = PullSysFlag::new().with_commit_offset(true).with_suspend(true);
/// assert_eq!(flag.bits(), 0x3);
/// assert!(!flag.with_commit_offset(false).commit_offset());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PullSysFlag(i32);

impl PullSysFlag {
    /// Bit 0: the request carries the consumer's offset to commit.
    pub const COMMIT_OFFSET: i32 = 0x1;
    /// Bit 1: long polling; the broker may hold the request.
    pub const SUSPEND: i32 = 0x2;
    /// Bit 2: use the subscription in this request instead of the heartbeat's.
    pub const SUBSCRIPTION: i32 = 0x4;
    /// Bit 3: legacy class filter.
    pub const CLASS_FILTER: i32 = 0x8;
    /// Bit 4 (5.x): the request comes from a lite pull consumer.
    pub const LITE_PULL: i32 = 0x10;

    /// No bits set.
    pub const fn new() -> Self {
        PullSysFlag(0)
    }

    /// The flag with these exact bits (unknown bits are kept).
    pub const fn from_bits(bits: i32) -> Self {
        PullSysFlag(bits)
    }

    /// The value for the request header.
    pub const fn bits(self) -> i32 {
        self.0
    }

    const fn with(self, bit: i32, on: bool) -> Self {
        if on {
            PullSysFlag(self.0 | bit)
        } else {
            PullSysFlag(self.0 & !bit)
        }
    }

    /// Sets or clears [`Self::COMMIT_OFFSET`] (clear it when pulling from a slave).
    pub const fn with_commit_offset(self, on: bool) -> Self {
        self.with(Self::COMMIT_OFFSET, on)
    }

    /// Sets or clears [`Self::SUSPEND`].
    pub const fn with_suspend(self, on: bool) -> Self {
        self.with(Self::SUSPEND, on)
    }

    /// Sets or clears [`Self::SUBSCRIPTION`].
    pub const fn with_subscription(self, on: bool) -> Self {
        self.with(Self::SUBSCRIPTION, on)
    }

    /// Sets or clears [`Self::CLASS_FILTER`].
    pub const fn with_class_filter(self, on: bool) -> Self {
        self.with(Self::CLASS_FILTER, on)
    }

    /// Sets or clears [`Self::LITE_PULL`].
    pub const fn with_lite_pull(self, on: bool) -> Self {
        self.with(Self::LITE_PULL, on)
    }

    /// Whether [`Self::COMMIT_OFFSET`] is set.
    pub const fn commit_offset(self) -> bool {
        self.0 & Self::COMMIT_OFFSET != 0
    }

    /// Whether [`Self::SUSPEND`] is set.
    pub const fn suspend(self) -> bool {
        self.0 & Self::SUSPEND != 0
    }

    /// Whether [`Self::SUBSCRIPTION`] is set.
    pub const fn subscription(self) -> bool {
        self.0 & Self::SUBSCRIPTION != 0
    }

    /// Whether [`Self::CLASS_FILTER`] is set.
    pub const fn class_filter(self) -> bool {
        self.0 & Self::CLASS_FILTER != 0
    }

    /// Whether [`Self::LITE_PULL`] is set.
    pub const fn lite_pull(self) -> bool {
        self.0 & Self::LITE_PULL != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_flag_matches_java_build_sys_flag() {
        // Java: PullSysFlag.buildSysFlag(commitOffset, suspend, subscription, classFilter).
        let all = PullSysFlag::new()
            .with_commit_offset(true)
            .with_suspend(true)
            .with_subscription(true)
            .with_class_filter(true);
        assert_eq!(all.bits(), 0xF);
        assert_eq!(all.with_lite_pull(true).bits(), 0x1F);
        assert!(all.suspend() && all.subscription() && all.class_filter());
        assert!(!all.lite_pull());
    }

    #[test]
    fn transaction_type_replaces_only_its_bits() {
        let flag = COMPRESSED | COMPRESSION_ZLIB | TRANSACTION_PREPARED_TYPE;
        assert_eq!(transaction_type(flag), TRANSACTION_PREPARED_TYPE);
        let committed = with_transaction_type(flag, TRANSACTION_COMMIT_TYPE);
        assert_eq!(
            committed,
            COMPRESSED | COMPRESSION_ZLIB | TRANSACTION_COMMIT_TYPE
        );
        assert!(is_compressed(committed));
    }
}
