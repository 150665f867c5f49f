//! Unit tests of the store: offsets, statuses, filtering, time search, indexes, eviction.

use bytes::Bytes;
use rmq_protocol::message::{decode_stored, sysflag, DecodeOptions};
use rmq_protocol::{ids, Properties, StoredMessage};

use super::*;

fn store(budget_bytes: usize) -> Store {
    Store::new(StoreConfig {
        budget_bytes,
        store_host: "127.0.0.1:10911".parse().expect("addr"),
    })
}

fn req(topic: &str, queue_id: i32, body: &str, props: &[(&str, &str)]) -> PutRequest {
    PutRequest {
        topic: topic.into(),
        queue_id,
        flag: 7,
        sys_flag: 0,
        body: Bytes::copy_from_slice(body.as_bytes()),
        properties: props.iter().copied().collect::<Properties>(),
        born_timestamp: 1_700_000_000_000,
        born_host: "127.0.0.1:50000".parse().expect("addr"),
        reconsume_times: 2,
        prepared_transaction_offset: 0,
    }
}

fn all(_: &StoredMessage) -> bool {
    true
}

fn decode(records: &[Bytes]) -> Vec<StoredMessage> {
    records
        .iter()
        .flat_map(|r| decode_stored(r.clone(), DecodeOptions::new()).expect("decode"))
        .collect()
}

fn bodies(records: &[Bytes]) -> Vec<String> {
    decode(records)
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
}

#[test]
fn put_assigns_queue_offsets_per_queue_and_physical_offsets_by_size() {
    let mut s = store(1 << 20);
    let a = s.put(req("T", 0, "a", &[])).expect("put");
    let b = s.put(req("T", 1, "b", &[])).expect("put");
    let c = s.put(req("T", 0, "c", &[])).expect("put");
    assert_eq!((a.queue_offset, b.queue_offset, c.queue_offset), (0, 0, 1));
    assert_eq!(a.commit_log_offset, 0);
    let a_len = s.record_at(0).expect("a").len() as i64;
    assert_eq!(b.commit_log_offset, a_len);
    assert_eq!(
        a.msg_id,
        ids::offset_msg_id("127.0.0.1:10911".parse().expect("addr"), 0)
    );
    assert_eq!(s.max_offset("T", 0), 2);
    assert_eq!(s.max_offset("T", 1), 1);
    assert_eq!(s.queue_ids("T"), [0, 1]);
    assert_eq!(s.topics(), ["T"]);
}

#[test]
fn stored_record_carries_every_store_field() {
    let mut s = store(1 << 20);
    let put = s
        .put_at(vec![req("T", 3, "hello", &[("TAGS", "A")])], 1_234)
        .expect("put")
        .remove(0);
    let got = s.get("T", 3, 0, 32, &all);
    let msg = decode(&got.records).remove(0);
    assert_eq!(msg.topic, "T");
    assert_eq!(msg.queue_id, 3);
    assert_eq!(msg.flag, 7);
    assert_eq!(msg.body, "hello");
    assert_eq!(msg.body_crc, rmq_protocol::message::body_crc(b"hello"));
    assert_eq!(msg.store_timestamp, 1_234);
    assert_eq!(put.store_timestamp, 1_234);
    assert_eq!(msg.born_timestamp, 1_700_000_000_000);
    assert_eq!(msg.reconsume_times, 2);
    assert_eq!(msg.store_host.to_string(), "127.0.0.1:10911");
    assert_eq!(msg.born_host.to_string(), "127.0.0.1:50000");
    assert_eq!(msg.tags(), Some("A"));
    assert_eq!(msg.offset_msg_id(), put.msg_id);
    assert_eq!(msg.store_size as usize, got.records[0].len());
    assert_eq!(
        s.by_commit_log_offset(put.commit_log_offset)
            .expect("by offset")
            .body,
        "hello"
    );
}

