//! Queue allocation strategies (Java's `AllocateMessageQueueStrategy` family): pure functions
//! from every queue and every consumer id to the queues of one consumer.
//!
//! Inputs must be sorted as Java sorts them (queues by topic, broker, id; ids as strings) so
//! that a mixed Java/Rust group agrees on the split; the rebalancer does that.

use std::collections::BTreeMap;
use std::fmt::Debug;

use rmq_protocol::MessageQueue;

/// Picks the queues of `current` among `queues`, given every consumer id of the group.
pub trait AllocateStrategy: Debug + Send + Sync + 'static {
    /// The strategy's name, as Java reports it.
    fn name(&self) -> &str;

    /// The queues `current` consumes. `queues` and `consumers` are sorted; `current` is in
    /// `consumers` (an empty result otherwise).
    fn allocate(
        &self,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue>;
}

fn index_of(current: &str, consumers: &[String]) -> Option<usize> {
    consumers.iter().position(|c| c == current)
}

/// Contiguous blocks, the first `queues % consumers` consumers one queue more (Java's
/// `AllocateMessageQueueAveragely`, the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Averagely;

impl AllocateStrategy for Averagely {
    fn name(&self) -> &str {
        "AVG"
    }

    fn allocate(
        &self,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        let (Some(index), n, c) = (index_of(current, consumers), queues.len(), consumers.len())
        else {
            return Vec::new();
        };
        if n == 0 {
            return Vec::new();
        }
        let rem = n % c;
        let average = if n <= c {
            1
        } else if rem > 0 && index < rem {
            n / c + 1
        } else {
            n / c
        };
        let start = if rem > 0 && index < rem {
            index * average
        } else {
            index * average + rem
        };
        let range = average.min(n.saturating_sub(start));
        (0..range)
            .map(|i| queues[(start + i) % n].clone())
            .collect()
    }
}

/// Every `consumers.len()`-th queue starting at the consumer's index (Java's
/// `AllocateMessageQueueAveragelyByCircle`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AveragelyByCircle;

impl AllocateStrategy for AveragelyByCircle {
    fn name(&self) -> &str {
        "AVG_BY_CIRCLE"
    }

    fn allocate(
        &self,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = index_of(current, consumers) else {
            return Vec::new();
        };
        queues
            .iter()
            .skip(index)
            .step_by(consumers.len())
            .cloned()
            .collect()
    }
}

/// A consistent-hash ring of consumer ids with virtual nodes, keyed by MD5 as Java's
/// `AllocateMessageQueueConsistentHash` (10 virtual nodes by default).
#[derive(Debug, Clone, Copy)]
pub struct ConsistentHash {
    virtual_nodes: usize,
}

impl Default for ConsistentHash {
    fn default() -> Self {
        ConsistentHash { virtual_nodes: 10 }
    }
}

impl ConsistentHash {
    /// A ring with `virtual_nodes` nodes per consumer (at least 1).
    pub fn new(virtual_nodes: usize) -> Self {
        ConsistentHash {
            virtual_nodes: virtual_nodes.max(1),
        }
    }
}

