//! Topic and queue permission bits (Java `PermName`): what a route's `perm` field means.
//!
//! Route selection (write queues for producers, read queues for consumers) uses these helpers;
//! it lives in the client crates, not here.

/// `PERM_PRIORITY` (8): a priority topic. Not shown by [`to_display`].
pub const PRIORITY: i32 = 0x8;
/// `PERM_READ` (4): consumers may read the queues.
pub const READ: i32 = 0x4;
/// `PERM_WRITE` (2): producers may write the queues.
pub const WRITE: i32 = 0x2;
/// `PERM_INHERIT` (1): the topic is a template others inherit from (`TBW102`).
pub const INHERIT: i32 = 0x1;
/// Read and write (6): the default permission of a new topic.
pub const READ_WRITE: i32 = READ | WRITE;

/// Whether `perm` has the read bit.
pub const fn is_readable(perm: i32) -> bool {
    perm & READ == READ
}

/// Whether `perm` has the write bit.
pub const fn is_writeable(perm: i32) -> bool {
    perm & WRITE == WRITE
}

/// Whether `perm` has the inherit bit.
pub const fn is_inherited(perm: i32) -> bool {
    perm & INHERIT == INHERIT
}

/// Whether `perm` has the priority bit.
pub const fn is_priority(perm: i32) -> bool {
    perm & PRIORITY == PRIORITY
}

/// Java's `PermName.perm2String`: `R`, `W` and `X` (inherit) or `-` for each bit, in that
/// order; the priority bit is not shown.
///
/// ```
/// assert_eq!(rmq_protocol::perm::to_display(6), "RW-");
/// assert_eq!(rmq_protocol::perm::to_display(13), "R-X");
/// ```
pub const fn to_display(perm: i32) -> &'static str {
    const TABLE: [&str; 8] = ["---", "--X", "-W-", "-WX", "R--", "R-X", "RW-", "RWX"];
    TABLE[(perm & (READ | WRITE | INHERIT)) as usize]
}