#[test]
fn batch_gets_contiguous_offsets_and_one_store_time() {
    let mut s = store(1 << 20);
    s.put(req("T", 0, "x", &[])).expect("put");
    let batch = (0..3).map(|i| req("T", 0, &format!("b{i}"), &[])).collect();
    let results = s.put_batch(batch).expect("batch");
    let offsets: Vec<i64> = results.iter().map(|r| r.queue_offset).collect();
    assert_eq!(offsets, [1, 2, 3]);
    assert!(results
        .windows(2)
        .all(|w| w[0].store_timestamp == w[1].store_timestamp));
    assert!(results
        .windows(2)
        .all(|w| w[0].commit_log_offset < w[1].commit_log_offset));
}

#[test]
fn batch_over_two_queues_is_refused_and_stores_nothing() {
    let mut s = store(1 << 20);
    let err = s
        .put_batch(vec![req("T", 0, "a", &[]), req("T", 1, "b", &[])])
        .expect_err("two queues");
    assert!(matches!(err, StoreError::BatchSpansQueues));
    assert_eq!(s.bytes(), 0);
}

#[test]
fn get_statuses_follow_java() {
    let mut s = store(1 << 20);
    let none = s.get("T", 0, 5, 32, &all);
    assert_eq!(
        (none.status, none.next_begin_offset),
        (GetStatus::NoMessageInQueue, 0)
    );
    for i in 0..3 {
        s.put(req("T", 0, &i.to_string(), &[])).expect("put");
    }
    let found = s.get("T", 0, 1, 32, &all);
    assert_eq!(found.status, GetStatus::Found);
    assert_eq!(bodies(&found.records), ["1", "2"]);
    assert_eq!(
        (found.next_begin_offset, found.min_offset, found.max_offset),
        (3, 0, 3)
    );
    let one = s.get("T", 0, 3, 32, &all);
    assert_eq!(
        (one.status, one.next_begin_offset),
        (GetStatus::OffsetOverflowOne, 3)
    );
    let badly = s.get("T", 0, 10, 32, &all);
    assert_eq!(
        (badly.status, badly.next_begin_offset),
        (GetStatus::OffsetOverflowBadly, 3)
    );
    let limited = s.get("T", 0, 0, 2, &all);
    assert_eq!(bodies(&limited.records), ["0", "1"]);
    assert_eq!(limited.next_begin_offset, 2);
}

#[test]
fn get_returns_at_most_32_records() {
    let mut s = store(1 << 20);
    for i in 0..40 {
        s.put(req("T", 0, &i.to_string(), &[])).expect("put");
    }
    let got = s.get("T", 0, 0, 64, &all);
    assert_eq!(got.records.len(), 32);
    assert_eq!(got.next_begin_offset, 32);
}

#[test]
fn filtered_get_skips_non_matching_and_advances_past_them() {
    let mut s = store(1 << 20);
    for tag in ["A", "B", "B", "A", "B"] {
        s.put(req("T", 0, tag, &[("TAGS", tag)])).expect("put");
    }
    let only_a = |m: &StoredMessage| m.tags() == Some("A");
    let got = s.get("T", 0, 1, 1, &only_a);
    assert_eq!(got.status, GetStatus::Found);
    assert_eq!(got.records.len(), 1);
    // Offsets 1 and 2 were scanned and skipped, 3 matched.
    assert_eq!(got.next_begin_offset, 4);
    let rest = s.get("T", 0, 4, 32, &only_a);
    assert_eq!(rest.status, GetStatus::NoMatched);
    assert!(rest.records.is_empty());
    assert_eq!(rest.next_begin_offset, 5);
}

#[test]
fn filtered_get_scans_a_bounded_number_of_entries() {
    let mut s = store(16 << 20);
    for _ in 0..MIN_SCAN_ENTRIES + 10 {
        s.put(req("T", 0, "x", &[])).expect("put");
    }
    let got = s.get("T", 0, 0, 32, &|_| false);
    assert_eq!(got.status, GetStatus::NoMatched);
    assert_eq!(got.next_begin_offset, MIN_SCAN_ENTRIES as i64);
}