/// Java's `ConsistentHashRouter.MD5Hash`: the first four digest bytes, big-endian.
fn md5_hash(key: &str) -> i64 {
    let d = md5::digest(key.as_bytes());
    i64::from(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
}

impl AllocateStrategy for ConsistentHash {
    fn name(&self) -> &str {
        "CONSISTENT_HASH"
    }

    fn allocate(
        &self,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        if index_of(current, consumers).is_none() {
            return Vec::new();
        }
        let mut ring: BTreeMap<i64, &str> = BTreeMap::new();
        for cid in consumers {
            for i in 0..self.virtual_nodes {
                ring.insert(md5_hash(&format!("{cid}-{i}")), cid);
            }
        }
        queues
            .iter()
            .filter(|mq| {
                let h = md5_hash(&mq.to_string());
                let node = ring
                    .range(h..)
                    .next()
                    .or_else(|| ring.iter().next())
                    .map(|(_, c)| *c);
                node == Some(current)
            })
            .cloned()
            .collect()
    }
}

/// A fixed list of queues, whatever the group looks like (Java's `AllocateMessageQueueByConfig`).
#[derive(Debug, Clone, Default)]
pub struct ByConfig {
    queues: Vec<MessageQueue>,
}

impl ByConfig {
    /// Always these queues.
    pub fn new(queues: Vec<MessageQueue>) -> Self {
        ByConfig { queues }
    }
}

impl AllocateStrategy for ByConfig {
    fn name(&self) -> &str {
        "CONFIG"
    }

    fn allocate(&self, _: &str, _: &[MessageQueue], _: &[String]) -> Vec<MessageQueue> {
        self.queues.clone()
    }
}

/// Queues of brokers named `<idc>@<name>` whose idc is listed, split in blocks with the
/// remainder spread one each (Java's `AllocateMessageQueueByMachineRoom`).
#[derive(Debug, Clone, Default)]
pub struct ByMachineRoom {
    idcs: Vec<String>,
}

impl ByMachineRoom {
    /// Consume the queues of brokers in these machine rooms.
    pub fn new<I, S>(idcs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ByMachineRoom {
            idcs: idcs.into_iter().map(Into::into).collect(),
        }
    }
}

impl AllocateStrategy for ByMachineRoom {
    fn name(&self) -> &str {
        "MACHINE_ROOM"
    }

    fn allocate(
        &self,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        let Some(index) = index_of(current, consumers) else {
            return Vec::new();
        };
        let pre: Vec<&MessageQueue> = queues
            .iter()
            .filter(|mq| {
                let parts: Vec<&str> = mq.broker_name.split('@').collect();
                parts.len() == 2 && self.idcs.iter().any(|i| i == parts[0])
            })
            .collect();
        let c = consumers.len();
        let (per, rem) = (pre.len() / c, pre.len() % c);
        let mut out: Vec<MessageQueue> = pre[per * index..per * index + per]
            .iter()
            .map(|q| (*q).clone())
            .collect();
        if rem > index {
            out.push(pre[index + per * c].clone());
        }
        out
    }
}

/// MD5 (RFC 1321), only what the consistent-hash strategy needs.
mod md5 {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    pub(super) fn digest(input: &[u8]) -> [u8; 16] {
        // K[i] = floor(abs(sin(i + 1)) * 2^32), as the RFC defines it.
        let k: Vec<u32> = (0..64)
            .map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32)
            .collect();
        let mut msg = input.to_vec();
        let bit_len = (input.len() as u64).wrapping_mul(8);
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&bit_len.to_le_bytes());
        let (mut a0, mut b0, mut c0, mut d0) = (
            0x6745_2301u32,
            0xefcd_ab89u32,
            0x98ba_dcfeu32,
            0x1032_5476u32,
        );
        for chunk in msg.chunks_exact(64) {
            let m: Vec<u32> = chunk
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect();
            let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
            for i in 0..64 {
                let (f, g) = match i / 16 {
                    0 => ((b & c) | (!b & d), i),
                    1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                    2 => (b ^ c ^ d, (3 * i + 5) % 16),
                    _ => (c ^ (b | !d), (7 * i) % 16),
                };
                let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
                a = d;
                d = c;
                c = b;
                b = b.wrapping_add(f.rotate_left(S[i]));
            }
            a0 = a0.wrapping_add(a);
            b0 = b0.wrapping_add(b);
            c0 = c0.wrapping_add(c);
            d0 = d0.wrapping_add(d);
        }
        let mut out = [0u8; 16];
        for (i, w) in [a0, b0, c0, d0].iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("T", "b", i)).collect()
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    fn ids_of(v: &[MessageQueue]) -> Vec<i32> {
        v.iter().map(|q| q.queue_id).collect()
    }

    /// Every queue is given to exactly one consumer.
    fn assert_partition(s: &dyn AllocateStrategy, n: i32, c: usize) {
        let (q, cids) = (queues(n), ids(c));
        let mut all: Vec<i32> = cids
            .iter()
            .flat_map(|cid| ids_of(&s.allocate(cid, &q, &cids)))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>(), "{} {n} {c}", s.name());
    }

    #[test]
    fn md5_matches_the_rfc_vectors() {
        let hex = |d: [u8; 16]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(md5::digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            hex(md5::digest(b"The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
    }

    #[test]
    fn averagely_gives_contiguous_blocks_extra_to_the_first() {
        let (q, c) = (queues(8), ids(3));
        assert_eq!(ids_of(&Averagely.allocate("c0", &q, &c)), [0, 1, 2]);
        assert_eq!(ids_of(&Averagely.allocate("c1", &q, &c)), [3, 4, 5]);
        assert_eq!(ids_of(&Averagely.allocate("c2", &q, &c)), [6, 7]);
        assert!(Averagely.allocate("c9", &q, &c).is_empty());
        let c5 = ids(5);
        assert_eq!(
            ids_of(&Averagely.allocate("c4", &queues(2), &c5)),
            Vec::<i32>::new()
        );
        for (n, c) in [(8, 3), (4, 4), (3, 5), (16, 7), (1, 1)] {
            assert_partition(&Averagely, n, c);
        }
    }

    #[test]
    fn by_circle_deals_queues_round_robin() {
        let (q, c) = (queues(8), ids(3));
        assert_eq!(ids_of(&AveragelyByCircle.allocate("c1", &q, &c)), [1, 4, 7]);
        for (n, c) in [(8, 3), (4, 4), (3, 5), (16, 7)] {
            assert_partition(&AveragelyByCircle, n, c);
        }
    }

    #[test]
    fn consistent_hash_partitions_and_moves_little_when_a_consumer_leaves() {
        let s = ConsistentHash::default();
        for (n, c) in [(8, 3), (16, 4), (32, 5)] {
            assert_partition(&s, n, c);
        }
        let (q, four, three) = (queues(32), ids(4), ids(3));
        for cid in &three {
            let before = s.allocate(cid, &q, &four);
            let after = s.allocate(cid, &q, &three);
            assert!(
                before.iter().all(|mq| after.contains(mq)),
                "{cid} lost a queue"
            );
        }
    }

    #[test]
    fn by_config_ignores_the_group() {
        let s = ByConfig::new(queues(2));
        assert_eq!(s.allocate("x", &queues(8), &ids(3)).len(), 2);
    }

    #[test]
    fn by_machine_room_keeps_listed_rooms_and_spreads_the_remainder() {
        let q: Vec<MessageQueue> = ["hz@b1", "sh@b2"]
            .iter()
            .flat_map(|b| (0..3).map(move |i| MessageQueue::new("T", *b, i)))
            .collect();
        let s = ByMachineRoom::new(["hz"]);
        let c = ids(2);
        assert_eq!(ids_of(&s.allocate("c0", &q, &c)), [0, 2]);
        assert_eq!(ids_of(&s.allocate("c1", &q, &c)), [1]);
    }
}
