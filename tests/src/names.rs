//! Unique, valid resource names so that tests sharing one cluster never see each other's data.
//!
//! A name is `<prefix>_<test>_<suffix>`: the test name is cut to fit and any character outside
//! `[a-zA-Z0-9_-]` becomes `_`; the suffix combines the time, the process id and a counter.

use std::sync::atomic::{AtomicU64, Ordering};

/// RocketMQ's limit on topic and group names.
pub const MAX_LEN: usize = 127;

/// A fresh topic name for `test`, e.g. `rmq_t_send_reaches_broker_1a2b3c`.
pub fn topic(test: &str) -> String {
    name("rmq_t", test)
}

/// A fresh consumer or producer group name for `test`.
pub fn group(test: &str) -> String {
    name("rmq_g", test)
}

/// `<prefix>_<test>_<suffix>`, valid and at most [`MAX_LEN`] characters.
pub fn name(prefix: &str, test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!(
        "{:x}{:x}{n:x}",
        crate::server::unique_suffix() & 0xFFFF_FFFF_FFFF,
        std::process::id()
    );
    let room = MAX_LEN.saturating_sub(prefix.len() + suffix.len() + 2);
    let test: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(room)
        .collect();
    let mut out = format!("{prefix}_{test}_{suffix}");
    out.retain(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    out.truncate(MAX_LEN);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_valid_and_short_enough() {
        let long = "x::y ".repeat(100);
        let a = topic(&long);
        let b = topic(&long);
        assert_ne!(a, b);
        for s in [&a, &b, &group("ünïcode test")] {
            assert!(s.len() <= MAX_LEN, "{s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{s}"
            );
        }
        assert!(group("g1").starts_with("rmq_g_g1_"));
    }
}