#[test]
fn search_offset_finds_exact_or_nearest_store_time() {
    let mut s = store(1 << 20);
    for (i, t) in [100, 200, 300, 400].into_iter().enumerate() {
        s.put_at(vec![req("T", 0, &i.to_string(), &[])], t)
            .expect("put");
    }
    assert_eq!(s.search_offset("T", 0, 300), 2);
    assert_eq!(s.search_offset("T", 0, 240), 1);
    assert_eq!(s.search_offset("T", 0, 260), 2);
    assert_eq!(s.search_offset("T", 0, 250), 1, "a tie goes to the earlier");
    assert_eq!(s.search_offset("T", 0, 0), 0);
    assert_eq!(
        s.search_offset("T", 0, 9_999),
        3,
        "the last message, not max"
    );
    assert_eq!(s.search_offset("other", 0, 100), 0);
    assert_eq!(s.store_time("T", 0, 1), Some(200));
    assert_eq!(s.store_time("T", 0, 4), None);
}

#[test]
fn query_by_key_returns_newest_in_range_oldest_first() {
    let mut s = store(1 << 20);
    for (t, keys) in [(10, "k1 k2"), (20, "k2"), (30, "k1"), (40, "k1")] {
        s.put_at(vec![req("T", 0, &t.to_string(), &[("KEYS", keys)])], t)
            .expect("put");
    }
    s.put_at(vec![req("U", 0, "other", &[("KEYS", "k1")])], 50)
        .expect("put");
    assert_eq!(
        bodies(&s.query_by_key("T", "k1", 32, 0, 100)),
        ["10", "30", "40"]
    );
    assert_eq!(bodies(&s.query_by_key("T", "k1", 2, 0, 100)), ["30", "40"]);
    assert_eq!(bodies(&s.query_by_key("T", "k1", 32, 0, 35)), ["10", "30"]);
    assert_eq!(bodies(&s.query_by_key("T", "k2", 32, 0, 100)), ["10", "20"]);
    assert!(s.query_by_key("T", "nope", 32, 0, 100).is_empty());
    let (time, offset) = s.index_last_update();
    assert_eq!(time, 50);
    assert_eq!(s.by_commit_log_offset(offset).expect("last").topic, "U");
}

#[test]
fn query_by_unique_key_finds_the_earliest_with_that_id() {
    let mut s = store(1 << 20);
    s.put_at(vec![req("T", 0, "first", &[("UNIQ_KEY", "ID1")])], 10)
        .expect("put");
    s.put_at(vec![req("T", 1, "again", &[("UNIQ_KEY", "ID1")])], 20)
        .expect("put");
    s.put_at(vec![req("T", 0, "key", &[("KEYS", "ID2")])], 30)
        .expect("put");
    let found = s.query_by_unique_key("T", "ID1").expect("found");
    assert_eq!(bodies(&[found]), ["first"]);
    assert!(
        s.query_by_unique_key("T", "ID2").is_none(),
        "a key is no unique key"
    );
    assert_eq!(s.query_by_key("T", "ID1", 32, 0, 100).len(), 2);
}

#[test]
fn eviction_drops_oldest_and_advances_min_offset() {
    let mut probe = store(1 << 20);
    probe.put(req("T", 0, "0", &[("KEYS", "k")])).expect("put");
    let size = probe.bytes();
    let mut s = store(size * 3);
    for i in 0..5 {
        s.put(req("T", 0, &i.to_string(), &[("KEYS", "k")]))
            .expect("put");
    }
    assert_eq!(s.bytes(), size * 3);
    assert_eq!((s.min_offset("T", 0), s.max_offset("T", 0)), (2, 5));
    let small = s.get("T", 0, 0, 32, &all);
    assert_eq!(
        (small.status, small.next_begin_offset),
        (GetStatus::OffsetTooSmall, 2)
    );
    assert_eq!(bodies(&s.get("T", 0, 2, 32, &all).records), ["2", "3", "4"]);
    assert!(s.by_commit_log_offset(0).is_none());
    assert_eq!(
        bodies(&s.query_by_key("T", "k", 32, 0, i64::MAX)),
        ["2", "3", "4"]
    );
    assert_eq!(s.commit_log_range().0, 2 * size as i64);
}

#[test]
fn message_larger_than_budget_is_refused() {
    let mut s = store(64);
    let err = s
        .put(req("T", 0, &"x".repeat(100), &[]))
        .expect_err("too big");
    assert!(matches!(err, StoreError::TooLarge { budget: 64, .. }));
    assert!(err.to_string().contains("exceeds the store budget"));
}

#[test]
fn half_messages_are_stored_but_not_queued() {
    let mut s = store(1 << 20);
    let mut half = req("T", 0, "half", &[("KEYS", "k")]);
    half.sys_flag = sysflag::TRANSACTION_PREPARED_TYPE;
    let put = s.put(half).expect("put");
    assert_eq!(put.queue_offset, 0);
    assert_eq!(s.max_offset("T", 0), 0);
    assert!(s.by_commit_log_offset(put.commit_log_offset).is_some());
    assert_eq!(s.query_by_key("T", "k", 32, 0, i64::MAX).len(), 1);
    let mut rollback = req("T", 0, "rb", &[("KEYS", "k")]);
    rollback.sys_flag = sysflag::TRANSACTION_ROLLBACK_TYPE;
    s.put(rollback).expect("put");
    assert_eq!(
        s.query_by_key("T", "k", 32, 0, i64::MAX).len(),
        1,
        "rollbacks are not indexed"
    );
}

#[test]
fn long_topics_get_v2_records() {
    let mut s = store(1 << 20);
    let topic = "t".repeat(200);
    s.put(req(&topic, 0, "x", &[])).expect("put");
    let msg = decode(&s.get(&topic, 0, 0, 1, &all).records).remove(0);
    assert_eq!(msg.topic, topic);
    assert_eq!(msg.version, rmq_protocol::message::MessageVersion::V2);
}

#[test]
fn delete_topic_forgets_its_queues() {
    let mut s = store(1 << 20);
    s.put(req("T", 0, "x", &[])).expect("put");
    s.delete_topic("T");
    assert!(s.topics().is_empty());
    assert_eq!(s.max_offset("T", 0), 0);
    s.put(req("T", 0, "y", &[])).expect("put");
    assert_eq!(bodies(&s.get("T", 0, 0, 32, &all).records), ["y"]);
}

#[test]
fn message_in_queue_reads_by_logical_offset() {
    let mut s = store(1 << 20);
    s.put(req("T", 0, "a", &[])).expect("put");
    s.put(req("T", 0, "b", &[])).expect("put");
    let msg = s.message_in_queue("T", 0, 1).expect("offset 1");
    assert_eq!(msg.body, "b");
    assert_eq!(msg.queue_offset, 1);
    assert!(s.message_in_queue("T", 0, 2).is_none());
    assert!(s.message_in_queue("T", 1, 0).is_none());
}

#[test]
fn extreme_offsets_and_times_do_not_overflow() {
    let mut s = store(1 << 20);
    for t in [100, 200] {
        s.put_at(vec![req("T", 0, "x", &[])], t).expect("put");
    }
    assert_eq!(s.search_offset("T", 0, i64::MIN), 0);
    assert_eq!(s.search_offset("T", 0, i64::MAX), 1);
    let low = s.get("T", 0, i64::MIN, 32, &all);
    assert_eq!(
        (low.status, low.next_begin_offset),
        (GetStatus::OffsetTooSmall, 0)
    );
    let high = s.get("T", 0, i64::MAX, 32, &all);
    assert_eq!(high.status, GetStatus::OffsetOverflowBadly);
    assert_eq!(s.store_time("T", 0, i64::MIN), None);
    assert!(s.message_in_queue("T", 0, i64::MAX).is_none());
}
